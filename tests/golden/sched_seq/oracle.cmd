# Scheduler sequences on the real kernel for control/tests/sched_seq.rs: every scenario of
# `scenarios`, replayed by tests/py/sched_seq.py. From the repository's root:
#   /work/shared/ipvs-oracle/run.sh -t 400 -i tests tests/golden/sched_seq/oracle.cmd
# The last command's stdout is sched_seq.golden.
# DR topology (lib/topo.sh): A B C = rs1..rs3 (10.20.0.11-13); D = 10.20.0.14 has no host: IPVS
# schedules on the SYN, the entry is made before the frame is sent, and nothing is needed back.
# The SYNs come from 10.10.0.50, which nobody owns, so no answer ever reaches a client and every
# entry stays in SYN_RECV (an active connection, ipvs-schedulers §4) for its 60 s, longer than
# any scenario.
. $LIB/topo.sh; topo_up dr
ipvsadm --version
ip netns exec client python3 $IN/py/sched_seq.py --admin 'nsenter -t 1 -n ipvsadm' --iface eth0 --mac $LB_MAC --vip $VIP --client 10.10.0.50 --servers 10.20.0.11,10.20.0.12,10.20.0.13,10.20.0.14 $IN/golden/sched_seq/scenarios
