#!/usr/bin/env bash
# Fuzzes every target of fuzz/ (docs/reliability.md, "Fuzzing") with libFuzzer through
# cargo-fuzz on the stable toolchain (no sanitizer: rvs's fuzzed code has no unsafe), from the
# committed corpus fuzz/corpus/TARGET. HOURS (default: 100 s in all, what CI runs) is the
# time for all targets together, shared evenly; they run one after another, on one core.
# What a run finds stays in fuzz/target/corpus/TARGET; crashes go to fuzz/artifacts/TARGET/
# and fail the run.
#
#   scripts/fuzz.sh            # CI: 20 s a target
#   scripts/fuzz.sh 2          # two hours in all
#   TARGETS="process" scripts/fuzz.sh 0.5
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

TARGETS=${TARGETS:-"process wire ipvsadm admin config"}
read -ra targets <<<"$TARGETS"
if (($#)); then
    total=$(awk -v h="$1" 'BEGIN { printf "%d", h * 3600 }')
else
    total=100
fi
each=$((total / ${#targets[@]}))
((each > 0)) || each=1

# -O -a: optimised, with debug assertions and overflow checks (an overflow is a crash).
cargo fuzz build -O -a --sanitizer none --fuzz-dir fuzz
bin=fuzz/target/x86_64-unknown-linux-gnu/release

failed=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/target/corpus/$t" "fuzz/artifacts/$t"
    echo "fuzz: $t for ${each}s"
    # -timeout: an input taking 10 s is a hang, reported as a crash.
    if ! "$bin/$t" "fuzz/target/corpus/$t" "fuzz/corpus/$t" -max_total_time="$each" \
        -timeout=10 -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 \
        >"fuzz/target/$t.log" 2>&1; then
        failed+=("$t")
        grep -E -A12 "panicked|ERROR: libFuzzer" "fuzz/target/$t.log" | head -40 >&2
    fi
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "fuzz/target/$t.log" |
        tr '\n' ' ' && echo
done
if ((${#failed[@]})); then
    echo "fuzz: crashes in ${failed[*]}: see fuzz/artifacts/ (rerun one: $bin/TARGET FILE)" >&2
    exit 1
fi
echo "fuzz: no crash"
