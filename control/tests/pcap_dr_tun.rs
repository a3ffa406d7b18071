//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/dr_tun/` (ipvs-forwarding §7.0): for every
//! case the oracle ran (DR, TUN ipip/gre/gue with their checksum variants,
//! TOS/ECN and DF variations, TTL 1, too big with and without DF), the same
//! input frames go into rvsd with the same real server, and what rvsd sends
//! on each link is compared field by field with what IPVS sent, by scapy
//! (`tests/py/golden_cmp.py`, an outside decoder that also recomputes every
//! checksum).

mod common;
use common::golden::{assert_set_matches, WIRING_V4};

#[test]
fn dr_and_tun_frames_match_the_real_kernel() {
    assert_set_matches("dr_tun", &WIRING_V4);
}
