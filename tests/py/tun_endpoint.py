#!/usr/bin/python3
"""A userspace tunnel endpoint for a TUN (-i) real server.

The test kernel has no ipip, gre or fou module, so this process plays the
real server's tunnel driver:

  tun_endpoint.py --type ipip|gre|gue [--port 6080] --vip 10.0.1.100 \
                  [--vip 2001:db8:1::100] --pcap FILE [--dev tunl-rvs] [--outer 6]

It creates a tun device (IFF_TUN | IFF_NO_PI) carrying the VIP, turns
rp_filter off (the inner packets come from the client but arrive on the tun
device), and receives the outer packets:

  ipip  raw socket, IP protocol 4
  gre   raw socket, IP protocol 47 (RFC 2784/2890 header: C, K, S bits;
        a packet whose GRE checksum is wrong is dropped and counted)
  gue   UDP socket on --port (the kernel checks the UDP checksum); a raw
        UDP socket sees the same packets whole for the capture

Each inner IPv4/IPv6 packet is written into the tun device: the kernel's
TCP stack (nginx) answers it and the reply leaves by the normal route, from
the VIP straight to the client. Every outer packet received (whole, from
its IPv4 header on, decapsulated or not) is appended to --pcap
(LINKTYPE_IPV4, 228), flushed at once, so that a test can judge the
encapsulation with scapy.

With --outer 6 (ipip only) the outer header is IPv6, as IPVS sends to an
IPv6 real server: next header 41 (IPv6 inside) or 4 (IPv4 inside). Raw
IPv6 sockets for both take the inner packets (and keep the kernel, which
has no ip6_tunnel here, from answering Parameter Problem); the outer
packets are recorded whole from a packet socket on --link (LINKTYPE_IPV6,
229).

One line on stderr at start (after everything is ready) and one at exit
(SIGTERM or SIGINT) with the counters.
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
ETH_P_IPV6 = 0x86DD


class Pcap:
    def __init__(self, path, linktype=LINKTYPE_IPV4):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        self.f.flush()

    def write(self, pkt):
        t = time.time()
        sec = int(t)
        self.f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(pkt), len(pkt)) + pkt)
        self.f.flush()

    def close(self):
        self.f.close()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip_payload(pkt):
    """The payload of an IPv4 packet (options skipped, total length
    honoured), or None if it is not a sane IPv4 packet."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 0x0F) * 4
    total = struct.unpack("!H", pkt[2:4])[0]
    if ihl < 20 or total < ihl or len(pkt) < total:
        return None
    return pkt[ihl:total]


def inner_ok(inner, proto_hint=None):
    """Inner packet is IPv4 or IPv6 (by version nibble, and matching the
    protocol the header announced when it announced one)."""
    if not inner:
        return False
    v = inner[0] >> 4
    if proto_hint in (4, 0x0800):
        return v == 4
    if proto_hint in (41, 0x86DD):
        return v == 6
    return v in (4, 6)


def decap_ipip(pkt, stats):
    inner = ip_payload(pkt)
    if inner is None or pkt[9] != 4 or not inner_ok(inner, 4):
        stats["bad"] += 1
        return None
    return inner


GRE_C, GRE_R, GRE_K, GRE_S = 0x8000, 0x4000, 0x2000, 0x1000


def decap_gre(pkt, stats):
    gre = ip_payload(pkt)
    if gre is None or pkt[9] != 47 or len(gre) < 4:
        stats["bad"] += 1
        return None
    flags, ptype = struct.unpack("!HH", gre[:4])
    if flags & 0x7 or flags & GRE_R:  # version 0 only, no routing
        stats["bad"] += 1
        return None
    hlen = 4 + 4 * bool(flags & GRE_C) + 4 * bool(flags & GRE_K) + 4 * bool(flags & GRE_S)
    if len(gre) < hlen:
        stats["bad"] += 1
        return None
    if flags & GRE_C and csum(gre) != 0xFFFF:
        stats["bad_csum"] += 1
        return None
    inner = gre[hlen:]
    if not inner_ok(inner, ptype):
        stats["bad"] += 1
        return None
    return inner


def decap_gue(payload, stats):
    """`payload` is the UDP payload (the kernel checked the UDP checksum)."""
    if len(payload) < 1:
        stats["bad"] += 1
        return None
    version = payload[0] >> 6
    if version == 1:  # GUE version 1: the IP packet itself
        inner = payload
        proto = None
    elif version == 0 and len(payload) >= 4:
        if payload[0] & 0x20:  # C: control message
            stats["bad"] += 1
            return None
        hlen = 4 + (payload[0] & 0x1F) * 4
        proto = payload[1]
        inner = payload[hlen:] if len(payload) >= hlen else b""
    else:
        stats["bad"] += 1
        return None
    if not inner_ok(inner, proto):
        stats["bad"] += 1
        return None
    return inner


