#!/usr/bin/python3
"""syn.py VIP:PORT:N[:SRCBASE] ...  — one TCP SYN per client to each VIP:PORT, sent on the
client's eth0 to the director's MAC. Client k (0-based) of a job is, for IPv4,
192.168.(3 + k // 250).(1 + k % 250), for IPv6 2001:db8:99::(k + 1), with source port 40000 + k.
IPVS schedules on the SYN, so `ipvsadm -Lnc` then shows which real server each client got."""
import ipaddress
import sys

from scapy.all import IP, IPv6, TCP, Ether, conf, sendp

conf.verb = 0
LB_MAC = "02:00:00:00:00:01"
frames = []
for job in sys.argv[1:]:
    vip, port, n = job.rsplit(":", 2)
    vip = vip.strip("[]")
    v6 = ":" in vip
    for k in range(int(n)):
        if v6:
            src, l3 = str(ipaddress.IPv6Address("2001:db8:99::1") + k), IPv6
        else:
            src, l3 = f"192.168.{3 + k // 250}.{1 + k % 250}", IP
        frames.append(Ether(dst=LB_MAC) / l3(src=src, dst=vip) / TCP(sport=40000 + k, dport=int(port), flags="S", seq=1000))
sendp(frames, iface="eth0")
print(f"sent {len(frames)}")
