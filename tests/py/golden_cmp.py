#!/usr/bin/python3
"""Compare frames rvsd sent with golden frames taken from the real kernel IPVS.

  golden_cmp.py cases GOLDEN.json                  the case names, one a line
  golden_cmp.py show GOLDEN.json [CASE]            the golden frames, one line of key fields each
  golden_cmp.py make GOLDEN.json CASE OUT.pcap [input|inside|outside]
                                                   a case's input frames (or golden output) as pcap
  golden_cmp.py compare GOLDEN.json CASE inside|outside GOT.pcap
                                                   prints {"ok": bool, "diffs": [...]}; exit 0 / 1
  golden_cmp.py selftest GOLDEN.json               golden vs itself (ok) and altered frames (fail)
  golden_cmp.py make-all GOLDEN.json DIR [--slot N]
                                                   every case's input as DIR/CASE.rx.pcap (and
                                                   DIR/CASE.rx_inside.pcap if it has input links)
  golden_cmp.py compare-all GOLDEN.json DIR        every case: DIR/CASE.outside.pcap and
                                                   DIR/CASE.inside.pcap against the golden
                                                   sides, one JSON line each; exit 0 if all ok

GOLDEN.json is a list of {"name", "input", "output_inside", "output_outside", "notes"}, frames as
hex (e.g. tests/golden/dr_tun/golden.json, made by tests/golden/dr_tun/oracle.cmd). A case may also
have "input_link" (per input frame "outside" or "inside"; without it every input is outside) and
"tolerate" (below), e.g. tests/golden/icmp/golden.json.

make-all addresses the inputs sent to the oracle director's MAC to rvsd's on net_pcap instead. With
input links it writes DIR/CASE.rx.pcap (the outside inputs) and DIR/CASE.rx_inside.pcap;
with --slot N, input frame k is put at index k*N of its link's file and every other index before
the link's last input holds a filler (EtherType 0x88b5 to the link's MAC, to be dropped): a
receiver that polls the two links in turn and takes at most N frames per poll then meets the
inputs in their order across links.

compare decodes both frame lists with scapy, one header at a time, into named fields (eth.*,
ip0.* outer IPv4 or IPv6 (version, tc, fl, plen, nh, hlim, src, dst), frag.* an outer IPv6
Fragment header, ip1.* inner IPv4 or IPv6 (plain 4/41, GRE, GUE), gre.*, udp.*, gue.*, tcp.*,
icmp.* (outer, or inner in a tunnel), icmp6.* an ICMPv6 message (checksum recomputed with the
IPv6 pseudo-header), q.* the quoted headers: q.ip.* / q.ip6.* with q.ip.csum_ok, q.l4.* ports,
q.tcp.*/q.udp.* with their checksum and, when the whole segment is quoted, its verdict; q.ip1.*
a tunnel packet's inner header) and compares them in order. Every checksum is also recomputed (`*.csum_ok`) and
that verdict is compared with the golden one; the quote is compared byte for byte as well.
Not compared:
  * eth.src (rvsd's own MAC differs) and Ethernet padding after the IPv4 total length;
  * the IPv4 ID of an ICMP error the director generated (and so its header checksum value). An
    ICMP error the director relayed keeps its sender's ID, which is compared: a golden ICMP
    frame is a relay when an input ICMP frame has the same IPv4 ID and a TTL one higher;
  * the IPv6 flow label of an ICMPv6 error the director generated (Linux's automatic flow
    label, a hash with a per-boot key); a relay (same flow label, hop limit one higher than an
    input ICMPv6 frame's) keeps it, compared;
  * the ID of an outer IPv6 Fragment header (a keyed hash): frames whose golden IDs are equal
    (the fragments of one packet) must carry equal IDs;
  * the outer IPv4 ID of a tunnel packet with DF clear: must be non-zero, and frames whose golden
    IDs are equal (the fragments of one packet) must carry equal IDs;
  * the GUE UDP source port: must be in 32768..60999, and equal wherever the golden ones are
    equal; and so the value of a non-zero GUE UDP checksum (it must still verify).
A case's "tolerate" list names differences rvs makes on purpose, each {"side", "frame" (1-based),
"field", "kernel", "rvs", "why"}: when the golden field has the kernel's value, the rvs value is
accepted there (and the value of the checksum covering that field; its verdict is still compared).
Nothing else is tolerated: another value, frame, side or case still differs.
"""
import json
import struct
import sys

from scapy.all import GRE, ICMP, IP, IPv6, TCP, UDP, Ether, in4_chksum, in6_chksum
from scapy.utils import RawPcapReader, RawPcapWriter, checksum

