#!/usr/bin/env bash
# Throughput harness. One testpmd generator (txonly --txonly-multi-flow:
# 64-byte UDP from 256 client addresses 198.18.0.x:9 to 198.18.0.2:9) feeds
# a forwarder over a memif link. The forwarders, in one invocation:
#   1. testpmd macswap            the ceiling on this link and these cores
#   2. rvsd, diagnostic l2fwd     MAC swap only (the loop's own cost)
#   3. rvsd, NAT                  198.18.0.2:9 is a UDP virtual service (rr
#                                 over two real servers): lookup, rewrite,
#                                 route, neighbour; established flows after
#                                 the first 256 packets
#   4. rvsd, DR                   the same service with DR real servers
#                                 (only the MAC and TTL change)
#   5. rvsd, TUN                  the same with ipip real servers (20 bytes
#                                 prepended, outer header built)
#   (BASELINE_REV=<commit>: also rvsd NAT as built from that commit, in the
#    same rounds, to show a change's effect within one run)
#   and IPv6: testpmd macswap and rvsd NAT fed 256 IPv6 UDP flows replayed
#   from a pcap
# Every forwarder is measured by the same generator's accepted TX rate (on
# memif a packet is accepted only when the forwarder made room by receiving
# it), and rvsd's figures are printed as ratios to testpmd's.
#
# Many flows: a second generator, testpmd io replaying a pcap of N packets
# each from a different client (benches/tools/flows_pcap.py), feeds
#   4. testpmd macswap            the ceiling for this generator (1M flows)
#   5. rvsd, NAT, 1M flows        established after the first seconds
#                                 (skipped): every lookup misses the cache
#   6. rvsd, NAT, new flows       NEW_FLOWS distinct clients; rvsd's
#                                 connection count is sampled every 0.1 s
#                                 (rvsadm -Ln) and the best half-second
#                                 slope is its rate of new connections. The
#                                 generator offers more than rvsd takes and
#                                 drops the rest, so the first pass is all
#                                 new; later passes mix in packets of
#                                 existing connections: a lower bound.
#
# usage: [ROUNDS=3] [NEW_FLOWS=4000000] [BASELINE_REV=rev] scripts/bench.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
NEW_FLOWS=${NEW_FLOWS:-4000000}
ROUNDS=${ROUNDS:-3}
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p control
RVSD_BIN=target/release/rvsd
# The baseline binary: BASELINE_REV built in a worktree of its own (kept in
# /var/tmp, so a second run does not build it again).
BASE_BIN=
if [ -n "${BASELINE_REV:-}" ]; then
    rev=$(git rev-parse --short "$BASELINE_REV")
    tree=/var/tmp/rvs-bench-baseline-$rev
    [ -d "$tree" ] || git worktree add -q --detach "$tree" "$rev"
    (cd "$tree" && cargo build --release -q -p control)
    BASE_BIN=$tree/target/release/rvsd
fi
WORK=$(mktemp -d /tmp/rvs-bench.XXXXXX)
SOCK=$WORK/memif.sock
EAL=(--no-huge --no-pci --no-telemetry --log-level '*:warning')
# The forwarders' MAC on the link: the generators address their frames to it (testpmd's
# --eth-peer, flows_pcap.py's frames), since rvsd drops frames unicast to another MAC.
FWD_MAC=02:00:00:00:00:01
MEMIF_SERVER="net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$FWD_MAC"
MEMIF_CLIENT="net_memif0,role=client,socket=$SOCK,socket-abstract=no"

cleanup() {
    for p in ${GEN:-} ${FWD:-}; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "logs in $WORK"; else rm -rf "$WORK"; fi
    rm -rf /var/run/dpdk/rvs-bench-*
}
trap cleanup EXIT

wait_socket() {
    for _ in $(seq 100); do [ -S "$SOCK" ] && return; sleep 0.1; done
    echo "no memif socket" >&2; exit 1
}

