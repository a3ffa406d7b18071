# Golden picks of wlc, sed and nq on the real kernel, for dataplane/tests/sched_golden.rs.
# Run: ipvs-oracle/run.sh least.cmd; the last command's stdout is least.golden
# ("SCHED k rsN": the real server that answered connection k).
# NAT real servers rs1..rs3 added with weights 3, 2, 1 (IPVS list order rs3, rs2, rs1).
# The connections are sequential and each is closed before the next starts, so every earlier
# connection counts as inactive (TIME_WAIT) when the next one is scheduled (ipvs-schedulers §4).
. $LIB/topo.sh; topo_up nat
add() { ipvsadm -A -t $VIP:$1 -s $2; local i; for i in 1 2 3; do ipvsadm -a -t $VIP:$1 -r ${RS_IP[$i]}:$1 -m -w $((4-i)); done; }
add 80 wlc; add 81 sed; add 8080 nq
ipvsadm -Ln
(conns 12 $VIP 80 | sed 's/^/wlc /'; conns 12 $VIP 81 | sed 's/^/sed /'; conns 12 $VIP 8080 | sed 's/^/nq /') > /tmp/picks
ipvsadm -Ln
cat /tmp/picks
