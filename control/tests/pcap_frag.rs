//! rvsd on net_pcap doing NAT for fragmented UDP datagrams of both families, checked by
//! scapy: fragments in order, out of order, duplicated, overlapping (IPv4 only: RFC 5722
//! forbids them in IPv6), a lone first and a lone later one, and an IPv6 datagram behind a
//! Hop-by-Hop header (`tests/py/frames.py make-frags`). Every fragment that has its
//! datagram's first goes to the real server rewritten (scapy reassembles the whole datagrams
//! and verifies their UDP checksums over the new addresses); the lone later fragments are
//! held, time out and are counted.

mod common;
use common::golden::pcap_frames;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn fragments_reach_the_real_server_whatever_their_order() {
    let dir = TempDir::new("pcap-frag");
    py("frames.py", &["make-frags", dir.0.to_str().unwrap()]);
    let p = |n: &str| dir.path(n).display().to_string();
    let cfg = pcap_nat_config(&dir, UDP53_DUAL);
    let d = Rvsd::start(&dir, &cfg, None);
    // 15 IPv4 and 13 IPv6 frames in, all but the lone later fragments out; then the holds
    // time out.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pcap_frames(&dir.path("tx1.pcap")) < 26 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(800));
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("drop fragment_timeout 2\n"), "{stdout}");

    let out: Vec<Value> = py("frames.py", &["frags", &p("tx1.pcap")])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: u64| {
        out.iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("nothing of datagram {id}: {out:?}"))
    };
    let offsets = |id: u64| -> Vec<u64> {
        by_id(id)["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_u64().unwrap())
            .collect()
    };
    assert_eq!(offsets(1), [0, 1480, 2960], "in order");
    assert_eq!(
        offsets(2),
        [0, 1480, 2960],
        "out of order: the last waited for the first"
    );
    assert_eq!(
        offsets(3),
        [0, 1480, 1480, 2960],
        "duplicated: both copies go"
    );
    assert_eq!(offsets(4), [0, 1472, 2960], "overlapping: sent as it came");
    assert_eq!(
        offsets(5),
        [0],
        "a lone first fragment is balanced like a packet"
    );
    assert!(
        out.iter().all(|d| d["id"] != 6),
        "a lone later fragment goes nowhere"
    );
    assert_eq!(offsets(11), [0, 1232, 2464], "IPv6 in order");
    assert_eq!(offsets(12), [0, 1232, 2464], "IPv6 out of order");
    assert_eq!(offsets(13), [0, 1232, 1232, 2464], "IPv6 duplicated");
    assert_eq!(offsets(15), [0], "IPv6 lone first");
    assert!(out.iter().all(|d| d["id"] != 16), "IPv6 lone later");
    for id in [1, 2, 3, 11, 12, 13] {
        assert_eq!(by_id(id)["reassembled_ok"], true, "datagram {id}: {out:?}");
    }
    let whole: Vec<&Value> = out.iter().filter(|d| d["whole"] == true).collect();
    assert_eq!(whole.len(), 1, "{out:?}");
    assert_eq!(whole[0]["hop_by_hop"], true);
    assert_eq!(whole[0]["reassembled_ok"], true, "{:?}", whole[0]);
    for d in &out {
        let r1 = match d["v6"] == true {
            true => "2001:db8:a::11",
            false => "10.0.0.11",
        };
        assert_eq!(d["dst"], serde_json::json!([r1]), "{d}");
        assert_eq!(d["ip_csum_ok"], true, "{d}");
        if d["v6"] == true && d["whole"] != true {
            assert_eq!(d["hop_limit"], serde_json::json!([63]), "{d}");
        }
    }
}