# The pcap of $1 distinct flows (IPv6 with $2 = --ipv6), written once and
# kept in /var/tmp.
flows_pcap() {
    local f=/var/tmp/rvs-bench-flows${2:+6}-$1.pcap
    [ -f "$f" ] || /usr/bin/python3 benches/tools/flows_pcap.py ${2:-} "$f" "$1" >&2
    echo "$f"
}

# Starts a generator on CPU 0 (the forwarder's worker owns CPU 1): `txonly`
# (256 flows), `flows:N` (the pcap of N flows replayed) or `flows6:N` (the
# same in IPv6).
start_generator() {
    local gen=(--forward-mode=txonly --txonly-multi-flow --total-num-mbufs=16384
        "--eth-peer=0,$FWD_MAC")
    local vdevs=(--vdev "$MEMIF_CLIENT") mem=512
    if [[ $1 == flows*:* ]]; then
        local n=${1#*:} v6=
        [[ $1 == flows6:* ]] && v6=--ipv6
        vdevs=(--vdev "net_pcap0,rx_pcap=$(flows_pcap "$n" $v6),infinite_rx=1" --vdev "$MEMIF_CLIENT")
        gen=(--forward-mode=io --total-num-mbufs=$((n + 100000)) --mbuf-size=256)
        mem=$((n / 2000 + 600))
    fi
    dpdk-testpmd "${EAL[@]}" -m "$mem" --file-prefix rvs-bench-gen --lcores '0@0,1@0' \
        "${vdevs[@]}" -- "${gen[@]}" --stats-period 1 --nb-cores=1 \
        </dev/null >"$WORK/gen-$2.log" 2>&1 &
    GEN=$!
}

stop_generator() {
    kill -INT $GEN 2>/dev/null || true; wait $GEN || true; GEN=
}

# Runs generator $1 for SECS seconds after a warm-up of ${3:-2} seconds
# (memif link-up, pcap loading, connections being created); prints the
# median of its per-second accepted TX rates in Mpps after the warm-up. The
# median keeps a second disturbed by the rest of the machine from moving
# the figure.
generate() {
    local warm=${3:-2}
    start_generator "$1" "$2"
    sleep $((SECS + warm))
    stop_forwarder
    stop_generator
    grep -o 'Tx-pps: *[0-9]*' "$WORK/gen-$2.log" | awk '{print $2}' | tail -n +$((warm + 1)) | sort -n |
        awk '{v[n++]=$1} END {if (n) printf "%.2f\n", (v[int((n-1)/2)] + v[int(n/2)]) / 2e6; else print "0"}'
}

# rvsd's connection count (sum of InActConn: UDP entries are inactive).
conns() {
    RVS_SOCKET=$WORK/rvs.sock target/release/rvsadm -Ln 2>/dev/null | awk '/->/ {s += $6} END {print s + 0}'
}

# Samples the connection count every 0.1 s while the new-flow generator
# runs; prints the best rate over 0.5 s in millions of connections/s.
sample_new_conns() {
    start_generator "flows:$NEW_FLOWS" "$1"
    local deadline=$((SECONDS + SECS + 5))
    : >"$WORK/conns-$1.txt"
    while [ $SECONDS -lt $deadline ]; do
        echo "$(date +%s.%N) $(conns)" >>"$WORK/conns-$1.txt"
        sleep 0.1
    done
    stop_forwarder
    stop_generator
    awk '{t[n] = $1; c[n++] = $2}
         END { best = 0
               for (i = 0; i + 5 < n; i++) {
                   r = (c[i+5] - c[i]) / (t[i+5] - t[i]); if (r > best) best = r }
               printf "%.2f\n", best / 1e6 }' "$WORK/conns-$1.txt"
}

# Stops the forwarder (with FWD_SIG) before the generator: a memif peer
# that disappears under a polling forwarder can crash it inside the PMD.
stop_forwarder() {
    [ -n "${FWD:-}" ] || return 0
    [ -z "${SHOW_LIST:-}" ] || RVS_SOCKET=$WORK/rvs.sock target/release/rvsadm -Ln >&2 || true
    kill -"$FWD_SIG" $FWD; wait $FWD || true; FWD=
    rm -f "$SOCK"
}

# testpmd macswap fed by generator $1.
testpmd_macswap() {
    dpdk-testpmd "${EAL[@]}" -m 512 --file-prefix rvs-bench-fwd --lcores '0@(0,1),1@1' \
        --vdev "$MEMIF_SERVER" -- --forward-mode=macswap --stats-period 1 --nb-cores=1 \
        --total-num-mbufs=16384 </dev/null >"$WORK/fwd-testpmd-$1.log" 2>&1 &
    FWD=$! FWD_SIG=INT
    wait_socket
    generate "$1" "testpmd-${1%%:*}"
}

# rvsd named $1 with the extra configuration keys $2, measured by $3
# (default: the txonly generator's rate); the binary is $RVSD_BIN.
rvsd() {
    cat >"$WORK/rvsd-$1.json" <<JSON
{"eal": ["--no-huge", "-m", "512", "--no-telemetry", "--log-level", "*:warning",
         "--file-prefix", "rvs-bench-rvsd"],
 "workers": 1, "mbufs": 16383, $2,
 "ports": [{"device": "$MEMIF_SERVER", "addresses": ["198.18.255.1/16", "2001:db8::1/32"],
            "neighbours": [{"ip": "198.18.1.1", "mac": "02:00:00:00:01:01"},
                           {"ip": "198.18.1.2", "mac": "02:00:00:00:01:02"},
                           {"ip": "2001:db8:1::1", "mac": "02:00:00:00:01:01"},
                           {"ip": "2001:db8:1::2", "mac": "02:00:00:00:01:02"}]}]}
JSON
    "$RVSD_BIN" --config "$WORK/rvsd-$1.json" --socket "$WORK/rvs.sock" \
        >"$WORK/rvsd-$1.log" 2>&1 &
    FWD=$! FWD_SIG=TERM
    wait_socket
    # The memif socket exists before rvsd is started (a big connection table
    # takes seconds): wait for the admin socket, which answers once it runs.
    for _ in $(seq 300); do
        RVS_SOCKET=$WORK/rvs.sock target/release/rvsadm -Ln >/dev/null 2>&1 && break
        sleep 0.1
    done
    ${3:-generate txonly} "rvsd-$1"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[n++]=$1} END {printf "%.2f", (v[int((n-1)/2)] + v[int(n/2)]) / 2}'; }

# The UDP service 198.18.0.2:9 with two real servers forwarded by method $1.
services() {
    echo '"services": ["-A -u 198.18.0.2:9 -s rr",
      "-a -u 198.18.0.2:9 -r 198.18.1.1:9 '"$1"'", "-a -u 198.18.0.2:9 -r 198.18.1.2:9 '"$1"'"]'
}
SERVICES=$(services -m)
TABLE='"conn_table_size": 1048576, '
# This machine's speed drifts by tens of percent between minutes: the
# ceiling and rvsd take turns, ROUNDS times, and the medians are compared.
BASES="" L2S="" NATS="" DRS="" TUNS="" OLDS=""
for round in $(seq "$ROUNDS"); do
    echo "== round $round: testpmd macswap, rvsd l2fwd, NAT, DR, TUN (established)${BASE_BIN:+, NAT at $BASELINE_REV}"
    b=$(testpmd_macswap txonly)
    l=$(rvsd l2fwd '"l2fwd": true')
    n=$(rvsd nat "$TABLE$SERVICES")
    d=$(rvsd dr "$TABLE$(services -g)")
    t=$(rvsd tun "$TABLE$(services -i)")
    o=
    [ -z "$BASE_BIN" ] || o=$(RVSD_BIN=$BASE_BIN rvsd nat-baseline "$TABLE$SERVICES")
    echo "   $b / $l / $n / $d / $t${o:+ / $o} Mpps"
    BASES="$BASES $b" L2S="$L2S $l" NATS="$NATS $n" DRS="$DRS $d" TUNS="$TUNS $t" OLDS="$OLDS $o"