from frames import PCAP_MACS

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
    """Recompute a TCP/UDP/ICMPv6 checksum (field at seg[off:off+2]) with ip's pseudo-header
    (ip: a scapy IP or IPv6 header)."""
    want = struct.unpack("!H", seg[off:off + 2])[0]
    chksum = in6_chksum if isinstance(ip, IPv6) else in4_chksum
    return chksum(proto, ip, seg[:off] + b"\0\0" + seg[off + 2:]) == want


def ip6_header(f, pfx, b):
    """IPv6 header fields of b under prefix pfx; returns (scapy IPv6 of the header, payload
    bytes up to the payload length: Ethernet padding cut)."""
    if len(b) < 40:
        f[pfx + ".truncated"] = len(b)
        return None, b""
    ip = IPv6(b[:40])
    for k in ("version", "tc", "fl", "plen", "nh", "hlim", "src", "dst"):
        f[pfx + "." + k] = getattr(ip, k)
    end = 40 + ip.plen
    if len(b) < end:
        f[pfx + ".truncated"] = "%d of %d bytes" % (len(b), end)
    return ip, b[40:end]


def frag6_fields(f, pl):
    """An IPv6 Fragment header (RFC 8200 §4.5) at the front of pl; returns what follows it."""
    if len(pl) < 8:
        f["frag.truncated"] = pl.hex()
        return b""
    f["frag.nh"] = pl[0]
    f["frag.reserved"] = pl[1]
    offm = struct.unpack("!H", pl[2:4])[0]
    f["frag.offset"] = offm >> 3
    f["frag.res2"] = (offm >> 1) & 3
    f["frag.m"] = offm & 1
    f["frag.id"] = struct.unpack("!I", pl[4:8])[0]
    return pl[8:]


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
    if b and b[0] >> 4 == 6:
        ip, pl = ip6_header(f, pfx, b)
        if ip is None:
            return
        if ip.nh == 6:
            tcp_fields(f, "tcp", ip, pl)
        elif ip.nh == 58:
            icmp6_fields(f, ip, pl)
        else:
            f[pfx + ".payload"] = pl.hex()
        return
    ip, pl = ip_header(f, pfx, b)
    if ip is None:
        return
    if ip.flags.MF or ip.frag:
        f[pfx + ".fragdata"] = pl.hex()
    elif ip.proto == 6:
        tcp_fields(f, "tcp", ip, pl)
    elif ip.proto == 1:
        icmp_fields(f, ip, pl)
    else:
        f[pfx + ".payload"] = pl.hex()


def quoted_ip(f, pfx, q):
    """A quoted IPv4 header (q: the quote from it on) under pfx; returns (IP, rest) or (None, b"")."""
    if len(q) < 20 or q[0] >> 4 != 4 or (q[0] & 0x0F) < 5 or len(q) < (q[0] & 0x0F) * 4:
        return None, b""
    hdr = q[:(q[0] & 0x0F) * 4]
    qip = IP(hdr)
    for k in ("ihl", "tos", "len", "id", "frag", "ttl", "proto", "chksum", "src", "dst"):
        f[pfx + "." + k] = getattr(qip, k)
    f[pfx + ".flags"] = str(qip.flags)
    f[pfx + ".csum_ok"] = checksum(hdr[:10] + b"\0\0" + hdr[12:]) == qip.chksum
    return qip, q[len(hdr):]


def quoted_l4(f, qip, l4):
    """Ports (and checksum) of a quoted TCP/UDP header (after a quoted IPv4 or IPv6 header qip,
    without extension headers); its verdict when the whole segment is quoted."""
    if isinstance(qip, IPv6):
        frag, proto, seglen = False, qip.nh, qip.plen
    else:
        frag, proto, seglen = qip.frag, qip.proto, qip.len - qip.ihl * 4
    if frag or proto not in (6, 17) or len(l4) < 8:
        return
    f["q.l4.sport"], f["q.l4.dport"] = struct.unpack("!HH", l4[:4])
    whole = len(l4) >= seglen
    seg = l4[:seglen]
    if proto == 6 and len(l4) >= 14:
        f["q.tcp.seq"], f["q.tcp.ack"] = struct.unpack("!II", l4[4:12])
        if len(l4) >= 18:
            f["q.tcp.chksum"] = struct.unpack("!H", l4[16:18])[0]
            if whole:
                f["q.tcp.csum_ok"] = l4_ok(6, qip, seg, 16)
    elif proto == 17:
        f["q.udp.len"], f["q.udp.chksum"] = struct.unpack("!HH", l4[4:8])
        if whole:
            f["q.udp.csum_ok"] = "none" if f["q.udp.chksum"] == 0 else l4_ok(17, qip, seg, 6)


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
    # the quoted headers, decoded for readable diffs and checksum verdicts (the bytes above are
    # compared anyway); an IPIP quote (an error about a tunnel packet) also its inner header
    qip, l4 = quoted_ip(f, "q.ip", q)
    if qip is None:
        return
    if qip.proto == 4 and not qip.frag:
        qip1, l4 = quoted_ip(f, "q.ip1", l4)
        if qip1 is None:
            return
        qip = qip1
    quoted_l4(f, qip, l4)


