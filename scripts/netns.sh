#!/usr/bin/env bash
# Builds (or removes) the test topology: rvsd runs in namespace rvs-lb and
# opens lb0 and lb1 with net_af_packet; a client namespace sits on lb0's
# link and N real-server namespaces share a bridge on lb1's link.
#
#   rvs-client  c0 10.0.1.2/24 (gw 10.0.1.1) ─── lb0 ┐
#                                                    rvs-lb (rvsd: 10.0.1.1, 10.0.2.1; no kernel IPs)
#   rvs-rsK     eth0 10.0.2.1K/24 (gw 10.0.2.1) ─ br0 ─ lb1 ┘   (bridge in rvs-sw)
#
# usage: scripts/netns.sh up [N_SERVERS] | down | status
set -euo pipefail

NS_LB=rvs-lb NS_CLIENT=rvs-client NS_SW=rvs-sw
SERVERS=${2:-3}

ns() { ip netns exec "$@"; }

quiet_ns() {
    # No IPv6 (router solicitations would add stray frames) and no
    # reverse-path surprises.
    ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ns "$1" ip link set lo up
}

up() {
    down_quiet
    for n in $NS_LB $NS_CLIENT $NS_SW; do ip netns add $n; quiet_ns $n; done

    # Client side.
    ip link add lb0 netns $NS_LB type veth peer name c0 netns $NS_CLIENT
    ns $NS_CLIENT ip addr add 10.0.1.2/24 dev c0
    ns $NS_CLIENT ip link set c0 up
    ns $NS_CLIENT ip route add default via 10.0.1.1

    # Server side: a bridge in rvs-sw joins lb1 and every real server.
    ip link add lb1 netns $NS_LB type veth peer name up0 netns $NS_SW
    ns $NS_SW ip link add br0 type bridge
    ns $NS_SW ip link set up0 master br0 up
    ns $NS_SW ip link set br0 up
    for i in $(seq 1 "$SERVERS"); do
        local rs=rvs-rs$i
        ip netns add $rs; quiet_ns $rs
        ip link add eth0 netns $rs type veth peer name rs$i netns $NS_SW
        ns $NS_SW ip link set rs$i master br0 up
        ns $rs ip addr add 10.0.2.1$i/24 dev eth0
        ns $rs ip link set eth0 up
        ns $rs ip route add default via 10.0.2.1
    done

    # rvsd's links carry no kernel address: the kernel must not answer.
    for l in lb0 lb1; do ns $NS_LB ip link set $l up; done
    # Checksum offload would leave partial checksums in frames that
    # af_packet hands to rvsd; real NICs never see them.
    for l in c0; do ns $NS_CLIENT ethtool -K $l tx off >/dev/null 2>&1 || true; done
    for i in $(seq 1 "$SERVERS"); do ns rvs-rs$i ethtool -K eth0 tx off >/dev/null 2>&1 || true; done
    sleep 1
}

down_quiet() {
    for n in $(ip netns list | awk '/^rvs-/{print $1}'); do
        ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$n" 2>/dev/null || true
    done
}

case "${1:-}" in
    up) up; echo "topology up: client 10.0.1.2, rvsd 10.0.1.1/10.0.2.1, $SERVERS real server(s) 10.0.2.11.." ;;
    down) down_quiet ;;
    status) ip netns list | grep '^rvs-' || echo "no rvs namespaces" ;;
    *) echo "usage: $0 up [N_SERVERS] | down | status" >&2; exit 2 ;;
esac
