//! rvsd on two net_pcap ports with static neighbours: ARP replies, gratuitous ARP, a request
//! for rvsd's address and a Neighbor Advertisement, all claiming the real server for another
//! MAC (on its port and on the other), do not redirect the traffic to it. Every frame rvsd
//! sent is decoded by scapy.

mod common;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const R1_MAC: &str = "02:00:00:00:00:11";
const FAKE_MAC: &str = "02:00:00:00:00:66";

#[test]
fn spoofed_arp_and_nd_do_not_redirect_traffic_to_a_real_server() {
    let dir = TempDir::new("pcap-neigh");
    py("frames.py", &["make-spoof", dir.0.to_str().unwrap()]);
    let cfg = pcap_nat_config(&dir, UDP53_DUAL);
    let d = Rvsd::start(&dir, &cfg, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out1 = Vec::new();
    while out1.len() < 81 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        out1 = decode(&dir.path("tx1.pcap"));
    }
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let (udp, arp): (Vec<&Value>, Vec<&Value>) = out1.iter().partition(|f| f["kind"] == "udp");
    assert_eq!(udp.len(), 80, "every datagram reached R1: {out1:?}");
    for f in &udp {
        assert!(
            f["dst"] == "10.0.0.11" || f["dst"] == "2001:db8:a::11",
            "{f}"
        );
        assert_eq!(f["eth_dst"], R1_MAC, "to the real R1, not the spoofer: {f}");
        assert_eq!(f["l4_csum_ok"], true, "{f}");
    }
    // The request for rvsd's address is answered, to whoever asked: an answer is no lesson.
    assert_eq!(arp.len(), 1, "{arp:?}");
    assert_eq!(
        (&arp[0]["op"], &arp[0]["psrc"], &arp[0]["eth_dst"]),
        (&2.into(), &"10.0.0.1".into(), &FAKE_MAC.into())
    );
    // Three ARP frames and the advertisement on R1's port, the reply on the other port.
    assert!(
        stdout.lines().any(|l| l.trim() == "neigh_refused 5"),
        "{stdout}"
    );
}