def quoted_ip6(f, pfx, q):
    """A quoted IPv6 header (q: the quote from it on) under pfx; returns (IPv6, rest) or (None, b"")."""
    if len(q) < 40 or q[0] >> 4 != 6:
        return None, b""
    qip = IPv6(q[:40])
    for k in ("tc", "fl", "plen", "nh", "hlim", "src", "dst"):
        f[pfx + "." + k] = getattr(qip, k)
    return qip, q[40:]


def icmp6_fields(f, ip, pl):
    """An ICMPv6 message (RFC 4443) after IPv6 header ip: its checksum recomputed with the IPv6
    pseudo-header, the quote's bytes, and its quoted headers decoded (q.ip6.*, an IPv4 or IPv6
    tunnel packet's inner header q.ip1.*, the ports q.l4.*)."""
    if len(pl) < 8:
        f["icmp6.truncated"] = pl.hex()
        return
    f["icmp6.type"] = pl[0]
    f["icmp6.code"] = pl[1]
    f["icmp6.chksum"] = struct.unpack("!H", pl[2:4])[0]
    f["icmp6.csum_ok"] = l4_ok(58, ip, pl, 2)
    if pl[0] == 2:                                  # Packet Too Big: the MTU
        f["icmp6.mtu"] = struct.unpack("!I", pl[4:8])[0]
    else:
        f["icmp6.rest"] = pl[4:8].hex()
    q = pl[8:]
    f["icmp6.quote_len"] = len(q)
    f["icmp6.quote"] = q.hex()
    qip, l4 = quoted_ip6(f, "q.ip6", q)
    if qip is None:
        return
    if qip.nh == 41:
        qip1, l4 = quoted_ip6(f, "q.ip1", l4)
    elif qip.nh == 4:
        qip1, l4 = quoted_ip(f, "q.ip1", l4)
    else:
        qip1 = qip
    if qip1 is not None:
        quoted_l4(f, qip1, l4)


def outer_payload(f, ip, proto, pl):
    """What follows the outer IPv4 or IPv6 header ip (carrying proto): a tunnel's inner packet
    (plain, GRE or GUE), TCP, or an ICMP / ICMPv6 error."""
    if proto in (4, 41):
        inner_ip(f, "ip1", pl)
    elif proto == 47:
        if len(pl) < 4:
            f["gre.truncated"] = pl.hex()
            return
        g = GRE(pl[:8] if pl[0] & 0x80 else pl[:4])
        hl = 8 if g.chksum_present else 4
        f["gre.flags_ver"] = "%04x" % struct.unpack("!H", pl[:2])[0]
        f["gre.proto"] = g.proto
        if g.chksum_present:
            f["gre.chksum"] = g.chksum
            f["gre.reserved1"] = g.offset  # scapy names RFC 2784 Reserved1 "offset"
            f["gre.csum_ok"] = checksum(pl[:4] + b"\0\0" + pl[6:]) == g.chksum
        inner_ip(f, "ip1", pl[hl:])
    elif proto == 17:
        if len(pl) < 8:
            f["udp.truncated"] = pl.hex()
            return
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
    elif proto == 6:
        tcp_fields(f, "tcp", ip, pl)
    elif proto == 1:
        icmp_fields(f, ip, pl)
    elif proto == 58:
        icmp6_fields(f, ip, pl)
    else:
        f["ip0.payload"] = pl.hex()


def decode6(f, b):
    """The fields of an IPv6 packet b (the frame's payload) into f."""
    ip, pl = ip6_header(f, "ip0", b)
    if ip is None:
        return f
    f["_outer_proto"] = ip.nh
    if ip.nh == 44:                                # an outer fragment: its header, the bytes, and
        rest = frag6_fields(f, pl)                 # the first one's inner header (readable diffs)
        f["ip0.fragdata"] = rest.hex()
        if f.get("frag.offset") == 0 and f.get("frag.nh") == 4 and len(rest) >= 20:
            ip_header(f, "ip1", rest)
        return f
    outer_payload(f, ip, ip.nh, pl)
    return f


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
    if e.type == 0x86DD:
        return decode6(f, frame[14:])
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
    outer_payload(f, ip, ip.proto, pl)
    return f


