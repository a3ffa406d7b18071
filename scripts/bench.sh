#!/usr/bin/env bash
# Benchmark harness: rvsd against testpmd macswap (the ceiling: the same link, the same
# cores, the same generator and traffic), every rvsd figure a ratio to a ceiling measured in
# the same invocation and round. This machine's speed drifts by tens of percent between
# minutes: the ceilings and rvsd take turns, ROUNDS times, and medians are compared.
#
# usage: [ROUNDS=3] [GEN=rvs-gen|pktgen] [BASELINE_REV=rev] [KEEP=1] [EST_FLOWS=256 EST_TABLE=1048576]
#        [IDLE_AB=1: UDP 64 only, NAT established with "idle_backoff" off and on, ROUNDS times]
#        scripts/bench.sh [--quick] [--plot] [SECONDS]   measure (SECONDS a window; default 8)
#        scripts/bench.sh --plot [CSV]                   charts of a run (default: the latest)
#
# The link: the generator is a memif client pinned to CPU 0, the forwarder the memif server
# with its worker on CPU 1. A forwarder's packet rate is the generator's accepted TX rate
# (on memif a packet is accepted only when the forwarder made room by receiving it): the
# median of its per-second figures in the window after the warm-up. The forwarder is always
# stopped before the generator (a memif peer vanishing under a polling forwarder can crash
# it inside the PMD).
#
# The generator: rvs-gen (benches/src/bin/rvs-gen.rs: UDP or TCP, correct checksums, so NAT
# takes the incremental-checksum path; `--flows N` cycles over N clients, a TCP flow sends a
# SYN first, then ACKs; `--new` sends only never-seen clients, TCP SYNs; a TSC stamp in every
# frame gives the latency of what comes back). GEN=pktgen: Pktgen-DPDK, where installed,
# feeds the UDP established scenarios and their ceilings instead (rvs-gen the rest).
#
# Scenarios, each round (the full run; --quick: one round of 3-s windows, UDP 64 only:
# ceiling, NAT/DR/TUN established, NAT new):
#   for UDP and TCP × 64, 512, 1500-byte frames (--size, FCS included, as testpmd counts):
#     ceiling        testpmd macswap fed 256 flows
#     nat|dr|tun est rvsd, 198.18.0.2:9 a virtual service (rr over two real servers; -m,
#                    -g, -i), 256 established flows
#     nat new        rvsd NAT fed only new clients (a 16M-entry table): connections per
#                    second as rvsd counts them (each worker's "connections created" of
#                    `rvsadm --counters`, live, summed, at both ends of the window; a
#                    BASELINE_REV rvsd needs those counters: b35520f or later), and the
#                    generator's TX and RX (what it offered, what came out)
#     new-ceiling    (64 bytes) testpmd macswap fed the same never-seen flows, before and
#                    after: nat new's ratio is its connections per second over these
#                    packets per second (each packet of the generator's is a new flow)
#     (BASELINE_REV: nat est and nat new also by rvsd built from that commit)
#   UDP 64 only:
#     l2fwd est      rvsd's diagnostic MAC swap: the cost of its loop, RX and TX
#     nat lat        NAT est at half the rate rvsd NAT just reached, and testpmd macswap at
#                    the same rate: generator-stamped latency p50/p99 and rvsd's added
#     nat est 1w|2w  rvsd NAT with 1 and 2 workers (CPUs 1 and 0), fed by testpmd txonly
#                    (UDP checksum 0) with as many queues: rvs-gen has one queue pair, and
#                    memif needs both peers' queue counts equal. The generator shares CPU 0
#                    with the second worker: the most this 2-CPU machine can show.
#     udp6-72 ceiling, nat est  the same in IPv6 (72-byte frames: the smallest rvs-gen
#                    builds with its stamp)
#     nat est 1M|16M with their ceilings: 1M and 16M flows; the window starts once rvsd's
#                    table holds every flow (`rvsadm --counters`), so every packet in it is
#                    established and nearly every lookup misses the cache
#
# CSV (bench-results/<date>-<rev>[-quick].csv), one row per measurement:
#   scenario   e.g. udp-64-nat-est, tcp-1500-ceiling, udp6-72-nat-est, udp-64-nat-est-16M
#   generator  rvs-gen | pktgen | testpmd-txonly
#   forwarder  testpmd | rvsd | rvsd@<BASELINE_REV>
#   method     macswap | l2fwd | nat | dr | tun
#   kind       est (established flows) | new (new connections) | lat (latency)
#   family, proto, size (bytes, FCS included), flows (a count, or "new"), workers, round
#   rate, unit Mpps | Mconn/s | p50_ns | p99_ns
#   ceiling    the reference measured in the same round: testpmd macswap fed the same
#              generator and traffic (latency: at the same rate; 2 workers: 1 worker).
#              The ceiling is measured before and after the rvsd figures it serves, and
#              they get the mean of the two; where the two differ by more than a quarter
#              the machine changed state between them (it switches between a fast and a
#              slow state), and those figures get no ceiling and no ratio (see the note)
#   ratio      rate / ceiling
#   note       new connections: the generator's TX and RX in Mpps, rvsd's count and window;
#              latency: the rate asked and the rate that came back (short of it: overload)
#
# --plot draws benches/tools/plot.py's charts of a CSV into docs/img/ (matplotlib: Debian's
# python3-matplotlib, from scripts/setup.sh); the full run plots at its end.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK='' PLOT='' ARG=''
for a in "$@"; do
    case $a in
    --quick) QUICK=1 ;;
    --plot) PLOT=1 ;;
    *) ARG=$a ;;
    esac
