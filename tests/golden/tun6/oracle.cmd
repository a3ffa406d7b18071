# Golden TUN frames over IPv6 and across families from the real kernel IPVS (ipvs-forwarding §3.3,
# §3.3.2, §3.3.5, §7.17): IPv6-in-IPv6, IPv4-in-IPv6, IPv6-in-IPv4, plain, GUE and GRE.
# Run from the repository root (see README.md here); -i is tests/golden, for ../dr_tun/mkinput.py:
#   /work/shared/ipvs-oracle/run.sh -t 900 -i tests/golden -o /tmp/tun6.run tests/golden/tun6/oracle.cmd
# Every case gets a fresh director netns "d" (fresh IPVS table, default sysctls) wired as §7.0 in
# both families:
#   ns up  (upstream router, MAC 02:00:00:00:00:fe) up0 <veth> ext0 02:00:00:00:00:01
#          198.51.100.2/24 + V 198.51.100.1/32, 2001:db8:f::2/64 + V6 2001:db8:f::1/128
#   ns inn (sink, captures the inside link)        in1 <veth> in0  02:00:00:00:00:02
#          D 10.0.0.1/24, 2001:db8:a::1/64
#   routes: default via 198.51.100.254, ::/0 via 2001:db8:f::fe (both MAC :fe); 192.0.2.31/32 via
#   10.0.0.254 and 2001:db8:b::31/128 via 2001:db8:a::254 (both MAC :54); 2001:db8:a::31 on link (:31).
#   Every neighbour is static (nud permanent); addresses nodad, no DAD, no router solicitations, no
#   link-local addresses (addr_gen_mode 1), IPv6 off in up/inn: no ND/RS in the captures; the
#   multicast listener reports d sends when its addresses come up are left out by the capture filter
#   (any IPv6 frame with a Hop-by-Hop header; no case sends one). MTU 1500, offloads off.
# Input frames ($IN/tun6/mkinput.py) are sent raw on up0, 0.5 s apart; captures: CASE.inside.pcap
# (what d sends on in0) and CASE.outside.pcap (what d sends on ext0), both on the peer side, -Q in.
# ipvsadm 1.31 takes a bracketed IPv6 address only with a port (the TUN server's port is the
# service's anyway). `svc SERVICE` sets the virtual service of the run_case lines after it (TCP, rr, one real server).
. $LIB/topo.sh
uname -r; ipvsadm --version
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
python3 $IN/tun6/mkinput.py $OUT/in
v6_quiet() { \
  local k; for k in disable_ipv6=0 accept_dad=0 dad_transmits=0 router_solicitations=0 addr_gen_mode=1 accept_ra=0; do \
    ip netns exec $1 sysctl -qw net.ipv6.conf.all.$k net.ipv6.conf.default.$k; done; \
  ip netns exec $1 sysctl -qw net.ipv6.conf.all.forwarding=1; \
}
director_up() { \
  local ns; for ns in d up inn; do ip netns add $ns; \
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; \
    ip -n $ns link set lo up; done; \
  v6_quiet d; ip netns exec d sysctl -qw net.ipv4.ip_forward=1; \
  ip -n d link add ext0 address 02:00:00:00:00:01 type veth peer name up0 address 02:00:00:00:00:fe netns up; \
  ip -n d link add in0 address 02:00:00:00:00:02 type veth peer name in1 address 02:00:00:00:00:fd netns inn; \
  ip -n d addr add 198.51.100.2/24 dev ext0; ip -n d addr add 198.51.100.1/32 dev ext0; \
  ip -n d addr add 10.0.0.1/24 dev in0; \
  ip -n d -6 addr add 2001:db8:f::2/64 dev ext0 nodad; ip -n d -6 addr add 2001:db8:f::1/128 dev ext0 nodad; \
  ip -n d -6 addr add 2001:db8:a::1/64 dev in0 nodad; \
  ip -n d link set ext0 up; ip -n d link set in0 up; ip -n up link set up0 up; ip -n inn link set in1 up; \
  ip -n d neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fe dev ext0 nud permanent; \
  ip -n d neigh replace 10.0.0.254 lladdr 02:00:00:00:00:54 dev in0 nud permanent; \
  ip -n d -6 neigh replace 2001:db8:f::fe lladdr 02:00:00:00:00:fe dev ext0 nud permanent; \
  ip -n d -6 neigh replace 2001:db8:a::254 lladdr 02:00:00:00:00:54 dev in0 nud permanent; \
  ip -n d -6 neigh replace 2001:db8:a::31 lladdr 02:00:00:00:00:31 dev in0 nud permanent; \
  ip -n d route add default via 198.51.100.254 dev ext0; \
  ip -n d route add 192.0.2.31/32 via 10.0.0.254 dev in0; \
  ip -n d -6 route add default via 2001:db8:f::fe dev ext0; \
  ip -n d -6 route add 2001:db8:b::31/128 via 2001:db8:a::254 dev in0; \
  local d; for d in "d ext0" "d in0" "up up0" "inn in1"; do set -- $d; \
    ip netns exec $1 ethtool -K $2 tx off sg off tso off gso off gro off >/dev/null 2>&1; done; \
  sleep 1; \
}
director_down() { ip netns del d; ip netns del up; ip netns del inn; }
inject() { ip netns exec up python3 -c 'import socket,sys,time \
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind(("up0",0)) \
for i,l in enumerate(open(sys.argv[1])): \
  time.sleep(0.5 if i else 0); s.send(bytes.fromhex(l.strip()))' "$1"; }