# ---------------------------------------------------------------- comparing

def is_tunnel_outer(g):
    p = g.get("_outer_proto")
    return p in (4, 41, 47) or (p == 17 and g.get("udp.dport") in GUE_PORTS)


def icmp_mark(f):
    """What a relayed error keeps from its sender, with its TTL last: (IPv4 ID, TTL) of frame
    fields f carrying ICMP right after the outer IPv4 header, ("fl", flow label, hop limit) for
    ICMPv6 after the outer IPv6 header; else None."""
    if f.get("_outer_proto") == 1 and "ip0.id" in f:
        return (f["ip0.id"], f["ip0.ttl"])
    if f.get("_outer_proto") == 58 and "ip0.fl" in f:
        return ("fl", f["ip0.fl"], f["ip0.hlim"])
    return None


def icmp_id_ttl(frame):
    """icmp_mark of a frame."""
    return icmp_mark(decode(frame))


def relayed_icmp(w, inputs):
    """Whether golden ICMP/ICMPv6 frame fields w relay an input error (same ID or flow label,
    TTL or hop limit one less)."""
    m = icmp_mark(w)
    return m is not None and any(i[:-1] == m[:-1] and i[-1] == m[-1] + 1 for i in inputs)


CSUM_OF = {"icmp.": "icmp.chksum", "icmp6.": "icmp6.chksum"}  # a tolerated field -> the checksum
#                                                     over it (its value then not compared)


def compare_frames(got, want, inputs=(), tolerate=()):
    """got, want: lists of frames (bytes); inputs: the case's input frames (to tell relayed ICMP
    from generated); tolerate: the case's "tolerate" entries for this side. Returns a list of
    differences (strings)."""
    diffs = []
    in_icmp = [x for x in (icmp_id_ttl(b) for b in inputs) if x]
    if len(got) != len(want):
        diffs.append("frame count: got %d, want %d" % (len(got), len(want)))
    id_groups, port_groups, frag_groups = {}, {}, {}
    for n, (gb, wb) in enumerate(zip(got, want), 1):
        g, w = decode(gb), decode(wb)
        skip = {"eth.src", "_outer_proto"}
        if w.get("_outer_proto") == 1 and not relayed_icmp(w, in_icmp):  # generated by the director
            skip |= {"ip0.id", "ip0.chksum"}
        if w.get("_outer_proto") == 58 and not relayed_icmp(w, in_icmp):  # generated: its flow label
            skip.add("ip0.fl")                     # is the kernel's auto flow label (a keyed hash)
        if "frag.id" in w:                         # IPv6 fragment ID: the kernel's keyed hash
            skip.add("frag.id")
            frag_groups.setdefault(w["frag.id"], set()).add(g.get("frag.id"))
        for t in tolerate:
            k = t["field"]
            if t["frame"] == n and w.get(k) == t["kernel"] and g.get(k) == t["rvs"]:
                skip.add(k)
                skip |= {c for p, c in CSUM_OF.items() if k.startswith(p)}
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
    for wid, gids in frag_groups.items():
        if len(gids) > 1:
            diffs.append("frag.id: fragments with golden id %s got different ids %s" % (wid, sorted(gids, key=str)))
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


def golden_frames(c, side):
    """The frames the kernel sent on case c's side."""
    return [bytes.fromhex(h) for h in c[SIDES[side]]]


def case_compare(c, side, got):
    """Differences of frames got (bytes) from case c's golden side ("inside"/"outside")."""
    want = golden_frames(c, side)
    inputs = [bytes.fromhex(h) for h in c["input"]]
    tol = [t for t in c.get("tolerate", []) if t["side"] == side]
    return compare_frames(got, want, inputs, tol)


FILLER_TYPE = 0x88B5  # IEEE 802 local experimental EtherType


def filler(to_frame):
    """A frame rvsd drops (unknown EtherType), to the destination MAC of to_frame."""
    return to_frame[:6] + b"\x02\x00\x00\x00\x00\x99" + struct.pack("!H", FILLER_TYPE) + b"\0" * 46


# The oracle's director had these MACs; rvsd on net_pcap has the pcap driver's (outside port
# first). rvsd drops frames unicast to another MAC, so make-all readdresses the inputs.
ORACLE_MACS = {"outside": "02:00:00:00:00:01", "inside": "02:00:00:00:00:02"}
RVSD_MACS = dict(zip(("outside", "inside"), PCAP_MACS))


