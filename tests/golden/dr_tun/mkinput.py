#!/usr/bin/python3
"""mkinput.py OUTDIR — the input frames of every DR/TUN golden case (ipvs-forwarding §7.0).

Runs inside the IPVS oracle VM (Debian's python3-scapy); writes OUTDIR/CASE.in.hex, one
Ethernet frame per line in sending order, and prints the case names. The base SYN S0 is the
44-byte hex of §7.0 byte for byte; the variants change one field and recompute the IPv4 header
checksum (TOS, TTL and DF are not in the TCP pseudo-header, so the TCP checksum stays 0x967d).
"""
import os
import sys

from scapy.all import IP, TCP, Ether, Raw

C, V = "203.0.113.10", "198.51.100.1"
OUT_MAC, UP_MAC = "02:00:00:00:00:01", "02:00:00:00:00:fe"
S0 = bytes.fromhex("4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4")


def eth(ip):
    return bytes(Ether(dst=OUT_MAC, src=UP_MAC, type=0x0800) / Raw(ip))


def s0(**kw):
    p = IP(S0)
    for k, v in kw.items():
        setattr(p, k, v)
    del p.chksum
    b = bytes(p)
    assert b[20:] == S0[20:]
    return b


def ack1500(df):
    # §7.13: a 1500-byte segment from the same client port (seq 1001 after the SYN's 1000)
    payload = bytes((i * 7 + 3) & 0xFF for i in range(1460))
    p = (IP(src=C, dst=V, id=0x1C47, flags="DF" if df else 0, ttl=64)
         / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001, window=64240) / Raw(payload))
    b = bytes(p)
    assert len(b) == 1500
    return b


assert s0() == S0
CASES = {
    "dr_s0": [S0],
    "dr_s0_tos_b8": [s0(tos=0xB8)],
    "dr_s0_df_clear": [s0(flags=0)],
    "dr_ttl1": [s0(ttl=1)],
    "tun_ipip_s0": [S0],
    "tun_ipip_tos_bb": [s0(tos=0xBB)],
    "tun_ipip_tos_b9": [s0(tos=0xB9)],
    "tun_ipip_tos_b8": [s0(tos=0xB8)],
    "tun_ipip_tos_03": [s0(tos=0x03)],
    "tun_ipip_df_clear": [s0(flags=0)],
    "tun_ipip_ttl1": [s0(ttl=1)],
    "tun_gue_nocsum_s0": [S0],
    "tun_gue_csum_s0": [S0],
    "tun_gre_s0": [S0],
    "tun_gre_csum_s0": [S0],
    "tun_ipip_toobig_df": [S0, ack1500(True)],
    "tun_gue_nocsum_toobig_df": [S0, ack1500(True)],
    "tun_gue_csum_toobig_df": [S0, ack1500(True)],
    "tun_gre_toobig_df": [S0, ack1500(True)],
    "tun_gre_csum_toobig_df": [S0, ack1500(True)],
    "tun_ipip_toobig_nodf": [S0, ack1500(False)],
}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frames in CASES.items():
        with open(os.path.join(out, name + ".in.hex"), "w") as f:
            f.write("".join(eth(p).hex() + "\n" for p in frames))
        print(name, len(frames))
