//! rvsd on two net_pcap ports, the client side on VLAN 100 (`"vlan": 100`), the real-server
//! side untagged: NAT both ways re-tags every frame for the port it leaves by, the answers and
//! requests rvsd builds itself carry the VLAN, frames of another VLAN, untagged or tagged
//! where they must not be are dropped, and so is what is unicast to another MAC unless the
//! ports are `"promiscuous"`. Every frame rvsd sent is decoded by scapy
//! (`tests/py/frames.py make-l2`).

mod common;
use common::golden::counter;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const C: &str = "203.0.113.10";
const C2: &str = "203.0.113.20";
const V: &str = "198.51.100.1";
const R1: &str = "10.0.0.11";

/// rvsd on `make-l2`'s frames, its client port on VLAN 100, both ports `promiscuous` or not:
/// what each port sent (decoded) once `want` frames are out, and its shutdown report.
fn run(promiscuous: bool, want: (usize, usize)) -> (Vec<Value>, Vec<Value>, String) {
    let dir = TempDir::new(if promiscuous {
        "pcap-l2-promisc"
    } else {
        "pcap-l2"
    });
    py("frames.py", &["make-l2", dir.0.to_str().unwrap()]);
    let mut cfg: Value = serde_json::from_str(&pcap_nat_config(&dir, NAT_SERVICES)).unwrap();
    cfg["ports"][0]["vlan"] = 100.into();
    for port in [0, 1] {
        cfg["ports"][port]["promiscuous"] = promiscuous.into();
    }
    let d = Rvsd::start(&dir, &cfg.to_string(), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut out0, mut out1) = (Vec::new(), Vec::new());
    while (out0.len(), out1.len()) < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        out0 = decode(&dir.path("tx0.pcap"));
        out1 = decode(&dir.path("tx1.pcap"));
    }
    // Anything more would show up too.
    std::thread::sleep(Duration::from_millis(300));
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (out0, out1) = (decode(&dir.path("tx0.pcap")), decode(&dir.path("tx1.pcap")));
    (out0, out1, stdout)
}

/// The frames of `out` as (kind, source, destination, port or payload) for comparison.
fn summary(out: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = out
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_str().map_or(f[k].to_string(), str::to_owned);
            match f["kind"].as_str().unwrap() {
                "arp" => format!("arp op {} {} > {}", f["op"], field("psrc"), field("pdst")),
                "nd_na" => format!("na {}", field("tgt")),
                "icmp" => format!("icmp {} {} > {}", f["type"], field("src"), field("dst")),
                l4 => format!(
                    "{l4} {}:{} > {}:{} {}",
                    field("src"),
                    f["sport"],
                    field("dst"),
                    f["dport"],
                    field("payload")
                ),
            }
        })
        .collect();
    s.sort();
    s
}

fn assert_counts(report: &str, want: &[(&str, u64)]) {
    for (name, n) in want {
        assert_eq!(counter(report, name), *n, "{name} in:\n{report}");
    }
}

/// Every frame out of the VLAN port carries VLAN 100, every frame out of the other none; the
/// checksums of what was rewritten hold.
fn assert_tags(out0: &[Value], out1: &[Value]) {
    for f in out0 {
        assert_eq!(f["vlan"], 100, "{f}");
    }
    for f in out1 {
        assert_eq!(f["vlan"], Value::Null, "{f}");
        assert_eq!(f["eth_dst"], "02:00:00:00:00:11", "to R1: {f}");
    }
    for f in out0.iter().chain(out1) {
        assert_ne!(f["ip_csum_ok"], false, "{f}");
        assert_ne!(f["l4_csum_ok"], false, "{f}");
    }
}

#[test]
fn vlan_in_and_out_and_frames_for_other_macs_dropped() {
    let (out0, out1, report) = run(false, (6, 3));
    assert_tags(&out0, &out1);
    let v6 = "2001:db8:c::1";
    assert_eq!(
        summary(&out0),
        [
            format!("arp op 1 203.0.113.1 > {C2}"),
            format!("arp op 2 {V} > {C}"),
            format!("icmp 11 {V} > {C}"),
            format!("na {v6}"),
            format!("tcp {V}:80 > {C}:40000 "),
            format!("udp {V}:53 > {C}:40001 dcba"),
        ],
        "{out0:?}"
    );
    assert_eq!(
        summary(&out1),
        [
            format!("tcp {C}:40000 > {R1}:8080 "),
            format!("tcp {C2}:40002 > {R1}:8080 "),
            format!("udp {C}:40001 > {R1}:53 abcd"),
        ],
        "{out1:?}"
    );
    assert_counts(
        &report,
        &[
            ("rx_packets", 15),
            ("tx_packets", 9),
            ("drop vlan_untagged", 1),
            ("drop vlan_mismatch", 1),
            ("drop vlan_tagged", 1),
            ("drop not_our_mac", 3),
            ("drop ttl_exceeded", 1),
            ("drop no_neighbour", 1),
        ],
    );
}

/// The same frames with both ports promiscuous: what was unicast to another MAC or broadcast
/// is balanced too; the VLAN rules still hold.
#[test]
fn promiscuous_ports_take_frames_for_any_mac() {
    let (out0, out1, report) = run(true, (7, 5));
    assert_tags(&out0, &out1);
    let sent = summary(&out1);
    assert!(
        sent.contains(&format!("tcp {C}:40006 > {R1}:8080 ")),
        "{sent:?}"
    );
    assert!(
        sent.contains(&format!("udp {C}:40001 > {R1}:53 bcast")),
        "{sent:?}"
    );
    let back = summary(&out0);
    assert!(
        back.contains(&format!("udp {V}:53 > {C}:40001 other")),
        "{back:?}"
    );
    assert_eq!((out0.len(), out1.len()), (7, 5));
    assert_counts(
        &report,
        &[
            ("tx_packets", 12),
            ("drop vlan_untagged", 1),
            ("drop vlan_mismatch", 1),
            ("drop vlan_tagged", 1),
            ("drop not_our_mac", 0),
        ],
    );
}
