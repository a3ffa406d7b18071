#!/usr/bin/python3
"""syn.py VIP:PORT:N[:SRCBASE] ...  — one TCP SYN per client to each VIP:PORT, sent on the
client's eth0 to the director's MAC. Client k (0-based) of a job is, for IPv4,
192.168.(3 + k // 250).(1 + k % 250), for IPv6 2001:db8:99::(k + 1), with source port 40000 + k.
IPVS schedules on the SYN, so `ipvsadm -Lnc` then shows which real server each client got.

Used in the oracle VM by dataplane/tests/golden/sched/hashing.cmd (run.sh -i tests/py, so
this file is $IN/syn.py); `syn_frame` is shared with sched_seq.py."""
import ipaddress
import sys

from scapy.all import IP, IPv6, TCP, Ether, conf, sendp

conf.verb = 0
LB_MAC = "02:00:00:00:00:01"


def syn_frame(dst_mac, src, dst, sport, dport):
    """A bare TCP SYN (fixed sequence number) from src:sport to dst:dport, either family."""
    l3 = IPv6 if ":" in dst else IP
    return Ether(dst=dst_mac) / l3(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="S", seq=1000)


def main():
    frames = []
    for job in sys.argv[1:]:
        vip, port, n = job.rsplit(":", 2)
        vip = vip.strip("[]")
        for k in range(int(n)):
            if ":" in vip:
                src = str(ipaddress.IPv6Address("2001:db8:99::1") + k)
            else:
                src = f"192.168.{3 + k // 250}.{1 + k % 250}"
            frames.append(syn_frame(LB_MAC, src, vip, 40000 + k, int(port)))
    sendp(frames, iface="eth0")
    print(f"sent {len(frames)}")


if __name__ == "__main__":
    main()