SVC=
svc() { SVC=$1; }
FILTER="-Q in not (ip6 and ip6[6] == 0)"
# run_case NAME IPVSADM-DEST-OPTIONS: service TCP $SVC:80 (rr) with one real server, send CASE's frames
run_case() { \
  local name=$1; shift; echo "== $name: -t $SVC -r $*"; director_up; \
  ip netns exec d ipvsadm -A -t "$SVC" -s rr; \
  ip netns exec d ipvsadm -a -t "$SVC" -r "$@" || { director_down; return 1; }; \
  cap_start $name.inside in1 inn "$FILTER" && cap_start $name.outside up0 up "$FILTER" || return 1; \
  inject $OUT/in/$name.in.hex; cap_stop; \
  ip netns exec d ipvsadm -Ln --tun-info; ip netns exec d ipvsadm -Lnc; ip netns exec d ipvsadm -Ln --stats; \
  ip -n d -6 route get 2001:db8:b::31; ip -n d -6 route get 2001:db8:a::31; ip -n d route get 192.0.2.31; \
  ip netns exec d sh -c 'cd /proc/sys/net/ipv4/vs && grep . pmtu_disc conn_reuse_mode; sysctl net.ipv4.ip_local_port_range'; \
  ip netns exec d nstat -az Ip6FragCreates Ip6FragFails Ip6OutDiscards Icmp6OutPktTooBigs IpFragCreates; \
  director_down; \
}
# IPv6 service, IPv6 TUN server (ip6ip6, §3.3.2, §7.17)
svc [2001:db8:f::1]:80
run_case ip6ip6_s0 [2001:db8:b::31]:80 -i
run_case ip6ip6_tc_b9 [2001:db8:b::31]:80 -i
run_case ip6ip6_tc_bb [2001:db8:b::31]:80 -i
run_case ip6ip6_tc_03 [2001:db8:b::31]:80 -i
run_case ip6ip6_hl1 [2001:db8:b::31]:80 -i
run_case ip6ip6_toobig [2001:db8:b::31]:80 -i
run_case ip6_gue_nocsum_s0 [2001:db8:b::31]:80 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case ip6_gue_csum_s0 [2001:db8:b::31]:80 -i --tun-type gue --tun-port 6080 --tun-csum
run_case ip6_gre_s0 [2001:db8:b::31]:80 -i --tun-type gre
run_case ip6_gre_csum_s0 [2001:db8:b::31]:80 -i --tun-type gre --tun-csum
run_case ip6_gue_nocsum_toobig [2001:db8:b::31]:80 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case ip6_gre_toobig [2001:db8:b::31]:80 -i --tun-type gre
# IPv4 service, IPv6 TUN server (IPv4-in-IPv6)
svc 198.51.100.1:80
run_case 4in6_s0 [2001:db8:a::31]:80 -i
run_case 4in6_tos_bb [2001:db8:a::31]:80 -i
run_case 4in6_tos_b9 [2001:db8:a::31]:80 -i
run_case 4in6_df_clear [2001:db8:a::31]:80 -i
run_case 4in6_ttl1 [2001:db8:a::31]:80 -i
run_case 4in6_toobig_df [2001:db8:a::31]:80 -i
run_case 4in6_toobig_nodf [2001:db8:a::31]:80 -i
run_case 4in6_gue_nocsum_s0 [2001:db8:a::31]:80 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case 4in6_gre_s0 [2001:db8:a::31]:80 -i --tun-type gre
# IPv6 service, IPv4 TUN server (IPv6-in-IPv4)
svc [2001:db8:f::1]:80
run_case 6in4_s0 192.0.2.31 -i
run_case 6in4_tc_bb 192.0.2.31 -i
run_case 6in4_hl1 192.0.2.31 -i
run_case 6in4_toobig 192.0.2.31 -i
run_case 6in4_gue_nocsum_s0 192.0.2.31 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case 6in4_gre_s0 192.0.2.31 -i --tun-type gre
ls -l $OUT
