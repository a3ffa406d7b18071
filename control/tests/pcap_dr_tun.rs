//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/dr_tun/` (ipvs-forwarding §7.0): for every
//! case the oracle ran (DR, TUN ipip/gre/gue with their checksum variants,
//! TOS/ECN and DF variations, TTL 1, too big with and without DF), the same
//! input frames go into rvsd with the same real server, and what rvsd sends
//! on each link is compared field by field with what IPVS sent, by scapy
//! (`tests/py/golden_cmp.py`, an outside decoder that also recomputes every
//! checksum).

mod common;
use common::golden::{run_director, Golden};
use common::*;
use std::path::Path;

/// An empty pcap (net_pcap needs a file to read on the inside port).
fn empty_pcap(path: &Path) {
    let mut h = Vec::new();
    for v in [0xa1b2_c3d4u32, 0, 0, 0, 65535, 1] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // Version 2.4: two u16s.
    h[4..8].copy_from_slice(&[2, 0, 4, 0]);
    std::fs::write(path, h).unwrap();
}

#[test]
fn dr_and_tun_frames_match_the_real_kernel() {
    let golden = Golden::load("dr_tun");
    let dir = TempDir::new("pcap-dr-tun");
    golden.make_inputs(&dir.0, &[]);
    let empty = dir.path("empty.pcap");
    empty_pcap(&empty);
    for (case, dest) in golden.runs() {
        let rx = dir.path(&format!("{case}.rx.pcap")).display().to_string();
        run_director(
            &dir,
            &golden,
            &case,
            &dest,
            (&rx, &empty.display().to_string()),
        );
    }
    golden.assert_matches(&dir.0);
}
