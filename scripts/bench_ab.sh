#!/usr/bin/env bash
# A/B of one criterion benchmark between a baseline commit and this tree, in
# one run: the two are built first, then run alternately ROUNDS times
# (baseline, this tree, baseline, ...), so that both see the machine's
# drift alike. Prints every round's estimate (ns per packet, criterion's
# median of the mean) and the medians with their ratio.
#
# usage: [ROUNDS=3] scripts/bench_ab.sh REV [BENCH [FILTER]]
#        (defaults: BENCH nat, FILTER nat/process_established_udp)
#
# The baseline is built in /var/tmp/rvs-bench-baseline-REV (a worktree kept
# for the next run, as scripts/bench.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
REV=$(git rev-parse --short "$1")
BENCH=${2:-nat}
FILTER=${3:-nat/process_established_udp}
ROUNDS=${ROUNDS:-3}
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

tree=/var/tmp/rvs-bench-baseline-$REV
[ -d "$tree" ] || git worktree add -q --detach "$tree" "$REV"
build() { (cd "$1" && cargo bench -q -p rvs-benches --bench "$BENCH" --no-run >/dev/null 2>&1); }
build "$tree"
build .

# One criterion run in tree $1; prints the point estimate in ns.
estimate() {
    (cd "$1" && cargo bench -q -p rvs-benches --bench "$BENCH" -- "$FILTER" --exact \
        --noplot --warm-up-time 1 --measurement-time 3 2>/dev/null) |
        awk '/time:/ { gsub(/\[|\]/, ""); v = $4; u = $5;
                       if (u == "ps") v /= 1000; if (u == "µs" || u == "us") v *= 1000;
                       print v; exit }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

base=() here=()
for r in $(seq 1 "$ROUNDS"); do
    base+=("$(estimate "$tree")")
    here+=("$(estimate .)")
    echo "round $r: $REV ${base[-1]} ns, this tree ${here[-1]} ns"
done
mb=$(echo "${base[*]}" | median)
mh=$(echo "${here[*]}" | median)
echo "$FILTER, ns per packet, medians of $ROUNDS alternating rounds:"
printf '  %-10s %8s   (rounds: %s)\n' "$REV" "$mb" "${base[*]}"
printf '  %-10s %8s   (rounds: %s)   ratio %s\n' "this tree" "$mh" "${here[*]}" \
    "$(awk -v a="$mh" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')"
