#!/usr/bin/python3
"""sched_seq.py [options] SCENARIOS — replays scheduler scenarios (tests/golden/sched_seq/scenarios)
against a director and prints the real server of every pick, one line per scenario:

    NAME: A B | A D C B A

(one group per `syn` step; `-` where no entry appeared: no destination). The same script runs
on both sides so that only the director differs: in the oracle VM (ipvsadm through nsenter into
the root namespace, tests/golden/sched_seq/oracle.cmd) and against rvsd (rvsadm, from
control/tests/sched_seq.rs). It runs in the client's network namespace: the SYNs leave on
--iface for --mac (the director), from --client (or the step's `from` addresses) with a new
source port each (20000 up, counted across the whole file, so both sides use the same ports). A
SYN is sent only once the previous one shows in `-Lnc`, so the picks happen in port order and
every admin command comes after the picks before it. `rst` resets earlier picks and waits until
IPVS has forgotten them, so that their server's counters (and OVERLOAD) fall back."""
import argparse
import ipaddress
import shlex
import socket
import subprocess
import sys
import time

from scapy.all import IP, TCP, UDP, Ether

from syn import syn_frame

NAMES = "ABCD"


def parse(path):
    """[(name, port, [step])], step = ("adm", words) | ("restore", [line])
    | ("syn", (k, {"from": spec, "to": spec, "udp": bool})) | ("rst", [server name])."""
    scenarios, restore = [], None
    for n, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if restore is not None:
            if line == "end":
                scenarios[-1][2].append(("restore", restore))
                restore = None
            else:
                restore.append(line)
            continue
        word, _, rest = line.partition(" ")
        if word == "scenario":
            name, port = rest.split()
            scenarios.append((name, int(port), []))
        elif not scenarios:
            sys.exit(f"{path}:{n}: a step before the first scenario")
        elif word == "ipvsadm":
            scenarios[-1][2].append(("adm", rest.split()))
        elif word == "restore":
            restore = []
        elif word == "syn":
            k, *opts = rest.split()
            step = {"udp": False}
            while opts:
                o = opts.pop(0)
                if o == "udp":
                    step["udp"] = True
                elif o in ("from", "to") and opts:
                    step[o] = opts.pop(0)
                else:
                    sys.exit(f"{path}:{n}: bad syn option {o!r}")
            scenarios[-1][2].append(("syn", (int(k), step)))
        elif word == "rst":
            scenarios[-1][2].append(("rst", rest.split()))
        else:
            sys.exit(f"{path}:{n}: unknown step {word!r}")
    return scenarios


