#!/usr/bin/python3
"""Frames for rvsd's process tests, made and decoded with scapy.

  frames.py make-local OUT.pcap   ARP request + ICMP echo to rvsd, plus junk
  frames.py make-nat DIR          DIR/rx0.pcap (client side) and DIR/rx1.pcap
                                  (real-server side): TCP and UDP flows
                                  through a NAT service (ipvs-forwarding §7.0)
  frames.py make-frags DIR        DIR/rx0.pcap (client side) and an empty DIR/rx1.pcap:
                                  fragmented UDP datagrams to a NAT service, in order,
                                  out of order, duplicated, overlapping, a lone first
                                  and a lone later fragment; then the same in IPv6
                                  (but overlapping, which RFC 5722 forbids) and one
                                  whole IPv6 datagram behind a Hop-by-Hop header
  frames.py make-nat6 DIR         the same flows in IPv6 (vector §7.16's SYN first)
  frames.py make-burst DIR        DIR/rx0.pcap: 2000 UDP datagrams of 30 bytes (IP) from one
                                  client port to V:53 (the oracle's estimator burst), and
                                  an empty DIR/rx1.pcap
  frames.py make-spoof DIR        DIR/rx0.pcap (client side): an ARP reply claiming R1 for
                                  another MAC, then 40 UDP datagrams to V:53 and 40 to
                                  [V6]:53; DIR/rx1.pcap (real-server side): a spoofed ARP
                                  reply, gratuitous ARP and request for D, and a spoofed
                                  solicited Neighbor Advertisement, all for R1 at FAKE_MAC
  frames.py make-l2 DIR           DIR/rx0.pcap (client side, rvsd's port on VLAN 100) and
                                  DIR/rx1.pcap (real-server side, untagged): ARP, ND, NAT
                                  flows and a TTL-1 SYN on the VLAN, a client rvsd must ARP
                                  for; frames of another VLAN, untagged or tagged where they
                                  must not be, and unicast to another MAC or broadcast
  frames.py make-corpus DIR       the bad-frame corpus, one frame per named case (rvsd's
                                  real-server port on VLAN 200): DIR/rx0.pcap (client
                                  side), DIR/rx1.pcap (real-server side), and DIR/cases.txt,
                                  "NAME PORT" per frame in order; every frame that has a
                                  payload carries its case's name as that payload
  frames.py decode IN.pcap        one JSON object per frame rvsd sent (with its VLAN)
  frames.py frags IN.pcap         per IP ID (IPv6: Fragment header ID), the fragment
                                  offsets rvsd sent and whether they reassemble
                                  (scapy's defragment, defragment6) into a UDP datagram
                                  to R1:53 whose checksum verifies

The decoder is the outside judge: it parses with scapy and recomputes
checksums, so a frame rvsd got wrong shows up as a mismatch here.
"""
import json
import logging
import sys

import os

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPOption_Router_Alert, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Padding, Raw, defragment, defragment6, fragment,
                       fragment6, rdpcap, wrpcap)

logging.getLogger("scapy").setLevel(logging.ERROR)

# rvsd's MACs on net_pcap: DPDK's pcap driver names its ports "\x02pcap" and their probe index
# (net_pcap0, then net_pcap1). Frames to rvsd go to them: a port that is not promiscuous drops
# unicast to any other MAC.
PCAP_MACS = ("02:70:63:61:70:00", "02:70:63:61:70:01")
RVS_MAC = PCAP_MACS[0]
CLIENT_MAC = "02:00:00:00:00:fe"
RVS_IP = "10.0.0.1"
CLIENT_IP = "10.0.0.2"


def make_local(path):
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


# ipvs-forwarding §7.0: client C, VIP V, real server R1 behind the inside port.
C, V, R1 = "203.0.113.10", "198.51.100.1", "10.0.0.11"
OUT_MAC, IN_MAC = PCAP_MACS
C_MAC, R1_MAC = "02:00:00:00:00:fe", "02:00:00:00:00:11"


