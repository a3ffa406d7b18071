#!/usr/bin/env bash
# Throughput harness: one testpmd generator (txonly, many flows) feeds a
# forwarder over a memif link; the forwarder is first testpmd macswap (the
# ceiling), then rvsd. Both are measured by the same generator's accepted
# TX rate in the same invocation (on memif a packet is accepted only when
# the forwarder made room by receiving), and the ratio is printed.
#
# usage: scripts/bench.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p control
WORK=$(mktemp -d /tmp/rvs-bench.XXXXXX)
SOCK=$WORK/memif.sock
EAL=(--no-huge -m 512 --no-pci --no-telemetry --log-level '*:warning')
MEMIF_SERVER="net_memif0,role=server,socket=$SOCK,socket-abstract=no"
MEMIF_CLIENT="net_memif0,role=client,socket=$SOCK,socket-abstract=no"

cleanup() {
    for p in ${GEN:-} ${FWD:-}; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "logs in $WORK" || rm -rf "$WORK" /var/run/dpdk/rvs-bench-*
}
trap cleanup EXIT

# Starts the generator on CPU 0 (the forwarder's worker owns CPU 1), lets
# it run, stops it, and prints its mean accepted TX rate in Mpps, skipping
# the first two seconds (memif link-up and warm-up).
generate() {
    dpdk-testpmd "${EAL[@]}" --file-prefix rvs-bench-gen --lcores '0@0,1@0' \
        --vdev "$MEMIF_CLIENT" -- --forward-mode=txonly --txonly-multi-flow \
        --stats-period 1 --nb-cores=1 --txq=1 --rxq=1 --total-num-mbufs=16384 </dev/null >"$WORK/gen.log" 2>&1 &
    GEN=$!
    sleep "$SECS"
    kill -INT $GEN; wait $GEN || true; GEN=
    grep -o 'Tx-pps: *[0-9]*' "$WORK/gen.log" | awk '{print $2}' | tail -n +3 |
        awk '{s+=$1; n++} END {if (n) printf "%.2f\n", s/n/1e6; else print "0"}'
}

wait_socket() { for _ in $(seq 100); do [ -S "$SOCK" ] && return; sleep 0.1; done; echo "no memif socket" >&2; exit 1; }

echo "== testpmd macswap as the forwarder (ceiling)"
dpdk-testpmd "${EAL[@]}" --file-prefix rvs-bench-fwd --lcores '0@(0,1),1@1' \
    --vdev "$MEMIF_SERVER" -- --forward-mode=macswap --stats-period 1 --nb-cores=1 --total-num-mbufs=16384 \
    </dev/null >"$WORK/fwd.log" 2>&1 &
FWD=$!
wait_socket
BASE=$(generate)
kill -INT $FWD; wait $FWD || true; FWD=
rm -f "$SOCK"
echo "   $BASE Mpps"

echo "== rvsd (diagnostic L2 forwarding) as the forwarder"
cat >"$WORK/rvsd.json" <<JSON
{"eal": ["--no-huge", "-m", "512", "--no-telemetry", "--log-level", "*:warning",
         "--file-prefix", "rvs-bench-rvsd"],
 "workers": 1, "mbufs": 16383, "l2fwd": true,
 "ports": [{"device": "$MEMIF_SERVER"}]}
JSON
target/release/rvsd --config "$WORK/rvsd.json" --socket "$WORK/rvs.sock" >"$WORK/rvsd.log" 2>&1 &
FWD=$!
wait_socket
RVS=$(generate)
kill -TERM $FWD; wait $FWD || true; FWD=
echo "   $RVS Mpps"

echo
printf 'l2fwd 64B: rvsd %s Mpps, testpmd macswap %s Mpps, ratio %s\n' "$RVS" "$BASE" \
    "$(awk -v a="$RVS" -v b="$BASE" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }')"