def readdressed(frame, link):
    """frame, sent to the oracle director's MAC on link, sent to rvsd's there instead."""
    mac = lambda m: bytes.fromhex(m.replace(":", ""))
    if frame[:6] == mac(ORACLE_MACS[link]):
        return mac(RVSD_MACS[link]) + frame[6:]
    return frame


def rx_files(c, slot=None):
    """{"rx": outside inputs, "rx_inside": inside inputs} of case c (only "rx" without links),
    readdressed to rvsd; with slot, input k at index k*slot of its link's file, fillers
    elsewhere (see make-all)."""
    links = c.get("input_link", ["outside"] * len(c["input"]))
    assert len(links) == len(c["input"]) and set(links) <= {"outside", "inside"}, c["name"]
    inputs = [readdressed(bytes.fromhex(h), link) for h, link in zip(c["input"], links)]
    if "input_link" not in c:
        return {"rx": inputs}
    out = {}
    for link, name in (("outside", "rx"), ("inside", "rx_inside")):
        mine = [k for k, l in enumerate(links) if l == link]
        if not slot:
            out[name] = [inputs[k] for k in mine]
            continue
        frames = []
        for k in mine:
            frames += [filler(inputs[k])] * (k * slot - len(frames)) + [inputs[k]]
        out[name] = frames
    return out


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
            "ip0.flags.MF", "ip0.frag", "ip0.ttl", "ip0.proto", "ip0.tc", "ip0.fl", "ip0.plen",
            "ip0.nh", "ip0.hlim", "frag.nh", "frag.offset", "frag.m", "frag.id", "gre.flags_ver",
            "udp.sport",
            "udp.dport", "udp.len", "udp.chksum", "gue.proto", "ip1.tos", "ip1.len", "ip1.id",
            "ip1.flags.DF", "ip1.ttl", "ip1.chksum", "ip1.tc", "ip1.plen", "ip1.hlim",
            "icmp6.type", "icmp6.code", "icmp6.mtu", "icmp6.quote_len", "q.ip6.hlim", "q.ip6.plen",
            "q.ip6.src", "q.ip6.dst", "q.ip1.hlim", "icmp.type", "icmp.code", "icmp.mtu",
            "icmp.quote_len", "q.ip.ttl", "q.ip.len", "q.ip.src", "q.ip.dst", "q.ip1.ttl",
            "q.ip1.src", "q.ip1.dst", "q.l4.sport", "q.l4.dport"]
    out = []
    for k in keys:
        if k in f:
            v = f[k]
            out.append("%s=%s" % (k, "%#x" % v if k.endswith(("tos", "tc", "chksum")) else v))
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
    """Recompute the outer UDP checksum (frame with a 20-byte outer IPv4 header or an outer IPv6
    header without extension headers)."""
    if b[14] >> 4 == 6:
        ip = IPv6(b[14:54])
        seg = b[54:54 + ip.plen]
        c = in6_chksum(17, ip, seg[:6] + b"\0\0" + seg[8:]) or 0xFFFF
        return set_u16(b, 60, c)
    ip = IP(b[14:34])
    seg = b[34:14 + ip.len]
    c = in4_chksum(17, ip, seg[:6] + b"\0\0" + seg[8:]) or 0xFFFF
    return set_u16(b, 40, c)


def fix_icmp6_csum(b, off, end):
    """Recompute the ICMPv6 checksum of the message at b[off:end] after the outer IPv6 header."""
    b = set_u16(b, off + 2, 0)
    return set_u16(b, off + 2, in6_chksum(58, IPv6(b[14:54]), b[off:end]))


