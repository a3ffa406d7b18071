#!/usr/bin/env bash
# rvs-gen's own ceiling: each generator feeds testpmd macswap over memif (the
# generator on CPU 0, the forwarder's worker on CPU 1, as scripts/bench.sh
# runs them), and its accepted TX rate is compared with testpmd txonly's in
# the same round:
#   testpmd txonly 64     64-byte UDP, 256 flows (bench.sh's generator)
#   rvs-gen udp 64        the same traffic, UDP checksums computed
#   rvs-gen tcp 64        TCP, a SYN per flow then ACK segments
#   rvs-gen udp 64 new    a new client every packet
#   testpmd txonly 1500   1500-byte frames (with FCS)
#   rvs-gen udp 1500      the same size
# and without a forwarder, into net_null (no-rx): the generators' own cost per
# packet, 64-byte UDP (testpmd txonly, rvs-gen --flows 256).
# This machine drifts by tens of percent between minutes: ROUNDS rounds, the
# generators taking turns, and the medians are compared.
#
# usage: [ROUNDS=3] scripts/gen_ceiling.sh [SECONDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${ROUNDS:-3}
WARM=2
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p rvs-benches --bin rvs-gen
GEN_BIN=target/release/rvs-gen
WORK=$(mktemp -d /tmp/rvs-gen-ceiling.XXXXXX)
SOCK=$WORK/memif.sock
EAL=(--no-huge --no-pci --no-telemetry --log-level '*:warning')
FWD_MAC=02:00:00:00:00:01
MEMIF_CLIENT="net_memif0,role=client,socket=$SOCK,socket-abstract=no"

cleanup() {
    for p in ${GEN:-} ${FWD:-}; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "logs in $WORK"; else rm -rf "$WORK"; fi
    rm -rf /var/run/dpdk/rvs-ceiling-*
}
trap cleanup EXIT

# testpmd macswap on CPU 1, the memif server.
start_forwarder() {
    rm -f "$SOCK"
    dpdk-testpmd "${EAL[@]}" -m 512 --file-prefix rvs-ceiling-fwd --lcores '0@(0,1),1@1' \
        --vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$FWD_MAC" -- \
        --forward-mode=macswap --stats-period 1 --nb-cores=1 --total-num-mbufs=16384 \
        </dev/null >"$WORK/fwd-$1.log" 2>&1 &
    FWD=$!
    for _ in $(seq 100); do [ -S "$SOCK" ] && return; sleep 0.1; done
    echo "no memif socket" >&2; exit 1
}

# Stops the forwarder before the generator (as bench.sh does).
stop_forwarder() {
    kill -INT "$FWD"; wait "$FWD" || true; FWD=
}

# The median of stdin's numbers, in Mpps.
median_mpps() {
    sort -n | awk '{v[n++]=$1} END {if (n) printf "%.2f\n", (v[int((n-1)/2)] + v[int(n/2)]) / 2e6; else print "0"}'
}

# testpmd txonly with frames of $1 bytes (without FCS) on CPU 0 for WARM + SECS
# seconds, into testpmd macswap (or net_null with $2 = null); prints the median
# of its per-second TX rates after the warm-up.
testpmd_txonly() {
    local vdev=$MEMIF_CLIENT log=$WORK/gen-txonly-$1${2:-}.log
    if [ -n "${2:-}" ]; then vdev=net_null0,no-rx=1; else start_forwarder "txonly-$1"; fi
    dpdk-testpmd "${EAL[@]}" -m 512 --file-prefix rvs-ceiling-gen --lcores '0@0,1@0' \
        --vdev "$vdev" -- --forward-mode=txonly --txonly-multi-flow --txpkts="$1" \
        --total-num-mbufs=16384 "--eth-peer=0,$FWD_MAC" --stats-period 1 --nb-cores=1 \
        </dev/null >"$log" 2>&1 &
    GEN=$!
    sleep $((SECS + WARM))
    [ -n "${2:-}" ] || stop_forwarder
    kill -INT "$GEN"; wait "$GEN" || true; GEN=
    grep -o 'Tx-pps: *[0-9]*' "$log" | awk '{print $2}' | tail -n +$((WARM + 1)) | median_mpps
}

