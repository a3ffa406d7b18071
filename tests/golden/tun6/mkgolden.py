#!/usr/bin/python3
"""mkgolden.py RUNDIR GOLDEN_DIR — turn an oracle run of oracle.cmd into golden.json (+ pcaps).

RUNDIR is run.sh's -o folder. Writes GOLDEN_DIR/golden.json and copies the captured pcaps to
GOLDEN_DIR/pcap/, as ../dr_tun/mkgolden.py does (its frames() reads the captures byte for byte).
"""
import importlib.util
import json
import os
import shutil
import sys

_spec = importlib.util.spec_from_file_location(
    "dr_tun_mkgolden", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dr_tun", "mkgolden.py"))
dr_tun = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dr_tun)

ICMP_ID = "the ICMP error's IPv4 ID is not asserted"
FL = "the ICMPv6 error's flow label is not asserted (the kernel's auto flow label, a keyed hash; rvs sends 0)"
GUE = "GUE UDP source port not asserted: only 32768..60999 (flow hash of the inner packet)"
NODF_ID = "outer IPv4 ID (DF clear) not asserted: only non-zero"
NOTES = {
    "ip6ip6_s0": "§3.3.2/§7.17: IPv6 SYN (§7.16) -> ip6ip6 to 2001:db8:b::31 via gateway :54: outer tc 0, flow label 0, "
                 "plen 64, nh 41, hop limit 63 (inner after the decrement), src 2001:db8:a::1; inner hop limit 63",
    "ip6ip6_tc_b9": "§3.3.2 ECN: inner tc 0xb9 -> outer 0xb9",
    "ip6ip6_tc_bb": "§3.3.2 ECN: inner tc 0xbb (CE) -> outer 0xba",
    "ip6ip6_tc_03": "§3.3.2 ECN: inner tc 0x03 (CE) -> outer 0x02",
    "ip6ip6_hl1": "hop limit 1 -> ICMPv6 Time Exceeded 3/0 from V6 out of the outside link, hop limit 64, quoting "
                  "the whole packet (hop limit 1); nothing inside. " + FL,
    "ip6ip6_toobig": "§7.17: SYN goes inside; the 1500-byte IPv6 ACK -> ICMPv6 Packet Too Big MTU 1460 from V6, "
                     "1280 bytes, quoting hop limit 63. " + FL,
    "ip6_gue_nocsum_s0": "§3.3.3 over IPv6: GUE :6080, UDP checksum 0, GUE 00290000 (proto 41). " + GUE,
    "ip6_gue_csum_s0": "§3.3.3 over IPv6: GUE :6080 with a UDP checksum (IPv6 pseudo-header; verified, value "
                       "follows the source port). " + GUE,
    "ip6_gre_s0": "§3.3.4 over IPv6: GRE 0000 86dd, outer plen 68",
    "ip6_gre_csum_s0": "§3.3.4 over IPv6: GRE 8000 86dd + checksum, outer plen 72",
    "ip6_gue_nocsum_toobig": "§3.3.5: GUE over IPv6, 1500-byte IPv6 ACK -> Packet Too Big MTU 1448 (1500-40-12). "
                             + FL + ". " + GUE,
    "ip6_gre_toobig": "§3.3.5: GRE over IPv6, 1500-byte IPv6 ACK -> Packet Too Big MTU 1456 (1500-40-4). " + FL,
    "4in6_s0": "§3.3 IPv4-in-IPv6: S0 -> 2001:db8:a::31 on link (:31): outer tc 0, flow label 0, plen 44, nh 4, "
               "hop limit 63 (inner TTL after the decrement), src 2001:db8:a::1; inner TTL 63, csum 0xb946",
    "4in6_tos_bb": "IPv4-in-IPv6 ECN: inner TOS 0xbb (CE) -> outer tc 0xba",
    "4in6_tos_b9": "IPv4-in-IPv6 ECN: inner TOS 0xb9 -> outer tc 0xb9",
    "4in6_df_clear": "IPv4-in-IPv6, inner DF clear: the same outer header (no DF in IPv6), inner ID and flags unchanged",
    "4in6_ttl1": "IPv4-in-IPv6, TTL 1 -> ICMP 11/0 from V out of the outside link, quote TTL 1; nothing inside. "
                 + ICMP_ID,
    "4in6_toobig_df": "§3.3.5 IPv4-in-IPv6: S0 goes inside; the 1500-byte DF ACK -> ICMP 3/4 MTU 1460 (1500-40), "
                      "576 bytes, quote TTL 63. " + ICMP_ID,
    "4in6_toobig_nodf": "§3.3.5 IPv4-in-IPv6, DF clear, 1500 bytes: S0 goes inside; the kernel sends the outer IPv6 "
                        "packet in two IPv6 fragments (Fragment header, nh 4): 1448 bytes at offset 0 (M) and 52 at "
                        "offset 181 (x8), same ID (a keyed hash: not asserted, only equal).",
    "4in6_gue_nocsum_s0": "IPv4-in-IPv6 GUE :6080, UDP checksum 0 (a zero-checksum UDP tunnel over IPv6), GUE "
                          "00040000. " + GUE,
    "4in6_gre_s0": "IPv4-in-IPv6 GRE 0000 0800, outer plen 48",
    "6in4_s0": "§3.3 IPv6-in-IPv4: IPv6 SYN -> 192.0.2.31 via gateway :54: outer TOS 0, DF clear (IPv6 inner), "
               "ID from the host generator, TTL 63 (inner hop limit after the decrement), proto 41, src 10.0.0.1. "
               + NODF_ID,
    "6in4_tc_bb": "IPv6-in-IPv4 ECN: inner tc 0xbb (CE) -> outer TOS 0xba. " + NODF_ID,
    "6in4_hl1": "IPv6-in-IPv4, hop limit 1 -> ICMPv6 Time Exceeded from V6 (as ip6ip6_hl1); nothing inside. " + FL,
    "6in4_toobig": "§3.3.5 IPv6-in-IPv4: SYN goes inside; the 1500-byte IPv6 ACK -> ICMPv6 Packet Too Big MTU 1480 "
                   "(1500-20) from V6. " + FL + ". " + NODF_ID,
    "6in4_gue_nocsum_s0": "IPv6-in-IPv4 GUE :6080, UDP checksum 0, GUE 00290000, outer DF clear. " + GUE + ". " + NODF_ID,
    "6in4_gre_s0": "IPv6-in-IPv4 GRE 0000 86dd, outer DF clear. " + NODF_ID,
}
def main(run, dst):
    files = os.path.join(run, "files")
    cases = []
    for name in NOTES:
        with open(os.path.join(files, "in", name + ".in.hex")) as f:
            inp = [l.strip() for l in f if l.strip()]
        c = {
            "name": name, "input": inp,
            "output_inside": dr_tun.frames(os.path.join(files, name + ".inside.pcap")),
            "output_outside": dr_tun.frames(os.path.join(files, name + ".outside.pcap")),
            "notes": NOTES[name],
        }
        cases.append(c)
    os.makedirs(os.path.join(dst, "pcap"), exist_ok=True)
    for name in NOTES:
        for side in ("inside", "outside"):
            shutil.copy(os.path.join(files, "%s.%s.pcap" % (name, side)), os.path.join(dst, "pcap"))
    with open(os.path.join(dst, "golden.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]\n")
    with open(os.path.join(run, "results.json")) as f:
        print("kernel", json.load(f)["summary"]["kernel"], "cases", len(cases))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
