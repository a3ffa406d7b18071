//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/icmp/` (ipvs-forwarding §7.0): the ICMP
//! errors IPVS sends itself (§7.10 no usable server, §7.11 TTL 1, §7.20 an
//! error about a tunnel packet) and the errors about connections it relays
//! (§7.18 from a NAT server to the client, §7.19 from the client side to a
//! NAT, DR and TUN server), and an error about no connection. The same input
//! frames go into rvsd, on the link the kernel got them on, with the same
//! real server; what rvsd sends on each link is compared field by field with
//! what IPVS sent by `tests/py/golden_cmp.py` (which recomputes every
//! checksum, the quoted ones included, and accepts the one documented
//! difference, §7.20's first MTU, for that case only).
//!
//! Order across the links: net_pcap replays each port's rx pcap on its own,
//! as fast as it is polled, so "S0 outside, then R1's SYN-ACK inside, then
//! the router's error outside" cannot be written as two files. rvsd's worker
//! (one worker, the default) polls every port once per loop, taking at most
//! `BURST` (32) frames per poll, and a pcap rx burst takes frames until the
//! burst is full or the file ends. So input k goes at index `k * SLOT` of its
//! link's file and fillers (EtherType 0x88b5, dropped as
//! `unknown_ethertype`) hold the other indices (`golden_cmp.py make-all
//! --slot`): with `SLOT >= BURST` input k is read in an earlier loop than
//! input k + 1, whichever links they come on. No timing is involved; the
//! counters rvsd prints when it stops confirm that every frame of both files
//! was received (so every answer was sent) and that the fillers were dropped
//! as unknown EtherType.

mod common;
use common::golden::{counter, run_director, Golden, WIRING_V4};
use common::*;

/// Frames per input slot: at least rvsd's receive burst (32), with margin.
const SLOT: usize = 64;

#[test]
fn icmp_frames_match_the_real_kernel() {
    let golden = Golden::load("icmp");
    let dir = TempDir::new("pcap-icmp");
    golden.make_inputs(&dir.0, &["--slot", &SLOT.to_string()]);
    for run in golden.runs() {
        let case = &run.case;
        let rx = |link: &str| {
            dir.path(&format!("{case}.{link}.pcap"))
                .display()
                .to_string()
        };
        let (rx_out, rx_in) = (rx("rx"), rx("rx_inside"));
        let fed = common::golden::pcap_frames(rx_out.as_ref())
            + common::golden::pcap_frames(rx_in.as_ref());
        let inputs = golden.case(case)["input"].as_array().unwrap().len();
        let report = run_director(&dir, &golden, &WIRING_V4, &run, (&rx_out, &rx_in));
        assert_eq!(
            counter(&report, "rx_packets"),
            fed as u64,
            "{case}: not every input frame was received before the stop:\n{report}"
        );
        assert_eq!(
            counter(&report, "drop unknown_ethertype"),
            (fed - inputs) as u64,
            "{case}: the fillers were not all dropped as unknown EtherType:\n{report}"
        );
    }
    golden.assert_matches(&dir.0);
}
