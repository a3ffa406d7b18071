#!/usr/bin/python3
"""Compare frames rvsd sent with golden frames taken from the real kernel IPVS.

  golden_cmp.py cases GOLDEN.json                  the case names, one a line
  golden_cmp.py show GOLDEN.json [CASE]            the golden frames, one line of key fields each
  golden_cmp.py make GOLDEN.json CASE OUT.pcap [input|inside|outside]
                                                   a case's input frames (or golden output) as pcap
  golden_cmp.py compare GOLDEN.json CASE inside|outside GOT.pcap
                                                   prints {"ok": bool, "diffs": [...]}; exit 0 / 1
  golden_cmp.py selftest GOLDEN.json               golden vs itself (ok) and altered frames (fail)
  golden_cmp.py make-all GOLDEN.json DIR           every case's input as DIR/CASE.rx.pcap
  golden_cmp.py compare-all GOLDEN.json DIR        every case: DIR/CASE.outside.pcap and
                                                   DIR/CASE.inside.pcap against the golden
                                                   sides, one JSON line each; exit 0 if all ok

GOLDEN.json is a list of {"name", "input", "output_inside", "output_outside", "notes"}, frames as
hex (e.g. tests/golden/dr_tun/golden.json, made by tests/golden/dr_tun/oracle.cmd).

compare decodes both frame lists with scapy, one header at a time, into named fields (eth.*,
ip0.* outer IPv4, ip1.* inner IPv4, gre.*, udp.*, gue.*, tcp.*, icmp.*, q.* quoted headers) and
compares them in order. Every checksum is also recomputed (`*.csum_ok`) and that verdict is
compared with the golden one. Not compared:
  * eth.src (rvsd's own MAC differs) and Ethernet padding after the IPv4 total length;
  * the IPv4 ID of an ICMP error the director generated (and so its header checksum value);
  * the outer IPv4 ID of a tunnel packet with DF clear: must be non-zero, and frames whose golden
    IDs are equal (the fragments of one packet) must carry equal IDs;
  * the GUE UDP source port: must be in 32768..60999, and equal wherever the golden ones are
    equal; and so the value of a non-zero GUE UDP checksum (it must still verify).
"""
import json
import struct
import sys

from scapy.all import GRE, ICMP, IP, TCP, UDP, Ether, in4_chksum
from scapy.utils import RawPcapReader, RawPcapWriter, checksum

GUE_PORTS = {6080}
EPHEMERAL = (32768, 60999)


# ---------------------------------------------------------------- decoding

def ip_header(f, pfx, b, fragment_ok=False):
    """IPv4 header fields of b under prefix pfx; returns (scapy IP of the header, payload bytes)."""
    if len(b) < 20:
        f[pfx + ".truncated"] = len(b)
        return None, b""
    ihl = (b[0] & 0x0F) * 4
    hdr = b[:ihl]
    ip = IP(hdr)  # scapy dissects the header alone (no payload)
    f[pfx + ".version"] = ip.version
    f[pfx + ".ihl"] = ip.ihl
    f[pfx + ".tos"] = ip.tos
    f[pfx + ".len"] = ip.len
    f[pfx + ".id"] = ip.id
    f[pfx + ".flags.rsv"] = int(ip.flags.evil)
    f[pfx + ".flags.DF"] = int(ip.flags.DF)
    f[pfx + ".flags.MF"] = int(ip.flags.MF)
    f[pfx + ".frag"] = ip.frag
    f[pfx + ".ttl"] = ip.ttl
    f[pfx + ".proto"] = ip.proto
    f[pfx + ".chksum"] = ip.chksum
    f[pfx + ".csum_ok"] = checksum(hdr[:10] + b"\0\0" + hdr[12:]) == ip.chksum
    f[pfx + ".src"] = ip.src
    f[pfx + ".dst"] = ip.dst
    f[pfx + ".options"] = hdr[20:].hex()
    end = ip.len if ip.len >= ihl else len(b)
    if len(b) < end:
        f[pfx + ".truncated"] = "%d of %d bytes" % (len(b), end)
    return ip, b[ihl:end]


def l4_ok(proto, ip, seg, off):
    """Recompute a TCP/UDP checksum (field at seg[off:off+2]) with ip's pseudo-header."""
    want = struct.unpack("!H", seg[off:off + 2])[0]
    return in4_chksum(proto, ip, seg[:off] + b"\0\0" + seg[off + 2:]) == want


