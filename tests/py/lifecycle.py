#!/usr/bin/python3
"""lifecycle.py [options] WALKS — plays client and real servers of connection walks
(tests/golden/lifecycle/walks) against a director and prints, after every step, what left the
director and the walk's entry in `-Lnc`:

    nat-client-close 3 in FA: s0 10.0.1.50:40001>10.0.2.11:8080 FA | CLOSE_WAIT 00:59 10.0.2.11:8080

It runs in a namespace that holds both ends of the director's links and no address (so no
kernel stack answers): --client-if faces the client side, --server-if the real servers. Frames
are hand-made; ARP requests from the director are answered with the asking link's own MAC. The
same script runs in the oracle VM (ipvsadm, tests/golden/lifecycle/oracle.cmd) and against rvsd
(rvsadm, control/tests/lifecycle.rs), so only the director differs.

Walk steps (the format is also in the walks file's header):
  walk NAME SPORT VPORT   a new walk: the client's source port and the service port
  in FLAGS [LEN]          client -> VIP:VPORT, TCP flags (S, A, F, R, P; "-" for none), LEN bytes
  out FLAGS [LEN]         real server -> client, from the entry's real server
  udp [LEN]               a UDP datagram client -> VIP:VPORT
  sip SPEC                a SIP request client -> VIP:VPORT whose Call-ID is made by SPEC
                          (see sip_payload)
  sipout RS:PORT SPEC     a SIP request from real server RS:PORT to the client's port (a flow
                          the server starts)
  templates               the persistence templates (client port 0) of `-Lnc --persistent-conn`,
                          with their pe data, sorted, without their countdowns
  adm ARGS...             an admin command (VIP, RS1, RS2 replaced by addresses)
  list ARGS...            an admin command whose output is printed on one line
  sleep SECS
  counts -t|-u VIP:PORT   ActiveConn/InActConn of the service's real servers in `-Ln`
"""
import argparse
import select
import shlex
import socket
import subprocess
import sys
import time

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, conf

conf.verb = 0


class Link:
    """One end of a director link, seen as raw frames."""

    def __init__(self, iface):
        self.name = iface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.bind((iface, 0))
        self.mac = open(f"/sys/class/net/{iface}/address").read().strip()

    def send(self, frame):
        self.sock.send(bytes(frame))

    def drain(self):
        """Frames already queued (answering ARP on the way)."""
        frames = []
        while select.select([self.sock], [], [], 0)[0]:
            frames += self.take()
        return frames

    def take(self):
        data, addr = self.sock.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            return []
        e = Ether(data)
        if ARP in e:
            if e[ARP].op == 1:
                a = e[ARP]
                self.send(Ether(dst=e.src, src=self.mac) / ARP(
                    op=2, hwsrc=self.mac, psrc=a.pdst, hwdst=a.hwsrc, pdst=a.psrc))
            return []
        return [e] if IP in e else []


def sip_payload(spec):
    """A SIP request whose Call-ID header SPEC names: `id=X` (`Call-ID: X`), `compact=X`
    (`i: X`), `lower=X` (`call-id : X`, space before the colon), `lf=X` (lines end in LF only),
    `early=X` (the only Call-ID line starts in the first 28 bytes of the payload), `spaced=X`
    (`Call-ID: X tail`), `long=N` (a Call-ID of N characters), `none` (no Call-ID)."""
    kind, _, value = spec.partition("=")
    if kind == "long":
        kind, value = "id", "c" * int(value)
    line = {"id": f"Call-ID: {value}", "compact": f"i: {value}", "lower": f"call-id : {value}",
            "lf": f"Call-ID: {value}", "spaced": f"Call-ID: {value} tail", "none": "Subject: x",
            "early": f"Call-ID: {value}"}[kind]
    eol = "\n" if kind == "lf" else "\r\n"
    if kind == "early":
        return f"{eol}{line}{eol}Subject: y{eol}{eol}".encode()
    lines = ["INVITE sip:bob@10.0.1.100 SIP/2.0", "Via: SIP/2.0/UDP 10.0.1.50:5060",
             "From: <sip:alice@10.0.1.50>", line, "CSeq: 1 INVITE", "Content-Length: 0", "", ""]
    return eol.join(lines).encode()


def summary(link, e):
    ip = e[IP]
    if TCP in ip and not ICMP in ip:
        t = ip[TCP]
        return f"{link} {ip.src}:{t.sport}>{ip.dst}:{t.dport} {flag_text(int(t.flags))}"
    if UDP in ip and not ICMP in ip:
        u = ip[UDP]
        return f"{link} udp {ip.src}:{u.sport}>{ip.dst}:{u.dport}"
    if ICMP in ip:
        return f"{link} icmp {ip[ICMP].type}/{ip[ICMP].code} {ip.src}>{ip.dst}"
    return f"{link} proto {ip.proto} {ip.src}>{ip.dst}"


FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def flag_bits(text):
    return 0 if text == "-" else sum(FLAGS[c] for c in text)


def flag_text(bits):
    # Order as written in the walks: S, F, R, P, A.
    t = "".join(c for c in "SFRPA" if bits & FLAGS[c])
    return t or "-"


class Director:
    def __init__(self, o):
        self.admin = shlex.split(o.admin)
        self.vip, self.client = o.vip, o.client
        self.rs = dict(zip(["RS1", "RS2"], o.servers.split(",")))
        self.cl, self.sv = Link(o.client_if), Link(o.server_if)
        self.cmac, self.smac = o.client_mac, o.server_mac
        self.settle = o.settle
        self.introduce(o.director.split(","))

    def introduce(self, director):
        """Asks the director for its own addresses from the client and from each real server,
        so that it knows their MACs before the walks (a director learns the sender of a
        request for its address). Otherwise a first reply would wait on ARP: the kernel queues
        it, rvsd drops it (the sender retransmits)."""
        asks = [(self.cl, self.client, director[0])]
        asks += [(self.sv, rs, director[1]) for rs in self.rs.values()]
        for link, src, dst in asks:
            link.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=link.mac) / ARP(
                op=1, hwsrc=link.mac, psrc=src, pdst=dst))
        time.sleep(self.settle)
        self.cl.drain(), self.sv.drain()

    def adm(self, args):
        # ipvsadm prints the rest of a connection line longer than 255 bytes as a line of its
        # own, in bytes that need not be text (a 200-byte SIP Call-ID, `sip.walks`).
        r = subprocess.run(self.admin + args, capture_output=True, encoding="utf-8",
                           errors="replace")
        if r.returncode != 0:
            sys.exit(f"{' '.join(self.admin + args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def entry(self, sport, vport):
        """(state, expire, real server) of client:sport -> VIP:vport in -Lnc, or None."""
        src, vip = f"{self.client}:{sport}", f"{self.vip}:{vport}"
        for line in self.adm(["-Lnc"]).splitlines():
            f = line.split()
            if len(f) == 6 and f[3] == src and f[4] == vip:
                return f[2], f[1], f[5]
        return None

    def words(self, w):
        """A walk's word with the placeholders VIP, RS1, RS2 replaced by addresses."""
        for name, addr in [("VIP", self.vip)] + list(self.rs.items()):
            w = w.replace(name, addr)
        return w

    def counts(self, service):
        """`RS:PORT active/inactive` for every real server of `service` (`-t VIP:PORT`)."""
        out = []
        for line in self.adm(["-Ln"] + service).splitlines():
            f = line.split()
            if len(f) == 6 and f[0] == "->" and f[1] != "RemoteAddress:Port":
                out.append(f"{f[1]} {f[4]}/{f[5]}")
        return " ".join(out)

    def exchange(self, link, frame):
        """Sends `frame` on `link`; what left the director on either link meanwhile."""
        self.cl.drain(), self.sv.drain()
        link.send(frame)
        seen, deadline, quiet = [], time.monotonic() + self.settle, None
        while time.monotonic() < (quiet or deadline):
            r = select.select([self.cl.sock, self.sv.sock], [], [], 0.02)[0]
            for l, name in ((self.cl, "c0"), (self.sv, "s0")):
                if l.sock in r:
                    got = [summary(name, e) for e in l.take()]
                    seen += got
                    if got and quiet is None:
                        # Something came: a short grace for a second frame, then go on.
                        quiet = min(deadline, time.monotonic() + 0.15)
        return " ; ".join(seen) or "-"


class Walk:
    def __init__(self, d, name, sport, vport):
        self.d, self.name, self.sport, self.vport = d, name, sport, vport
        self.cseq, self.sseq, self.step = 1000, 5000, 0
        self.server = None

    def tcp(self, way, flags, length):
        bits = flag_bits(flags)
        payload = Raw(b"x" * length) if length else b""
        d = self.d
        if way == "in":
            ip = IP(src=d.client, dst=d.vip, ttl=64)
            seg = TCP(sport=self.sport, dport=self.vport, flags=bits, seq=self.cseq, ack=self.sseq,
                      window=64240)
            frame = Ether(dst=d.cmac, src=d.cl.mac) / ip / seg / payload
            link = d.cl
            self.cseq += length + (1 if bits & 0x03 else 0)
        else:
            addr, port = (self.server or f"{d.rs['RS1']}:8080").rsplit(":", 1)
            ip = IP(src=addr, dst=d.client, ttl=64)
            seg = TCP(sport=int(port), dport=self.sport, flags=bits, seq=self.sseq, ack=self.cseq,
                      window=64240)
            frame = Ether(dst=d.smac, src=d.sv.mac) / ip / seg / payload
            link = d.sv
            self.sseq += length + (1 if bits & 0x03 else 0)
        return d.exchange(link, frame)

    def udp(self, length):
        d = self.d
        frame = Ether(dst=d.cmac, src=d.cl.mac) / IP(src=d.client, dst=d.vip) / UDP(
            sport=self.sport, dport=self.vport) / Raw(b"q" * length)
        return d.exchange(d.cl, frame)

    def sip(self, spec):
        d = self.d
        frame = Ether(dst=d.cmac, src=d.cl.mac) / IP(src=d.client, dst=d.vip) / UDP(
            sport=self.sport, dport=self.vport) / Raw(sip_payload(spec))
        return d.exchange(d.cl, frame)

    def sipout(self, server, spec):
        d = self.d
        addr, port = d.words(server).rsplit(":", 1)
        frame = Ether(dst=d.smac, src=d.sv.mac) / IP(src=addr, dst=d.client) / UDP(
            sport=int(port), dport=self.sport) / Raw(sip_payload(spec))
        return d.exchange(d.sv, frame)

    def templates(self):
        """`PROTO STATE SOURCE VIRTUAL DEST [PE DATA]` of every template, sorted."""
        lines = []
        for line in self.d.adm(["-Lnc", "--persistent-conn"]).splitlines():
            f = line.split()
            proper = f and f[0] in ("TCP", "UDP", "SCTP", "IP")
            if proper and len(f) in (6, 8) and f[3].endswith(":0"):
                lines.append(" ".join(f[:1] + f[2:]))
        return " ; ".join(sorted(lines)) or "-"

    def show(self, what, sent):
        e = self.d.entry(self.sport, self.vport)
        if e:
            self.server = e[2]
        table = " ".join(e) if e else "none"
        print(f"{self.name} {self.step} {what}: {sent} | {table}", flush=True)

    def run(self, kind, args):
        self.step += 1
        if kind in ("in", "out"):
            length = int(args[1]) if len(args) > 1 else 0
            self.show(f"{kind} {args[0]}", self.tcp(kind, args[0], length))
        elif kind == "udp":
            self.show("udp", self.udp(int(args[0]) if args else 4))
        elif kind == "sip":
            self.show(f"sip {args[0]}", self.sip(args[0]))
        elif kind == "sipout":
            self.show(f"sipout {args[0]} {args[1]}", self.sipout(args[0], args[1]))
        elif kind == "templates":
            print(f"{self.name} {self.step} templates: {self.templates()}", flush=True)
        elif kind in ("adm", "list"):
            out = self.d.adm([self.d.words(w) for w in args])
            if kind == "list":
                # A listing, on one line (e.g. `-L --timeout`).
                print(f"{self.name} {self.step} list {' '.join(args)}: "
                      + " / ".join(out.splitlines()), flush=True)
            else:
                self.show("adm " + " ".join(args), "-")
        elif kind == "sleep":
            time.sleep(float(args[0]))
            self.show(f"sleep {args[0]}", "-")
        elif kind == "counts":
            service = [args[0], self.d.words(args[1])]
            print(f"{self.name} {self.step} counts {' '.join(args)}: {self.d.counts(service)}",
                  flush=True)
        else:
            sys.exit(f"unknown step {kind!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--admin", required=True, help="the ipvsadm command line")
    p.add_argument("--client-if", required=True)
    p.add_argument("--server-if", required=True)
    p.add_argument("--client-mac", required=True, help="the director's MAC on the client link")
    p.add_argument("--server-mac", required=True, help="the director's MAC on the server link")
    p.add_argument("--vip", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--servers", required=True, help="RS1,RS2 addresses")
    p.add_argument("--director", required=True,
                   help="the director's own addresses on the client and the server link")
    p.add_argument("--settle", type=float, default=0.4,
                   help="seconds to wait for frames after each packet")
    p.add_argument("--only", action="append")
    p.add_argument("walks")
    o = p.parse_args()
    d = Director(o)
    walk = None
    for n, raw in enumerate(open(o.walks), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, *args = line.split()
        if kind == "walk":
            walk = Walk(d, args[0], int(args[1]), int(args[2]))
            if o.only and walk.name not in o.only:
                walk = None
                continue
        elif walk is not None:
            walk.run(kind, args)


if __name__ == "__main__":
    main()
