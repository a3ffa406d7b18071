#!/usr/bin/env bash
# Floods against a small connection table while a real client keeps using the VIP: the
# namespace topology of the demo (client, rvsd on af_packet, three nginx servers), rvsd
# with a 4096-entry table, a TCP service 10.0.1.100:80 and a UDP one 10.0.1.100:53.
#
#   1. baseline    wrk, every request on a new connection (Connection: close), alone
#   2. SYN flood   the same wrk while hping3 sends SYNs from random sources to :80
#   3. UDP flood   the same wrk while hping3 sends datagrams from random sources to :53
#
# For each phase: wrk's requests and errors, the admin socket's slowest answer
# (rvsadm -Ln, timed every 0.2 s), rvsd's resident memory before and after, and from
# rvsd's counters the entries evicted, drops by reason and the table's fill. The floods
# make only half-open or one-datagram entries, which a full table evicts before it would
# refuse a client; established connections are never evicted.
#
# usage: scripts/flood.sh [SECONDS]   (default 10 per phase)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
. scripts/lab.sh
lab_up flood
lab_service -t 80
lab_service -u 53

rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }

# The slowest of rvsadm -Ln's answers, in ms, sampled every 0.2 s until $1 exists.
admin_latency() {
    local worst=0 t
    while [ ! -e "$1" ]; do
        t=$(date +%s%N)
        "$BIN/rvsadm" -Ln >/dev/null
        t=$(( ($(date +%s%N) - t) / 1000000 ))
        [ "$t" -gt "$worst" ] && worst=$t
        sleep 0.2
    done
    echo "$worst"
}

phase() {
    local name=$1 flood=$2 done_flag lat_file
    done_flag=$(mktemp -u) lat_file=$(mktemp)
    local rss0 evicted0 report
    rss0=$(rss_kb)
    evicted0=$("$BIN/rvsadm" --json --counters | python3 -c \
        'import json,sys; c=json.load(sys.stdin); print(sum(p["evicted"] for t in c["connections"].values() for p in t["partitions"]))')
    [ -n "$flood" ] && { ip netns exec rvs-client $flood >/dev/null 2>&1 & }
    sleep 1
    admin_latency "$done_flag" >"$lat_file" &
    local sampler=$!
    report=$(ip netns exec rvs-client wrk -t 2 -c 32 -d "${SECS}s" --timeout 2s \
        -H "Connection: close" "http://$VIP/" 2>&1)
    touch "$done_flag"
    wait $sampler
    pkill -f "hping3 .*$VIP" 2>/dev/null || true
    sleep 1
    local counters
    counters=$("$BIN/rvsadm" --json --counters)
    python3 - "$name" "$rss0" "$(rss_kb)" "$evicted0" "$(cat "$lat_file")" "$counters" "$report" <<'PY'
import json, re, sys
name, rss0, rss1, ev0, lat, counters, report = sys.argv[1:]
c = json.loads(counters)
evicted = sum(p["evicted"] for t in c["connections"].values() for p in t["partitions"]) - int(ev0)
req = re.search(r"(\d+) requests in", report)
errors = re.search(r"Socket errors: (.*)", report)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
drops = ", ".join(f"{k} {v}" for k, v in sorted(c["drops"].items(), key=lambda kv: -kv[1])[:4])
print(f"| {name} | {req.group(1) if req else '?'} | {errors.group(1) if errors else 'none'}"
      f"{', non-2xx ' + non2xx.group(1) if non2xx else ''} | {lat} ms | {rss0} → {rss1} kB"
      f" | {evicted} | {c['connections']['ipv4']['used']} of {c['connections']['ipv4']['capacity']}"
      f" | {drops or '-'} |")
PY
    rm -f "$done_flag" "$lat_file"
}

echo "| phase | wrk requests | wrk errors | admin worst | rvsd RSS | evicted | table | top drops (cumulative) |"
echo "|---|---|---|---|---|---|---|---|"
phase baseline ""
phase "SYN flood" "hping3 --flood --rand-source -S -p 80 $VIP"
phase "UDP flood" "hping3 --flood --rand-source --udp -p 53 $VIP"