def tcp_fields(f, pfx, ip, seg):
    if len(seg) < 20:
        f[pfx + ".truncated"] = seg.hex()
        return
    t = TCP(seg)
    f[pfx + ".sport"] = t.sport
    f[pfx + ".dport"] = t.dport
    f[pfx + ".seq"] = t.seq
    f[pfx + ".ack"] = t.ack
    f[pfx + ".dataofs"] = t.dataofs
    f[pfx + ".flags"] = str(t.flags)
    f[pfx + ".window"] = t.window
    f[pfx + ".chksum"] = t.chksum
    f[pfx + ".urgptr"] = t.urgptr
    doff = (seg[12] >> 4) * 4
    f[pfx + ".options"] = seg[20:doff].hex()
    f[pfx + ".payload"] = seg[doff:].hex()
    if ip is not None:
        f[pfx + ".csum_ok"] = l4_ok(6, ip, seg, 16)


def inner_ip(f, pfx, b):
    ip, pl = ip_header(f, pfx, b)
    if ip is None:
        return
    if ip.flags.MF or ip.frag:
        f[pfx + ".fragdata"] = pl.hex()
    elif ip.proto == 6:
        tcp_fields(f, "tcp", ip, pl)
    else:
        f[pfx + ".payload"] = pl.hex()


def icmp_fields(f, ip, pl):
    if len(pl) < 8:
        f["icmp.truncated"] = pl.hex()
        return
    ic = ICMP(pl[:8])
    f["icmp.type"] = ic.type
    f["icmp.code"] = ic.code
    f["icmp.chksum"] = ic.chksum
    f["icmp.csum_ok"] = checksum(pl[:2] + b"\0\0" + pl[4:]) == ic.chksum
    if ic.type == 3 and ic.code == 4:
        f["icmp.unused"] = struct.unpack("!H", pl[4:6])[0]
        f["icmp.mtu"] = struct.unpack("!H", pl[6:8])[0]
    else:
        f["icmp.rest"] = pl[4:8].hex()
    q = pl[8:]
    f["icmp.quote_len"] = len(q)
    f["icmp.quote"] = q.hex()
    # the quoted header, decoded for readable diffs (the bytes above are compared anyway)
    if len(q) >= 20:
        qip = IP(q[:(q[0] & 0x0F) * 4])
        for k in ("tos", "len", "id", "ttl", "proto", "chksum", "src", "dst"):
            f["q.ip." + k] = getattr(qip, k)
        f["q.ip.flags"] = str(qip.flags)
        l4 = q[qip.ihl * 4:]
        if qip.proto in (6, 17) and len(l4) >= 8:
            f["q.l4.sport"], f["q.l4.dport"] = struct.unpack("!HH", l4[:4])
        if qip.proto == 6 and len(l4) >= 14:
            f["q.tcp.seq"], f["q.tcp.ack"] = struct.unpack("!II", l4[4:12])


def decode(frame):
    """Ordered dict of named fields of one Ethernet frame."""
    f = {}
    if len(frame) < 14:
        f["eth.truncated"] = frame.hex()
        return f
    e = Ether(frame[:14])
    f["eth.dst"] = e.dst
    f["eth.src"] = e.src
    f["eth.type"] = e.type
    if e.type != 0x0800:
        f["eth.payload"] = frame[14:].hex()
        return f
    ip, pl = ip_header(f, "ip0", frame[14:])
    if ip is None:
        return f
    f["_outer_proto"] = ip.proto
    if ip.flags.MF or ip.frag:                     # an outer fragment: the bytes, and the inner header
        f["ip0.fragdata"] = pl.hex()               # of the first one (decoded for readable diffs)
        if ip.frag == 0 and ip.proto == 4 and len(pl) >= 20:
            ip_header(f, "ip1", pl)
        return f
    if ip.proto == 4:
        inner_ip(f, "ip1", pl)
    elif ip.proto == 47:
        if len(pl) < 4:
            f["gre.truncated"] = pl.hex()
            return f
        g = GRE(pl[:8] if pl[0] & 0x80 else pl[:4])
        hl = 8 if g.chksum_present else 4
        f["gre.flags_ver"] = "%04x" % struct.unpack("!H", pl[:2])[0]
        f["gre.proto"] = g.proto
        if g.chksum_present:
            f["gre.chksum"] = g.chksum
            f["gre.reserved1"] = g.offset  # scapy names RFC 2784 Reserved1 "offset"
            f["gre.csum_ok"] = checksum(pl[:4] + b"\0\0" + pl[6:]) == g.chksum
        inner_ip(f, "ip1", pl[hl:])
    elif ip.proto == 17:
        if len(pl) < 8:
            f["udp.truncated"] = pl.hex()
            return f
        u = UDP(pl[:8])
        f["udp.sport"] = u.sport
        f["udp.dport"] = u.dport
        f["udp.len"] = u.len
        f["udp.chksum"] = u.chksum
        f["udp.csum_ok"] = "none" if u.chksum == 0 else l4_ok(17, ip, pl, 6)
        body = pl[8:]
        if u.dport in GUE_PORTS and len(body) >= 4:
            f["gue.ver"] = body[0] >> 6
            f["gue.c"] = (body[0] >> 5) & 1
            f["gue.hlen"] = body[0] & 0x1F
            f["gue.proto"] = body[1]
            f["gue.flags"] = struct.unpack("!H", body[2:4])[0]
            hl = 4 + 4 * (body[0] & 0x1F)
            f["gue.options"] = body[4:hl].hex()
            inner_ip(f, "ip1", body[hl:])
        else:
            f["udp.payload"] = body.hex()
    elif ip.proto == 6:
        tcp_fields(f, "tcp", ip, pl)
    elif ip.proto == 1:
        icmp_fields(f, ip, pl)
    else:
        f["ip0.payload"] = pl.hex()
    return f