def make_nat(directory):
    outside = [
        Ether(dst="ff:ff:ff:ff:ff:ff", src=C_MAC) / ARP(op=1, hwsrc=C_MAC, psrc=C, pdst=V),
        Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V, id=0x1c46, flags="DF")
        / TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240, options=[("MSS", 1460)]),
        Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V, id=0x1c47, flags="DF")
        / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.0\r\n\r\n"),
        Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V, id=0x2222)
        / UDP(sport=40001, dport=53) / Raw(b"abcd"),
        # No service on this port, and a segment of no connection: dropped.
        Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V) / TCP(sport=40002, dport=81, flags="S"),
        Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V) / TCP(sport=40003, dport=80, flags="A"),
    ]
    inside = [
        Ether(dst=IN_MAC, src=R1_MAC) / IP(src=R1, dst=C, flags="DF")
        / TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001, window=65160,
              options=[("MSS", 1460)]),
        Ether(dst=IN_MAC, src=R1_MAC) / IP(src=R1, dst=C) / UDP(sport=53, dport=40001)
        / Raw(b"dcba"),
    ]
    wrpcap(os.path.join(directory, "rx0.pcap"), outside)
    wrpcap(os.path.join(directory, "rx1.pcap"), inside)


def make_burst(directory):
    frames = [Ether(dst="ff:ff:ff:ff:ff:ff", src=C_MAC) / ARP(op=1, hwsrc=C_MAC, psrc=C, pdst=V)]
    frames += [Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V, id=i)
               / UDP(sport=40001, dport=53) / Raw(b"xy") for i in range(2000)]
    wrpcap(os.path.join(directory, "rx0.pcap"), frames)
    wrpcap(os.path.join(directory, "rx1.pcap"), [])


def make_nat6(directory):
    """The flows of make-nat in IPv6: vector §7.16's SYN byte for byte, then data, the
    real server's SYN-ACK and a UDP exchange."""
    syn = bytes.fromhex("60000000001806402001 0db8000c00000000000000000010 20010db8000f"
                        "00000000000000000001 9c400050000003e8000000006002fd209f030000020405a0"
                        .replace(" ", ""))
    outside = [
        Ether(dst=OUT_MAC, src=C_MAC) / IPv6(syn),
        Ether(dst=OUT_MAC, src=C_MAC) / IPv6(src=C6, dst=V6)
        / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.0\r\n\r\n"),
        Ether(dst=OUT_MAC, src=C_MAC) / IPv6(src=C6, dst=V6) / UDP(sport=40001, dport=53)
        / Raw(b"abcd"),
    ]
    inside = [
        Ether(dst=IN_MAC, src=R1_MAC) / IPv6(src=R1_6, dst=C6)
        / TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001, window=65160,
              options=[("MSS", 1440)]),
        Ether(dst=IN_MAC, src=R1_MAC) / IPv6(src=R1_6, dst=C6) / UDP(sport=53, dport=40001)
        / Raw(b"dcba"),
    ]
    wrpcap(os.path.join(directory, "rx0.pcap"), outside)
    wrpcap(os.path.join(directory, "rx1.pcap"), inside)


def make_frags(directory):
    def frags(ident):
        d = IP(src=C, dst=V, id=ident) / UDP(sport=41000 + ident, dport=53) / Raw(bytes(range(256)) * 12)
        return [Ether(dst=OUT_MAC, src=C_MAC) / f for f in fragment(d, fragsize=1480)]

    in_order, out_of_order, duplicated, overlapping, lone_first, lone_later = (
        frags(i) for i in range(1, 7))
    # A second fragment moved 8 bytes back, over the first's data.
    overlap = overlapping[1].copy()
    overlap[IP].frag -= 1
    del overlap[IP].chksum
    outside = (in_order
               + [out_of_order[2], out_of_order[0], out_of_order[1]]
               + [duplicated[0], duplicated[1], duplicated[1], duplicated[2]]
               + [overlapping[0], overlap, overlapping[2]]
               + [lone_first[0]]
               + [lone_later[1]])
    wrpcap(os.path.join(directory, "rx0.pcap"), outside + frags6())
    wrpcap(os.path.join(directory, "rx1.pcap"), [])


# The §7.0 addresses in IPv6.
C6, V6, R1_6 = "2001:db8:c::10", "2001:db8:f::1", "2001:db8:a::11"


