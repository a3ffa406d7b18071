//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/tun6/` (ipvs-forwarding §7.0 in both
//! families): TUN over IPv6 and across families (§3.3, §3.3.2, §3.3.5,
//! §7.17) — IPv6-in-IPv6, IPv4-in-IPv6 and IPv6-in-IPv4, plain, GUE and GRE,
//! traffic class / TOS and ECN, hop limit / TTL 1, and packets too big for
//! the tunnel. For every case the oracle ran, the same input frames go into
//! rvsd with the same service and real server, and what rvsd sends on each
//! link is compared field by field with what IPVS sent by
//! `tests/py/golden_cmp.py` (which recomputes every checksum, ICMPv6's with
//! the IPv6 pseudo-header included).

mod common;
use common::golden::{assert_set_matches, WIRING_DUAL};

#[test]
fn tun6_frames_match_the_real_kernel() {
    assert_set_matches("tun6", &WIRING_DUAL);
}
