#!/usr/bin/env bash
# The two-minute tour: installs what is missing, builds rvs, brings up a
# client namespace and real-server namespaces around rvsd (net_af_packet on
# veths), pings rvsd's addresses from both sides, shows ipvsadm output and
# the counters, then tears everything down.
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
    scripts/netns.sh down
}
trap cleanup EXIT

echo "== topology"
scripts/netns.sh up 3

echo "== starting rvsd (config/demo.json)"
ip netns exec rvs-lb $BIN/rvsd --config config/demo.json --socket $SOCK >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S $SOCK ] && break; sleep 0.1; done
[ -S $SOCK ] || { cat "$LOG"; echo "rvsd did not start" >&2; exit 1; }

echo "== ping rvsd from the client namespace (10.0.1.1)"
ip netns exec rvs-client ping -c 3 -i 0.2 10.0.1.1
echo "== ping rvsd from real server rvs-rs1 (10.0.2.1)"
ip netns exec rvs-rs1 ping -c 3 -i 0.2 10.0.2.1

echo "== rvsadm -Ln"
RVS_SOCKET=$SOCK $BIN/rvsadm -Ln

echo "== stopping rvsd; its counters:"
kill -TERM $PID; wait $PID; PID=
cat "$LOG" | sed -n '/^rvsd counters/,$p'
rm -f "$LOG"
echo "== demo done"
