#!/usr/bin/python3
"""Helpers for the DR / TUN end-to-end tests (control/tests/netns_direct.rs),
scapy as the outside judge.

  tunnels.py send-syn TYPE RS SPORT      an encapsulated SYN client:SPORT -> VIP:80
                                         to real server RS (TYPE: ipip, gre,
                                         gre-csum, gue, gue-csum; GUE port 6080)
  tunnels.py decode-tun PCAP             one JSON object per outer packet of a
                                         tun_endpoint.py capture (LINKTYPE_IPV4, or
                                         LINKTYPE_IPV6 for --outer 6)
  tunnels.py decode-eth PCAP             one JSON object per IPv4 frame of an
                                         Ethernet capture (tcpdump -w)
  tunnels.py get URL [TOS]               HTTP GET with IP_TOS set; prints the body
  tunnels.py sink PORT [ipv6]            HTTP server (IPv6 with ipv6): answers every POST with
                                         "received N" (N body bytes read)

Addresses are those of scripts/netns.sh up-direct: client 10.0.1.2, VIP
10.0.1.100. Checksums are recomputed here: a field that rvsd got wrong shows
up as `..._ok: false`.
"""
import json
import socket
import struct
import sys

from scapy.utils import checksum

CLIENT, VIP = "10.0.1.2", "10.0.1.100"


def valid(data):
    """Whether the Internet checksum over data (checksum field included) verifies (scapy's)."""
    return checksum(data) == 0


def pseudo(src, dst, proto, length):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, length)


def ipv4(b):
    """Decodes an IPv4 header and its L4 header from bytes; checksums are
    verified from the bytes themselves."""
    from scapy.all import IP

    ihl = (b[0] & 0x0F) * 4
    total = struct.unpack("!H", b[2:4])[0]
    ip = IP(b)
    d = {
        "version": b[0] >> 4,
        "ihl": ihl,
        "tos": b[1],
        "len": total,
        "caplen": len(b),
        "id": ip.id,
        "df": bool(ip.flags.DF),
        "mf": bool(ip.flags.MF),
        "frag": ip.frag,
        "ttl": ip.ttl,
        "proto": ip.proto,
        "src": ip.src,
        "dst": ip.dst,
        "ip_csum_ok": valid(b[:ihl]),
    }
    payload = b[ihl:total]
    d["payload_len"] = len(payload)
    if ip.proto == 6 and len(payload) >= 20 and ip.frag == 0:
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", payload[:14])
        d["tcp"] = {
            "sport": sport,
            "dport": dport,
            "seq": seq,
            "flags": "".join(c for i, c in enumerate("FSRPAUEC") if flags >> i & 1),
            "data_len": len(payload) - (off >> 4) * 4,
            "csum_ok": valid(pseudo(ip.src, ip.dst, 6, len(payload)) + payload),
        }
    elif ip.proto == 1 and len(payload) >= 8:
        t, c = payload[0], payload[1]
        icmp = {"type": t, "code": c, "csum_ok": valid(payload)}
        if t == 3 and c == 4:
            icmp["mtu"] = struct.unpack("!H", payload[6:8])[0]
        if t in (3, 11) and len(payload) >= 28:
            q = payload[8:]
            qihl = (q[0] & 0x0F) * 4
            icmp["quoted"] = {
                "src": socket.inet_ntoa(q[12:16]),
                "dst": socket.inet_ntoa(q[16:20]),
                "ttl": q[8],
                "proto": q[9],
                "len": struct.unpack("!H", q[2:4])[0],
            }
            if q[9] == 6 and len(q) >= qihl + 4:
                icmp["quoted"]["sport"], icmp["quoted"]["dport"] = struct.unpack("!HH", q[qihl:qihl + 4])
        d["icmp"] = icmp
    return d, payload


def ipv6(b):
    """Decodes an IPv6 fixed header and a TCP header right behind it; the TCP
    checksum is verified by scapy (rebuilt with the field cleared)."""
    from scapy.all import IPv6, TCP

    plen = struct.unpack("!H", b[4:6])[0]
    ip = IPv6(b[:40 + plen])
    d = {
        "version": b[0] >> 4,
        "tos": ip.tc,
        "flow": ip.fl,
        "len": 40 + plen,
        "caplen": len(b),
        "proto": ip.nh,
        "ttl": ip.hlim,
        "src": ip.src,
        "dst": ip.dst,
    }
    if TCP in ip:
        clone = IPv6(bytes(ip))
        del clone[TCP].chksum
        d["tcp"] = {
            "sport": ip[TCP].sport,
            "dport": ip[TCP].dport,
            "csum_ok": IPv6(bytes(clone))[TCP].chksum == ip[TCP].chksum,
        }
    return d, b[40:40 + plen]


