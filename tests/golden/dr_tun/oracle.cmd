# Golden DR/TUN frames from the real kernel IPVS (ipvs-forwarding §7.0, §7.7, §7.11-§7.15).
# Run from the repository root (see README.md here):
#   /work/shared/ipvs-oracle/run.sh -t 900 -i tests/golden/dr_tun -o /tmp/dr_tun.run tests/golden/dr_tun/oracle.cmd
# Every case gets a fresh director netns "d" (fresh IPVS table, default sysctls) wired as §7.0:
#   ns up  (upstream router, MAC 02:00:00:00:00:fe) up0 <veth> ext0 02:00:00:00:00:01 198.51.100.2/24 + V 198.51.100.1/32
#   ns inn (sink, captures the inside link)        in1 <veth> in0  02:00:00:00:00:02 D 10.0.0.1/24
#   static neighbours: 198.51.100.254 -> :fe (default route), R2 10.0.0.21 -> :21, gw 10.0.0.254 -> :54;
#   R3 192.0.2.31/32 via 10.0.0.254. MTU 1500, offloads off, IPv6 off (no ND/MLD noise).
# Input frames ($IN/mkinput.py) are sent raw on up0; captures: CASE.inside.pcap (what d sends on in0)
# and CASE.outside.pcap (what d sends on ext0), both taken on the peer side with -Q in.
. $LIB/topo.sh
uname -r; ipvsadm --version
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
python3 $IN/mkinput.py $OUT/in
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
  ip -n d neigh replace 10.0.0.21 lladdr 02:00:00:00:00:21 dev in0 nud permanent; \
  ip -n d neigh replace 10.0.0.254 lladdr 02:00:00:00:00:54 dev in0 nud permanent; \
  ip -n d route add default via 198.51.100.254 dev ext0; \
  ip -n d route add 192.0.2.31/32 via 10.0.0.254 dev in0; \
  local d; for d in "d ext0" "d in0" "up up0" "inn in1"; do set -- $d; \
    ip netns exec $1 ethtool -K $2 tx off sg off tso off gso off gro off >/dev/null 2>&1; done; \
}
director_down() { ip netns del d; ip netns del up; ip netns del inn; }
inject() { ip netns exec up python3 -c 'import socket,sys,time \
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind(("up0",0)) \
for i,l in enumerate(open(sys.argv[1])): \
  time.sleep(0.5 if i else 0); s.send(bytes.fromhex(l.strip()))' "$1"; }
# run_case NAME IPVSADM-DEST-OPTIONS: service TCP V:80 (rr) with one real server, send CASE's frames
run_case() { \
  local name=$1; shift; echo "== $name: -r $*"; director_up; \
  ip netns exec d ipvsadm -A -t 198.51.100.1:80 -s rr; \
  ip netns exec d ipvsadm -a -t 198.51.100.1:80 -r "$@" || return 1; \
  cap_start $name.inside in1 inn "-Q in" && cap_start $name.outside up0 up "-Q in" || return 1; \
  inject $OUT/in/$name.in.hex; cap_stop; \
  ip netns exec d ipvsadm -Ln --tun-info; ip netns exec d ipvsadm -Lnc; \
  ip netns exec d sh -c 'cd /proc/sys/net/ipv4/vs && grep . pmtu_disc conn_reuse_mode; sysctl net.ipv4.ip_local_port_range'; \
  director_down; \
}
# DR (-g): §7.7 and variants, §7.11
run_case dr_s0 10.0.0.21 -g
run_case dr_s0_tos_b8 10.0.0.21 -g
run_case dr_s0_df_clear 10.0.0.21 -g
run_case dr_ttl1 10.0.0.21 -g
# TUN ipip: §7.12 and the ECN rule, DF clear, TTL 1
run_case tun_ipip_s0 192.0.2.31 -i
run_case tun_ipip_tos_bb 192.0.2.31 -i
run_case tun_ipip_tos_b9 192.0.2.31 -i
run_case tun_ipip_tos_b8 192.0.2.31 -i
run_case tun_ipip_tos_03 192.0.2.31 -i
run_case tun_ipip_df_clear 192.0.2.31 -i
run_case tun_ipip_ttl1 192.0.2.31 -i
# TUN GUE / GRE: §7.15
run_case tun_gue_nocsum_s0 192.0.2.31 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case tun_gue_csum_s0 192.0.2.31 -i --tun-type gue --tun-port 6080 --tun-csum
run_case tun_gre_s0 192.0.2.31 -i --tun-type gre
run_case tun_gre_csum_s0 192.0.2.31 -i --tun-type gre --tun-csum
# TUN DF set, too big: §7.13 (S0, then a 1500-byte DF ACK segment -> ICMP 3/4 to C)
run_case tun_ipip_toobig_df 192.0.2.31 -i
run_case tun_gue_nocsum_toobig_df 192.0.2.31 -i --tun-type gue --tun-port 6080 --tun-nocsum
run_case tun_gue_csum_toobig_df 192.0.2.31 -i --tun-type gue --tun-port 6080 --tun-csum
run_case tun_gre_toobig_df 192.0.2.31 -i --tun-type gre
run_case tun_gre_csum_toobig_df 192.0.2.31 -i --tun-type gre --tun-csum
# TUN DF clear, too big: §7.14 (the outer packet is fragmented)
run_case tun_ipip_toobig_nodf 192.0.2.31 -i
ls -l $OUT
