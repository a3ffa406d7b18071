# Golden ICMP frames from the real kernel IPVS (ipvs-forwarding §4.2-§4.5, §7.10, §7.11, §7.18-§7.20).
# Run from the repository root (see README.md here); -i is tests/golden, for ../dr_tun/mkinput.py:
#   /work/shared/ipvs-oracle/run.sh -t 900 -i tests/golden -o /tmp/icmp.run tests/golden/icmp/oracle.cmd
# Every case gets a fresh director netns "d" (fresh IPVS table, default sysctls) wired as §7.0:
#   ns up  (upstream router, MAC 02:00:00:00:00:fe) up0 <veth> ext0 02:00:00:00:00:01 198.51.100.2/24 + V 198.51.100.1/32
#   ns inn (the inside link's far end)              in1 <veth> in0  02:00:00:00:00:02 D 10.0.0.1/24
#   static neighbours: 198.51.100.254 -> :fe (default route), R1 10.0.0.11 -> :11, R2 10.0.0.21 -> :21,
#   gw 10.0.0.254 -> :54; R3 192.0.2.31/32 via 10.0.0.254. MTU 1500, offloads off, IPv6 off.
# Input frames ($IN/icmp/mkinput.py): `LINK HEX` lines, sent raw in order, 0.5 s apart, on up0 (outside)
# or in1 (inside). Captures: CASE.inside.pcap (what d sends on in0) and CASE.outside.pcap (what d
# sends on ext0), both taken on the peer side with -Q in (so the injected frames are not in them).
. $LIB/topo.sh
uname -r; ipvsadm --version
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
python3 $IN/icmp/mkinput.py $OUT/in
director_up() { \
  local ns; for ns in d up inn; do ip netns add $ns; \
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; \
    ip -n $ns link set lo up; done; \
  ip netns exec d sysctl -qw net.ipv4.ip_forward=1; \
  ip -n d link add ext0 address 02:00:00:00:00:01 type veth peer name up0 address 02:00:00:00:00:fe netns up; \
  ip -n d link add in0 address 02:00:00:00:00:02 type veth peer name in1 address 02:00:00:00:00:fd netns inn; \
  ip -n d addr add 198.51.100.2/24 dev ext0; ip -n d addr add 198.51.100.1/32 dev ext0; \
  ip -n d addr add 10.0.0.1/24 dev in0; \
  ip -n d link set ext0 up; ip -n d link set in0 up; ip -n up link set up0 up; ip -n inn link set in1 up; \
  ip -n d neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fe dev ext0 nud permanent; \
  ip -n d neigh replace 10.0.0.11 lladdr 02:00:00:00:00:11 dev in0 nud permanent; \
  ip -n d neigh replace 10.0.0.21 lladdr 02:00:00:00:00:21 dev in0 nud permanent; \
  ip -n d neigh replace 10.0.0.254 lladdr 02:00:00:00:00:54 dev in0 nud permanent; \
  ip -n d route add default via 198.51.100.254 dev ext0; \
  ip -n d route add 192.0.2.31/32 via 10.0.0.254 dev in0; \
  local d; for d in "d ext0" "d in0" "up up0" "inn in1"; do set -- $d; \
    ip netns exec $1 ethtool -K $2 tx off sg off tso off gso off gro off >/dev/null 2>&1; done; \
}
director_down() { ip netns del d; ip netns del up; ip netns del inn; }
inject() { \
  local link hex n=0; while read -r link hex; do \
    [ $n -gt 0 ] && sleep 0.5; n=$((n + 1)); \
    case $link in outside) set -- up up0;; inside) set -- inn in1;; *) echo "bad link $link" >&2; return 1;; esac; \
    ip netns exec $1 python3 -c 'import socket,sys \
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind((sys.argv[1],0)); s.send(bytes.fromhex(sys.argv[2]))' $2 $hex; \
  done < "$1"; \
}
# run_case NAME IPVSADM-DEST-OPTIONS: service TCP V:80 (rr) with one real server, send CASE's frames
run_case() { \
  local name=$1; shift; echo "== $name: -r $*"; director_up; \
  ip netns exec d ipvsadm -A -t 198.51.100.1:80 -s rr; \
  ip netns exec d ipvsadm -a -t 198.51.100.1:80 -r "$@" || return 1; \
  cap_start $name.inside in1 inn "-Q in" && cap_start $name.outside up0 up "-Q in" || return 1; \
  inject $OUT/in/$name.in.hex; cap_stop; \
  ip netns exec d ipvsadm -Ln --stats; ip netns exec d ipvsadm -Lnc; \
  ip -n d route get 192.0.2.31; \
  ip netns exec d sh -c 'cd /proc/sys/net/ipv4/vs && grep . pmtu_disc schedule_icmp nat_icmp_send'; \
  director_down; \
}
# §7.10: the only NAT server has weight 0 -> ICMP 3/3 from V
run_case nat_7_10 10.0.0.11:8080 -m -w 0
# §7.11: S0 with TTL 1 -> ICMP 11/0 from V
run_case nat_7_11 10.0.0.11:8080 -m
# §7.18: R1's Frag Needed about S0 -> to C, from V
run_case nat_7_18 10.0.0.11:8080 -m
# §7.19: S0, R1's SYN-ACK (§7.2), the router's Frag Needed about the reply -> to R1; DR and ipip likewise
run_case nat_7_19 10.0.0.11:8080 -m
run_case dr_7_19 10.0.0.21 -g
run_case tun_7_19 192.0.2.31 -i
# §7.20: a router toward R3 reports MTU 1400 on the tunnel packet -> Frag Needed to C from V; inner DF clear -> nothing
run_case tun_7_20 192.0.2.31 -i
run_case tun_7_20_nodf 192.0.2.31 -i
# a Frag Needed toward V about a reply of no connection (C:40001) -> nothing
run_case icmp_unrelated 10.0.0.11:8080 -m
ls -l $OUT
