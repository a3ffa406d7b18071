#!/usr/bin/python3
"""mkinput.py OUTDIR — the input frames of every ICMP golden case (ipvs-forwarding §7.0, §4).

Runs inside the IPVS oracle VM (Debian's python3-scapy) with `-i tests/golden`, so that the
DR/TUN maker next door is at ../dr_tun/mkinput.py: S0 and its variants come from there. Writes
OUTDIR/CASE.in.hex, one frame per line in sending order, `LINK HEX` where LINK is `outside`
(sent by the upstream router's port up0 to the director's ext0, MAC :01) or `inside` (sent on
in1 to the director's in0, MAC :02, from the MAC of the sender: R1 :11, gateway :54). The §7.2,
§7.18 and §7.19 frames are the spec's hex byte for byte; the others are built and checked here.
"""
import importlib.util
import os
import sys

from scapy.all import ICMP, IP, Ether, Raw

_spec = importlib.util.spec_from_file_location(
    "dr_tun_mkinput", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dr_tun", "mkinput.py"))
dr_tun = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dr_tun)
S0, s0 = dr_tun.S0, dr_tun.s0

IN_MAC = "02:00:00:00:00:02"
R1_MAC, GW_MAC = "02:00:00:00:00:11", "02:00:00:00:00:54"

# §7.2: R1's SYN-ACK (10.0.0.11:8080 -> C:40000)
SYNACK = bytes.fromhex("4500002c000040004006f4b60a00000bcb00710a1f909c4000001388000003e96012fe8880360000020405b4")
# §7.18: R1's Frag Needed (MTU 1400) about S0 as R1 received it (C:40000 -> R1:8080, TTL 63)
FN_7_18 = bytes.fromhex("45c00048334400004001009c0a00000bcb00710a03043db8000005784500002c1c4640003f06d970"
                        "cb00710a0a00000b9c401f90000003e8000000006002faf097670000020405b4")
# §7.19: router 203.0.113.1's Frag Needed (MTU 1400) about the reply V:80 -> C:40000 (TTL 62)
FN_7_19 = bytes.fromhex("45c0004855550000ff01ff68cb007101c633640103045de2000005784500002c000040003e06d68c"
                        "c6336401cb00710a00509c4000001388000003e96012fe887f4c0000020405b4")
# §7.12: what the director sends to R3 for S0 (outer D -> R3, proto 4, ID 0, DF; inner TTL 63)
IPIP_S0 = bytes.fromhex("45000040000040003f046f9a0a000001c000021f"
                        "4500002c1c4640003f06b946cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4")


def eth_out(ip):
    return dr_tun.eth(ip)


def eth_in(ip, src):
    return bytes(Ether(dst=IN_MAC, src=src, type=0x0800) / Raw(ip))


def frag_needed(src, dst, quote, ip_id, mtu=1400, ttl=64):
    """ICMP 3/4 as a Linux router sends it: TOS 0xc0, DF clear, the whole offender quoted."""
    return bytes(IP(src=src, dst=dst, tos=0xC0, id=ip_id, flags=0, ttl=ttl)
                 / ICMP(type=3, code=4, nexthopmtu=mtu) / Raw(quote))


def ipip_df_clear(outer_id):
    """The IPIP packet of S0 with DF clear (inner and so outer), as a router would quote it; the
    outer ID is the director's own (hashed) choice, so any value stands for it here."""
    inner = bytes(IP(s0(flags=0, ttl=63)))
    return bytes(IP(src="10.0.0.1", dst="192.0.2.31", proto=4, id=outer_id, flags=0, ttl=63) / Raw(inner))


# checks: the hand-written hex is what scapy would build
assert frag_needed("10.0.0.11", "203.0.113.10", FN_7_18[28:], 0x3344) == FN_7_18
assert frag_needed("203.0.113.1", "198.51.100.1", FN_7_19[28:], 0x5555, ttl=255) == FN_7_19
assert IPIP_S0[20:] == s0(ttl=63)
# a reply to C:40001, for which no connection exists (icmp_unrelated)
_q = bytearray(FN_7_19[28:])
_q[22:24] = (40001).to_bytes(2, "big")
FN_UNRELATED = frag_needed("203.0.113.1", "198.51.100.1", bytes(_q), 0x5556, ttl=255)

OUT = lambda ip: ("outside", eth_out(ip))
IN_R1 = lambda ip: ("inside", eth_in(ip, R1_MAC))
IN_GW = lambda ip: ("inside", eth_in(ip, GW_MAC))

CASES = {
    "nat_7_10": [OUT(S0)],
    "nat_7_11": [OUT(s0(ttl=1))],
    "nat_7_18": [OUT(S0), IN_R1(FN_7_18)],
    "nat_7_19": [OUT(S0), IN_R1(SYNACK), OUT(FN_7_19)],
    "dr_7_19": [OUT(S0), OUT(FN_7_19)],
    "tun_7_19": [OUT(S0), OUT(FN_7_19)],
    "tun_7_20": [OUT(S0), IN_GW(frag_needed("10.0.0.254", "10.0.0.1", IPIP_S0, 0x7777))],
    "tun_7_20_nodf": [OUT(s0(flags=0)), IN_GW(frag_needed("10.0.0.254", "10.0.0.1", ipip_df_clear(0x4242), 0x7778))],
    "icmp_unrelated": [OUT(S0), OUT(FN_UNRELATED)],
}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frames in CASES.items():
        with open(os.path.join(out, name + ".in.hex"), "w") as f:
            f.write("".join("%s %s\n" % (link, fr.hex()) for link, fr in frames))
        print(name, " ".join(link for link, _ in frames))
