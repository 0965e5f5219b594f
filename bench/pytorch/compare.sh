#!/usr/bin/env bash
# Times our CPU backend against PyTorch on the same pix2pix model, back to back, ROUNDS times, and
# prints per width the medians and the ratio ours/PyTorch (see README.md beside this file).
#
#   bench/pytorch/compare.sh [--ngf N] [--paper] [--batch N] [--renders N] [--steps N] [--size N]
#   ROUNDS=3  FS=target/release/facade-studio  OUT=<folder for the raw JSON lines>
#   STOCK=1 (default): also time ours with Burn's stock CPU kernels (FACADE_KERNELS=stock), to show
#   what src/kernels/ buys; STOCK=0 skips it
#   TORCH_SPEC=torch==2.15.0  TORCH_PIP_ARGS=<extra pip args, e.g. an index with CPU-only wheels>
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/pytorch
VENV="$HERE/.venv"
PY="$VENV/bin/python"
FS="${FS:-${CARGO_TARGET_DIR:-target}/release/facade-studio}"
ROUNDS="${ROUNDS:-3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.15.0}"
OUT="${OUT:-$(mktemp -d /tmp/pix2pix-compare.XXXXXX)}"
mkdir -p "$OUT"

die() { echo "compare.sh: $*" >&2; exit 1; }
torch_ok() { [ -x "$PY" ] && "$PY" -W ignore -c 'import torch; assert (torch.ones(2) + 1).sum() == 4' >/dev/null 2>&1; }

[ -x "$FS" ] || die "no facade-studio binary at $FS: run 'cargo build --release' or set FS=/path/to/facade-studio"

if ! torch_ok; then
  echo "Installing $TORCH_SPEC into $VENV (once) ..." >&2
  [ -x "$PY" ] || python3 -m venv "$VENV" || die "cannot create a virtual environment (python3 -m venv)"
  # The registry's Linux x86_64 torch wheel is the CUDA build: its CPU code is the same as the CPU
  # wheel's, but libtorch_cpu.so itself links the CUDA runtime, so it does not import without the
  # nvidia-*/cuda-* packages (about 3 GB). They are installed; triton (about 1 GB, only used by
  # torch.compile and GPU kernels) is left out. A CPU-only wheel (e.g. via TORCH_PIP_ARGS with an
  # index that has one) declares none of these and installs the same way.
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q --no-deps ${TORCH_PIP_ARGS:-} "$TORCH_SPEC" \
    || die "pip could not install $TORCH_SPEC (is the package registry reachable?)"
  mapfile -t deps < <("$PY" -c '
import importlib.metadata as m
for r in m.requires("torch") or []:
    if "extra ==" not in r and not r.lower().startswith("triton"):
        print(r)')
  if [ "${#deps[@]}" -gt 0 ]; then
    "$VENV/bin/pip" install -q --no-warn-conflicts "${deps[@]}" || die "pip could not install the dependencies of $TORCH_SPEC"
  fi
  torch_ok || die "torch was installed into $VENV but does not import: $("$PY" -c 'import torch' 2>&1 | tail -n 1)"
  echo "Installed: $("$PY" -W ignore -c 'import torch; print(torch.__version__)'), $(du -sh "$VENV" | cut -f1) on disk" >&2
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
avx512=$(grep -qm1 -w avx512f /proc/cpuinfo && echo yes || echo no)
load=$(cut -d' ' -f1-3 /proc/loadavg)
# How busy the machine is now: the share of CPU time others used over one second (the load
# average lags by minutes, so right after a build or a benchmark it reports a busy machine that
# is already quiet).
busy_now() {
  local a b
  read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat; a=$((a1 + a2 + a3 + a6 + a7)); local t1=$((a + a4 + a5))
  sleep 1
  read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat; b=$((b1 + b2 + b3 + b6 + b7)); local t2=$((b + b4 + b5))
  echo $(( (b - a) * 100 / ((t2 - t1) > 0 ? (t2 - t1) : 1) ))
}
busy=$(busy_now)
echo "CPU: $cpu; $cores cores; avx512: $avx512; load average: $load; busy now: ${busy} %"
echo "torch: $("$PY" -W ignore -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())'); args: ${*:-(none)}; rounds: $ROUNDS; raw: $OUT"
if [ "$busy" -gt 20 ]; then
  echo "warning: the machine is busy (${busy} % of the CPU in use before we start): both sides share it; timings are not representative" >&2
  # OpenMP threads that spin while waiting (libgomp's default) lose their time slices to the other
  # processes: PyTorch then runs 5-20x slower than on a quiet machine. Sleeping waits avoid that,
  # but on a quiet machine they make PyTorch slower (about 25 % at ngf 32 here), so only then.
  if [ -z "${OMP_WAIT_POLICY:-}" ]; then
    export OMP_WAIT_POLICY=PASSIVE
    echo "         so OMP_WAIT_POLICY=PASSIVE for PyTorch (set OMP_WAIT_POLICY to choose yourself)" >&2
  fi
fi
echo "OMP_WAIT_POLICY for PyTorch: ${OMP_WAIT_POLICY:-unset, the libgomp default}"

for r in $(seq "$ROUNDS"); do
  echo "round $r/$ROUNDS ..." >&2
  "$FS" bench --backend cpu --json "$@" | sed "s/^{/{\"round\":$r,/" >> "$OUT/ours.jsonl"
  if [ "${STOCK:-1}" = 1 ]; then
    FACADE_KERNELS=stock "$FS" bench --backend cpu --json "$@" | sed "s/^{/{\"round\":$r,/" >> "$OUT/stock.jsonl"
  fi
  "$PY" "$HERE/pix2pix_bench.py" --json "$@" | sed "s/^{/{\"round\": $r, /" >> "$OUT/pytorch.jsonl"
done

python3 - "$OUT/ours.jsonl" "$OUT/pytorch.jsonl" "$OUT/stock.jsonl" <<'EOF'
import json, os, statistics, sys
from collections import defaultdict
rows = [defaultdict(dict), defaultdict(dict), defaultdict(dict)]  # side -> (ngf) -> round -> row
for side, path in enumerate(sys.argv[1:4]):
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line)
        rows[side][r["ngf"]][r["round"]] = r
