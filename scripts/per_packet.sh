#!/usr/bin/env bash
# Instructions and cache misses per packet of the established NAT path and its siblings,
# counted by cachegrind (this machine's VM exposes no hardware counters to `perf stat`;
# cachegrind's counts are exact for instructions and simulated for caches, and do not
# drift with the machine's load). The `per-packet` tool runs one scenario for N and for 2N
# packets; the difference over N is one packet's cost, setup excluded. The same loop
# without `process()` (--restore-only: copying the frame back before each pass) is
# subtracted.
#
# With WORKER=1 the packets go through the worker's loop in bursts (classified and looked
# up first) on in-memory ports, whose queues and frame copies are subtracted the same way.
#
# usage: [WORKER=1] scripts/per_packet.sh [SCENARIO ...]   (default: all; N=${N:-100000})
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null
N=${N:-100000}
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(nat-udp0 nat-udp nat-tcp dr-udp0 tun-udp0 new-udp new-tcp)
cargo build --release -q -p rvs-benches --bin per-packet
BIN=${CARGO_TARGET_DIR:-target}/release/per-packet

# Prints "instructions D1-misses LL-misses" of one run.
counts() {
    valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null "$BIN" "$@" 2>&1 |
        awk '/ I *refs:/ {i=$NF} /D1  misses:/ {d=$4} /LLd misses:/ {l=$4}
             END {gsub(",", "", i); gsub(",", "", d); gsub(",", "", l); print i, d, l}'
}

# One packet's cost: (2N run - N run) / N.
per_packet() {
    local a b
    read -ra a <<<"$(counts "$1" "$N" "${@:2}" ${WORKER:+--worker})"
    read -ra b <<<"$(counts "$1" "$((2 * N))" "${@:2}" ${WORKER:+--worker})"
    for k in 0 1 2; do echo $(((b[k] - a[k]) * 1000 / N)); done | paste -sd' '
}

printf '%-10s %14s %12s %12s\n' scenario instructions D1-misses LLd-misses
for s in "${SCENARIOS[@]}"; do
    read -ra full <<<"$(per_packet "$s")"
    read -ra base <<<"$(per_packet "$s" --restore-only)"
    # Per-mille counts from per_packet, printed per packet with one decimal.
    printf '%-10s' "$s"
    for k in 0 1 2; do
        awk -v v=$((full[k] - base[k])) 'BEGIN { printf " %12.1f", v / 1000 }'
    done
    echo
done