def frags6():
    """IPv6 datagrams 11 (in order), 12 (out of order), 13 (duplicated), 15 (lone first),
    16 (lone later), in fragments of at most 1280 bytes; and a whole one behind Hop-by-Hop."""
    def frags(ident):
        d = (IPv6(src=C6, dst=V6) / IPv6ExtHdrFragment(id=ident)
             / UDP(sport=41000 + ident, dport=53) / Raw(bytes(range(256)) * 12))
        return [Ether(dst=OUT_MAC, src=C_MAC) / f for f in fragment6(d, 1280)]

    in_order, out_of_order, duplicated, lone_first, lone_later = (
        frags(i) for i in (11, 12, 13, 15, 16))
    hop_by_hop = (Ether(dst=OUT_MAC, src=C_MAC) / IPv6(src=C6, dst=V6) / IPv6ExtHdrHopByHop()
                  / UDP(sport=41017, dport=53) / Raw(b"behind hop-by-hop"))
    return (in_order
            + [out_of_order[2], out_of_order[0], out_of_order[1]]
            + [duplicated[0], duplicated[1], duplicated[1], duplicated[2]]
            + [lone_first[0]]
            + [lone_later[1]]
            + [hop_by_hop])


def frags(path):
    by_id = {}
    for p in rdpcap(path):
        if IP in p and p[IP].proto == 17:
            by_id.setdefault(p[IP].id, []).append(p[IP])
    for ident, parts in sorted(by_id.items()):
        # A receiver keeps one copy of a duplicated fragment; scapy's defragment does not.
        unique = list({bytes(p): p for p in parts}.values())
        whole = defragment([p.copy() for p in unique])
        ok = False
        if len(whole) == 1 and UDP in whole[0] and not whole[0].flags.MF and whole[0].frag == 0:
            w = whole[0]
            ok = w.dst == R1 and w[UDP].dport == 53 and checksum_ok(w, UDP)
        print(json.dumps({"id": ident, "offsets": [p.frag * 8 for p in parts],
                          "dst": sorted({p.dst for p in parts}),
                          "ip_csum_ok": all(checksum_ok(p, IP) for p in parts),
                          "reassembled_ok": ok}))
    frags_v6(rdpcap(path))


def frags_v6(packets):
    by_id = {}
    for p in packets:
        if IPv6ExtHdrFragment in p:
            by_id.setdefault(p[IPv6ExtHdrFragment].id, []).append(p[IPv6])
        elif UDP in p and IPv6 in p:
            u = p[UDP]
            ok = p[IPv6].dst == R1_6 and u.dport == 53 and checksum_ok(p, UDP)
            print(json.dumps({"whole": True, "v6": True, "dst": [p[IPv6].dst], "hop_by_hop":
                              IPv6ExtHdrHopByHop in p, "payload": bytes(u.payload).decode(),
                              "reassembled_ok": ok, "ip_csum_ok": True}))
    for ident, parts in sorted(by_id.items()):
        unique = sorted({bytes(p): p for p in parts}.values(),
                        key=lambda p: p[IPv6ExtHdrFragment].offset)
        # defragment6 leaves the upper layer undissected.
        whole = IPv6(bytes(defragment6([p.copy() for p in unique])))
        ok = (UDP in whole and IPv6ExtHdrFragment not in whole and whole.dst == R1_6
              and whole[UDP].dport == 53 and checksum_ok(whole, UDP))
        print(json.dumps({"id": ident, "v6": True,
                          "offsets": [p[IPv6ExtHdrFragment].offset * 8 for p in parts],
                          "dst": sorted({p.dst for p in parts}), "ip_csum_ok": True,
                          "hop_limit": sorted({p.hlim for p in parts}),
                          "reassembled_ok": bool(ok)}))


def checksum_ok(pkt, layer):
    """Rebuild the layer with its checksum cleared and compare."""
    got = pkt[layer].chksum
    clone = pkt.__class__(bytes(pkt))
    del clone[layer].chksum
    return got == clone.__class__(bytes(clone))[layer].chksum


FAKE_MAC = "02:00:00:00:00:66"
D, D6 = "10.0.0.1", "2001:db8:a::1"


