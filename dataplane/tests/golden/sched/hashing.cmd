# Golden picks of the hashing schedulers (sh, dh, mh) on the real kernel, for
# dataplane/tests/sched_golden.rs. Run (here): ipvs-oracle/run.sh -i ../../../../tests/py hashing.cmd; the last
# command's stdout is hashing.golden (one `ipvsadm -Lnc` line per client, sorted).
# DR real servers rs1..rs3 (10.20.0.11-13, 2001:db8:20::11-13), port = the service port.
# A client a weight-0 bucket leaves without a server makes no entry (sh :83, mh :8082).
# Add order rs1, rs2, rs3: IPVS list order rs3, rs2, rs1 (ipvs-schedulers §0).
# Clients: tests/py/syn.py (spoofed SYNs, 192.168.3.1... / 2001:db8:99::1..., source port 40000 + k).
TOPO_IPV6=1; . $LIB/topo.sh; topo_up dr
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.ext0.rp_filter=0 net.ipv4.conf.default.rp_filter=0
add() { local svc=$1 s=$2; shift 2; ipvsadm -A $svc $s; local i=1 w; for w in "$@"; do ipvsadm -a $svc -r ${RS[$i]}:${svc##*:} -g -w $w; i=$((i+1)); done; }
RS=(x 10.20.0.11 10.20.0.12 10.20.0.13)
add "-t 10.10.0.100:80" "-s sh" 1 1 1
add "-t 10.10.0.100:81" "-s sh -b sh-port" 3 2 1
add "-t 10.10.0.100:82" "-s sh -b sh-fallback" 2 0 1
add "-t 10.10.0.100:83" "-s sh" 200 100 0
add "-t 10.10.0.100:8080" "-s mh" 1 1 1
add "-t 10.10.0.100:8081" "-s mh -b mh-port" 2 1 1
add "-t 10.10.0.100:8082" "-s mh -b mh-fallback" 100 1 1
ipvsadm -e -t 10.10.0.100:8082 -r 10.20.0.13 -g -w 0
add "-t 10.10.0.100:8083" "-s mh" 5 3 1
RS=(x [2001:db8:20::11] [2001:db8:20::12] [2001:db8:20::13])
add "-t [2001:db8:10::100]:80" "-s sh" 1 1 1
add "-t [2001:db8:10::100]:8080" "-s mh" 1 1 1
for i in $(seq 101 140); do ip addr add 10.10.0.$i/32 dev ext0; printf -- '-A -t 10.10.0.%s:80 -s dh\n-a -t 10.10.0.%s:80 -r 10.20.0.11 -g\n-a -t 10.10.0.%s:80 -r 10.20.0.12 -g\n-a -t 10.10.0.%s:80 -r 10.20.0.13 -g\n' $i $i $i $i; done | ipvsadm -R
ipvsadm -Sn | head -60
ip netns exec client python3 $IN/syn.py 10.10.0.100:80:200 10.10.0.100:81:200 10.10.0.100:82:200 10.10.0.100:83:200 10.10.0.100:8080:200 10.10.0.100:8081:200 10.10.0.100:8082:200 10.10.0.100:8083:200 [2001:db8:10::100]:80:100 [2001:db8:10::100]:8080:100 $(for i in $(seq 101 140); do echo 10.10.0.$i:80:1; done)
sleep 2; ipvsadm -Ln | head -80
ipvsadm -Lnc | awk 'NR>2 {print $1, $4, $5, $6}' | sort
