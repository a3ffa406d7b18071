#!/usr/bin/env bash
# Idle backoff, off against on in one run (docs/performance.md, "Idle backoff"): the demo
# topology (client, rvsd on af_packet, three nginx servers), rvsd started anew each round
# with config/demo.json's "idle_backoff" false, then $ON (true: the defaults; or an object
# such as '{"max_pause_us": 1000}'), ROUNDS times. Each round:
#   cpu      rvsd's CPU time over SECS seconds without traffic (utime + stime of all its
#            threads, /proc/PID/stat), in per cent of one core
#   ping     median RTT of PINGS pings from the client to rvsd (10.0.1.1), 0.1 s apart
#   kernel   the same from real server rs1 to rs2, kernels on the same kind of path (veth,
#            bridge, veth): the machine's own latency at that moment, without rvsd
#   connect  median TCP handshake time of REQUESTS HTTP requests through a NAT service
#            on the VIP, 0.1 s apart, each on a new connection (curl's time_connect:
#            SYN and SYN-ACK each cross rvsd)
#   request  their median total time (a page from nginx, four more crossings)
# At these rates the worker is idle nearly all the time: each frame meets a pausing worker.
#
# usage: [ROUNDS=3] [PINGS=50] [REQUESTS=30] [ON=true] scripts/idle_ab.sh [SECS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
ROUNDS=${ROUNDS:-3}
PINGS=${PINGS:-50}
REQUESTS=${REQUESTS:-30}
ON=${ON:-true}
. scripts/lab.sh
lab_up idle-ab
lab_stop
WORK=$(mktemp -d /tmp/rvs-idle-ab.XXXXXX)
trap 'lab_down; rm -rf "$WORK"' EXIT
grep -q '"idle_backoff": true' config/demo.json || { echo "demo.json backs off no more" >&2; exit 1; }
sed 's/"idle_backoff": true/"idle_backoff": false/' config/demo.json >"$WORK/off.json"
sed "s/\"idle_backoff\": true/\"idle_backoff\": $ON/" config/demo.json >"$WORK/on.json"

ticks() { awk '{print $14 + $15}' /proc/"$PID"/stat; }
median() { sort -n | awk '{v[n++]=$1} END {printf "%.3f", (v[int((n-1)/2)] + v[int(n/2)]) / 2}'; }
# The median RTT in ms of PINGS pings from namespace $1 to $2.
ping_ms() {
    ip netns exec "$1" ping -n -c "$PINGS" -i 0.1 "$2" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | median
}

# One round with rvsd on configuration $1 (off, on): RESULT=(cpu ping kernel connect request).
round() {
    lab_rvsd "idle-ab-$1" "$WORK/$1.json"
    sleep 1
    local a b
    a=$(ticks)
    sleep "$SECS"
    b=$(ticks)
    local hz cpu ping kernel
    hz=$(getconf CLK_TCK)
    cpu=$(awk -v t=$((b - a)) -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.1f", 100 * t / hz / s}')
    ping=$(ping_ms rvs-client 10.0.1.1)
    kernel=$(ping_ms rvs-rs1 10.0.2.12)
    lab_service -t 80 >/dev/null
    # Not timed: a restarted rvsd has an empty neighbour table, and the servers, which know
    # its MAC, need not ask for it: the first SYN may wait for resolution (1 s).
    ip netns exec rvs-client curl -s -o /dev/null -m 5 "http://$VIP/" || true
    : >"$WORK/times"
    for _ in $(seq "$REQUESTS"); do
        ip netns exec rvs-client curl -s -o /dev/null -m 5 -w '%{time_connect} %{time_total}\n' \
            "http://$VIP/" >>"$WORK/times"
        sleep 0.1
    done
    local connect request
    connect=$(awk '{print $1 * 1000}' "$WORK/times" | median)
    request=$(awk '{print $2 * 1000}' "$WORK/times" | median)
    lab_stop
    RESULT=("$cpu" "$ping" "$kernel" "$connect" "$request")
}

echo "round  backoff  cpu %   ping ms  kernel ms  connect ms  request ms"
: >"$WORK/all"
for r in $(seq "$ROUNDS"); do
    for mode in off on; do
        round $mode
        printf '%5s  %-7s  %5s  %8s  %9s  %10s  %10s\n' "$r" "$mode" "${RESULT[@]}"
        echo "$mode ${RESULT[*]}" >>"$WORK/all"
    done
done
echo "medians of $ROUNDS rounds:"
for mode in off on; do
    printf '       %-7s' "$mode"
    for col in 2 3 4 5 6; do
        printf '  %9s' "$(awk -v m=$mode -v c=$col '$1 == m {print $c}' "$WORK/all" | median)"
    done
    echo
done