done
BASE=$(echo "$BASES" | median) L2=$(echo "$L2S" | median) NAT=$(echo "$NATS" | median)
DR=$(echo "$DRS" | median) TUN=$(echo "$TUNS" | median)
echo "== testpmd macswap fed 1M flows (ceiling)"
MANY_BASE=$(testpmd_macswap flows:1000000); echo "   $MANY_BASE Mpps"
echo "== rvsd NAT, 1M established flows"
MANY=$(rvsd many '"conn_table_size": 4194304, '"$SERVICES" "generate flows:1000000 rvsd-many-flows 6")
echo "   $MANY Mpps"
echo "== testpmd macswap fed 256 IPv6 flows (ceiling), rvsd NAT IPv6 (established)"
SERVICES6='"services": ["-A -u [2001:db8:f::2]:9 -s rr",
  "-a -u [2001:db8:f::2]:9 -r [2001:db8:1::1]:9 -m", "-a -u [2001:db8:f::2]:9 -r [2001:db8:1::2]:9 -m"]'
V6_BASE=$(testpmd_macswap flows6:256)
V6=$(rvsd nat6 "$TABLE$SERVICES6" "generate flows6:256 rvsd-nat6 2")
echo "   $V6_BASE / $V6 Mpps"
echo "== rvsd NAT, new connections"
NEW=$(rvsd new '"conn_table_size": 16777216, '"$SERVICES" sample_new_conns)
echo "   $NEW M connections/s"


