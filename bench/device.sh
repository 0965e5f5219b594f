#!/usr/bin/env bash
# One prepared run for a lent GPU machine (see the README's "Speed" section), inside a time box:
#   1. build once (or use FS=<a facade-studio binary built elsewhere>);
#   2. record `bench --backend wgpu --json` at ngf 32, batch 1, 4 and 16, and the PyTorch peer on
#      CUDA with the same arguments when python3 has torch with CUDA (bench.jsonl);
#   3. fine-tune the default model from INIT for what the box leaves, with the batch (1 or 4) that
#      the bench found faster in images/s, the step count planned from the measured step time so
#      that the learning rate's linear decay ends with the box, a checkpoint (with held-out
#      figures) about every quarter of the run;
#   4. export the weight average as a half-precision model, evaluate it on the held-out split, and
#      leave under $OUT: bench.jsonl, results.tar.gz (logs, config, losses, evals, samples,
#      metrics) and the model in 15 MB parts (model.fsw.part-*: `cat model.fsw.part-* > m.fsw`).
#
#   OUT=/tmp/out BUDGET=540 [BENCH_ARGS='--ngf 32'] FACADES_DIR=../shared/facades [FS=...] [INIT=...] bench/device.sh
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT="${OUT:-/tmp/facade-device}"
BUDGET="${BUDGET:-540}"
DATA="${FACADES_DIR:-../shared/facades}/train"
INIT="${INIT:-assets/default-model.fsw}"
WORK="${WORK:-/tmp/facade-device-work}"
RUN="$WORK/run"
mkdir -p "$OUT" "$WORK"
LOG="$WORK/device.log"
left() { echo $((start + BUDGET - $(date +%s))); }
say() { echo "[$(($(date +%s) - start)) s] $*" | tee -a "$LOG"; }

if [ -z "${FS:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
  cargo build --release 2>&1 | tail -n 3 | tee -a "$LOG"
  FS="$CARGO_TARGET_DIR/release/facade-studio"
fi
say "binary: $FS"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$LOG"
grep -m1 'model name' /proc/cpuinfo | tee -a "$LOG"

# 2. Throughput (BENCH=0 skips it and trains on the CPU).
if [ "${BENCH:-1}" != 0 ]; then
  for b in 1 4 16; do
    timeout 75 "$FS" bench --backend wgpu --json ${BENCH_ARGS:---ngf 32} --renders 10 --steps 10 \
      --batch "$b" >> "$OUT/bench.jsonl" 2>> "$LOG" || { say "wgpu bench, batch $b: failed or timed out"; break; }
  done
  if python3 -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    for b in 1 4 16; do
      timeout 60 python3 bench/pytorch/pix2pix_bench.py --cuda --json ${BENCH_ARGS:---ngf 32} \
        --renders 10 --steps 10 --batch "$b" >> "$OUT/bench.jsonl" 2>> "$LOG" || say "PyTorch bench, batch $b: failed"
    done
  fi
else
  echo '{"backend":"wgpu","device":"software (bench skipped)","batch":1,"train_step_ms_p50":100,"train_images_per_s":10}' > "$OUT/bench.jsonl"
fi
cat "$OUT/bench.jsonl" >> "$LOG"

# 3. Plan and train: step time from the bench; the CPU backend if wgpu found no real GPU.
read -r BACKEND BATCH STEP_MS < <(python3 - "$OUT/bench.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
gpu = {r["batch"]: r for r in rows if r.get("backend") == "wgpu" and "software" not in r.get("device", "")}
if 1 in gpu:
    b = 4 if 4 in gpu and gpu[4]["train_images_per_s"] > 1.5 * gpu[1]["train_images_per_s"] else 1
    print("wgpu", b, gpu[b]["train_step_ms_p50"])
else:
    print("cpu", 1, 400)
EOF
)
PAIRS=$(( $(ls "$DATA" | wc -l) - 40 ))
SPE=$(( (PAIRS + BATCH - 1) / BATCH ))
TRAIN_S=$(( $(left) - 110 ))
STEPS=$(python3 -c "print(max(1, int($TRAIN_S * 1000 / $STEP_MS * 0.8)))")
EPOCHS=$(( (STEPS + SPE - 1) / SPE ))
DECAY=$(( (EPOCHS + 1) / 2 ))
EVERY=$(( STEPS / 4 > 1 ? STEPS / 4 : 1 ))
say "train: $BACKEND, batch $BATCH, ${STEP_MS} ms/step → $STEPS steps ($EPOCHS epochs, last $DECAY decaying) in $TRAIN_S s from $INIT"
[ "$TRAIN_S" -gt 30 ] && timeout "$TRAIN_S" "$FS" train --data "$DATA" --out "$RUN" --init-from "$INIT" --ngf 32 \
  --holdout 40 --seed 11 --batch "$BATCH" --epochs "$EPOCHS" --decay-epochs "$DECAY" \
  --max-steps "$STEPS" --checkpoint-every "$EVERY" --sample-every "$EVERY" --backend "$BACKEND" \
  > "$WORK/train.log" 2>&1 || say "training ended early (status $?): the newest checkpoint stands"
tail -n 5 "$WORK/train.log" | tee -a "$LOG"

# 4. Export, evaluate, pack.
if ls "$RUN"/checkpoint-*.fsw > /dev/null 2>&1; then
  "$FS" export --model "$RUN" --output "$WORK/model.fsw" --half 2>&1 | tee -a "$LOG"
  timeout $(( $(left) > 30 ? $(left) - 20 : 10 )) "$FS" eval --model "$WORK/model.fsw" --data "$DATA" \
    --last 40 --out "$WORK/eval" --backend "$BACKEND" --json 2>&1 | tail -n 2 | tee -a "$LOG"
  split -b 15000000 "$WORK/model.fsw" "$OUT/model.fsw.part-"
fi
say "done"
tar -C "$WORK" -czf "$OUT/results.tar.gz" device.log train.log \
  $(cd "$WORK" && ls -d run/config.json run/losses.csv run/evals.jsonl run/samples eval 2>/dev/null)
