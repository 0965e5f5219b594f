#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer through cargo-fuzz) of every way a file enters the app:
# label images, project files, palettes and weights files (see src/untrusted.rs).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      e.g.  fuzz/run.sh 60
#
# Targets: label_image project palette weights (all by default). Installs cargo-fuzz when it is
# missing and uses a nightly toolchain when one is installed (otherwise the stable one with
# RUSTC_BOOTSTRAP=1, which libFuzzer's instrumentation flags need). The first build compiles the
# library and Burn's CPU backend instrumented: ~15 minutes on 2 cores; later runs start at once.
# Environment: FUZZ_SANITIZER (none | address; default none, as the code is safe Rust),
# FUZZ_TARGET_DIR (default /var/tmp/facade-fuzz-target), FUZZ_RSS_MB (default 4096).
#
# A crash (a panic, an abort, a timeout or memory beyond the limit) stops that target; its input
# is in fuzz/artifacts/TARGET/. Fix the bug, then keep the input as a regression test:
#   cp fuzz/artifacts/TARGET/crash-… tests/fuzz_inputs/TARGET/
# (tests/fuzz_regressions.rs replays every file there). The table at the end gives the number of
# executions per target.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(label_image project palette weights)
fi
sanitizer="${FUZZ_SANITIZER:-none}"
rss_mb="${FUZZ_RSS_MB:-4096}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/facade-fuzz-target}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz…"
    cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

cd "$here"
echo "building the fuzz targets (sanitizer: $sanitizer)…"
# Optimised, with debug assertions and overflow checks on (-a): an overflow is a bug found.
flags=(--release -a -s "$sanitizer")
for t in "${targets[@]}"; do
    cargo "${toolchain[@]}" fuzz build "${flags[@]}" "$t"
done

summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/last-run.log"
    echo "fuzzing $t for ${seconds} s…"
    # Seeds are valid files (tests/fuzz_regressions.rs checks that); found inputs start there too.
    set +e
    cargo "${toolchain[@]}" fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" \
        "../tests/fuzz_inputs/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=30 -max_len=262144 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)"
    rate="$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)"
    cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')"
    corpus="$(find "corpus/$t" -type f | wc -l)"
    if [ "$rc" -eq 0 ]; then
        result="no crash"
    else
        result="CRASH (exit $rc): see $here/$log and artifacts/$t/"
        failed=1
        tail -n 30 "$log"
    fi
    summary+=("$(printf '%-12s %12s %10s %8s %8s  %s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" "$result")")
done

echo
printf '%-12s %12s %10s %8s %8s  %s\n' target executions exec/s edges corpus result
for line in "${summary[@]}"; do
    echo "$line"
done
exit "$failed"
