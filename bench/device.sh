#!/usr/bin/env bash
# One prepared run for a lent GPU machine (docs/speed.md), inside a time box of BUDGET seconds.
# Setup: the Vulkan loader from .gl/*.deb when the machine has none; the binary: FS, else
# .carry/facade-studio.xz (built elsewhere, carried), else a release build here. Then the steps of
# PLAN in order, each cut short so that the box holds:
#   ours:N      `facade-studio bench --backend wgpu` at ngf N, every batch of BATCHES (16,1,4) in one
#               process, with the machine's peak GPU memory during it (nvidia-smi, polled);
#   torch:N     the PyTorch peer on CUDA, same model, recipe and batches;
#   precision:P ours at ngf 32 with `--precision P` (f16, flex32);
#   columns:N   ours at ngf N with FACADE_GPU_CONV=columns (convolutions as columns + matrix
#               products instead of Burn's direct kernel; its rows carry "conv": "columns"; 3.8×
#               slower on WGSL f32, bench/results/2026-12-04-h200-b);
#   tiled:N     ours at ngf N with FACADE_GPU_CONV=tiled (the convolutions' forward passes and weight
#               gradients through the tiled matrix-product kernels of src/kernels/tiled.rs instead of
#               Burn's direct kernel, the 65 % of the step's GPU time in the 2026-12-04 profile, and
#               its column-matrix weight gradient; rows carry "conv": "tiled";
#               correct on lavapipe, never timed on a GPU before);
#   vk:P        ours at ngf 32, precision P, built with `--features vulkan` (SPIR-V kernels; the
#               binary FS_VK, else .carry/facade-studio-vk.xz), Burn's convolution, the batches of
#               VK_BATCHES (16);
#   vkcolumns:P the same with FACADE_GPU_CONV=columns;
#   profile     CubeCL's per-kernel timings over 2 training steps at ngf 32, batch 16, summed by
#               kernel (profile.txt; the raw logs and the autotune winners in profile-logs.tar.xz),
#               with the conv path of PROFILE_CONV (columns, tiled or backend, default backend);
#   train       (with the conv path of TRAIN_CONV: backend, tiled, columns, or auto (the default): the
#               fastest of the bench rows at TRAIN_NGF and TRAIN_BATCH) a fresh run (or a fine-tune of INIT) on FACADES_DIR/train (default .carry/facades)
#               for TRAIN_S seconds (default: what the box leaves), TRAIN_BATCH images a step, the
#               step count planned from the measured step time so that the learning rate's linear
#               decay ends with it; checkpoints with held-out figures about every quarter; the
#               weight average exported in 15 MB parts (`cat model.fsw.part-* > m.fsw`); the
#               recipe TRAIN_PRESET (default, paper or second-step; default: default — the step
#               time is planned from the default recipe's bench row, and second-step costs ~1.2×
#               on a CPU, so give it TRAIN_S with room); TRAIN_ARGS: more `train` flags (any but
#               those the script sets: preset, ngf, holdout, seed, batch, epochs, decay-epochs,
#               max-steps, checkpoint-every, sample-every, backend); TRAIN_COST: the recipe's step time over the
#               default recipe's bench row (default 1), so that the plan ends inside the time.
#               Add `--checkpoint-judges on` to TRAIN_ARGS for the learned judges' patch accuracy
#               at each checkpoint (their cost on a GPU is unmeasured: leave room).
#               The OASIS recipe with the spectral envelope, MODEL.md's Q (1.14× the default's
#               step on this project's 2-core CPU; unmeasured on a GPU, so leave room):
#                 INIT=assets/default-model.fsw TRAIN_COST=1.5 TRAIN_ARGS="--lr 1e-4 --style-none 0.5
#                 --d-lr-scale 4 --beta1 0 --diff-augment on --diff-augment-colour off --ffl-weight 10
#                 --discriminator oasis --ndf 16 --l1-weight 10 --spectral-weight 1" (needs the
#                 shipped segmenter, assets/segmenter.fsw, which the working tree carries; checked on
#                 the CPU with --backend cpu --batch 2 --max-steps 3: OASIS discriminator from the
#                 segmenter, the flags in the run's config.json).
# Under $OUT: bench.jsonl (and its table in device.log), profile.txt, results.tar.gz (train log,
# config, losses, held-out figures, samples), gpu-cache.tar.xz (the tuning caches: carry it back
# as .carry/gpu-cache.tar.xz and the next machine skips the tuning; the newest is kept in
# bench/results/*/gpu-cache.tar.xz).
#
#   OUT=/tmp/out BUDGET=480 PLAN="ours:32 torch:32 profile train" bench/device.sh
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT="${OUT:-/tmp/facade-device}"
BUDGET="${BUDGET:-540}"
PLAN="${PLAN:-torch:32 ours:32 tiled:32 vk:f16 profile train}"
DATA="${FACADES_DIR:-.carry/facades}/train"
INIT="${INIT:-}"
TRAIN_NGF="${TRAIN_NGF:-32}"
TRAIN_BATCH="${TRAIN_BATCH:-16}"
WORK="${WORK:-/tmp/facade-device-work}"
RUN="$WORK/run"
mkdir -p "$OUT" "$WORK"
LOG="$OUT/device.log"
left() { echo $((start + BUDGET - $(date +%s))); }
say() { echo "[$(($(date +%s) - start)) s] $*" | tee -a "$LOG"; }
# One tuning cache per binary for every process of the run: kernels are compiled and tuned once
# (and not again when a previous run's caches are carried in).
export FACADE_GPU_CACHE="$WORK/gpu-cache/wgsl" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK/xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
[ -f .carry/gpu-cache.tar.xz ] && tar -C "$WORK" -xJf .carry/gpu-cache.tar.xz

