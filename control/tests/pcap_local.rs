//! rvsd on net_pcap: ARP and ICMP echo answers checked by scapy, and every
//! malformed frame counted by reason, never crashing the daemon.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn answers_arp_and_ping_from_a_pcap_and_counts_junk() {
    let dir = TempDir::new("pcap-local");
    let (rx, tx) = (dir.path("in.pcap"), dir.path("out.pcap"));
    py("frames.py", &["make-local", rx.to_str().unwrap()]);
    let cfg = format!(
        r#"{{{TEST_KEYS}, "mbufs": 2047,
            "ports": [{{"device": "net_pcap0,rx_pcap={},tx_pcap={}",
                        "addresses": ["10.0.0.1/24"]}}]}}"#,
        rx.display(),
        tx.display()
    );
    let d = Rvsd::start(&dir, &cfg, None);
    // net_pcap writes each TX burst as it goes: wait for both answers.
    let deadline = Instant::now() + Duration::from_secs(10);
    while py("frames.py", &["decode", tx.to_str().unwrap()])
        .lines()
        .count()
        < 2
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "rvsd failed:\n{stdout}\n{stderr}");

    let out = py("frames.py", &["decode", tx.to_str().unwrap()]);
    let frames: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(frames.len(), 2, "exactly the two answers:\n{out}");

    let arp = &frames[0];
    assert_eq!(arp["kind"], "arp");
    assert_eq!(arp["op"], 2);
    assert_eq!(
        (arp["psrc"].as_str(), arp["pdst"].as_str()),
        (Some("10.0.0.1"), Some("10.0.0.2"))
    );
    assert_eq!(arp["hwdst"], "02:00:00:00:00:fe");
    assert_eq!(arp["eth_dst"], "02:00:00:00:00:fe");
    assert_eq!(arp["eth_src"], arp["hwsrc"], "sender MAC is the port's own");

    let echo = &frames[1];
    assert_eq!(echo["kind"], "icmp");
    assert_eq!(
        (echo["type"].as_u64(), echo["code"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (echo["src"].as_str(), echo["dst"].as_str()),
        (Some("10.0.0.1"), Some("10.0.0.2"))
    );
    assert_eq!(
        (echo["id"].as_u64(), echo["seq"].as_u64()),
        (Some(0x1234), Some(9))
    );
    assert_eq!(echo["payload"], "rvs-ping-payload");
    assert_eq!(echo["ttl"], 64);
    assert_eq!(echo["ip_csum_ok"], true);
    assert_eq!(echo["icmp_csum_ok"], true);
    assert_eq!(echo["eth_dst"], "02:00:00:00:00:fe");
    assert_eq!(echo["eth_src"], arp["hwsrc"]);

    // The final report counts every input frame: 2 answered, 5 dropped,
    // each under its own reason.
    for want in [
        "rx_packets 7",
        "tx_packets 2",
        "arp_replies 1",
        "icmp_echo_replies 1",
        "drop arp_not_for_us 1",
        "drop ipv4_too_short 1",
        "drop ipv4_bad_checksum 1",
        "drop unknown_ethertype 1",
        "drop vlan_truncated 1",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim() == want),
            "missing {want:?} in:\n{stdout}"
        );
    }
}
