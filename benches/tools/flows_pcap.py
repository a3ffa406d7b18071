#!/usr/bin/python3
"""Writes a pcap of N minimum-size UDP packets to 198.18.0.2:9, each from a
different client (10.x.y.z, port), for scripts/bench.sh's new-flow scenario:
replayed by testpmd, every packet of the first pass opens a connection.

  flows_pcap.py OUT.pcap N

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


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