# 0. Vulkan loader and binary.
if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb > /dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "$(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null)" ] \
  && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
if [ -z "${FS:-}" ] && [ -f .carry/facade-studio.xz ]; then
  FS="$WORK/facade-studio"
  xz -dc .carry/facade-studio.xz > "$FS" && chmod +x "$FS"
fi
if [ -z "${FS:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
  cargo build --release 2>&1 | tail -n 3 | tee -a "$LOG"
  FS="$CARGO_TARGET_DIR/release/facade-studio"
fi
if [ -z "${FS_VK:-}" ] && [ -f .carry/facade-studio-vk.xz ]; then
  FS_VK="$WORK/facade-studio-vk"
  xz -dc .carry/facade-studio-vk.xz > "$FS_VK" && chmod +x "$FS_VK"
fi
say "binary: $FS${FS_VK:+, SPIR-V: $FS_VK}"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv 2>&1 | tee -a "$LOG"
grep -m1 'model name' /proc/cpuinfo | tee -a "$LOG"
python3 -c 'import torch; print("torch", torch.__version__, "cudnn", torch.backends.cudnn.version())' 2>&1 | tee -a "$LOG"

gpu_mem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -n 1; }

# Runs "$@" (its JSON lines on stdout) with a time limit, and appends each line to bench.jsonl
# with the machine's peak GPU memory during the process (MB above what was in use before it).
timed_json() {
  local limit=$1
  shift
  local base poll rc
  base=$(gpu_mem)
  (while sleep 0.1; do gpu_mem; done) > "$WORK/mem.log" &
  poll=$!
  timeout "$limit" "$@" > "$WORK/rows.jsonl" 2>> "$LOG"
  rc=$?
  kill "$poll" 2> /dev/null
  wait "$poll" 2> /dev/null
  python3 - "$WORK/rows.jsonl" "$WORK/mem.log" "${base:-0}" >> "$OUT/bench.jsonl" << 'EOF'
import json, sys
mem = [int(l) for l in open(sys.argv[2]) if l.strip().isdigit()]
peak = max(mem) - int(sys.argv[3]) if mem else None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        row = json.loads(line)
        row["process_gpu_peak_mb"] = peak
        print(json.dumps(row))
EOF
  return "$rc"
}

# At most $1 seconds, and never past the box (less a reserve for packing up).
cap() {
  local l=$(($(left) - 25))
  echo $(($1 < l ? $1 : l))
}

# 1. Throughput: ours on wgpu (every batch of BATCHES in one process: kernels compiled and tuned
#    once; batch 16 first, the main target), then the peer on CUDA.
bench_ours() {
  say "ours, ngf $1${2:+, $2}${FACADE_GPU_CONV:+, $FACADE_GPU_CONV}${VK:+, SPIR-V}"
  local bin=$FS
  [ -n "${VK:-}" ] && bin=${FS_VK:-missing-spirv-binary}
  timed_json "$(cap "${OURS_S:-200}")" ${VK:+env FACADE_GPU_CACHE=$WORK/gpu-cache/spirv} "$bin" bench --backend wgpu --json --ngf "$1" --renders 20 \
    --steps 10 --batch "${BATCHES:-16,1,4}" ${2:+--precision $2} \
    || say "ours, ngf $1: failed or timed out (status $?)"
}
bench_torch() {
  say "PyTorch, ngf $1"
  timed_json "$(cap 60)" python3 bench/pytorch/pix2pix_bench.py --cuda --json --ngf "$1" \
    --renders 20 --steps 10 --batch "${BATCHES:-16,1,4}" || say "PyTorch, ngf $1: failed (status $?)"
}

# 2. Where our GPU time goes: CubeCL reads cubecl.toml from the working folder (every kernel
#    timed, the autotune winners). After the bench, so the tuning is cached and off the profile.
profile() {
  say "profile, ngf 32, batch 16"
  mkdir -p "$WORK/prof"
  cat > "$WORK/prof/cubecl.toml" << EOF
[profiling.logger]
level = "basic"
file = "$WORK/profile.log"

[autotune.logger]
level = "minimal"
file = "$WORK/autotune.log"
EOF
  (cd "$WORK/prof" && FACADE_GPU_CONV="${PROFILE_CONV:-backend}" timeout "$(cap 90)" "$FS" bench --backend wgpu --json --ngf 32 --renders 3 \
    --steps 2 --batch 16 >> "$LOG" 2>&1) || say "profile: failed or timed out (status $?)"
  python3 bench/profile_summary.py "$WORK/profile.log" > "$OUT/profile.txt" 2>&1
  head -n 30 "$OUT/profile.txt" | tee -a "$LOG"
  tar -C "$WORK" -cJf "$OUT/profile-logs.tar.xz" profile.log autotune.log 2> /dev/null
}