def make_spoof(directory):
    outside = [Ether(dst=OUT_MAC, src=FAKE_MAC) / ARP(op=2, hwsrc=FAKE_MAC, psrc=R1,
                                                      hwdst=OUT_MAC, pdst="203.0.113.1")]
    outside += [Ether(dst=OUT_MAC, src=C_MAC) / IP(src=C, dst=V, id=i)
                / UDP(sport=41000 + i, dport=53) / Raw(b"v4") for i in range(40)]
    outside += [Ether(dst=OUT_MAC, src=C_MAC) / IPv6(src=C6, dst=V6)
                / UDP(sport=42000 + i, dport=53) / Raw(b"v6") for i in range(40)]
    inside = [
        Ether(dst=IN_MAC, src=FAKE_MAC) / ARP(op=2, hwsrc=FAKE_MAC, psrc=R1, hwdst=IN_MAC, pdst=D),
        Ether(dst="ff:ff:ff:ff:ff:ff", src=FAKE_MAC) / ARP(op=1, hwsrc=FAKE_MAC, psrc=R1, pdst=R1),
        Ether(dst="ff:ff:ff:ff:ff:ff", src=FAKE_MAC) / ARP(op=1, hwsrc=FAKE_MAC, psrc=R1, pdst=D),
        Ether(dst=IN_MAC, src=FAKE_MAC) / IPv6(src=R1_6, dst=D6, hlim=255)
        / ICMPv6ND_NA(tgt=R1_6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=FAKE_MAC),
    ]
    wrpcap(os.path.join(directory, "rx0.pcap"), outside)
    wrpcap(os.path.join(directory, "rx1.pcap"), inside)


# make-l2: rvsd's client-side port is on VLAN_OUT; C2 is a client rvsd has no MAC for.
VLAN_OUT, C2, OTHER_MAC = 100, "203.0.113.20", "02:00:00:00:00:99"


def make_l2(directory):
    def client(vlan=VLAN_OUT, dst=OUT_MAC):
        eth = Ether(dst=dst, src=C_MAC)
        return eth if vlan is None else eth / Dot1Q(vlan=vlan)

    def syn(sport, src=C, ttl=64):
        return IP(src=src, dst=V, ttl=ttl) / TCP(sport=sport, dport=80, flags="S", seq=1000)

    solicited = "ff02::1:ff00:1"
    outside = [
        client(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=C_MAC, psrc=C, pdst=V),
        client(dst="33:33:ff:00:00:01") / IPv6(src=C6, dst=solicited, hlim=255)
        / ICMPv6ND_NS(tgt="2001:db8:c::1") / ICMPv6NDOptSrcLLAddr(lladdr=C_MAC),
        client() / syn(40000),
        client() / IP(src=C, dst=V) / UDP(sport=40001, dport=53) / Raw(b"abcd"),
        client() / syn(40002, src=C2),
        client() / syn(40003, ttl=1),
        # Untagged, another VLAN, another MAC, broadcast: dropped.
        client(vlan=None) / syn(40004),
        client(vlan=VLAN_OUT + 1) / syn(40005),
        client(dst=OTHER_MAC) / syn(40006),
        client(dst="ff:ff:ff:ff:ff:ff") / IP(src=C, dst=V) / UDP(sport=40001, dport=53)
        / Raw(b"bcast"),
    ]

    def server(dst=IN_MAC):
        return Ether(dst=dst, src=R1_MAC)

    inside = [
        server() / IP(src=R1, dst=C) / TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001),
        server() / IP(src=R1, dst=C) / UDP(sport=53, dport=40001) / Raw(b"dcba"),
        server() / IP(src=R1, dst=C2) / TCP(sport=8080, dport=40002, flags="SA", seq=5000, ack=1001),
        # Tagged on the untagged port, unicast to another MAC: dropped.
        server() / Dot1Q(vlan=VLAN_OUT) / IP(src=R1, dst=C) / UDP(sport=53, dport=40001) / Raw(b"tag"),
        server(dst=OTHER_MAC) / IP(src=R1, dst=C) / UDP(sport=53, dport=40001) / Raw(b"other"),
    ]
    wrpcap(os.path.join(directory, "rx0.pcap"), outside)
    wrpcap(os.path.join(directory, "rx1.pcap"), inside)


# make-corpus: the bad-frame corpus of control/tests/pcap_corpus.rs, whose table holds each
# case's expected fate. rvsd's real-server port is on CORPUS_VLAN; R1 answers nothing, so no
# frame depends on the order of the two files. A case's client port is its own unless it
# follows a connection its setup case opened.
CORPUS_VLAN = 200
C_NET_BCAST, D_OUT = "203.0.113.255", "203.0.113.1"