# ---------------------------------------------------------------- comparing

def is_tunnel_outer(g):
    p = g.get("_outer_proto")
    return p in (4, 47) or (p == 17 and g.get("udp.dport") in GUE_PORTS)


def compare_frames(got, want):
    """got, want: lists of frames (bytes). Returns a list of differences (strings)."""
    diffs = []
    if len(got) != len(want):
        diffs.append("frame count: got %d, want %d" % (len(got), len(want)))
    id_groups, port_groups = {}, {}
    for n, (gb, wb) in enumerate(zip(got, want), 1):
        g, w = decode(gb), decode(wb)
        skip = {"eth.src", "_outer_proto"}
        if w.get("_outer_proto") == 1:                        # ICMP generated by the director
            skip |= {"ip0.id", "ip0.chksum"}
        if is_tunnel_outer(w) and w.get("ip0.flags.DF") == 0:  # outer ID from the host generator
            skip |= {"ip0.id", "ip0.chksum"}
            gid = g.get("ip0.id")
            if gid == 0:
                diffs.append("frame %d: ip0.id: got 0, want non-zero (DF clear)" % n)
            id_groups.setdefault(w.get("ip0.id"), set()).add(gid)
        if w.get("_outer_proto") == 17 and w.get("udp.dport") in GUE_PORTS:
            skip.add("udp.sport")
            sp = g.get("udp.sport")
            if not isinstance(sp, int) or not EPHEMERAL[0] <= sp <= EPHEMERAL[1]:
                diffs.append("frame %d: udp.sport: got %s, want %d..%d" % (n, sp, EPHEMERAL[0], EPHEMERAL[1]))
            port_groups.setdefault(w.get("udp.sport"), set()).add(sp)
            if w.get("udp.chksum") != 0:                      # depends on the source port
                skip.add("udp.chksum")
                if g.get("udp.chksum") == 0:
                    diffs.append("frame %d: udp.chksum: got 0, want a computed checksum" % n)
        for k in list(w) + [k for k in g if k not in w]:
            if k in skip:
                continue
            if k not in g:
                diffs.append("frame %d: %s: missing, want %s" % (n, k, short(w[k])))
            elif k not in w:
                diffs.append("frame %d: %s: got %s, not expected" % (n, k, short(g[k])))
            elif g[k] != w[k]:
                diffs.append("frame %d: %s: got %s, want %s" % (n, k, short(g[k]), short(w[k])))
    for wid, gids in id_groups.items():
        if len(gids) > 1:
            diffs.append("ip0.id: frames with golden id %s got different ids %s" % (wid, sorted(gids)))
    for wp, gps in port_groups.items():
        if len(gps) > 1:
            diffs.append("udp.sport: frames with golden GUE port %s got different ports %s" % (wp, sorted(gps)))
    return diffs


def short(v):
    if isinstance(v, str) and len(v) > 72:
        return "%s...(%d hex chars)" % (v[:64], len(v))
    if isinstance(v, int) and not isinstance(v, bool) and v > 9:
        return "%d (%#x)" % (v, v)
    return str(v)


# ---------------------------------------------------------------- files

def load(path, name=None):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    if name is None:
        return cases
    for c in cases:
        if c["name"] == name:
            return c
    sys.exit("golden_cmp: no case %r in %s" % (name, path))


SIDES = {"input": "input", "inside": "output_inside", "outside": "output_outside"}


def read_pcap(path):
    return [bytes(pkt) for pkt, _meta in RawPcapReader(path)]