med = statistics.median
has_stock = bool(rows[2])
print(f"{'ngf':>4} {'recipe':>7} {'batch':>5} | {'render p50 ms':^26} | {'train step p50 ms':^28} | {'peak RSS MB':^13}"
      + (f" | {'stock Burn kernels':^26}" if has_stock else ""))
print(f"{'':>4} {'':>7} {'':>5} | {'ours':>7} {'torch':>7} {'ratio':>9} | {'ours':>8} {'torch':>8} {'ratio':>9} | {'ours':>6} {'torch':>6}"
      + (f" | {'render':>7} {'step':>7} {'RSS':>5} {'ratio':>4}" if has_stock else ""))
for ngf in sorted(rows[0]):
    ours, theirs, stock = rows[0][ngf], rows[1].get(ngf, {}), rows[2].get(ngf, {})
    rounds = sorted(set(ours) & set(theirs))
    if not rounds:
        continue
    col = lambda side, k: med(side[i][k] for i in rounds if i in side)
    ratio = lambda k: med(ours[i][k] / theirs[i][k] for i in rounds)
    any_row = ours[rounds[0]]
    line = (f"{ngf:>4} {any_row['recipe']:>7} {any_row['batch']:>5} | "
            f"{col(ours, 'render_ms_p50'):7.1f} {col(theirs, 'render_ms_p50'):7.1f} {ratio('render_ms_p50'):8.2f}x | "
            f"{col(ours, 'train_step_ms_p50'):8.1f} {col(theirs, 'train_step_ms_p50'):8.1f} {ratio('train_step_ms_p50'):8.2f}x | "
            f"{col(ours, 'peak_rss_mb'):6.0f} {col(theirs, 'peak_rss_mb'):6.0f}")
    if any(i in stock for i in rounds):
        stock_ratio = med(stock[i]['train_step_ms_p50'] / theirs[i]['train_step_ms_p50'] for i in rounds if i in stock)
        line += (f" | {col(stock, 'render_ms_p50'):7.1f} {col(stock, 'train_step_ms_p50'):7.1f} "
                 f"{col(stock, 'peak_rss_mb'):5.0f} {stock_ratio:4.2f}x")
    print(line)
print("ratio = ours / PyTorch time, median of the per-round ratios: below 1 means ours is faster.")
if has_stock:
    print("stock Burn kernels = ours with FACADE_KERNELS=stock (Burn's own CPU convolutions, normalisation and activations); its ratio is its step / PyTorch's.")
EOF