done

plot() { /usr/bin/python3 benches/tools/plot.py "$1" docs/img; }

# --plot alone (or with a CSV): charts only.
if [ -n "$PLOT" ] && [ -z "$QUICK" ] && [[ ! $ARG =~ ^[0-9]+$ ]]; then
    csv=${ARG:-$(ls -t bench-results/*.csv 2>/dev/null | head -n 1)}
    [ -f "$csv" ] || { echo "no CSV to plot" >&2; exit 1; }
    plot "$csv"
    exit
fi

ROUNDS=${ROUNDS:-3}
SECS=${ARG:-8}
WARM=2
if [ -n "$QUICK" ]; then
    ROUNDS=1 SECS=${ARG:-3} WARM=1
fi
# rvsd's connection count moves every 2 s: a new-connection window of 7 s holds three of
# its snapshots at least (two periods).
GEN=${GEN:-rvs-gen}
if [ "$GEN" = pktgen ] && ! command -v pktgen >/dev/null; then
    echo "GEN=pktgen: pktgen is not installed; rvs-gen instead" >&2
    GEN=rvs-gen
fi

[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p control
cargo build --release -q -p rvs-benches --bin rvs-gen
RVSD_BIN=target/release/rvsd
RVSADM=target/release/rvsadm
RVS_GEN=target/release/rvs-gen
# The baseline binary: BASELINE_REV built in a worktree of its own (kept in /var/tmp, so a
# second run does not build it again).
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
ADMIN=$WORK/rvs.sock
# The forwarders' MAC on the link: the generators address their frames to it, since rvsd
# drops frames unicast to another MAC.
FWD_MAC=02:00:00:00:00:01
MEMIF_SERVER="net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$FWD_MAC"
MEMIF_CLIENT="net_memif0,role=client,socket=$SOCK,socket-abstract=no"
VIP4=198.18.0.2 VIP6=2001:db8:f::2 VPORT=9
# Flows of the established scenarios, and the table that holds them with room to spare
# (settable, for an A/B of many flows: EST_FLOWS=1000000 EST_TABLE=4194304 BASELINE_REV=...).
EST_FLOWS=${EST_FLOWS:-256}
EST_TABLE=${EST_TABLE:-1048576}

# Hugepages when enough are free for the generator and a forwarder at once (-m 256 + 512),
# else anonymous memory.
huge_free_mb() {
    awk '/^HugePages_Free:/ {n = $2} /^Hugepagesize:/ {kb = $2} END {print int(n * kb / 1024)}' \
        /proc/meminfo
}
if [ "$(huge_free_mb)" -ge 1024 ]; then
    HUGE=(--huge-unlink) HUGE_NOTE="hugepages ($(huge_free_mb) MB free)"
else
    HUGE=(--no-huge) HUGE_NOTE="--no-huge (hugepages free: $(huge_free_mb) MB)"
fi
EAL=("${HUGE[@]}" --no-pci --no-telemetry --log-level '*:warning')

REV=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo -dirty)
mkdir -p bench-results
CSV=bench-results/$(date +%Y-%m-%d-%H%M)-$REV${QUICK:+-quick}${IDLE_AB:+-idle}.csv
echo "scenario,generator,forwarder,method,kind,family,proto,size,flows,workers,round,rate,unit,ceiling,ratio,note" >"$CSV"

# The processes running, in pid files: measurements run in subshells ($(...)), and the
# forwarder goes first.
cleanup() {
    local pids=
    for f in "$WORK/fwd.pid" "$WORK/gen.pid"; do
        [ -f "$f" ] && pids="$pids $(cat "$f")" && kill -TERM "$(cat "$f")" 2>/dev/null
    done
    for _ in $(seq 50); do kill -0 $pids 2>/dev/null || break; sleep 0.1; done
    if [ -n "${KEEP:-}" ]; then echo "logs in $WORK"; else rm -rf "$WORK"; fi
    rm -rf /var/run/dpdk/rvs-bench-*
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# ---- forwarders: started by fwd_start (testpmd | rvsd ...), stopped by fwd_stop ----

wait_socket() {
    for _ in $(seq 100); do [ -S "$SOCK" ] && return; sleep 0.1; done
    echo "no memif socket" >&2
    return 1
}

# testpmd macswap, its forwarding lcore on CPU 1.
testpmd_start() {
    dpdk-testpmd "${EAL[@]}" -m 512 --file-prefix rvs-bench-fwd --lcores '0@(0,1),1@1' \
        --vdev "$MEMIF_SERVER" -- --forward-mode=macswap --stats-period 1 --nb-cores=1 \
        --total-num-mbufs=16384 </dev/null >"$WORK/fwd-$NAME.log" 2>&1 &
    FWD_PID=$! FWD_SIG=INT
    echo $FWD_PID >"$WORK/fwd.pid"
    wait_socket
}

# The rvsd services: VIP:9 over UDP (-u) or TCP (-t), rr over two real servers forwarded
# by method $2 (-m, -g, -i), IPv4 or IPv6 ($1).
services() {
    local p=-u vip=$VIP4:$VPORT r1=198.18.1.1 r2=198.18.1.2
    [ "$3" = tcp ] && p=-t
    [ "$1" = 6 ] && vip="[$VIP6]:$VPORT" r1='[2001:db8:1::1]' r2='[2001:db8:1::2]'
    echo '"services": ["-A '"$p $vip"' -s rr",
      "-a '"$p $vip -r $r1:$VPORT $2"'", "-a '"$p $vip -r $r2:$VPORT $2"'"]'
}

# rvsd as METHOD (nat, dr, tun, l2fwd) for FAMILY and PROTO with a table of TABLE entries
# and WORKERS workers (lcores from CPU 1 down, rvsd's default); the binary is $RVSD_BIN.
# The port's MTU is 1600: TUN's 20 bytes in front of a 1500-byte frame need no fragment.
rvsd_start() {
    local method=$1 family=$2 proto=$3 table=$4 workers=$5 keys
    case $method in
    l2fwd) keys='"l2fwd": true' ;;
    nat) keys=$(services "$family" -m "$proto") ;;
    nat-idle) keys="$(services "$family" -m "$proto"), \"idle_backoff\": true" ;;
    dr) keys=$(services "$family" -g "$proto") ;;
    tun) keys=$(services "$family" -i "$proto") ;;
    esac
    local v4=$table v6=65536
    [ "$family" = 6 ] && v4=65536 v6=$table
    cat >"$WORK/rvsd-$NAME.json" <<JSON
{"eal": [$(printf '"%s", ' "${HUGE[@]}")"-m", "512", "--no-telemetry", "--log-level", "*:warning",
         "--file-prefix", "rvs-bench-rvsd"],
 "workers": $workers, "mbufs": 16383, "conn_table_size": $v4, "conn_table_size_v6": $v6, $keys,
 "ports": [{"device": "$MEMIF_SERVER", "mtu": 1600,
            "addresses": ["198.18.255.1/16", "2001:db8::1/32"],
            "neighbours": [{"ip": "198.18.1.1", "mac": "02:00:00:00:01:01"},
                           {"ip": "198.18.1.2", "mac": "02:00:00:00:01:02"},
                           {"ip": "2001:db8:1::1", "mac": "02:00:00:00:01:01"},
                           {"ip": "2001:db8:1::2", "mac": "02:00:00:00:01:02"}]}]}
JSON
    "$RVSD_BIN" --config "$WORK/rvsd-$NAME.json" --socket "$ADMIN" >"$WORK/fwd-$NAME.log" 2>&1 &
    FWD_PID=$! FWD_SIG=TERM
    echo $FWD_PID >"$WORK/fwd.pid"
    wait_socket
    # The memif socket exists before rvsd runs (a big connection table takes seconds): wait
    # for the admin socket, which answers once it does.
    for _ in $(seq 300); do
        "$RVSADM" --socket "$ADMIN" -Ln >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "rvsd did not answer (see $WORK/fwd-$NAME.log)" >&2
    return 1
}

# fwd_start testpmd | rvsd METHOD FAMILY PROTO TABLE WORKERS
fwd_start() {
    case $1 in
    testpmd) testpmd_start ;;
    rvsd) shift; rvsd_start "$@" ;;
    esac
}

fwd_stop() {
    [ -n "${FWD_PID:-}" ] || return 0
    kill -"$FWD_SIG" "$FWD_PID"
    wait "$FWD_PID" || true
    FWD_PID=
    rm -f "$SOCK" "$WORK/fwd.pid"
}

# rvsd's connections: made so far (every worker's live count of the connections it made,
# `rvsadm --counters`), and in its tables now.
conns_made() {
    "$RVSADM" --socket "$ADMIN" --counters |
        awk '$1 == "connections" && $2 == "created" {s += $3} END {print s + 0}'
}
conns_held() {
    "$RVSADM" --socket "$ADMIN" --counters |
        awk '$1 == "ipv4" || $1 == "ipv6" {s += $2} END {print s + 0}'
}

# ---- generators: gen_start LOG WARM TRAFFIC (PROTO SIZE FLOWS FAMILY [RATE [QUEUES]]) ----
# Each prints a line per second, `t=<s> tx_pps=<n> rx_pps=<n>`, and runs until gen_stop:
# the harness takes its window from those lines. FLOWS is a count or "new".

rvsgen_start() {
    local log=$1 warm=$2 proto=$3 size=$4 flows=$5 family=$6 rate=${7:-0}
    local a=(--proto "$proto" --size "$size" --dst-mac "$FWD_MAC" --rate "$rate" --lcore-cpu 0
        --warmup "$warm" --seconds 3600)
    if [ "$flows" = new ]; then a+=(--new); else a+=(--flows "$flows"); fi
    if [ "$family" = 6 ]; then a+=(--ipv6 --vip "[$VIP6]:$VPORT"); else a+=(--vip "$VIP4:$VPORT"); fi
    "$RVS_GEN" "${EAL[@]}" -m 256 --file-prefix rvs-bench-gen --vdev "$MEMIF_CLIENT" -- "${a[@]}" \
        </dev/null >"$log" 2>&1 &
    GEN_PID=$!
}

# testpmd's per-second statistics as the generators' lines.
testpmd_seconds() {
    awk '/Rx-pps:/ {rx = $2} /Tx-pps:/ {printf "t=%d tx_pps=%d rx_pps=%d\n", ++t, $2, rx; fflush()}'
}

# testpmd txonly (UDP checksum 0, flows over source addresses) on QUEUES queue pairs, one
# lcore on CPU 0: the generator for more than one rvsd worker.
txonly_start() {
    local log=$1 size=$4 queues=${8:-1}
    dpdk-testpmd "${EAL[@]}" -m 256 --file-prefix rvs-bench-gen --lcores '0@0,1@0' \
        --vdev "$MEMIF_CLIENT" -- --forward-mode=txonly --txonly-multi-flow --txpkts=$((size - 4)) \
        --rxq="$queues" --txq="$queues" --nb-cores=1 --total-num-mbufs=16384 \
        "--eth-peer=0,$FWD_MAC" --stats-period 1 </dev/null > >(testpmd_seconds >"$log") 2>&1 &
    GEN_PID=$!
}

# Pktgen-DPDK (UDP, FLOWS source addresses from 10.0.0.1), driven by a Lua script that
# prints the same per-second lines. Not available on the machine this was written on.
pktgen_start() {
    local log=$1 size=$4 flows=$5 last
    last=$(awk -v n="$flows" \
        'BEGIN {printf "10.%d.%d.%d", int(n / 65536) % 256, int(n / 256) % 256, n % 256}')
    cat >"$WORK/pktgen.lua" <<LUA
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"
pktgen.screen("off")
pktgen.set_proto("0", "udp")
pktgen.set("0", "rate", 100)
pktgen.range.dst_mac("0", "start", "$FWD_MAC")
pktgen.range.dst_ip("0", "start", "$VIP4")
pktgen.range.dst_ip("0", "inc", "0.0.0.0")
pktgen.range.dst_ip("0", "min", "$VIP4")
pktgen.range.dst_ip("0", "max", "$VIP4")
pktgen.range.src_ip("0", "start", "10.0.0.1")
pktgen.range.src_ip("0", "inc", "0.0.0.1")
pktgen.range.src_ip("0", "min", "10.0.0.1")
pktgen.range.src_ip("0", "max", "$last")
for _, f in ipairs({"src_port", "dst_port"}) do
    pktgen.range[f]("0", "start", $VPORT)
    pktgen.range[f]("0", "inc", 0)
    pktgen.range[f]("0", "min", $VPORT)
    pktgen.range[f]("0", "max", $VPORT)
end
pktgen.range.pkt_size("0", "start", $size)
pktgen.range.pkt_size("0", "inc", 0)
pktgen.range.pkt_size("0", "min", $size)
pktgen.range.pkt_size("0", "max", $size)
pktgen.set_range("0", "on")
pktgen.start("0")
local tx, rx = 0, 0
for t = 1, 3600 do
    pktgen.delay(1000)
    local s = pktgen.portStats("0", "port")[0]
    print(string.format("t=%d tx_pps=%d rx_pps=%d", t, s.opackets - tx, s.ipackets - rx))
    io.stdout:flush()
    tx, rx = s.opackets, s.ipackets
end
LUA
    # Its console reads stdin: kept open, not at end of file.
    pktgen "${EAL[@]}" -m 256 --file-prefix rvs-bench-gen --lcores '0@0,1@0' \
        --vdev "$MEMIF_CLIENT" -- -P -m 1.0 -f "$WORK/pktgen.lua" < <(sleep 3600) >"$log" 2>&1 &
    GEN_PID=$!
}

# gen_start GENERATOR LOG WARM TRAFFIC...
gen_start() {
    local g=$1
    shift
    case $g in
    rvs-gen) rvsgen_start "$@" ;;
    pktgen) pktgen_start "$@" ;;
    testpmd-txonly) txonly_start "$@" ;;
    esac
    echo "$GEN_PID" >"$WORK/gen.pid"
}

# The last second the generator in LOG has printed.
gen_second() {
    [ -f "$1" ] || { echo 0; return; }
    awk -F'[= ]' '/^t=/ {t = $2} END {print t + 0}' "$1"
}

# Waits until the generator in LOG has printed second N (false when it died first).
gen_wait() {
    while [ "$(gen_second "$1")" -lt "$2" ]; do
        kill -0 "$GEN_PID" 2>/dev/null || { echo "generator stopped (see $1)" >&2; return 1; }
        sleep 0.1
    done
}

# Stops the generator (rvs-gen then prints its summary as a JSON line).
gen_stop() {
    kill -INT "$GEN_PID" 2>/dev/null || true
    wait "$GEN_PID" || true
    GEN_PID=
    rm -f "$WORK/gen.pid"
}

# The median of FIELD (tx_pps, rx_pps) over seconds FROM..TO in LOG, in Mpps.
gen_median() {
    awk -F'[= ]' -v f="$2" -v a="$3" -v b="$4" \
        '/^t=/ && $2 >= a && $2 <= b { for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) / 1e6 }' \
        "$1" | median
}

# KEY of rvs-gen's JSON summary in LOG.
gen_json() { grep '^{' "$1" | tail -n 1 | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }

median() {
    sort -g | awk '{v[n++] = $1}
        END {if (n) printf "%.3f", (v[int((n - 1) / 2)] + v[int(n / 2)]) / 2; else print 0}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b}'; }

# row for a ceiling, unless its measurement failed (a rate of 0 or none: testpmd did not
# start), which would pull the ceiling's median down; its figures then get no ratio.
ceiling_row() {
    if [ "${10:-0}" != 0 ]; then
        row "$@"
    else
        echo "   ($1: a measurement failed, no row)" >&2
    fi
}

# The ceiling for the rvsd figures measured between ceilings C1 and C2 of one round: their
# mean, or nothing when they differ by more than a quarter of the larger (the machine
# switched state meanwhile, and a ratio would set one state against the other).
bracket() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        m = a > b ? a : b; d = a > b ? a - b : b - a
        if (m > 0 && d / m <= 0.25) printf "%.3f", (a + b) / 2 }'
}

# The note of a figure whose ceilings C1 and C2 did not agree ("" when they did).
moved() { [ -n "$(bracket "$1" "$2")" ] || echo "ceiling moved $1 -> $2 Mpps in this round: no ratio"; }

# ---- measurements ----

# Starts forwarder FWD (fwd_start's arguments), then generator GEN with TRAFFIC, logging to
# LOG; returns after the warm-up.
feed() {
    fwd_start $1
    gen_start "$2" "$4" "$WARM" $3
    gen_wait "$4" "$WARM" || true
}

# Stops the forwarder, then the generator.
halt() {
    fwd_stop
    gen_stop
}

# One established-flow measurement, named NAME: forwarder FWD (fwd_start's arguments), the
# generator GEN_USE with TRAFFIC. The window is SECS seconds after WARM; with FILL set, after
# rvsd's tables hold FILL connections. Prints the forwarder's rate in Mpps.
est() {
    local log=$WORK/gen-$NAME.log from=$((WARM + 1))
    feed "$1" "$GEN_USE" "$2" "$log"
    if [ -n "${FILL:-}" ]; then
        local deadline=$((SECONDS + 300))
        while [ "$(conns_held)" -lt "$FILL" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        from=$(($(gen_second "$log") + 2))
        echo "   ($NAME: $(conns_held) connections held from second $from)" >&2
    fi
    gen_wait "$log" $((from + SECS - 1)) || true
    halt
    gen_median "$log" tx_pps "$from" $((from + SECS - 1))
}

# Connections rvsd made per second over the next S seconds, in millions; also prints the
# window's length and the connections counted in it (rvsd's own counts at both ends).
conns_window() {
    local c0 t0 c1 t1
    c0=$(conns_made) t0=$(now_ns)
    sleep "$1"
    c1=$(conns_made) t1=$(now_ns)
    awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" \
        'BEGIN {if (t > 0) printf "%.3f %.1f %d", c * 1e3 / t, t / 1e9, c; else print "0 0 0"}'
}

# One new-connection measurement: rvsd FWD fed TRAFFIC (FLOWS "new"); prints the M conn/s
# rvsd counted, the window's seconds, the connections in it, and the generator's TX and RX
# in Mpps.
new() {
    local log=$WORK/gen-$NAME.log made last=$((WARM + SECS))
    feed "$1" rvs-gen "$2" "$log"
    made=$(conns_window "$SECS")
    gen_wait "$log" $last || true
    halt
    echo "$made $(gen_median "$log" tx_pps $((WARM + 1)) $last)" \
        "$(gen_median "$log" rx_pps $((WARM + 1)) $last)"
}

# One latency measurement: FWD fed TRAFFIC at a fixed rate; prints rvs-gen's p50 and p99 in
# ns and the rate that came back (below the rate asked, the forwarder was overloaded and the
# latencies are queueing).
lat() {
    local log=$WORK/gen-$NAME.log
    feed "$1" rvs-gen "$2" "$log"
    gen_wait "$log" $((WARM + SECS)) || true
    halt
    echo "$(gen_json "$log" lat_p50_ns) $(gen_json "$log" lat_p99_ns) $(gen_json "$log" rx_pps)"
}

# A CSV row: SCENARIO FORWARDER METHOD KIND FAMILY PROTO SIZE FLOWS WORKERS RATE UNIT
# CEILING [NOTE] (a comma in it becomes a semicolon); the generator is GEN_USE, the round
# ROUND.
row() {
    local note=${13:-}
    echo "$1,$GEN_USE,$2,$3,$4,$5,$6,$7,$8,$9,$ROUND,${10},${11},${12},$(ratio "${10}" "${12}"),${note//,/;}" >>"$CSV"
}

# The scenarios of one protocol and size: the ceiling, rvsd NAT/DR/TUN established, NAT new
# (and the baseline's NAT). Leaves the NAT rate in NAT_RATE.
matrix() {
    local proto=$1 size=$2 base=$1-$2 traffic ceil r m
    GEN_USE=rvs-gen
    [ "$GEN" = pktgen ] && [ "$proto" = udp ] && GEN_USE=pktgen
    traffic="$proto $size $EST_FLOWS 4"
    local c1 c2 rows=() f
    NEW_ROWS=()
    NAME=$base-ceiling c1=$(est testpmd "$traffic")
    echo "   $NAME $c1 Mpps"
    local methods=(nat dr tun)
    [ -n "$QUICK" ] || [ "$base" != udp-64 ] || methods+=(l2fwd)
    # Off and on take turns at going first, round by round.
    [ -z "${IDLE_AB:-}" ] || methods=(nat nat-idle)
    [ -z "${IDLE_AB:-}" ] || ((ROUND % 2)) || methods=(nat-idle nat)
    for m in "${methods[@]}"; do
        NAME=$base-$m-est r=$(est "rvsd $m 4 $proto $EST_TABLE 1" "$traffic")
        rows+=("$NAME rvsd $m $r")
        echo "   $NAME $r Mpps"
        [ "$m" != nat ] || NAT_RATE=$r
    done
    if [ -n "$BASE_BIN" ]; then
        NAME=$base-nat-est@$BASELINE_REV
        r=$(RVSD_BIN=$BASE_BIN est "rvsd nat 4 $proto $EST_TABLE 1" "$traffic")
        rows+=("$NAME rvsd@$BASELINE_REV nat $r")
        echo "   $NAME $r Mpps"
    fi
    NAME=$base-ceiling-after c2=$(est testpmd "$traffic")
    echo "   $NAME (after) $c2 Mpps"
    ceiling_row "$base-ceiling" testpmd macswap est 4 "$proto" "$size" $EST_FLOWS 1 "$c1" Mpps ""
    ceiling_row "$base-ceiling" testpmd macswap est 4 "$proto" "$size" $EST_FLOWS 1 "$c2" Mpps "" after
    ceil=$(bracket "$c1" "$c2")
    for f in "${rows[@]}"; do
        read -r -a f <<<"$f"
        row "${f[0]}" "${f[1]}" "${f[2]}" est 4 "$proto" "$size" $EST_FLOWS 1 "${f[3]}" Mpps \
            "$ceil" "$(moved "$c1" "$c2")"
    done
    # New connections against testpmd fed the same never-seen flows (64 bytes, where the
    # packet rate binds; at 512 and 1500 bytes the copies do, and no ratio is given).
    [ "$size" = 64 ] && c1=$(NAME=$base-new-ceiling est testpmd "$proto $size new 4")
    new_conns "$base-nat-new" "$RVSD_BIN" rvsd "$proto" "$size"
    [ -z "$BASE_BIN" ] ||
        new_conns "$base-nat-new@$BASELINE_REV" "$BASE_BIN" "rvsd@$BASELINE_REV" "$proto" "$size"
    [ "$size" = 64 ] || return 0
    c2=$(NAME=$base-new-ceiling-after est testpmd "$proto $size new 4")
    echo "   $base-new-ceiling $c1 / $c2 Mpps"
    ceiling_row "$base-new-ceiling" testpmd macswap new 4 "$proto" "$size" new 1 "$c1" Mpps ""
    ceiling_row "$base-new-ceiling" testpmd macswap new 4 "$proto" "$size" new 1 "$c2" Mpps "" after
    ceil=$(bracket "$c1" "$c2")
    for f in "${NEW_ROWS[@]}"; do
        read -r -a f <<<"$f"
        row "${f[0]}" "${f[1]}" nat new 4 "$proto" "$size" new 1 "${f[2]}" Mconn/s "$ceil" \
            "${f[*]:3} $(moved "$c1" "$c2")"
    done
}

# NAME BIN FORWARDER PROTO SIZE: rvsd NAT's new connections. At 64 bytes the row waits in
# NEW_ROWS (name, forwarder, rate, note) for the ceiling measured after it; other sizes get
# none.
new_conns() {
    local r note
    GEN_USE=rvs-gen NAME=$1
    read -r -a r <<<"$(RVSD_BIN=$2 new "rvsd nat 4 $4 16777216 1" "$4 $5 new 4")"
    note="gen tx ${r[3]} rx ${r[4]} Mpps; rvsd made ${r[2]} in ${r[1]} s"
    echo "   $NAME ${r[0]} M conn/s (rvsd made ${r[2]} in ${r[1]} s; generator tx ${r[3]} rx ${r[4]} Mpps)"
    if [ "$5" = 64 ]; then
        NEW_ROWS+=("$NAME $3 ${r[0]} $note")
    else
        row "$NAME" "$3" nat new 4 "$4" "$5" new 1 "${r[0]}" Mconn/s "" "$note"
    fi
}

# Latency at half of rvsd NAT's rate NAT_RATE (UDP 64, established): rvsd, then testpmd.
latency() {
    local pps r t
    pps=$(awk -v r="$NAT_RATE" 'BEGIN {printf "%d", r * 1e6 / 2}')
    [ "$pps" -gt 0 ] || return 0
    GEN_USE=rvs-gen
    NAME=udp-64-nat-lat
    read -r -a r <<<"$(lat "rvsd nat 4 udp $EST_TABLE 1" "udp 64 $EST_FLOWS 4 $pps")"
    NAME=udp-64-ceiling-lat
    read -r -a t <<<"$(lat testpmd "udp 64 $EST_FLOWS 4 $pps")"
    local rn="$pps pps asked; ${r[2]:-0} back" tn="$pps pps asked; ${t[2]:-0} back"
    row udp-64-ceiling-lat-p50 testpmd macswap lat 4 udp 64 $EST_FLOWS 1 "${t[0]:-}" p50_ns "" "$tn"
    row udp-64-ceiling-lat-p99 testpmd macswap lat 4 udp 64 $EST_FLOWS 1 "${t[1]:-}" p99_ns "" "$tn"
    row udp-64-nat-lat-p50 rvsd nat lat 4 udp 64 $EST_FLOWS 1 "${r[0]:-}" p50_ns "${t[0]:-}" "$rn"
    row udp-64-nat-lat-p99 rvsd nat lat 4 udp 64 $EST_FLOWS 1 "${r[1]:-}" p99_ns "${t[1]:-}" "$rn"
    echo "   latency at $pps pps: rvsd NAT p50 ${r[0]:-?} p99 ${r[1]:-?} ns (${r[2]:-0} pps back)," \
        "testpmd p50 ${t[0]:-?} p99 ${t[1]:-?} ns (${t[2]:-0} pps back)"
}

# rvsd NAT with 1 and 2 workers, fed by testpmd txonly with as many queues.
scaling() {
    local one two
    GEN_USE=testpmd-txonly
    NAME=udp-64-nat-est-1w one=$(est "rvsd nat 4 udp $EST_TABLE 1" "udp 64 $EST_FLOWS 4 0 1")
    NAME=udp-64-nat-est-2w two=$(est "rvsd nat 4 udp $EST_TABLE 2" "udp 64 $EST_FLOWS 4 0 2")
    row udp-64-nat-est-1w rvsd nat est 4 udp 64 $EST_FLOWS 1 "$one" Mpps ""
    row udp-64-nat-est-2w rvsd nat est 4 udp 64 $EST_FLOWS 2 "$two" Mpps "$one" \
        "generator and worker 2 share CPU 0"
    echo "   rvsd NAT 1 worker $one, 2 workers $two Mpps (the generator shares CPU 0 with worker 2)"
}

# IPv6 NAT against its own ceiling (UDP, 72 bytes: the smallest IPv6 frame with the stamp).
ipv6() {
    local r traffic="udp 72 $EST_FLOWS 6"
    GEN_USE=rvs-gen
    local c1 c2
    NAME=udp6-72-ceiling c1=$(est testpmd "$traffic")
    NAME=udp6-72-nat-est r=$(est "rvsd nat 6 udp $EST_TABLE 1" "$traffic")
    NAME=udp6-72-ceiling-after c2=$(est testpmd "$traffic")
    ceiling_row udp6-72-ceiling testpmd macswap est 6 udp 72 $EST_FLOWS 1 "$c1" Mpps ""
    ceiling_row udp6-72-ceiling testpmd macswap est 6 udp 72 $EST_FLOWS 1 "$c2" Mpps "" after
    row udp6-72-nat-est rvsd nat est 6 udp 72 $EST_FLOWS 1 "$r" Mpps "$(bracket "$c1" "$c2")" \
        "$(moved "$c1" "$c2")"
    echo "   IPv6: testpmd $c1 / $c2, rvsd NAT $r Mpps"
}

# NAT established over N flows (UDP 64) against the ceiling fed the same flows.
many() {
    local n=$1 label=$2 table=$3 r traffic="udp 64 $1 4"
    GEN_USE=rvs-gen
    local c1 c2
    NAME=udp-64-ceiling-$label c1=$(est testpmd "$traffic")
    NAME=udp-64-nat-est-$label r=$(FILL=$n est "rvsd nat 4 udp $table 1" "$traffic")
    NAME=udp-64-ceiling-$label-after c2=$(est testpmd "$traffic")
    ceiling_row "udp-64-ceiling-$label" testpmd macswap est 4 udp 64 "$n" 1 "$c1" Mpps ""
    ceiling_row "udp-64-ceiling-$label" testpmd macswap est 4 udp 64 "$n" 1 "$c2" Mpps "" after
    row "udp-64-nat-est-$label" rvsd nat est 4 udp 64 "$n" 1 "$r" Mpps "$(bracket "$c1" "$c2")" \
        "$(moved "$c1" "$c2")"
    echo "   $label flows: testpmd $c1 / $c2, rvsd NAT $r Mpps"
}

# The table: every scenario's rounds, median, its ceiling's median, and the median of the
# rounds' ratios, each round's rate over its own round's ceiling: the machine drifts between
# rounds, and a median set against another median may mix its fast and slow states (for
# latency, rvsd's added ns, the medians' difference).
report() {
    awk -F, '
        function med(s,   v, n, i, j, x) {
            n = split(s, v, " ")
            for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
                x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
            return n ? (v[int((n + 1) / 2)] + v[int(n / 2) + 1]) / 2 : ""
        }
        NR > 1 {
            if (!($1 in at)) { at[$1] = ++n; name[n] = $1; gen[n] = $2; unit[n] = $13 }
            i = at[$1]; vals[i] = vals[i] " " $12; if ($14 != "") ceils[i] = ceils[i] " " $14
            if ($15 != "") ratios[i] = ratios[i] " " $15
            note[i] = $16
        }
        END {
            printf "%-24s %-14s %-8s %8s %8s %7s  %s\n", "scenario", "generator", "unit", "median",
                "ceiling", "ratio", "rounds"
            for (i = 1; i <= n; i++) {
                m = med(vals[i]); c = med(ceils[i]); r = ""
                if (ratios[i] != "") r = sprintf("%.2f", med(ratios[i]))
                if (c != "" && unit[i] ~ /_ns$/) r = sprintf("%+d ns", m - c)
                fmt = unit[i] ~ /_ns$/ ? "%.0f" : "%.2f"
                printf "%-24s %-14s %-8s %8s %8s %7s %s%s\n", name[i], gen[i], unit[i],
                    sprintf(fmt, m), c == "" ? "" : sprintf(fmt, c), r, vals[i],
                    unit[i] == "Mconn/s" || unit[i] ~ /_ns$/ ? "   (" note[i] ")" : ""
            }
        }' "$1"
}

echo "EAL memory: $HUGE_NOTE; generator $GEN; ${SECS}-s windows, $ROUNDS round(s)"
for ROUND in $(seq "$ROUNDS"); do
    echo "== round $ROUND"
    NAT_RATE=0
    if [ -n "$QUICK" ] || [ -n "${IDLE_AB:-}" ]; then
        matrix udp 64
        continue
    fi
    for proto in udp tcp; do
        for size in 64 512 1500; do
            matrix "$proto" "$size"
            [ "$proto-$size" != udp-64 ] || latency
        done
    done
    scaling
    ipv6
    many 1000000 1M 4194304
    many 16000000 16M 33554432
done

echo
echo "$(date +%F) $REV, memif, $HUGE_NOTE, ${SECS}-s windows, $ROUNDS round(s):"
report "$CSV"
echo "CSV: $CSV"
[ -n "$QUICK" ] && [ -z "$PLOT" ] || plot "$CSV"
