#!/usr/bin/env bash
# Starts (or stops) the TUN real servers of the direct topology
# (scripts/netns.sh up-direct): in every namespace rvs-rsK one nginx
# (scripts/webservers.sh) and one userspace tunnel endpoint
# (tests/py/tun_endpoint.py, the kernel has no ipip/gre/fou) that
# decapsulates what rvsd sends into a tun device carrying the VIP. Each
# endpoint logs to /tmp/rvs-tun/rsK.log and records every outer packet it
# receives in /tmp/rvs-tun/rsK.pcap (kept after stop, removed by the next
# start).
#
# With OUTER 6 (ipip only; topology up-direct-dual) the tunnels arrive over
# IPv6 and the tun device carries both VIPs.
#
# usage: scripts/tunservers.sh start N ipip|gre|gue [GUE_PORT [OUTER]]  endpoints and nginx
#        scripts/tunservers.sh endpoints N ipip|gre|gue [GUE_PORT [OUTER]]  (re)start the endpoints only
#        scripts/tunservers.sh stop-endpoints | stop
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=/tmp/rvs-tun
VIP=10.0.1.100 VIP6=2001:db8:1::100

endpoints() {
    local n=$1 type=$2 port=${3:-6080} outer=${4:-4}
    local vips=(--vip $VIP)
    [ "$outer" = 6 ] && vips+=(--vip $VIP6)
    stop_endpoints
    rm -rf $DIR
    mkdir -p $DIR
    for i in $(seq 1 "$n"); do
        ip netns exec rvs-rs$i /usr/bin/python3 tests/py/tun_endpoint.py \
            --type "$type" --port "$port" --outer "$outer" "${vips[@]}" --pcap $DIR/rs$i.pcap \
            >$DIR/rs$i.log 2>&1 &
        echo $! >$DIR/rs$i.pid
    done
    # Ready once each has logged its start line.
    for i in $(seq 1 "$n"); do
        for _ in $(seq 100); do
            grep -q '^tun_endpoint: ' $DIR/rs$i.log 2>/dev/null && break
            if ! kill -0 "$(cat $DIR/rs$i.pid)" 2>/dev/null; then
                echo "tun endpoint in rvs-rs$i died:" >&2
                cat $DIR/rs$i.log >&2
                exit 1
            fi
            sleep 0.1
        done
        grep -q '^tun_endpoint: ' $DIR/rs$i.log || { echo "tun endpoint in rvs-rs$i not ready" >&2; exit 1; }
    done
}

stop_endpoints() {
    local pids=()
    for p in $DIR/rs*.pid; do
        [ -f "$p" ] || continue
        pids+=("$(cat "$p")")
        rm -f "$p"
    done
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 100); do
        running "${pids[@]}" || return 0
        sleep 0.05
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

# Whether any of the pids still runs (an exited endpoint whose parent is
# gone may stay a zombie for a while: that counts as stopped).
running() {
    local p
    for p in "$@"; do
        [ -r /proc/$p/stat ] && [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" != Z ] && return 0
    done
    return 1
}

usage() { echo "usage: $0 start|endpoints N ipip|gre|gue [GUE_PORT [OUTER]] | stop-endpoints | stop" >&2; exit 2; }

case "${1:-}" in
    start)
        [ $# -ge 3 ] || usage
        endpoints "$2" "$3" "${4:-6080}" "${5:-4}"
        scripts/webservers.sh start "$2" ;;
    endpoints)
        [ $# -ge 3 ] || usage
        endpoints "$2" "$3" "${4:-6080}" "${5:-4}" ;;
    stop-endpoints) stop_endpoints ;;
    stop) stop_endpoints; scripts/webservers.sh stop ;;
    *) usage ;;
esac
