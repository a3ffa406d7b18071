#!/usr/bin/env bash
# Builds (or removes) the test topology: rvsd runs in namespace rvs-lb and
# opens lb0 and lb1 with net_af_packet; a client namespace sits on lb0's
# link and N real-server namespaces share a bridge on lb1's link.
#
#   rvs-client  c0 10.0.1.2/24 (gw 10.0.1.1) ─── lb0 ┐
#                                                    rvs-lb (rvsd: 10.0.1.1, 10.0.2.1; no kernel IPs)
#   rvs-rsK     eth0 10.0.2.1K/24 (gw 10.0.2.1) ─ br0 ─ lb1 ┘   (bridge in rvs-sw)
#
# `up-direct` builds the DR / TUN topology instead: real servers answer the
# client directly through a router, never through rvsd. Both sides are
# bridges in rvs-sw (br1: client side, br0: server side).
#
#   rvs-client  c0 10.0.1.2/24 ────────── cl0 ─┐
#   rvs-lb      lb0 (rvsd 10.0.1.1) ───── up1 ─┤ br1
#   rvs-router  r0 10.0.1.254/24 ──────── rt0 ─┘
#               r1 10.0.2.254/24 ──────── rt1 ─┐
#   rvs-lb      lb1 (rvsd 10.0.2.1) ───── up0 ─┤ br0
#   rvs-rsK     eth0 10.0.2.1K/24 ─────── rsK ─┘
#
#   rvs-client  routes 10.0.1.100/32 via 10.0.1.1 (rvsd), default via 10.0.1.254
#   rvs-router  forwards; rp_filter 0; prohibit route for 10.0.1.100/32
#   rvs-rsK     default via 10.0.2.254; 10.0.1.100/32 on lo; arp_ignore 1,
#               arp_announce 2 (all, eth0); rp_filter 0
#
#   request:  client -> rvsd (lb0) -> lb1 -> real server (DR: frame to its
#             MAC; TUN: encapsulated to 10.0.2.1K)
#   reply:    real server (source 10.0.1.100) -> router r1 -> r0 -> client
#
# The router forwards with rp_filter off (replies come from the VIP on the
# "wrong" side) and has a prohibit route for the VIP, so client traffic for
# the VIP can only go through rvsd. No kernel address on lb0/lb1; checksum
# offload is off on every other veth end (tx: no partial checksums reach
# rvsd; rx: every receiving kernel verifies what it gets, e.g. GUE's UDP
# checksum).
#
# `up-dual` is `up` with IPv6 as well: client 2001:db8:1::2/64 (gw
# 2001:db8:1::1, rvsd), real servers 2001:db8:2::1K/64 (gw 2001:db8:2::1).
#
# `up-direct-dual` is `up-direct` with IPv6 as well (VIP 2001:db8:1::100).
#
# usage: scripts/netns.sh up [N_SERVERS] | up-dual [N_SERVERS] | up-direct[-dual] [N_SERVERS] | up-pmtu[-dual] | up-bare | down | status
set -euo pipefail

NS_LB=rvs-lb NS_CLIENT=rvs-client NS_SW=rvs-sw
SERVERS=${2:-3}

ns() { ip netns exec "$@"; }

quiet_ns() {
    # No IPv6 (router solicitations would add stray frames) unless DUAL=1,
    # then IPv6 without duplicate address detection, autoconfiguration or
    # router solicitations.
    if [ "${DUAL:-0}" = 1 ]; then
        ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
            net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
    else
        ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
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
    if [ "${DUAL:-0}" = 1 ]; then
        ns $NS_CLIENT ip addr add 2001:db8:1::2/64 dev c0 nodad
        ns $NS_CLIENT ip -6 route add default via 2001:db8:1::1
    fi

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
        if [ "${DUAL:-0}" = 1 ]; then
            ns $rs ip addr add 2001:db8:2::1$i/64 dev eth0 nodad
            ns $rs ip -6 route add default via 2001:db8:2::1
        fi
    done

    # rvsd's links carry no kernel address: the kernel must not answer.
    for l in lb0 lb1; do ns $NS_LB ip link set $l up; done
    # Checksum offload would leave partial checksums in frames that
    # af_packet hands to rvsd, and segmentation offload whole datagrams
    # (a fragmented UDP datagram as one 4000-byte frame); real NICs never
    # see them.
    for l in c0; do ns $NS_CLIENT ethtool -K $l tx off gso off >/dev/null 2>&1 || true; done
    for i in $(seq 1 "$SERVERS"); do ns rvs-rs$i ethtool -K eth0 tx off gso off >/dev/null 2>&1 || true; done
    sleep 1
}

VIP=10.0.1.100 VIP6=2001:db8:1::100

# Checksum offloads off on a veth end: no partial checksums leave it (tx),
# nothing it receives counts as already verified (rx).
csum_off() { ns "$1" ethtool -K "$2" tx off rx off gso off >/dev/null 2>&1 || true; }

