#!/usr/bin/python3
"""Writes a pcap of N minimum-size UDP packets to 198.18.0.2:9, each from a
different client (10.x.y.z, port), for scripts/bench.sh's new-flow scenario:
replayed by testpmd, every packet of the first pass opens a connection.
With --ipv6, to [2001:db8:f::2]:9 from 2001:db8:10::/64 clients (UDP
checksum computed: IPv6 requires one). Frames go to 02:00:00:00:00:01, the
forwarder's MAC on the bench link (bench.sh's FWD_MAC).

  flows_pcap.py [--ipv6] OUT.pcap N

Raw bytes instead of scapy: four million packets take seconds, not hours.
"""
import struct
import sys


def ip_checksum(header):
    s = sum(struct.unpack("!10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main(path, n):
    eth = bytes.fromhex("020000000001" "020000000002" "0800")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            src = 0x0A000000 | (i >> 6)  # 10.x.y.z, 64 clients per address
            sport = 1024 + (i & 63) * 997  # 64 distinct ports
            ip = bytearray(struct.pack("!BBHHHBBHII", 0x45, 0, 46, 0, 0, 64, 17, 0, src, 0xC6120002))
            ip[10:12] = struct.pack("!H", ip_checksum(ip))
            pkt = eth + bytes(ip) + struct.pack("!HHHH", sport, 9, 26, 0) + bytes(18)
            f.write(struct.pack("<IIII", 0, 0, len(pkt), len(pkt)) + pkt)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main6(path, n):
    eth = bytes.fromhex("020000000001" "020000000002" "86dd")
    dst = bytes.fromhex("20010db8000f00000000000000000002")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            src = bytes.fromhex("20010db8001000000000") + struct.pack("!IH", i >> 6, 1)
            sport = 1024 + (i & 63) * 997
            payload = bytes(18)
            udp = struct.pack("!HHHH", sport, 9, 8 + len(payload), 0) + payload
            pseudo = src + dst + struct.pack("!IxxxB", len(udp), 17)
            c = csum16(pseudo + udp) or 0xFFFF
            udp = udp[:6] + struct.pack("!H", c) + udp[8:]
            ip = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src + dst
            pkt = eth + ip + udp
            f.write(struct.pack("<IIII", 0, 0, len(pkt), len(pkt)) + pkt)


if __name__ == "__main__":
    if sys.argv[1] == "--ipv6":
        main6(sys.argv[2], int(sys.argv[3]))
    else:
        main(sys.argv[1], int(sys.argv[2]))