class Director:
    def __init__(self, opts):
        self.admin = shlex.split(opts.admin)
        self.client, self.mac = opts.client, opts.mac
        # VIP, VIP2, VIP3 ...: the same names on both sides, each director's own addresses.
        self.vips = {("VIP" if i == 0 else f"VIP{i + 1}"): a for i, a in enumerate(opts.vip.split(","))}
        self.servers = dict(zip(NAMES, opts.servers.split(",")))
        self.names = {addr: name for name, addr in self.servers.items()}
        self.wait = opts.wait
        self.sport = 20000
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((opts.iface, 0))

    def address(self, word, port):
        """`VIP`, `VIP2`, ... as ADDR:port, `VIP:P` as ADDR:P; anything else unchanged."""
        name, colon, p = word.partition(":")
        if name in self.vips:
            return f"{self.vips[name]}:{p if colon else port}"
        return word

    def words(self, words, port):
        """The scenario's placeholders replaced by this director's addresses."""
        return [self.servers.get(w, self.address(w, port)) for w in words]

    def adm(self, args, stdin=None):
        r = subprocess.run(self.admin + args, input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(self.admin + args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def entries(self):
        """{(PROTO, client addr:port, virtual addr:port): real server address} of `-Lnc`."""
        out = {}
        for line in self.adm(["-Lnc"]).splitlines():
            f = line.split()
            if len(f) == 6 and f[0] in ("TCP", "UDP"):
                out[(f[0], f[3], f[4])] = f[5].rsplit(":", 1)[0]
        return out

    def spread(self, spec, k):
        """The k addresses of a `syn` step's `from` or `to`: `ADDR` k times, `ADDR..` k
        successive addresses from ADDR, `A1,A2,...` in turn."""
        if spec.endswith(".."):
            first = ipaddress.ip_address(spec[:-2])
            return [str(first + i) for i in range(k)]
        cycle = spec.split(",")
        return [cycle[i % len(cycle)] for i in range(k)]

    def pick(self, flow):
        """Sends the flow's first packet; the real server of its -Lnc entry, or `-`."""
        proto, src, sport, dst, dport = flow
        if proto == "UDP":
            frame = Ether(dst=self.mac) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / b"x"
        else:
            frame = syn_frame(self.mac, src, dst, sport, dport)
        self.sock.send(bytes(frame))
        key = (proto, f"{src}:{sport}", f"{dst}:{dport}")
        deadline = time.monotonic() + self.wait
        while True:
            addr = self.entries().get(key)
            if addr is not None:
                return self.names.get(addr, addr)
            if time.monotonic() > deadline:
                return "-"
            time.sleep(0.01)

    def reset(self, flows):
        """Closes each TCP flow from the client, then waits until IPVS has expired their
        entries: only an expiry lowers a server's counters and clears OVERLOAD (ipvs-schedulers
        §3). An ACK first: in SYN_RECV a DR connection ignores an RST (IPVS's input-only state
        table), in ESTABLISHED an RST takes it to CLOSE, 10 s (tests/golden/lifecycle dr-rst)."""
        for flags, ack in (("A", 1), ("R", 0)):
            for proto, src, sport, dst, dport in flows:
                tcp = TCP(sport=sport, dport=dport, flags=flags, seq=1001, ack=ack)
                self.sock.send(bytes(Ether(dst=self.mac) / IP(src=src, dst=dst) / tcp))
        keys = {(p, f"{s}:{sp}", f"{d}:{dp}") for p, s, sp, d, dp in flows}
        deadline = time.monotonic() + 30
        while keys & self.entries().keys():
            if time.monotonic() > deadline:
                sys.exit(f"entries not expired 30 s after their RST: {sorted(keys)}")
            time.sleep(0.2)

    def run(self, name, port, steps):
        groups, flows = [], []
        for kind, arg in steps:
            if kind == "adm":
                self.adm(self.words(arg, port))
            elif kind == "restore":
                text = "".join(" ".join(self.words(l.split(), port)) + "\n" for l in arg)
                self.adm(["-R"], stdin=text)
            elif kind == "rst":
                # Each name: the earliest still held connection that went to that server.
                gone = []
                for server in arg:
                    held = [i for i, (_, s) in enumerate(flows) if s == server]
                    if not held:
                        sys.exit(f"{name}: rst {server}: no held connection of {server}")
                    gone.append(flows.pop(held[0])[0])
                self.reset(gone)
            else:
                k, opts = arg
                srcs = self.spread(opts.get("from", self.client), k)
                dsts = [self.address(d, port) for d in self.spread(opts.get("to", "VIP"), k)]
                picks = []
                for src, dst in zip(srcs, dsts):
                    daddr, _, dport = dst.partition(":")
                    flow = ("UDP" if opts["udp"] else "TCP", src, self.sport, daddr, int(dport or port))
                    self.sport += 1
                    picks.append(self.pick(flow))
                    flows.append((flow, picks[-1]))
                groups.append(" ".join(picks))
        return f"{name}: " + " | ".join(groups)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--admin", required=True, help="the ipvsadm command line, e.g. 'nsenter -t 1 -n ipvsadm'")
    p.add_argument("--iface", required=True, help="the client's interface towards the director")
    p.add_argument("--mac", required=True, help="the director's MAC on that link")
    p.add_argument("--vip", required=True, help="VIP[,VIP2,...]: the scenarios' VIP, VIP2, ...")
    p.add_argument("--client", required=True, help="source address of the SYNs (nobody answers it)")
    p.add_argument("--servers", required=True, help="addresses of A,B,C,D")
    p.add_argument("--wait", type=float, default=1.0, help="seconds before a pick counts as none")
    p.add_argument("--only", action="append", help="run only these scenarios")
    p.add_argument("scenarios")
    opts = p.parse_args()
    d = Director(opts)
    for name, port, steps in parse(opts.scenarios):
        if not opts.only or name in opts.only:
            print(d.run(name, port, steps), flush=True)


if __name__ == "__main__":
    main()
