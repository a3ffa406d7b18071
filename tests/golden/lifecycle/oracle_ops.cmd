# One-packet walks on the real kernel for control/tests/lifecycle.rs: every walk of `ops.walks`,
# played by tests/py/lifecycle.py. From the repository's root:
#   /work/shared/ipvs-oracle/run.sh -t 400 -i tests tests/golden/lifecycle/oracle_ops.cmd
# The last command's stdout is ops.golden.
# Topology as rvsd's in scripts/netns.sh up-bare: the director (root namespace) has ext0
# (10.0.1.1/24, VIP 10.0.1.100) and int0 (10.0.2.1/24); their peers c0 and s0 sit in namespace
# wire, which has no address, so no kernel answers: the script plays the client 10.0.1.50 and
# the real servers 10.0.2.11, 10.0.2.12 with hand-made frames and answers ARP itself.
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns add wire
ip netns exec wire sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add ext0 address 02:00:00:00:00:01 type veth peer name c0 address 02:00:00:00:00:aa netns wire
ip link add int0 address 02:00:00:00:00:02 type veth peer name s0 address 02:00:00:00:00:bb netns wire
ip addr add 10.0.1.1/24 dev ext0; ip addr add 10.0.1.100/32 dev ext0; ip addr add 10.0.2.1/24 dev int0
ip link set ext0 up; ip link set int0 up; ip -n wire link set c0 up; ip -n wire link set s0 up
for i in ext0 int0; do ethtool -K $i tx off sg off tso off gso off gro off >/dev/null 2>&1; done
for i in c0 s0; do ip netns exec wire ethtool -K $i tx off sg off tso off gso off gro off >/dev/null 2>&1; done
sleep 1
ipvsadm --version
ip netns exec wire python3 $IN/py/lifecycle.py --admin 'nsenter -t 1 -n ipvsadm' --client-if c0 --server-if s0 --client-mac 02:00:00:00:00:01 --server-mac 02:00:00:00:00:02 --vip 10.0.1.100 --client 10.0.1.50 --servers 10.0.2.11,10.0.2.12 --director 10.0.1.1,10.0.2.1 --settle 0.8 $IN/golden/lifecycle/ops.walks