def decode_inner(inner):
    if inner and inner[0] >> 4 == 4 and len(inner) >= 20:
        return ipv4(inner)[0]
    if inner and inner[0] >> 4 == 6 and len(inner) >= 40:
        return ipv6(inner)[0]
    return None


def decode_tun(path):
    """Per outer packet: the outer header, the encapsulation (GRE or UDP +
    GUE) and the inner packet, every checksum recomputed."""
    from scapy.utils import RawPcapReader

    reader = RawPcapReader(path)
    outer_of = ipv6 if reader.linktype == 229 else ipv4
    for raw, _meta in reader:
        b = bytes(raw)
        outer, payload = outer_of(b)
        rec = {"outer": outer}
        inner = None
        if outer["proto"] in (4, 41):
            inner = payload
        elif outer["proto"] == 47 and len(payload) >= 4:
            flags, ptype = struct.unpack("!HH", payload[:4])
            hlen = 8 if flags & 0x8000 else 4
            rec["gre"] = {
                "header": payload[:hlen].hex(),
                "flags": flags,
                "ptype": ptype,
                "csum_ok": valid(payload) if flags & 0x8000 else None,
            }
            inner = payload[hlen:]
        elif outer["proto"] == 17 and len(payload) >= 12:
            sport, dport, ulen, ucsum = struct.unpack("!HHHH", payload[:8])
            ok = None
            if ucsum:
                ok = valid(pseudo(outer["src"], outer["dst"], 17, len(payload)) + payload)
            hlen = 4 + (payload[8] & 0x1F) * 4
            rec["udp"] = {"sport": sport, "dport": dport, "len": ulen, "csum": ucsum, "csum_ok": ok}
            rec["gue"] = {"header": payload[8:12].hex(), "hlen": hlen}
            inner = payload[8 + hlen:]
        rec["inner"] = decode_inner(inner)
        print(json.dumps(rec))


def decode_eth(path):
    from scapy.all import Ether, rdpcap

    for f in rdpcap(path):
        if not f.haslayer(Ether) or f[Ether].type != 0x0800:
            continue
        d, _ = ipv4(bytes(f[Ether].payload))
        d["eth_src"], d["eth_dst"] = f[Ether].src, f[Ether].dst
        print(json.dumps(d))


def send_syn(kind, rs, sport):
    from scapy.all import GRE, IP, TCP, UDP, Raw, conf, send

    conf.verb = 0
    inner = IP(src=CLIENT, dst=VIP, ttl=63, flags="DF", id=0x1c46) / TCP(
        sport=int(sport), dport=80, flags="S", seq=1000, window=64240, options=[("MSS", 1460)]
    )
    outer = IP(src="10.0.2.1", dst=rs, ttl=63, flags="DF", id=0)
    if kind == "ipip":
        pkt = outer / inner
    elif kind == "gre":
        pkt = outer / GRE(proto=0x0800) / inner
    elif kind == "gre-csum":
        pkt = outer / GRE(chksum_present=1, proto=0x0800) / inner
    elif kind in ("gue", "gue-csum"):
        body = bytes.fromhex("00040000") + bytes(inner)
        pkt = outer / UDP(sport=40000 + int(sport) % 20000, dport=6080, chksum=None if kind == "gue-csum" else 0) / Raw(body)
    else:
        raise SystemExit("unknown type " + kind)
    send(pkt)


def get(url, tos="0"):
    """GET through a socket with IP_TOS set (curl has no option for it)."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, int(tos, 0))
    s.settimeout(5)
    s.connect((u.hostname, u.port or 80))
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (u.path or "/", u.hostname)).encode())
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
        raise SystemExit("bad answer: %r" % head[:100])
    sys.stdout.write(body.decode())


def sink(port, ipv6=False):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            left = int(self.headers.get("Content-Length", "0"))
            n = 0
            while left > 0:
                c = self.rfile.read(min(left, 65536))
                if not c:
                    break
                n += len(c)
                left -= len(c)
            body = ("received %d\n" % n).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    srv = (Server6 if ipv6 else ThreadingHTTPServer)(("::" if ipv6 else "0.0.0.0", int(port)), H)
    print("sink on port %s" % port, file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    cmds = {
        "send-syn": send_syn,
        "decode-tun": decode_tun,
        "decode-eth": decode_eth,
        "get": get,
        "sink": sink,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
