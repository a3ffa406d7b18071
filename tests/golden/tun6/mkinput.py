#!/usr/bin/python3
"""mkinput.py OUTDIR — the input frames of every TUN-over-IPv6 / mixed-family golden case.

Runs inside the IPVS oracle VM (Debian's python3-scapy) with `-i tests/golden`, so that the
DR/TUN maker next door is at ../dr_tun/mkinput.py: S0 (§7.0's hex) and its variants and the
1500-byte IPv4 ACK come from there. The IPv6 SYN "S6" is §7.16's: 2001:db8:c::10 -> 2001:db8:f::1,
hop limit 64, traffic class 0, flow label 0, TCP bytes byte for byte (checksum 0x9f03); its
variants change a field of the IPv6 header only (not in the TCP pseudo-header). Writes
OUTDIR/CASE.in.hex, one Ethernet frame per line in sending order (all sent on the outside link),
and prints the case names.
"""
import importlib.util
import os
import sys

from scapy.all import IPv6, TCP, Ether, Raw

_spec = importlib.util.spec_from_file_location(
    "dr_tun_mkinput", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dr_tun", "mkinput.py"))
dr_tun = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dr_tun)
S0, s0, ack1500 = dr_tun.S0, dr_tun.s0, dr_tun.ack1500

C6, V6 = "2001:db8:c::10", "2001:db8:f::1"
S6_TCP = bytes.fromhex("9c400050000003e8000000006002fd209f030000020405a0")


def eth6(ip):
    return bytes(Ether(dst=dr_tun.OUT_MAC, src=dr_tun.UP_MAC, type=0x86DD) / Raw(ip))


def s6(tc=0, hlim=64):
    b = bytes(IPv6(src=C6, dst=V6, nh=6, hlim=hlim, tc=tc, fl=0, plen=len(S6_TCP)) / Raw(S6_TCP))
    assert TCP(b[40:]).chksum == 0x9F03
    return b


def ack6_1500():
    # the IPv6 twin of dr_tun's 1500-byte ACK: same flow as S6, seq 1001 after the SYN's 1000
    payload = bytes((i * 7 + 3) & 0xFF for i in range(1440))
    b = bytes(IPv6(src=C6, dst=V6, hlim=64)
              / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001, window=64800) / Raw(payload))
    assert len(b) == 1500
    return b


S6 = s6()
TOOBIG6 = [S6, ack6_1500()]
TOOBIG4_DF = [S0, ack1500(True)]
TOOBIG4_NODF = [S0, ack1500(False)]
CASES = {
    # IPv6 service, IPv6 TUN server 2001:db8:b::31 via 2001:db8:a::254 (§7.17)
    "ip6ip6_s0": [S6],
    "ip6ip6_tc_b9": [s6(tc=0xB9)],
    "ip6ip6_tc_bb": [s6(tc=0xBB)],
    "ip6ip6_tc_03": [s6(tc=0x03)],
    "ip6ip6_hl1": [s6(hlim=1)],
    "ip6ip6_toobig": TOOBIG6,
    "ip6_gue_nocsum_s0": [S6],
    "ip6_gue_csum_s0": [S6],
    "ip6_gre_s0": [S6],
    "ip6_gre_csum_s0": [S6],
    "ip6_gue_nocsum_toobig": TOOBIG6,
    "ip6_gre_toobig": TOOBIG6,
    # IPv4 service, IPv6 TUN server 2001:db8:a::31 on the inside link (IPv4-in-IPv6)
    "4in6_s0": [S0],
    "4in6_tos_bb": [s0(tos=0xBB)],
    "4in6_tos_b9": [s0(tos=0xB9)],
    "4in6_df_clear": [s0(flags=0)],
    "4in6_ttl1": [s0(ttl=1)],
    "4in6_toobig_df": TOOBIG4_DF,
    "4in6_toobig_nodf": TOOBIG4_NODF,
    "4in6_gue_nocsum_s0": [S0],
    "4in6_gre_s0": [S0],
    # IPv6 service, IPv4 TUN server 192.0.2.31 via 10.0.0.254 (IPv6-in-IPv4)
    "6in4_s0": [S6],
    "6in4_tc_bb": [s6(tc=0xBB)],
    "6in4_hl1": [s6(hlim=1)],
    "6in4_toobig": TOOBIG6,
    "6in4_gue_nocsum_s0": [S6],
    "6in4_gre_s0": [S6],
}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frames in CASES.items():
        with open(os.path.join(out, name + ".in.hex"), "w") as f:
            f.write("".join((eth6(p) if p[0] >> 4 == 6 else dr_tun.eth(p)).hex() + "\n" for p in frames))
        print(name, len(frames))