def make_corpus(directory):
    cases = corpus_client() + corpus_server()
    for port in (0, 1):
        frames = [f for _, p, f in cases if p == port]
        wrpcap(os.path.join(directory, f"rx{port}.pcap"), frames, linktype=1)
    with open(os.path.join(directory, "cases.txt"), "w") as out:
        out.writelines(f"{name} {port}\n" for name, port, _ in cases)


def corpus_client():
    """(name, 0, frame) for every frame of the client side, in order."""
    eth = Ether(dst=OUT_MAC, src=C_MAC)

    def tcp(name, sport, flags="S", dport=80, **ip):
        return eth / IP(**{"src": C, "dst": V, **ip}) / TCP(
            sport=sport, dport=dport, flags=flags, seq=1000, ack=0) / Raw(name.encode())

    def udp(name, sport, dport=53, **udp_fields):
        return (eth / IP(src=C, dst=V) / UDP(sport=sport, dport=dport, **udp_fields)
                / Raw(name.encode()))

    def patched(frame, at, value):
        """The frame with the byte `at` of its IP header replaced (checksum left as it was)."""
        b = bytearray(bytes(frame))
        b[14 + at] = value
        return bytes(b)

    def ip_proto(proto, l4):
        return eth / IP(src=C, dst=V, proto=proto) / Raw(l4)

    cases = [
        ("valid_syn", tcp("valid_syn", 40000)),
        ("ethernet_truncated", bytes(tcp("", 40001))[:10]),
        ("unknown_ethertype", Ether(dst=OUT_MAC, src=C_MAC, type=0x88b5) / Raw(b"x" * 46)),
        ("ipv4_header_truncated", bytes(tcp("", 40002))[:14 + 12]),
        ("ipv4_version_6", patched(tcp("ipv4_version_6", 40003), 0, 0x65)),
        ("ipv4_ihl_4", patched(tcp("ipv4_ihl_4", 40004), 0, 0x44)),
        ("ipv4_ihl_past_frame", patched(eth / IP(src=C, dst=V) / TCP(sport=40005), 0, 0x4f)),
        ("ipv4_options", tcp("ipv4_options", 40006, options=[IPOption_Router_Alert()])),
        ("ipv4_padding", bytes(tcp("ipv4_padding", 40007)) + b"\xa5" * 30),
        ("ipv4_total_len_past_frame", tcp("ipv4_total_len_past_frame", 40008, len=200)),
        ("ipv4_total_len_below_header", tcp("ipv4_total_len_below_header", 40009, len=16)),
        ("ipv4_bad_checksum", tcp("ipv4_bad_checksum", 40010, chksum=0x1234)),
        ("tcp_header_truncated", ip_proto(6, b"\x9c\x4b\x00\x50" + b"\x00" * 6)),
        ("udp_header_truncated", ip_proto(17, b"\x9c\x4c\x00\x35")),
        ("tcp_data_offset_4", eth / IP(src=C, dst=V) / TCP(sport=40013, dport=80, dataofs=4)
         / Raw(b"tcp_data_offset_4")),
        ("tcp_data_offset_past_segment", eth / IP(src=C, dst=V)
         / TCP(sport=40014, dport=80, dataofs=15) / Raw(b"x")),
        ("udp_length_past_datagram", udp("udp_length_past_datagram", 40015, len=200)),
        ("udp_length_below_8", udp("udp_length_below_8", 40016, len=4)),
        ("tcp_sport_0", tcp("tcp_sport_0", 0)),
        ("tcp_dport_0", tcp("tcp_dport_0", 40018, dport=0)),
        ("udp_sport_0", udp("udp_sport_0", 0)),
        ("udp_dport_0", udp("udp_dport_0", 40020, dport=0)),
        ("udp_checksum_0", udp("udp_checksum_0", 40021, chksum=0)),
    ]
    soup = [("syn_fin", "SF"), ("syn_rst", "SR"), ("fin_urg_psh", "FUP"), ("no_flags", ""),
            ("all_flags", "FSRPAUEC")]
    cases += [(f"{n}_new", tcp(f"{n}_new", 40100 + i, flags=f)) for i, (n, f) in enumerate(soup)]
    for i, (n, f) in enumerate(soup):
        cases += [(f"{n}_conn_syn", tcp(f"{n}_conn_syn", 40110 + i)),
                  (f"{n}_on_conn", tcp(f"{n}_on_conn", 40110 + i, flags=f))]
    cases += [
        ("quiesced_server_syn", tcp("quiesced_server_syn", 40200, dport=8000)),
        ("no_service_tcp", tcp("no_service_tcp", 40201, dport=81)),
        ("no_service_udp", udp("no_service_udp", 40202, dport=54)),
        ("not_for_us", tcp("not_for_us", 40203, dst="192.0.2.99")),
        ("gre_to_vip", ip_proto(47, b"\x00\x00\x08\x00gre_to_vip")),
    ]
    martians = [("loopback", "127.0.0.1"), ("multicast", "224.0.0.5"),
                ("broadcast", "255.255.255.255"), ("unspecified", "0.0.0.0"),
                ("own_address", D_OUT), ("other_port_address", "10.0.0.1"), ("vip", V),
                ("subnet_broadcast", C_NET_BCAST)]
    cases += [(f"martian_{n}", tcp(f"martian_{n}", 40300 + i, src=a))
              for i, (n, a) in enumerate(martians)]
    cases += [
        ("tagged_on_untagged_port", Ether(dst=OUT_MAC, src=C_MAC) / Dot1Q(vlan=100)
         / tcp("tagged_on_untagged_port", 40400)[IP]),
        ("priority_tag_on_untagged_port", Ether(dst=OUT_MAC, src=C_MAC) / Dot1Q(vlan=0)
         / tcp("priority_tag_on_untagged_port", 40401)[IP]),
        ("wrong_dst_mac", Ether(dst=OTHER_MAC, src=C_MAC) / tcp("wrong_dst_mac", 40402)[IP]),
        ("broadcast_dst_mac", Ether(dst="ff:ff:ff:ff:ff:ff", src=C_MAC)
         / tcp("broadcast_dst_mac", 40403)[IP]),
        ("multicast_dst_mac", Ether(dst="01:00:5e:00:00:05", src=C_MAC)
         / tcp("multicast_dst_mac", 40404)[IP]),
        ("ttl_0_syn", tcp("ttl_0_syn", 40500, ttl=0)),
        ("ttl_1_syn", tcp("ttl_1_syn", 40501, ttl=1)),
        ("ttl_2_syn", tcp("ttl_2_syn", 40502, ttl=2)),
        ("ttl_1_conn_syn", tcp("ttl_1_conn_syn", 40503)),
        ("ttl_1_on_conn", tcp("ttl_1_on_conn", 40503, flags="A", ttl=1)),
        ("fragment_later_only", eth / IP(src=C, dst=V, id=0x7777, frag=185, proto=17)
         / Raw(b"fragment_later_only")),
    ]
    return [(name, 0, bytes(f)) for name, f in cases + corpus_client6()]