def icmp6_checks(check, label, want, i, in_icmp, tol):
    """Alterations of the ICMPv6 message right after the outer IPv6 header of golden frame i."""
    w = want[i]
    f = decode(w)
    if f.get("_outer_proto") != 58 or "icmp6.type" not in f:
        return
    off, end = 54, 54 + f["ip0.plen"]
    n = i + 1
    lab = "%s frame %d" % (label, n)
    alt = lambda b: want[:i] + [b] + want[i + 1:]
    fixed = lambda b: alt(fix_icmp6_csum(b, off, end))
    relay = relayed_icmp(f, in_icmp)
    check(lab + " ICMPv6 flow label changed (%s)" % ("relayed: compared" if relay else "generated: tolerated"),
          alt(w[:17] + bytes([w[17] ^ 0x01]) + w[18:]), want, not relay)
    mtu = f.get("icmp6.mtu")
    if mtu is not None:
        check(lab + " ICMPv6 MTU+1 (csum fixed)", fixed(w[:off + 4] + struct.pack("!I", mtu + 1) + w[off + 8:]), want, False)
        t = [t for t in tol if t["frame"] == n and t["field"] == "icmp6.mtu" and t["kernel"] == mtu]
        if t:
            rvs = w[:off + 4] + struct.pack("!I", t[0]["rvs"]) + w[off + 8:]
            check(lab + " ICMPv6 MTU %d (csum fixed) (tolerated)" % t[0]["rvs"], fixed(rvs), want, True)
            check(lab + " ICMPv6 MTU %d, csum stale" % t[0]["rvs"], alt(rvs), want, False)
    check(lab + " ICMPv6 csum wrong", alt(set_u16(w, off + 2, f["icmp6.chksum"] ^ 0x0100)), want, False)
    check(lab + " ICMPv6 type 4 (csum fixed)", fixed(w[:off] + b"\x04" + w[off + 1:]), want, False)
    q = off + 8
    if end - q < 40:
        return
    check(lab + " quoted hop limit+1 (ICMPv6 csum fixed)",
          fixed(w[:q + 7] + bytes([(w[q + 7] + 1) & 0xFF]) + w[q + 8:]), want, False)
    check(lab + " quoted TC 0x04 (ICMPv6 csum fixed)", fixed(w[:q + 1] + bytes([w[q + 1] ^ 0x40]) + w[q + 2:]), want, False)
    l4 = q + 40
    if "q.ip1.hlim" in f:
        l4 += 40
    elif "q.ip1.ihl" in f:
        l4 += f["q.ip1.ihl"] * 4
    if "q.l4.sport" in f:
        check(lab + " quoted sport+1 (ICMPv6 csum fixed)", fixed(set_u16(w, l4, f["q.l4.sport"] + 1)), want, False)
        check(lab + " quoted dport+1 (ICMPv6 csum fixed)", fixed(set_u16(w, l4 + 2, f["q.l4.dport"] + 1)), want, False)


def icmp_at(b):
    """(offset, end) of the ICMP message in frame b: after the outer IPv4 header, or after an IPIP
    packet's inner one; None if b carries no ICMP there (or is not IPv4: see icmp6_checks)."""
    if b[12:14] != b"\x08\x00":
        return None
    o = 14 + (b[14] & 0x0F) * 4
    if b[23] == 4 and b[o + 9] == 1:
        return o + (b[o] & 0x0F) * 4, o + struct.unpack("!H", b[o + 2:o + 4])[0]
    if b[23] == 1:
        return o, 14 + struct.unpack("!H", b[16:18])[0]
    return None


def fix_icmp_csum(b, off, end):
    b = set_u16(b, off + 2, 0)
    return set_u16(b, off + 2, checksum(b[off:end]))


def icmp_checks(check, label, want, i, in_icmp, tol):
    """Alterations of the ICMP message in golden frame i (outer, or inside an IPIP packet)."""
    w = want[i]
    at = icmp_at(w)
    if at is None:
        return
    off, end = at
    f = decode(w)
    n = i + 1
    lab = "%s frame %d" % (label, n)
    alt = lambda b: want[:i] + [b] + want[i + 1:]
    fixed = lambda b: alt(fix_icmp_csum(b, off, end))
    if off == 14 + (w[14] & 0x0F) * 4:              # the ICMP is the frame's outer payload
        relay = relayed_icmp(f, in_icmp)
        check(lab + " ICMP IP id changed (%s)" % ("relayed: compared" if relay else "generated: tolerated"),
              alt(fix_ip_csum(set_u16(w, 18, f["ip0.id"] ^ 0x5555), 14)), want, not relay)
    mtu = f.get("icmp.mtu")
    if mtu is not None:
        check(lab + " ICMP MTU+1 (csum fixed)", fixed(set_u16(w, off + 6, mtu + 1)), want, False)
        t = [t for t in tol if t["frame"] == n and t["field"] == "icmp.mtu" and t["kernel"] == mtu]
        rvs = t[0]["rvs"] if t else 1380
        check(lab + " ICMP MTU %d (csum fixed)%s" % (rvs, " (tolerated)" if t else ""),
              fixed(set_u16(w, off + 6, rvs)), want, bool(t))
        if t:
            check(lab + " ICMP MTU %d, csum stale" % rvs, alt(set_u16(w, off + 6, rvs)), want, False)
    check(lab + " ICMP csum wrong", alt(set_u16(w, off + 2, f["icmp.chksum"] ^ 0x0100)), want, False)
    check(lab + " ICMP type 12 (csum fixed)", fixed(w[:off] + b"\x0c" + w[off + 1:]), want, False)
    q = off + 8
    if end - q < 20:
        return
    qh = (w[q] & 0x0F) * 4
    check(lab + " quoted IP csum wrong (ICMP csum fixed)", fixed(set_u16(w, q + 10, f["q.ip.chksum"] ^ 0x0100)), want, False)
    check(lab + " quoted TTL+1, quoted csum fixed (ICMP csum fixed)",
          fixed(fix_ip_csum(w[:q + 8] + bytes([(w[q + 8] + 1) & 0xFF]) + w[q + 9:], q)), want, False)
    l4 = q + qh
    if "q.ip1.src" in f:                             # an IPIP quote: the inner header's ports
        l4 += (w[l4] & 0x0F) * 4
    if "q.l4.sport" in f:
        check(lab + " quoted sport+1 (ICMP csum fixed)", fixed(set_u16(w, l4, f["q.l4.sport"] + 1)), want, False)
        check(lab + " quoted dport+1 (ICMP csum fixed)", fixed(set_u16(w, l4 + 2, f["q.l4.dport"] + 1)), want, False)
    if "q.tcp.chksum" in f:
        check(lab + " quoted TCP csum changed (ICMP csum fixed)",
              fixed(set_u16(w, l4 + 16, f["q.tcp.chksum"] ^ 0x0001)), want, False)


