#!/usr/bin/python3
"""sched_seq.py [options] SCENARIOS — replays scheduler scenarios (tests/golden/sched_seq/scenarios)
against a director and prints the real server of every pick, one line per scenario:

    NAME: A B | A D C B A

(one group per `syn` step; `-` where no entry appeared: no destination). The same script runs
on both sides so that only the director differs: in the oracle VM (ipvsadm through nsenter into
the root namespace, tests/golden/sched_seq/oracle.cmd) and against rvsd (rvsadm, from
control/tests/sched_seq.rs). It runs in the client's network namespace: the SYNs leave on
--iface for --mac (the director), from --client with a new source port each (20000 up, counted
across the whole file, so both sides use the same ports). A SYN is sent only once the previous
one shows in `-Lnc`, so the picks happen in port order and every admin command comes after the
picks before it."""
import argparse
import shlex
import socket
import subprocess
import sys
import time

from syn import syn_frame

NAMES = "ABCD"


def parse(path):
    """[(name, port, [step])], step = ("adm", words) | ("restore", [line]) | ("syn", k)."""
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
            scenarios[-1][2].append(("syn", int(rest)))
        else:
            sys.exit(f"{path}:{n}: unknown step {word!r}")
    return scenarios


class Director:
    def __init__(self, opts):
        self.admin = shlex.split(opts.admin)
        self.vip, self.client, self.mac = opts.vip, opts.client, opts.mac
        self.servers = dict(zip(NAMES, opts.servers.split(",")))
        self.names = {addr: name for name, addr in self.servers.items()}
        self.wait = opts.wait
        self.sport = 20000
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((opts.iface, 0))

    def words(self, words, port):
        """The scenario's placeholders replaced by this director's addresses."""
        out = []
        for w in words:
            if w == "VIP":
                w = f"{self.vip}:{port}"
            out.append(self.servers.get(w, w))
        return out

    def adm(self, args, stdin=None):
        r = subprocess.run(self.admin + args, input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(self.admin + args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def entry(self, sport, port):
        """The real server's name in the -Lnc entry of client:sport -> VIP:port, or None."""
        want_src, want_vip = f"{self.client}:{sport}", f"{self.vip}:{port}"
        for line in self.adm(["-Lnc"]).splitlines():
            f = line.split()
            if len(f) == 6 and f[3] == want_src and f[4] == want_vip:
                addr = f[5].rsplit(":", 1)[0]
                return self.names.get(addr, addr)
        return None

    def pick(self, port):
        sport, self.sport = self.sport, self.sport + 1
        self.sock.send(bytes(syn_frame(self.mac, self.client, self.vip, sport, port)))
        deadline = time.monotonic() + self.wait
        while True:
            name = self.entry(sport, port)
            if name is not None:
                return name
            if time.monotonic() > deadline:
                return "-"
            time.sleep(0.01)

    def run(self, name, port, steps):
        groups = []
        for kind, arg in steps:
            if kind == "adm":
                self.adm(self.words(arg, port))
            elif kind == "restore":
                text = "".join(" ".join(self.words(l.split(), port)) + "\n" for l in arg)
                self.adm(["-R"], stdin=text)
            else:
                groups.append(" ".join(self.pick(port) for _ in range(arg)))
        return f"{name}: " + " | ".join(groups)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--admin", required=True, help="the ipvsadm command line, e.g. 'nsenter -t 1 -n ipvsadm'")
    p.add_argument("--iface", required=True, help="the client's interface towards the director")
    p.add_argument("--mac", required=True, help="the director's MAC on that link")
    p.add_argument("--vip", required=True)
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