# rvs-gen with options "$@" on CPU 0 into testpmd macswap (or net_null with
# NULL=1); prints its summary's tx_pps in Mpps.
rvs_gen() {
    local name vdev=$MEMIF_CLIENT
    name=$(echo "$*" | tr -d ' -')${NULL:+null}
    if [ -n "${NULL:-}" ]; then vdev=net_null0,no-rx=1; else start_forwarder "$name"; fi
    "$GEN_BIN" "${EAL[@]}" -m 256 --file-prefix rvs-ceiling-gen --vdev "$vdev" -- \
        "$@" --seconds "$SECS" --warmup "$WARM" --lcore-cpu 0 \
        >"$WORK/gen-$name.log" 2>"$WORK/gen-$name.err" &
    GEN=$!
    wait "$GEN" || true; GEN=
    [ -n "${NULL:-}" ] || stop_forwarder
    tail -1 "$WORK/gen-$name.log" | grep -o '"tx_pps":[0-9]*' | cut -d: -f2 | median_mpps
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[n++]=$1} END {printf "%.2f", (v[int((n-1)/2)] + v[int(n/2)]) / 2}'; }

T64="" U64="" T64G="" N64="" T1500="" U1500="" TN="" UN=""
for round in $(seq "$ROUNDS"); do
    echo "== round $round: testpmd txonly 64, rvs-gen udp/tcp/new 64, testpmd txonly 1500," \
        "rvs-gen udp 1500; into net_null: testpmd txonly 64, rvs-gen udp 64"
    a=$(testpmd_txonly 60)
    b=$(rvs_gen --proto udp --size 64 --flows 256)
    c=$(rvs_gen --proto tcp --size 64 --flows 256)
    d=$(rvs_gen --proto udp --size 64 --new)
    e=$(testpmd_txonly 1496)
    f=$(rvs_gen --proto udp --size 1500 --flows 256)
    g=$(testpmd_txonly 60 null)
    h=$(NULL=1 rvs_gen --proto udp --size 64 --flows 256)
    echo "   $a / $b / $c / $d / $e / $f; $g / $h Mpps"
    T64="$T64 $a" U64="$U64 $b" T64G="$T64G $c" N64="$N64 $d" T1500="$T1500 $e" U1500="$U1500 $f"
    TN="$TN $g" UN="$UN $h"
done
A=$(echo "$T64" | median) B=$(echo "$U64" | median) C=$(echo "$T64G" | median)
D=$(echo "$N64" | median) E=$(echo "$T1500" | median) F=$(echo "$U1500" | median)
G=$(echo "$TN" | median) H=$(echo "$UN" | median)
echo
echo "generators into testpmd macswap over memif, ${SECS}s each, medians of $ROUNDS rounds:"
printf '  testpmd txonly 64B UDP     %6s Mpps               (rounds:%s)\n' "$A" "$T64"
printf '  rvs-gen 64B UDP            %6s Mpps   ratio %s   (rounds:%s)\n' "$B" "$(ratio "$B" "$A")" "$U64"
printf '  rvs-gen 64B TCP            %6s Mpps   ratio %s   (rounds:%s)\n' "$C" "$(ratio "$C" "$A")" "$T64G"
printf '  rvs-gen 64B UDP --new      %6s Mpps   ratio %s   (rounds:%s)\n' "$D" "$(ratio "$D" "$A")" "$N64"
printf '  testpmd txonly 1500B UDP   %6s Mpps               (rounds:%s)\n' "$E" "$T1500"
printf '  rvs-gen 1500B UDP          %6s Mpps   ratio %s   (rounds:%s)\n' "$F" "$(ratio "$F" "$E")" "$U1500"
echo "generators alone (net_null, nothing back), 64-byte UDP:"
printf '  testpmd txonly             %6s Mpps               (rounds:%s)\n' "$G" "$TN"
printf '  rvs-gen                    %6s Mpps   ratio %s   (rounds:%s)\n' "$H" "$(ratio "$H" "$G")" "$UN"
