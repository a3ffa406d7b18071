#!/usr/bin/env bash
# Soak: MINUTES of connections churning as fast as wrk opens them (a new connection per
# request) through the demo topology (client, rvsd on af_packet with a 4096-entry table,
# three nginx servers), then quiet until every entry's timer has run out (TIME_WAIT is
# 2 minutes). Every 30 s, and at the end, one line: elapsed time, rvsd's resident memory,
# mbufs in use, connection entries in use, entries evicted so far. After the quiet spell
# the table must be empty and the mbufs back where they started.
#
# usage: scripts/soak.sh [MINUTES]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
. scripts/lab.sh
lab_up soak
lab_service -t 80

START=$SECONDS
sample() {
    python3 - "$((SECONDS - START))" "$PID" "$("$BIN/rvsadm" --json --counters)" <<'PY'
import json, sys
elapsed, pid, counters = sys.argv[1:]
c = json.loads(counters)
t = c["connections"]["ipv4"]
evicted = sum(p["evicted"] for p in t["partitions"])
rss = [l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0]
print(f"| {elapsed} s | {rss} kB | {c['mbufs']['in_use']} | {t['used']} | {evicted} |")
PY
}

echo "| elapsed | rvsd RSS | mbufs in use | entries | evicted |"
echo "|---|---|---|---|---|"
sample
ip netns exec rvs-client wrk -t 2 -c 32 -d "${MINUTES}m" --timeout 2s \
    -H "Connection: close" "http://$VIP/" >/tmp/soak-wrk.txt 2>&1 &
WRK=$!
while kill -0 $WRK 2>/dev/null; do sleep 30; sample; done
wait $WRK
# Quiet: TIME_WAIT (120 s) and every other timer run out.
for _ in 1 2 3 4 5; do sleep 30; sample; done
grep -E "requests in|Socket errors|Non-2xx" /tmp/soak-wrk.txt
