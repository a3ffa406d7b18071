#!/usr/bin/env bash
# The two-minute tour: installs what is missing, builds rvs, brings up a
# client namespace and three real-server namespaces (nginx) around rvsd
# (net_af_packet on veths), pings rvsd from both sides, configures a NAT
# virtual service with rvsadm, sends real HTTP requests through it, shows
# rvsadm -Ln, --stats and --rate, rvsd's counters, then tears everything down.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
echo "== building (release)"
cargo build --release -q -p control
BIN=target/release
SOCK=/run/rvs/demo.sock
LOG=$(mktemp /tmp/rvsd-demo.XXXXXX)

cleanup() {
    [ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    scripts/webservers.sh stop
    scripts/netns.sh down
}
trap cleanup EXIT

echo "== topology"
# The namespaces are the tests' too: hold their lock while they are ours.
exec 9>/run/rvs-netns.lock
flock 9
scripts/netns.sh up 3
scripts/webservers.sh start 3

echo "== starting rvsd (config/demo.json)"
ip netns exec rvs-lb $BIN/rvsd --config config/demo.json --socket $SOCK >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S $SOCK ] && break; sleep 0.1; done
[ -S $SOCK ] || { cat "$LOG"; echo "rvsd did not start" >&2; exit 1; }

echo "== ping rvsd from the client namespace (10.0.1.1)"
ip netns exec rvs-client ping -c 3 -i 0.2 10.0.1.1
echo "== ping rvsd from real server rvs-rs1 (10.0.2.1)"
ip netns exec rvs-rs1 ping -c 3 -i 0.2 10.0.2.1

export RVS_SOCKET=$SOCK
VIP=10.0.1.100:80
echo "== a NAT virtual service $VIP, round robin over rs1..rs3"
set -x
$BIN/rvsadm -A -t $VIP -s rr
$BIN/rvsadm -a -t $VIP -r 10.0.2.11:80 -m
$BIN/rvsadm -a -t $VIP -r 10.0.2.12:80 -m
$BIN/rvsadm -a -t $VIP -r 10.0.2.13:80 -m -w 2
set +x
echo "== six requests from the client to http://$VIP/ (each answer names its server)"
for _ in $(seq 6); do ip netns exec rvs-client curl -s -m 5 http://$VIP/; done
echo "== switching to wrr (weights 1:1:2): eight more requests"
$BIN/rvsadm -E -t $VIP -s wrr
for _ in $(seq 8); do ip netns exec rvs-client curl -s -m 5 http://$VIP/; done
echo "== rvsadm -Ln (finished connections wait in TIME_WAIT: InActConn)"
$BIN/rvsadm -Ln
echo "== three seconds of requests, then the statistics (updated every 2 s, as IPVS's)"
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do ip netns exec rvs-client curl -s -m 5 -o /dev/null http://$VIP/; done
sleep 2
$BIN/rvsadm -Ln --stats
$BIN/rvsadm -Ln --rate

echo "== stopping rvsd; its counters:"
kill -TERM $PID; wait $PID; PID=
cat "$LOG" | sed -n '/^rvsd counters/,$p'
rm -f "$LOG"
echo "== demo done"