def write_pcap(path, frames):
    w = RawPcapWriter(path, linktype=1, sync=True)
    w._write_header(None)  # an empty list still makes a valid pcap
    for i, fr in enumerate(frames):
        w._write_packet(fr, sec=1 + i // 1000, usec=(i % 1000) * 1000)
    w.close()


def summary(frame):
    f = decode(frame)
    keys = ["eth.dst", "ip0.src", "ip0.dst", "ip0.tos", "ip0.len", "ip0.id", "ip0.flags.DF",
            "ip0.flags.MF", "ip0.frag", "ip0.ttl", "ip0.proto", "gre.flags_ver", "udp.sport",
            "udp.dport", "udp.len", "udp.chksum", "gue.proto", "ip1.tos", "ip1.len", "ip1.id",
            "ip1.flags.DF", "ip1.ttl", "ip1.chksum", "icmp.type", "icmp.code", "icmp.mtu",
            "icmp.quote_len", "q.ip.ttl", "q.ip.len"]
    out = []
    for k in keys:
        if k in f:
            v = f[k]
            out.append("%s=%s" % (k, "%#x" % v if k.endswith(("tos", "chksum")) else v))
    bad = [k for k, v in f.items() if k.endswith("csum_ok") and v is False]
    return " ".join(out + (["BAD:" + ",".join(bad)] if bad else []))


# ---------------------------------------------------------------- self test

def fix_ip_csum(b, off):
    ihl = (b[off] & 0x0F) * 4
    h = bytearray(b[off:off + ihl])
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", checksum(bytes(h)))
    return b[:off] + bytes(h) + b[off + ihl:]


def set_u16(b, off, v):
    return b[:off] + struct.pack("!H", v) + b[off + 2:]


def fix_udp_csum(b):
    """Recompute the outer UDP checksum (frame with a 20-byte outer IPv4 header)."""
    ip = IP(b[14:34])
    seg = b[34:14 + ip.len]
    c = in4_chksum(17, ip, seg[:6] + b"\0\0" + seg[8:]) or 0xFFFF
    return set_u16(b, 40, c)


def selftest(path):
    """Each golden side against itself (ok), then alterations: tolerated ones must stay ok,
    the others must be caught. Prints one line per check; exit 0 if all behaved."""
    failures = 0

    def check(label, got, want, expect_ok):
        nonlocal failures
        d = compare_frames(got, want)
        good = (not d) == expect_ok
        failures += not good
        print("%-4s %-60s %s" % ("ok" if good else "FAIL", label, (d[:2] if d else "")))

    for c in load(path):
        for side in ("inside", "outside"):
            want = [bytes.fromhex(h) for h in c[SIDES[side]]]
            label = "%s/%s" % (c["name"], side)
            check(label + " = itself", want, want, True)
            if not want:
                check(label + " extra frame", [bytes.fromhex(c["input"][0])], want, False)
                continue
            w0 = want[0]
            f0 = decode(w0)
            check(label + " one frame missing", want[1:], want, False)
            check(label + " eth.src changed (tolerated)", [w0[:6] + b"\x02\xaa\xbb\xcc\xdd\xee" + w0[12:]] + want[1:], want, True)
            check(label + " eth.dst changed", [b"\x02\x00\x00\x00\x00\x99" + w0[6:]] + want[1:], want, False)
            check(label + " last byte flipped", want[:-1] + [want[-1][:-1] + bytes([want[-1][-1] ^ 0x01])], want, False)
            check(label + " outer TTL+1 (csum fixed)", [fix_ip_csum(w0[:22] + bytes([w0[22] + 1]) + w0[23:], 14)] + want[1:], want, False)
            check(label + " outer TOS 0x04 (csum fixed)", [fix_ip_csum(w0[:15] + bytes([w0[15] ^ 0x04]) + w0[16:], 14)] + want[1:], want, False)
            check(label + " outer csum wrong", [set_u16(w0, 24, f0["ip0.chksum"] ^ 0x0100)] + want[1:], want, False)
            check(label + " Ethernet padding added (tolerated)", [w0 + b"\0" * 16] + want[1:], want, True)
            if f0.get("_outer_proto") == 1:
                check(label + " ICMP IP id changed (tolerated)", [fix_ip_csum(set_u16(w0, 18, f0["ip0.id"] ^ 0x5555), 14)] + want[1:], want, True)
                mtu = f0.get("icmp.mtu")
                if mtu is not None:
                    b = set_u16(w0, 40, mtu + 1)
                    b = set_u16(b, 36, 0)
                    b = set_u16(b, 36, checksum(b[34:]))
                    check(label + " ICMP MTU+1 (csum fixed)", [b] + want[1:], want, False)
            nodf = [i for i, w in enumerate(want) if is_tunnel_outer(decode(w)) and decode(w)["ip0.flags.DF"] == 0]
            if nodf:
                alt = [fix_ip_csum(set_u16(w, 18, 0x4242), 14) if i in nodf else w for i, w in enumerate(want)]
                check(label + " outer DF-clear id changed (tolerated)", alt, want, True)
                alt = [fix_ip_csum(set_u16(w, 18, 0), 14) if i in nodf else w for i, w in enumerate(want)]
                check(label + " outer DF-clear id 0", alt, want, False)
            ids = [decode(w).get("ip0.id") for w in want]
            frag = [i for i, w in enumerate(want) if decode(w).get("ip0.flags.MF") or decode(w).get("ip0.frag")]
            if len(frag) >= 2:
                alt = list(want)
                alt[frag[-1]] = fix_ip_csum(set_u16(alt[frag[-1]], 18, ids[frag[-1]] ^ 0x0101), 14)
                check(label + " fragments with different ids", alt, want, False)
            if f0.get("gue.proto") is not None:
                b = set_u16(w0, 34, 33333)
                if f0["udp.chksum"]:
                    b = fix_udp_csum(b)
                check(label + " GUE sport 33333 (tolerated)", [b] + want[1:], want, True)
                b2 = set_u16(w0, 34, 61000)
                check(label + " GUE sport 61000", [fix_udp_csum(b2) if f0["udp.chksum"] else b2] + want[1:], want, False)
                if f0["udp.chksum"]:
                    check(label + " GUE sport changed, csum stale", [set_u16(w0, 34, 33333)] + want[1:], want, False)
                else:
                    check(label + " GUE csum set where golden has 0", [fix_udp_csum(w0)] + want[1:], want, False)
            if f0.get("ip1.ttl") is not None and "ip0.fragdata" not in f0:
                # inner TTL + 1 with the inner IPv4 checksum fixed
                off = 34 + {4: 0, 47: 8 if "gre.chksum" in f0 else 4, 17: 12}[f0["ip0.proto"]]
                b = w0[:off + 8] + bytes([w0[off + 8] + 1]) + w0[off + 9:]
                check(label + " inner TTL+1 (inner csum fixed)", [fix_ip_csum(b, off)] + want[1:], want, False)
    print("selftest: %s" % ("ok" if not failures else "%d FAILED" % failures))
    return failures == 0


# ---------------------------------------------------------------- main

def main(argv):
    if len(argv) >= 2 and argv[0] == "cases":
        for c in load(argv[1]):
            print(c["name"])
        return 0
    if len(argv) >= 2 and argv[0] == "show":
        for c in load(argv[1]) if len(argv) == 2 else [load(argv[1], argv[2])]:
            print("== %s: %s" % (c["name"], c["notes"]))
            for side in ("input", "inside", "outside"):
                for i, h in enumerate(c[SIDES[side]], 1):
                    print("  %-7s %d %s" % (side, i, summary(bytes.fromhex(h))))
        return 0
    if len(argv) in (4, 5) and argv[0] == "make":
        side = argv[4] if len(argv) == 5 else "input"
        c = load(argv[1], argv[2])
        write_pcap(argv[3], [bytes.fromhex(h) for h in c[SIDES[side]]])
        return 0
    if len(argv) == 5 and argv[0] == "compare" and argv[3] in ("inside", "outside"):
        c = load(argv[1], argv[2])
        want = [bytes.fromhex(h) for h in c[SIDES[argv[3]]]]
        diffs = compare_frames(read_pcap(argv[4]), want)
        print(json.dumps({"ok": not diffs, "diffs": diffs}))
        return 0 if not diffs else 1
    if len(argv) == 3 and argv[0] == "make-all":
        for c in load(argv[1]):
            write_pcap("%s/%s.rx.pcap" % (argv[2], c["name"]),
                       [bytes.fromhex(h) for h in c["input"]])
        return 0
    if len(argv) == 3 and argv[0] == "compare-all":
        ok = True
        for c in load(argv[1]):
            for side in ("outside", "inside"):
                want = [bytes.fromhex(h) for h in c[SIDES[side]]]
                got = read_pcap("%s/%s.%s.pcap" % (argv[2], c["name"], side))
                diffs = compare_frames(got, want)
                ok = ok and not diffs
                print(json.dumps({"case": c["name"], "side": side, "ok": not diffs,
                                  "diffs": diffs}))
        return 0 if ok else 1
    if len(argv) == 2 and argv[0] == "selftest":
        return 0 if selftest(argv[1]) else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
