# Sourced by scripts/flood.sh, scripts/soak.sh and scripts/idle_ab.sh: the demo topology
# (client, rvsd on af_packet with config/demo.json, three nginx servers) held under the
# tests' namespace lock, torn down on exit. After `lab_up NAME`: $BIN (release binaries),
# $PID (rvsd), RVS_SOCKET exported, $VIP; `lab_service PROTO PORT` adds a service on
# $VIP:PORT over the three servers; `lab_rvsd NAME CONFIG` starts rvsd again on another
# configuration once the first is stopped (`lab_stop`).
VIP=10.0.1.100

lab_up() {
    scripts/setup.sh
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    cargo build --release -q -p control
    BIN=$PWD/target/release
    export RVS_SOCKET=/run/rvs/$1.sock
    exec 9>/run/rvs-netns.lock
    flock 9
    trap lab_down EXIT
    scripts/netns.sh up 3 >/dev/null
    scripts/webservers.sh start 3 >/dev/null
    lab_rvsd "$1" config/demo.json
}

# lab_rvsd NAME CONFIG
lab_rvsd() {
    ip netns exec rvs-lb "$BIN/rvsd" --config "$2" --socket "$RVS_SOCKET" \
        >"$(mktemp /tmp/rvsd-$1.XXXXXX)" 2>&1 &
    PID=$!
    for _ in $(seq 100); do [ -S "$RVS_SOCKET" ] && break; sleep 0.1; done
}

lab_stop() {
    [ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    PID=
}

lab_down() {
    pkill -f "hping3 .*$VIP" 2>/dev/null || true
    pkill -f "wrk .*$VIP" 2>/dev/null || true
    lab_stop
    scripts/webservers.sh stop
    scripts/netns.sh down
}

# lab_service -t|-u PORT
lab_service() {
    "$BIN/rvsadm" -A "$1" $VIP:"$2" -s rr
    for i in 1 2 3; do
        "$BIN/rvsadm" -a "$1" $VIP:"$2" -r 10.0.2.1$i:"$2" -m
        ip netns exec rvs-rs$i ping -c 1 -W 2 10.0.2.1 >/dev/null
    done
}
