//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/dr_tun/` (ipvs-forwarding §7.0): for every
//! case the oracle ran (DR, TUN ipip/gre/gue with their checksum variants,
//! TOS/ECN and DF variations, TTL 1, too big with and without DF), the same
//! input frames go into rvsd with the same real server, and what rvsd sends
//! on each link is compared field by field with what IPVS sent, by scapy
//! (`tests/py/golden_cmp.py`, an outside decoder that also recomputes every
//! checksum).

mod common;
use common::golden::{empty_pcap, run_director, Golden, WIRING_V4};
use common::*;

#[test]
fn dr_and_tun_frames_match_the_real_kernel() {
    let golden = Golden::load("dr_tun");
    let dir = TempDir::new("pcap-dr-tun");
    golden.make_inputs(&dir.0, &[]);
    let empty = dir.path("empty.pcap");
    empty_pcap(&empty);
    for run in golden.runs() {
        let rx = dir.path(&format!("{}.rx.pcap", run.case));
        let rx = rx.display().to_string();
        run_director(
            &dir,
            &golden,
            &WIRING_V4,
            &run,
            (&rx, &empty.display().to_string()),
        );
    }
    golden.assert_matches(&dir.0);
}
