#!/usr/bin/env bash
# One prepared run for a lent GPU machine (see the README's "Speed" section): build once, record
# `bench --backend wgpu --json` (default and paper recipes, batch 1 and larger), then train the
# default model for as long as the time box allows with checkpoints every few minutes, and leave
# everything under $OUT (bench.jsonl, the run folder's config, losses, evals, samples, the newest
# checkpoints, and an exported half-precision model).
#
#   OUT=/tmp/out TRAIN_SECONDS=420 FACADES_DIR=../shared/facades bench/device.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/facade-device}"
TRAIN_SECONDS="${TRAIN_SECONDS:-420}"
DATA="${FACADES_DIR:-../shared/facades}/train"
RUN="$OUT/run"
mkdir -p "$OUT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
start=$(date +%s)
cargo build --release 2>&1 | tail -n 3 | tee "$OUT/build.log"
FS="$CARGO_TARGET_DIR/release/facade-studio"
echo "build: $(( $(date +%s) - start )) s" | tee -a "$OUT/build.log"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1 || true

# Throughput, images/s (the issue's target: ≥ 135 images/s at ngf 32).
for args in "--ngf 32" "--ngf 32 --batch 4" "--ngf 32 --batch 16" "--ngf 32 --paper" "--ngf 64 --batch 4"; do
  timeout 120 "$FS" bench --backend wgpu --json --renders 20 --steps 20 $args >> "$OUT/bench.jsonl" 2>> "$OUT/bench.err" || true
done

# Training: the default recipe at ngf 32, held out 361–400, a checkpoint every 2 epochs (about a
# minute at 68 ms/step); killed when the time box is over (the checkpoints on disk are intact and
# `train --resume` continues the run on any machine).
timeout "$TRAIN_SECONDS" "$FS" train --data "$DATA" --out "$RUN" --ngf 32 --holdout 40 \
  --epochs 200 --batch "${BATCH:-1}" --backend wgpu --checkpoint-every 720 --sample-every 720 \
  > "$OUT/train.log" 2>&1 || true
ls "$RUN"/checkpoint-*.fsw >/dev/null 2>&1 && "$FS" export --model "$RUN" --output "$OUT/model.fsw" --half || true
echo "total: $(( $(date +%s) - start )) s" | tee -a "$OUT/build.log"
