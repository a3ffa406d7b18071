#!/usr/bin/python3
"""Frames for rvsd's own-address tests, made and decoded with scapy.

  local_frames.py make OUT.pcap     ARP request + ICMP echo to rvsd, plus junk
  local_frames.py decode IN.pcap    one JSON object per frame rvsd sent

The decoder is the outside judge: it parses with scapy and recomputes
checksums, so a frame rvsd got wrong shows up as a mismatch here.
"""
import json
import sys

from scapy.all import ARP, ICMP, IP, Ether, Raw, rdpcap, wrpcap

RVS_MAC = "02:00:00:00:00:01"   # not rvsd's real MAC: net_pcap makes its own
CLIENT_MAC = "02:00:00:00:00:fe"
RVS_IP = "10.0.0.1"
CLIENT_IP = "10.0.0.2"


def make(path):
    frames = [
        Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
        / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=RVS_IP),
        Ether(dst=RVS_MAC, src=CLIENT_MAC)
        / IP(src=CLIENT_IP, dst=RVS_IP, ttl=61, id=7)
        / ICMP(type=8, id=0x1234, seq=9)
        / Raw(b"rvs-ping-payload"),
        # ARP for an address that is not rvsd's: no answer.
        Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
        / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst="10.0.0.99"),
        # Truncated IPv4 header, bad IP checksum, unknown EtherType, cut VLAN tag.
        Ether(dst=RVS_MAC, src=CLIENT_MAC, type=0x0800) / Raw(b"\x45\x00\x00"),
        Ether(dst=RVS_MAC, src=CLIENT_MAC) / IP(src=CLIENT_IP, dst=RVS_IP, chksum=0x1234) / ICMP(),
        Ether(dst=RVS_MAC, src=CLIENT_MAC, type=0x88B5) / Raw(b"x" * 50),
        Ether(dst=RVS_MAC, src=CLIENT_MAC, type=0x8100) / Raw(b"\x00"),
    ]
    wrpcap(path, frames)


def checksum_ok(pkt, layer):
    """Rebuild the layer with its checksum cleared and compare."""
    got = pkt[layer].chksum
    clone = pkt.__class__(bytes(pkt))
    del clone[layer].chksum
    return got == clone.__class__(bytes(clone))[layer].chksum


def decode(path):
    for p in rdpcap(path):
        if Ether not in p or len(p) < 14:
            print(json.dumps({"kind": "runt", "hex": bytes(p).hex()}))
            continue
        d = {"eth_src": p[Ether].src, "eth_dst": p[Ether].dst}
        if ARP in p:
            a = p[ARP]
            d.update(kind="arp", op=a.op, hwsrc=a.hwsrc, psrc=a.psrc, hwdst=a.hwdst, pdst=a.pdst)
        elif ICMP in p:
            d.update(kind="icmp", type=p[ICMP].type, code=p[ICMP].code, id=p[ICMP].id,
                     seq=p[ICMP].seq, src=p[IP].src, dst=p[IP].dst, ttl=p[IP].ttl,
                     payload=bytes(p[ICMP].payload).decode("latin1"),
                     ip_csum_ok=checksum_ok(p, IP), icmp_csum_ok=checksum_ok(p, ICMP))
        else:
            d.update(kind="other", hex=bytes(p).hex())
        print(json.dumps(d))


if __name__ == "__main__":
    {"make": make, "decode": decode}[sys.argv[1]](sys.argv[2])