def corpus_client6():
    """The IPv6 cases of the client side, to the UDP service [V6]:53."""
    eth = Ether(dst=OUT_MAC, src=C_MAC)

    def udp6(name, sport, *ext, **ip):
        pkt = IPv6(**{"src": C6, "dst": V6, **ip})
        for e in ext:
            pkt = pkt / e
        return eth / pkt / UDP(sport=sport, dport=53) / Raw(name.encode())

    def payload_len(frame, plen):
        b = bytearray(bytes(frame))
        b[14 + 4:14 + 6] = plen.to_bytes(2, "big")
        return bytes(b)

    dest_opts = [IPv6ExtHdrDestOpt() for _ in range(7)]
    return [
        ("ipv6_valid", udp6("ipv6_valid", 40600)),
        ("ipv6_header_truncated", Ether(dst=OUT_MAC, src=C_MAC, type=0x86dd)
         / Raw(b"\x60" + b"\x00" * 29)),
        ("ipv6_payload_len_past_frame",
         payload_len(udp6("ipv6_payload_len_past_frame", 40601), 400)),
        ("ipv6_padding", bytes(udp6("ipv6_padding", 40602)) + b"\xa5" * 20),
        ("ipv6_six_extension_headers", udp6("ipv6_six_extension_headers", 40603, *dest_opts[:6])),
        ("ipv6_seven_extension_headers", udp6("ipv6_seven_extension_headers", 40604, *dest_opts)),
        ("ipv6_hop_by_hop_not_first", udp6("ipv6_hop_by_hop_not_first", 40605,
                                           IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop())),
        ("ipv6_routing_segments_left", udp6("ipv6_routing_segments_left", 40606,
                                            IPv6ExtHdrRouting(addresses=[R1_6], segleft=1))),
        ("ipv6_extension_past_payload", udp6("ipv6_extension_past_payload", 40607,
                                             IPv6ExtHdrHopByHop(len=20, autopad=0))),
        ("ipv6_fragment_later_only", eth / IPv6(src=C6, dst=V6)
         / IPv6ExtHdrFragment(nh=17, offset=100, id=0x7777) / Raw(b"ipv6_fragment_later_only")),
    ]