echo
echo "64-byte UDP over memif, 1 forwarding core, ${SECS}s each, medians of $ROUNDS rounds:"
printf '  testpmd macswap  %6s Mpps   (rounds:%s)\n' "$BASE" "$BASES"
printf '  rvsd l2fwd       %6s Mpps   ratio %s   (rounds:%s)\n' "$L2" "$(ratio "$L2" "$BASE")" "$L2S"
printf '  rvsd NAT (est.)  %6s Mpps   ratio %s   (rounds:%s)\n' "$NAT" "$(ratio "$NAT" "$BASE")" "$NATS"
printf '  rvsd DR (est.)   %6s Mpps   ratio %s   (rounds:%s)\n' "$DR" "$(ratio "$DR" "$BASE")" "$DRS"
printf '  rvsd TUN (est.)  %6s Mpps   ratio %s   (rounds:%s)\n' "$TUN" "$(ratio "$TUN" "$BASE")" "$TUNS"
if [ -n "$BASE_BIN" ]; then
    OLD=$(echo "$OLDS" | median)
    printf '  NAT at %-9s %6s Mpps   ratio %s   (rounds:%s)\n' "$BASELINE_REV" "$OLD" \
        "$(ratio "$OLD" "$BASE")" "$OLDS"
fi
echo "IPv6, 256 flows (pcap replay):"
printf '  testpmd macswap  %6s Mpps\n' "$V6_BASE"
printf '  rvsd NAT IPv6    %6s Mpps   ratio %s\n' "$V6" "$(ratio "$V6" "$V6_BASE")"
echo "many flows (pcap replay):"
printf '  testpmd macswap  %6s Mpps\n' "$MANY_BASE"
printf '  rvsd NAT 1M est. %6s Mpps   ratio %s\n' "$MANY" "$(ratio "$MANY" "$MANY_BASE")"
printf '  rvsd NAT (new)   %6s M conn/s   ratio %s   (%s distinct clients)\n' "$NEW" \
    "$(ratio "$NEW" "$MANY_BASE")" "$NEW_FLOWS"