up_direct() {
    down_quiet
    local NS_R=rvs-router
    for n in $NS_LB $NS_CLIENT $NS_SW $NS_R; do ip netns add $n; quiet_ns $n; done
    ns $NS_SW ip link add br0 type bridge
    ns $NS_SW ip link add br1 type bridge
    # Bridge ports: forward only, no address; no learning delay.
    for b in br0 br1; do
        ns $NS_SW ip link set $b type bridge forward_delay 0 stp_state 0
        ns $NS_SW ip link set $b up
    done
    plug() { # plug NS IFACE SWPORT BRIDGE
        ip link add "$2" netns "$1" type veth peer name "$3" netns $NS_SW
        ns $NS_SW ip link set "$3" master "$4" up
        csum_off $NS_SW "$3"
    }

    # Client side (br1): the client, rvsd's lb0, the router's r0.
    plug $NS_CLIENT c0 cl0 br1
    plug $NS_LB lb0 up1 br1
    plug $NS_R r0 rt0 br1
    ns $NS_CLIENT ip addr add 10.0.1.2/24 dev c0
    ns $NS_CLIENT ip link set c0 up
    ns $NS_CLIENT ip route add $VIP/32 via 10.0.1.1 dev c0
    ns $NS_CLIENT ip route add default via 10.0.1.254
    csum_off $NS_CLIENT c0
    if [ "${DUAL:-0}" = 1 ]; then
        ns $NS_CLIENT ip addr add 2001:db8:1::2/64 dev c0 nodad
        ns $NS_CLIENT ip -6 route add $VIP6/128 via 2001:db8:1::1 dev c0
        ns $NS_CLIENT ip -6 route add default via 2001:db8:1::254
    fi

    # Server side (br0): rvsd's lb1, the router's r1, every real server.
    plug $NS_LB lb1 up0 br0
    plug $NS_R r1 rt1 br0
    ns $NS_R ip addr add 10.0.1.254/24 dev r0
    ns $NS_R ip addr add 10.0.2.254/24 dev r1
    for l in r0 r1; do ns $NS_R ip link set $l up; csum_off $NS_R $l; done
    ns $NS_R sysctl -qw net.ipv4.ip_forward=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.conf.r0.rp_filter=0 net.ipv4.conf.r1.rp_filter=0 \
        net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.r0.send_redirects=0 \
        net.ipv4.conf.r1.send_redirects=0
    # The client must reach the VIP through rvsd only.
    ns $NS_R ip route add prohibit $VIP/32
    if [ "${DUAL:-0}" = 1 ]; then
        ns $NS_R ip addr add 2001:db8:1::254/64 dev r0 nodad
        ns $NS_R ip addr add 2001:db8:2::254/64 dev r1 nodad
        ns $NS_R sysctl -qw net.ipv6.conf.all.forwarding=1
        ns $NS_R ip -6 route add prohibit $VIP6/128
    fi

    for i in $(seq 1 "$SERVERS"); do
        local rs=rvs-rs$i
        ip netns add $rs; quiet_ns $rs
        plug $rs eth0 rs$i br0
        ns $rs ip addr add 10.0.2.1$i/24 dev eth0
        # DR: the VIP is local but never announced nor answered for on eth0.
        ns $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
            net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 \
            net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
            net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0
        ns $rs ip addr add $VIP/32 dev lo
        ns $rs ip link set eth0 up
        ns $rs ip route add default via 10.0.2.254
        csum_off $rs eth0
        if [ "${DUAL:-0}" = 1 ]; then
            # IPv6 answers Neighbour Solicitations only for the receiving link's
            # addresses: the VIP on lo stays unannounced on eth0.
            ns $rs ip addr add 2001:db8:2::1$i/64 dev eth0 nodad
            ns $rs ip addr add $VIP6/128 dev lo
            ns $rs ip -6 route add default via 2001:db8:2::254
        fi
    done

    # rvsd's links carry no kernel address: the kernel must not answer.
    for l in lb0 lb1; do ns $NS_LB ip link set $l up; done
    sleep 1
}