def corpus_server():
    """(name, 1, frame) for the real-server side: rvsd's port there is on CORPUS_VLAN."""
    def reply(name, vlan=CORPUS_VLAN, inner=None):
        eth = Ether(dst=IN_MAC, src=R1_MAC)
        for v in [vlan, inner]:
            if v is not None:
                eth = eth / Dot1Q(vlan=v)
        return eth / IP(src=R1, dst=C) / UDP(sport=53, dport=40700) / Raw(name.encode())

    cases = [
        ("server_untagged", reply("server_untagged", vlan=None)),
        ("server_wrong_vlan", reply("server_wrong_vlan", vlan=CORPUS_VLAN + 1)),
        ("server_stacked_tags", reply("server_stacked_tags", inner=CORPUS_VLAN)),
        ("server_reply_no_connection", reply("server_reply_no_connection")),
    ]
    return [(name, 1, bytes(f)) for name, f in cases]


def decode(path):
    for p in rdpcap(path):
        if Ether not in p or len(p) < 14:
            print(json.dumps({"kind": "runt", "hex": bytes(p).hex()}))
            continue
        d = {"eth_src": p[Ether].src, "eth_dst": p[Ether].dst,
             "vlan": p[Dot1Q].vlan if Dot1Q in p else None}
        if ARP in p:
            a = p[ARP]
            d.update(kind="arp", op=a.op, hwsrc=a.hwsrc, psrc=a.psrc, hwdst=a.hwdst, pdst=a.pdst)
        elif TCP in p or UDP in p:
            l4 = TCP if TCP in p else UDP
            v6 = IPv6 in p
            ip = p[IPv6] if v6 else p[IP]
            padding = len(p[Padding].load) if Padding in p else 0
            payload = bytes(p[l4].payload)
            d.update(kind=l4.__name__.lower(), src=ip.src, dst=ip.dst,
                     sport=p[l4].sport, dport=p[l4].dport,
                     ttl=ip.hlim if v6 else ip.ttl, id=None if v6 else ip.id,
                     flags=str(p[TCP].flags) if l4 is TCP else "",
                     payload=payload[:len(payload) - padding].decode("latin1"),
                     l4_csum=p[l4].chksum,
                     ip_options="" if v6 else bytes(ip)[20:ip.ihl * 4].hex(),
                     # Bytes after the IP packet: Ethernet padding that travelled.
                     padding=padding,
                     # IPv6 has no header checksum.
                     ip_csum_ok=v6 or checksum_ok(p, IP), l4_csum_ok=checksum_ok(p, l4))
        elif ICMP in p:
            d.update(kind="icmp", type=p[ICMP].type, code=p[ICMP].code, id=p[ICMP].id,
                     seq=p[ICMP].seq, src=p[IP].src, dst=p[IP].dst, ttl=p[IP].ttl,
                     payload=bytes(p[ICMP].payload).decode("latin1"),
                     ip_csum_ok=checksum_ok(p, IP), icmp_csum_ok=checksum_ok(p, ICMP))
        elif ICMPv6ND_NA in p:
            d.update(kind="nd_na", src=p[IPv6].src, dst=p[IPv6].dst, tgt=p[ICMPv6ND_NA].tgt)
        else:
            d.update(kind="other", hex=bytes(p).hex())
        print(json.dumps(d))


if __name__ == "__main__":
    {"make-local": make_local, "make-nat": make_nat, "make-nat6": make_nat6,
     "make-burst": make_burst, "make-spoof": make_spoof, "make-l2": make_l2,
     "make-frags": make_frags, "make-corpus": make_corpus, "decode": decode,
     "frags": frags}[sys.argv[1]](sys.argv[2])