def frag6_checks(check, label, want):
    """Alterations of the IPv6 fragment IDs (outer Fragment header) in golden frames want."""
    f6 = [i for i, w in enumerate(want) if "frag.id" in decode(w)]
    if not f6:
        return
    fid = lambda b, d: b[:58] + struct.pack("!I", struct.unpack("!I", b[58:62])[0] ^ d) + b[62:]
    check(label + " IPv6 fragment ids changed together (tolerated)",
          [fid(w, 0x4242) if i in f6 else w for i, w in enumerate(want)], want, True)
    if len(f6) >= 2:
        alt = list(want)
        alt[f6[-1]] = fid(alt[f6[-1]], 0x0101)
        check(label + " IPv6 fragments with different ids", alt, want, False)
    alt = list(want)
    alt[f6[0]] = alt[f6[0]][:56] + bytes([alt[f6[0]][56] ^ 0x08]) + alt[f6[0]][57:]
    check(label + " IPv6 fragment offset changed", alt, want, False)


def selftest(path):
    """Each golden side against itself (ok), then alterations: tolerated ones must stay ok,
    the others must be caught. Prints one line per check; exit 0 if all behaved."""
    failures = 0

    def check(label, got, want, expect_ok):
        nonlocal failures
        d = compare_frames(got, want, inputs, tol)
        good = (not d) == expect_ok
        failures += not good
        print("%-4s %-60s %s" % ("ok" if good else "FAIL", label, (d[:2] if d else "")))

    for c in load(path):
        inputs = [bytes.fromhex(h) for h in c["input"]]
        in_icmp = [x for x in (icmp_id_ttl(b) for b in inputs) if x]
        for side in ("inside", "outside"):
            tol = [t for t in c.get("tolerate", []) if t["side"] == side]
            want = golden_frames(c, side)
            label = "%s/%s" % (c["name"], side)
            check(label + " = itself", want, want, True)
            frag6_checks(check, label, want)
            if not want:
                check(label + " extra frame", [bytes.fromhex(c["input"][0])], want, False)
                continue
            w0 = want[0]
            f0 = decode(w0)
            check(label + " one frame missing", want[1:], want, False)
            check(label + " eth.src changed (tolerated)", [w0[:6] + b"\x02\xaa\xbb\xcc\xdd\xee" + w0[12:]] + want[1:], want, True)
            check(label + " eth.dst changed", [b"\x02\x00\x00\x00\x00\x99" + w0[6:]] + want[1:], want, False)
            check(label + " last byte flipped", want[:-1] + [want[-1][:-1] + bytes([want[-1][-1] ^ 0x01])], want, False)
            v6 = f0.get("ip0.version") == 6
            if not v6:
                check(label + " outer TTL+1 (csum fixed)", [fix_ip_csum(w0[:22] + bytes([w0[22] + 1]) + w0[23:], 14)] + want[1:], want, False)
                check(label + " outer TOS 0x04 (csum fixed)", [fix_ip_csum(w0[:15] + bytes([w0[15] ^ 0x04]) + w0[16:], 14)] + want[1:], want, False)
                check(label + " outer csum wrong", [set_u16(w0, 24, f0["ip0.chksum"] ^ 0x0100)] + want[1:], want, False)
            else:
                check(label + " outer hop limit+1", [w0[:21] + bytes([w0[21] + 1]) + w0[22:]] + want[1:], want, False)
                check(label + " outer TC 0x04", [w0[:15] + bytes([w0[15] ^ 0x40]) + w0[16:]] + want[1:], want, False)
                check(label + " outer source changed", [w0[:37] + bytes([w0[37] ^ 0x01]) + w0[38:]] + want[1:], want, False)
            check(label + " Ethernet padding added (tolerated)", [w0 + b"\0" * 16] + want[1:], want, True)
            for i, w in enumerate(want):
                icmp_checks(check, label, want, i, in_icmp, tol)
                icmp6_checks(check, label, want, i, in_icmp, tol)
            nodf = [i for i, w in enumerate(want) if is_tunnel_outer(decode(w)) and decode(w).get("ip0.flags.DF") == 0]
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
            frag6_checks(check, label, want)
            udp = 54 if v6 else 34                       # the outer UDP header
            if f0.get("gue.proto") is not None:
                b = set_u16(w0, udp, 33333)
                if f0["udp.chksum"]:
                    b = fix_udp_csum(b)
                check(label + " GUE sport 33333 (tolerated)", [b] + want[1:], want, True)
                b2 = set_u16(w0, udp, 61000)
                check(label + " GUE sport 61000", [fix_udp_csum(b2) if f0["udp.chksum"] else b2] + want[1:], want, False)
                if f0["udp.chksum"]:
                    check(label + " GUE sport changed, csum stale", [set_u16(w0, udp, 33333)] + want[1:], want, False)
                else:
                    check(label + " GUE csum set where golden has 0", [fix_udp_csum(w0)] + want[1:], want, False)
            if f0.get("ip1.ttl") is not None and "ip0.fragdata" not in f0:
                # inner TTL + 1 with the inner IPv4 checksum fixed
                off = udp + {4: 0, 47: 8 if "gre.chksum" in f0 else 4, 17: 12}[f0["ip0.nh" if v6 else "ip0.proto"]]
                b = w0[:off + 8] + bytes([w0[off + 8] + 1]) + w0[off + 9:]
                check(label + " inner TTL+1 (inner csum fixed)", [fix_ip_csum(b, off)] + want[1:], want, False)
            if f0.get("ip1.hlim") is not None:
                # inner hop limit + 1 (no IPv6 header checksum to fix)
                off = udp + {41: 0, 47: 8 if "gre.chksum" in f0 else 4, 17: 12}[f0["ip0.nh" if v6 else "ip0.proto"]]
                b = w0[:off + 7] + bytes([w0[off + 7] + 1]) + w0[off + 8:]
                check(label + " inner hop limit+1", [b] + want[1:], want, False)
        for t in c.get("tolerate", []):   # a tolerance must name a golden frame holding its kernel value
            w = c[SIDES[t["side"]]]
            good = 1 <= t["frame"] <= len(w) and decode(bytes.fromhex(w[t["frame"] - 1])).get(t["field"]) == t["kernel"]
            failures += not good
            print("%-4s %-60s" % ("ok" if good else "FAIL", "%s tolerance %s frame %d %s=%s" % (
                c["name"], t["side"], t["frame"], t["field"], t["kernel"])))
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
            links = c.get("input_link")
            for side in ("input", "inside", "outside"):
                for i, h in enumerate(c[SIDES[side]], 1):
                    via = " (%s)" % links[i - 1] if side == "input" and links else ""
                    print("  %-7s %d%s %s" % (side, i, via, summary(bytes.fromhex(h))))
        return 0
    if len(argv) in (4, 5) and argv[0] == "make":
        side = argv[4] if len(argv) == 5 else "input"
        c = load(argv[1], argv[2])
        write_pcap(argv[3], [bytes.fromhex(h) for h in c[SIDES[side]]])
        return 0
    if len(argv) == 5 and argv[0] == "compare" and argv[3] in ("inside", "outside"):
        c = load(argv[1], argv[2])
        diffs = case_compare(c, argv[3], read_pcap(argv[4]))
        print(json.dumps({"ok": not diffs, "diffs": diffs}))
        return 0 if not diffs else 1
    if argv[:1] == ["make-all"] and (len(argv) == 3 or len(argv) == 5 and argv[3] == "--slot"):
        slot = int(argv[4]) if len(argv) == 5 else None
        for c in load(argv[1]):
            for name, frames in rx_files(c, slot).items():
                write_pcap("%s/%s.%s.pcap" % (argv[2], c["name"], name), frames)
        return 0
    if len(argv) == 3 and argv[0] == "compare-all":
        ok = True
        for c in load(argv[1]):
            for side in ("outside", "inside"):
                got = read_pcap("%s/%s.%s.pcap" % (argv[2], c["name"], side))
                diffs = case_compare(c, side, got)
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
