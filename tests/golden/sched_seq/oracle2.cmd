# The second scenario file (scenarios2: sh, mh, dh, lblc, lblcr, fo, ovf, twos, thresholds,
# persistence) on the real kernel, for control/tests/sched_seq.rs. From the repository's root:
#   /work/shared/ipvs-oracle/run.sh -t 400 -i tests tests/golden/sched_seq/oracle2.cmd
# The last command's stdout is sched_seq2.golden.
# The hashing schedulers hash addresses, so this run uses rvs's addresses (scripts/netns.sh
# up-direct) instead of the oracle topology's: VIPs 10.0.1.100-102 and the fwmark destinations
# 10.0.1.112-123 are local to the director, the clients 10.0.1.60-99 sit on ext0's subnet
# (nobody owns them: no answer, every entry stays SYN_RECV), the real servers 10.0.2.11-14 on
# br-rs's (no host: IPVS makes the entry before sending).
. $LIB/topo.sh; topo_up dr
ip addr add 10.0.1.1/24 dev ext0
for a in 100 101 102; do ip addr add 10.0.1.$a/32 dev ext0; done
ip addr add 10.0.2.1/24 dev br-rs
ip route add local 10.0.1.112/28 dev lo
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.ext0.rp_filter=0
# The marks rvsd's configuration gives (control/tests/sched_seq.rs): TCP to 10.0.1.112/30 -> 1,
# 10.0.1.116/30 -> 2, 10.0.1.120/30 -> 3.
nft add table ip rvs; nft add chain ip rvs pre '{ type filter hook prerouting priority mangle; }'
nft add rule ip rvs pre meta l4proto tcp ip daddr 10.0.1.112/30 meta mark set 1
nft add rule ip rvs pre meta l4proto tcp ip daddr 10.0.1.116/30 meta mark set 2
nft add rule ip rvs pre meta l4proto tcp ip daddr 10.0.1.120/30 meta mark set 3
ipvsadm --version
ip netns exec client python3 $IN/py/sched_seq.py --admin 'nsenter -t 1 -n ipvsadm' --iface eth0 --mac $LB_MAC --vip 10.0.1.100,10.0.1.101,10.0.1.102 --client 10.0.1.50 --servers 10.0.2.11,10.0.2.12,10.0.2.13,10.0.2.14 $IN/golden/sched_seq/scenarios2