def sh(*args):
    subprocess.run(args, check=True)


def sysctl(path, value):
    try:
        with open("/proc/sys/net/ipv4/conf/%s" % path, "w") as f:
            f.write(value)
    except OSError:
        pass


def open_tun(name, vips):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    sh("ip", "link", "set", "dev", name, "mtu", "1500", "up")
    for vip in vips:
        if ":" in vip:
            sh("ip", "addr", "add", vip + "/128", "dev", name, "nodad")
        else:
            sh("ip", "addr", "add", vip + "/32", "dev", name)
    for conf in ("all", "default", name):
        sysctl(conf + "/rp_filter", "0")
    return fd


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--type", required=True, choices=["ipip", "gre", "gue"])
    ap.add_argument("--port", type=int, default=6080, help="GUE UDP port")
    ap.add_argument("--vip", required=True, action="append")
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--dev", default="tunl-rvs")
    ap.add_argument("--outer", type=int, default=4, choices=[4, 6])
    ap.add_argument("--link", default="eth0", help="where IPv6 outer packets arrive")
    a = ap.parse_args()
    if a.outer == 6 and a.type != "ipip":
        ap.error("--outer 6 takes --type ipip")

    def stop(signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    stats = {"outer": 0, "inner": 0, "bad": 0, "bad_csum": 0}
    pcap = Pcap(a.pcap, LINKTYPE_IPV6 if a.outer == 6 else LINKTYPE_IPV4)
    tun = open_tun(a.dev, a.vip)
    try:
        (serve_ipv6 if a.outer == 6 else serve_ipv4)(a, pcap, tun, stats)
    finally:
        pcap.close()
        os.close(tun)
        print(
            "tun_endpoint: stop: %d outer packets, %d inner written, %d malformed, %d bad checksum"
            % (stats["outer"], stats["inner"], stats["bad"], stats["bad_csum"]),
            file=sys.stderr,
            flush=True,
        )


def write_inner(tun, inner, stats):
    try:
        os.write(tun, inner)
        stats["inner"] += 1
    except OSError:
        stats["bad"] += 1


def serve_ipv4(a, pcap, tun, stats):
    """IPv4 outer: raw sockets for IPIP and GRE take whole outer packets; GUE comes
    decapsulated from a UDP socket and whole from a raw UDP one."""
    udp = None
    if a.type == "ipip":
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
    elif a.type == "gre":
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    else:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind(("0.0.0.0", a.port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    where = "udp/%d" % a.port if a.type == "gue" else "ip proto %d" % (4 if a.type == "ipip" else 47)
    print(
        "tun_endpoint: %s on %s -> %s (%s), pcap %s, pid %d"
        % (a.type, where, a.dev, ", ".join(a.vip), a.pcap, os.getpid()),
        file=sys.stderr,
        flush=True,
    )
    socks = [raw] + ([udp] if udp else [])
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            data = s.recv(65535)
            if s is raw:
                if a.type == "gue":
                    p = ip_payload(data)
                    if p is None or len(p) < 8 or struct.unpack("!H", p[2:4])[0] != a.port:
                        continue  # some other UDP packet
                stats["outer"] += 1
                pcap.write(data)
                if a.type == "gue":
                    continue  # decapsulated from the UDP socket
                inner = (decap_ipip if a.type == "ipip" else decap_gre)(data, stats)
            else:
                inner = decap_gue(data, stats)
            if inner is not None:
                write_inner(tun, inner, stats)


def serve_ipv6(a, pcap, tun, stats):
    """IPv6 outer: inner packets from raw IPv6 sockets (the kernel strips the outer
    header), outer packets recorded from the link."""
    inner_socks = [socket.socket(socket.AF_INET6, socket.SOCK_RAW, p) for p in (41, 4)]
    link = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    link.bind((a.link, ETH_P_IPV6))
    for s in inner_socks + [link]:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    print(
        "tun_endpoint: ipip over IPv6 (next header 41, 4) -> %s (%s), pcap %s, pid %d"
        % (a.dev, ", ".join(a.vip), a.pcap, os.getpid()),
        file=sys.stderr,
        flush=True,
    )
    while True:
        ready, _, _ = select.select(inner_socks + [link], [], [])
        for s in ready:
            data, addr = s.recvfrom(65535)
            if s is link:
                # Tunnel packets received (not sent: packet type 4): next header 41 or 4
                # right after the fixed header.
                if addr[2] != socket.PACKET_OUTGOING and len(data) >= 40 and data[6] in (41, 4):
                    stats["outer"] += 1
                    pcap.write(data)
            elif inner_ok(data, 41 if s is inner_socks[0] else 4):
                write_inner(tun, data, stats)
            else:
                stats["bad"] += 1


if __name__ == "__main__":
    main()
