#!/usr/bin/python3
"""mkgolden.py RUNDIR GOLDEN_DIR — turn an oracle run of oracle.cmd into golden.json (+ pcaps).

RUNDIR is run.sh's -o folder. Writes GOLDEN_DIR/golden.json (a list of cases: name, input,
output_inside, output_outside as hex Ethernet frames, notes) and copies the captured pcaps to
GOLDEN_DIR/pcap/. Frames are taken byte for byte from the captures (RawPcapReader, no rebuild).
"""
import json
import os
import shutil
import sys

from scapy.utils import RawPcapReader

NODF_ID = "outer IPv4 ID (DF clear) not asserted: only non-zero and equal across fragments"
ICMP_ID = "ICMP's IPv4 ID not asserted"
GUE = "GUE UDP source port not asserted: only 32768..60999 (flow hash of the inner packet)"
NOTES = {
    "dr_s0": "§7.7: DR, S0 -> R2 MAC, TTL 63, csum 0xb946, dst stays V",
    "dr_s0_tos_b8": "DR, S0 with TOS 0xb8: TOS unchanged",
    "dr_s0_df_clear": "DR, S0 with DF clear: ID 0x1c46 and flags unchanged (no new ID for DR)",
    "dr_ttl1": "§7.11: DR, S0 with TTL 1 -> ICMP 11/0 from V out of the outside link, quote TTL 1; nothing inside. " + ICMP_ID,
    "tun_ipip_s0": "§7.12: ipip, outer ID 0 with DF, TTL 63",
    "tun_ipip_tos_bb": "§3.3.1 ECN: inner 0xbb (CE) -> outer 0xba",
    "tun_ipip_tos_b9": "§3.3.1 ECN: inner 0xb9 -> outer 0xb9",
    "tun_ipip_tos_b8": "§3.3.1 ECN: inner 0xb8 -> outer 0xb8",
    "tun_ipip_tos_03": "§3.3.1 ECN: inner 0x03 (CE) -> outer 0x02",
    "tun_ipip_df_clear": "ipip, inner DF clear -> outer DF clear. " + NODF_ID,
    "tun_ipip_ttl1": "§7.11: ipip, S0 with TTL 1 -> ICMP 11/0 from V out of the outside link; nothing inside. " + ICMP_ID,
    "tun_gue_nocsum_s0": "§7.15: GUE port 6080, UDP checksum 0, GUE 00040000. " + GUE,
    "tun_gue_csum_s0": "§7.15: GUE port 6080 with UDP checksum (valid; value follows the source port). " + GUE,
    "tun_gre_s0": "§7.15: GRE 0000 0800, outer total 68",
    "tun_gre_csum_s0": "§7.15: GRE 8000 0800 de5d 0000, outer total 72",
    "tun_ipip_toobig_df": "§7.13: S0 goes inside; the 1500-byte DF ACK -> ICMP 3/4 MTU 1480 (576 bytes, quote TTL 63). " + ICMP_ID,
    "tun_gue_nocsum_toobig_df": "§7.13: GUE nocsum, ICMP 3/4 MTU 1468. " + ICMP_ID + ". " + GUE,
    "tun_gue_csum_toobig_df": "§7.13: GUE csum, ICMP 3/4 MTU 1468. " + ICMP_ID + ". " + GUE,
    "tun_gre_toobig_df": "§7.13: GRE, ICMP 3/4 MTU 1476. " + ICMP_ID,
    "tun_gre_csum_toobig_df": "§7.13: GRE csum, ICMP 3/4 MTU 1472. " + ICMP_ID,
    "tun_ipip_toobig_nodf": "§7.14: S0 goes inside; the 1500-byte ACK with DF clear -> outer fragments 1500 (MF, off 0) "
                            "and 40 (off 185), outer DF clear, TTL 63. " + NODF_ID,
}


def frames(path):
    if not os.path.exists(path):
        return []
    return [bytes(pkt).hex() for pkt, _meta in RawPcapReader(path)]


def main(run, dst):
    files = os.path.join(run, "files")
    cases = []
    for name in NOTES:
        with open(os.path.join(files, "in", name + ".in.hex")) as f:
            inp = [l.strip() for l in f if l.strip()]
        cases.append({
            "name": name, "input": inp,
            "output_inside": frames(os.path.join(files, name + ".inside.pcap")),
            "output_outside": frames(os.path.join(files, name + ".outside.pcap")),
            "notes": NOTES[name],
        })
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