# 3. Train for TRAIN_S seconds (default: what the box leaves), TRAIN_BATCH images a step, the
#    step count planned from the measured step time so that the learning rate's linear decay ends
#    with the time; checkpoints with held-out figures about every quarter.
train() {
  # The step time of this width and batch from the bench rows, and with TRAIN_CONV=auto (the
  # default) the conv path whose row was fastest.
  read -r STEP_MS CONV < <(python3 - "$OUT/bench.jsonl" "$TRAIN_NGF" "$TRAIN_BATCH" "${TRAIN_CONV:-auto}" << 'EOF'
import json, sys
ngf, batch, conv = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
except OSError:
    rows = []
ours = [r for r in rows if r.get("backend") == "wgpu" and r["ngf"] == ngf and r["batch"] == batch
        and r.get("precision", "f32") == "f32" and conv in ("auto", r.get("conv", "backend"))]
best = min(ours, key=lambda r: r["train_step_ms_p50"]) if ours else None
print(best["train_step_ms_p50"] if best else 1000,
      best.get("conv", "backend") if best else ("backend" if conv == "auto" else conv))
EOF
  )
  PAIRS=$(($(ls "$DATA" | wc -l) - 40))
  SPE=$(((PAIRS + TRAIN_BATCH - 1) / TRAIN_BATCH))
  TRAIN_S=$(cap "${TRAIN_S:-$(($(left) - 60))}")
  STEPS=$(python3 -c "print(max(1, int($TRAIN_S * 1000 / ($STEP_MS * ${TRAIN_COST:-1}) * 0.8)))")
  EPOCHS=$(((STEPS + SPE - 1) / SPE))
  DECAY=$(((EPOCHS + 1) / 2))
  EVERY=$((STEPS / 4 > 1 ? STEPS / 4 : 1))
  from=${INIT:+--init-from $INIT}
  say "train: ${TRAIN_PRESET:-default} recipe ${TRAIN_ARGS:-}, ngf $TRAIN_NGF, batch $TRAIN_BATCH, conv $CONV, ${STEP_MS} ms/step × ${TRAIN_COST:-1} → $STEPS steps ($EPOCHS epochs, last $DECAY decaying) in $TRAIN_S s ${from:-from scratch}"
  [ "$TRAIN_S" -gt 20 ] && FACADE_GPU_CONV="$CONV" timeout "$TRAIN_S" "$FS" train --data "$DATA" --out "$RUN" $from \
    --preset "${TRAIN_PRESET:-default}" --ngf "$TRAIN_NGF" --holdout 40 --seed 11 --batch "$TRAIN_BATCH" --epochs "$EPOCHS" \
    --decay-epochs "$DECAY" --max-steps "$STEPS" --checkpoint-every "$EVERY" \
    --sample-every "$EVERY" --backend wgpu ${TRAIN_ARGS:-} > "$WORK/train.log" 2>&1 \
    || say "training ended early (status $?): the newest checkpoint stands"
  tail -n 8 "$WORK/train.log" | tee -a "$LOG"
  # Export and pack the model (evaluate it elsewhere: `facade-studio eval`).
  if ls "$RUN"/checkpoint-*.fsw > /dev/null 2>&1; then
    "$FS" export --model "$RUN" --output "$WORK/model.fsw" --half 2>&1 | tee -a "$LOG"
    split -b 15000000 "$WORK/model.fsw" "$OUT/model.fsw.part-"
  fi
}

for step in $PLAN; do
  [ "$(left)" -gt 40 ] || { say "out of time before $step"; break; }
  case "$step" in
    ours:*) bench_ours "${step#ours:}" ;;
    torch:*) bench_torch "${step#torch:}" ;;
    precision:*) bench_ours 32 "${step#precision:}" ;;
    columns:*) FACADE_GPU_CONV=columns bench_ours "${step#columns:}" ;;
    tiled:*) FACADE_GPU_CONV=tiled bench_ours "${step#tiled:}" ;;
    vk:*) VK=1 BATCHES="${VK_BATCHES:-16}" bench_ours 32 "${step#vk:}" ;;
    vkcolumns:*) VK=1 BATCHES="${VK_BATCHES:-16}" FACADE_GPU_CONV=columns bench_ours 32 "${step#vkcolumns:}" ;;
    profile) profile ;;
    train) train ;;
    *) say "unknown step $step" ;;
  esac
done
python3 bench/pytorch/table.py "$OUT/bench.jsonl" 2>&1 | tee -a "$LOG"
say "done"
tar -C "$WORK" -czf "$OUT/results.tar.gz" \
  $(cd "$WORK" && ls -d train.log run/config.json run/losses.csv run/evals.jsonl run/samples 2> /dev/null) 2> /dev/null
tar -C "$WORK" -cJf "$OUT/gpu-cache.tar.xz" gpu-cache 2> /dev/null
true