# `up-pmtu`: NAT with the real server behind a router whose link to it has
# a smaller MTU than the server's own (so the router, not the server, must
# report Frag Needed, to the client, through rvsd):
#
#   rvs-client  c0 10.0.1.2/24 (gw 10.0.1.1) ─── lb0 ┐ rvs-lb (rvsd 10.0.1.1, 10.0.2.1)
#   rvs-router  r1 10.0.2.254/24 (default via 10.0.2.1) ─── lb1 ┘
#               r2 10.0.3.254/24 mtu 1400 ─── eth0 10.0.3.11/24 mtu 1500 (gw 10.0.3.254) rvs-rs1
up_pmtu() {
    down_quiet
    local NS_R=rvs-router
    for n in $NS_LB $NS_CLIENT $NS_R rvs-rs1; do ip netns add $n; quiet_ns $n; done
    ip link add lb0 netns $NS_LB type veth peer name c0 netns $NS_CLIENT
    ns $NS_CLIENT ip addr add 10.0.1.2/24 dev c0
    ns $NS_CLIENT ip link set c0 up
    ns $NS_CLIENT ip route add default via 10.0.1.1
    csum_off $NS_CLIENT c0
    ip link add lb1 netns $NS_LB type veth peer name r1 netns $NS_R
    ip link add r2 netns $NS_R type veth peer name eth0 netns rvs-rs1
    ns $NS_R ip addr add 10.0.2.254/24 dev r1
    ns $NS_R ip addr add 10.0.3.254/24 dev r2
    ns $NS_R ip link set r2 mtu 1400
    for l in r1 r2; do ns $NS_R ip link set $l up; csum_off $NS_R $l; done
    ns $NS_R ip route add default via 10.0.2.1
    ns $NS_R sysctl -qw net.ipv4.ip_forward=1
    ns rvs-rs1 ip addr add 10.0.3.11/24 dev eth0
    ns rvs-rs1 ip link set eth0 up
    ns rvs-rs1 ip route add default via 10.0.3.254
    csum_off rvs-rs1 eth0
    if [ "${DUAL:-0}" = 1 ]; then
        ns $NS_CLIENT ip addr add 2001:db8:1::2/64 dev c0 nodad
        ns $NS_CLIENT ip -6 route add default via 2001:db8:1::1
        ns $NS_R ip addr add 2001:db8:2::254/64 dev r1 nodad
        ns $NS_R ip addr add 2001:db8:3::254/64 dev r2 nodad
        ns $NS_R ip -6 route add default via 2001:db8:2::1
        ns $NS_R sysctl -qw net.ipv6.conf.all.forwarding=1
        ns rvs-rs1 ip addr add 2001:db8:3::11/64 dev eth0 nodad
        ns rvs-rs1 ip -6 route add default via 2001:db8:3::254
    fi
    for l in lb0 lb1; do ns $NS_LB ip link set $l up; done
    sleep 1
}

# `up-bare`: rvsd's two links end in one namespace, rvs-wire (c0: client
# side, s0: server side), that has no address at all, so no kernel stack
# answers anything: the test plays client and real servers with hand-made
# frames (tests/py/lifecycle.py) and answers rvsd's ARP requests itself.
up_bare() {
    down_quiet
    for n in $NS_LB rvs-wire; do ip netns add $n; quiet_ns $n; done
    ip link add lb0 netns $NS_LB type veth peer name c0 netns rvs-wire
    ip link add lb1 netns $NS_LB type veth peer name s0 netns rvs-wire
    for l in c0 s0; do ns rvs-wire ip link set $l up; csum_off rvs-wire $l; done
    for l in lb0 lb1; do ns $NS_LB ip link set $l up; done
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
    up-dual) DUAL=1; up; echo "dual-stack topology up: client 10.0.1.2 2001:db8:1::2, rvsd 10.0.1.1/10.0.2.1 2001:db8:1::1/2001:db8:2::1, $SERVERS real server(s) 10.0.2.11.. 2001:db8:2::11.." ;;
    up-pmtu-dual) DUAL=1; up_pmtu; echo "dual-stack pmtu topology up (IPv6: client 2001:db8:1::2, rvsd 2001:db8:1::1/2001:db8:2::1, router 2001:db8:2::254/2001:db8:3::254 (mtu 1400), real server 2001:db8:3::11)" ;;
    up-pmtu) up_pmtu; echo "pmtu topology up: client 10.0.1.2, rvsd 10.0.1.1/10.0.2.1, router 10.0.2.254/10.0.3.254 (mtu 1400), real server 10.0.3.11" ;;
    up-direct-dual) DUAL=1; up_direct; echo "dual-stack direct topology up (IPv6: client 2001:db8:1::2, VIP 2001:db8:1::100 via rvsd 2001:db8:1::1, router 2001:db8:1::254/2001:db8:2::254, real servers 2001:db8:2::1K)" ;;
    up-direct) up_direct; echo "direct topology up: client 10.0.1.2 (VIP via rvsd 10.0.1.1), router 10.0.1.254/10.0.2.254, $SERVERS real server(s) 10.0.2.11.. (VIP on lo, replies via the router)" ;;
    up-bare) up_bare; echo "bare topology up: rvs-lb lb0/lb1 <-> rvs-wire c0/s0, no addresses" ;;
    down) down_quiet ;;
    status) ip netns list | grep '^rvs-' || echo "no rvs namespaces" ;;
    *) echo "usage: $0 up [N_SERVERS] | up-dual [N_SERVERS] | up-direct[-dual] [N_SERVERS] | up-pmtu[-dual] | up-bare | down | status" >&2; exit 2 ;;
esac
