//! rvsd on two net_pcap ports doing NAT for TCP and UDP services given in
//! its configuration: every rewritten frame is decoded by scapy (addresses,
//! ports, TTL, checksums recomputed independently), and `rvsadm -Ln` shows
//! the connections byte for byte as ipvsadm would.

mod common;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

fn check_l4(f: &Value, kind: &str, src: (&str, u64), dst: (&str, u64), payload: &str) {
    assert_eq!(f["kind"], kind, "{f}");
    assert_eq!(
        (f["src"].as_str().unwrap(), f["sport"].as_u64().unwrap()),
        src,
        "{f}"
    );
    assert_eq!(
        (f["dst"].as_str().unwrap(), f["dport"].as_u64().unwrap()),
        dst,
        "{f}"
    );
    assert_eq!(f["ttl"], 63, "forwarding decrements the TTL: {f}");
    assert_eq!(f["payload"], payload, "{f}");
    assert_eq!(f["ip_csum_ok"], true, "{f}");
    assert_eq!(f["l4_csum_ok"], true, "{f}");
}

#[test]
fn nat_rewrites_tcp_and_udp_both_ways() {
    let dir = TempDir::new("pcap-nat");
    py("frames.py", &["make-nat", dir.0.to_str().unwrap()]);
    let cfg = pcap_nat_config(&dir, NAT_SERVICES);
    let d = Rvsd::start(&dir, &cfg, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut out0, mut out1) = (Vec::new(), Vec::new());
    while (out0.len() < 3 || out1.len() < 3) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        out0 = decode(&dir.path("tx0.pcap"));
        out1 = decode(&dir.path("tx1.pcap"));
    }
    let list = d.adm(&["-Ln"]);
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    assert_eq!(out1.len(), 3, "to the real server: {out1:?}");
    check_l4(
        &out1[0],
        "tcp",
        ("203.0.113.10", 40000),
        ("10.0.0.11", 8080),
        "",
    );
    assert_eq!(out1[0]["flags"], "S");
    check_l4(
        &out1[1],
        "tcp",
        ("203.0.113.10", 40000),
        ("10.0.0.11", 8080),
        "GET / HTTP/1.0\r\n\r\n",
    );
    check_l4(
        &out1[2],
        "udp",
        ("203.0.113.10", 40001),
        ("10.0.0.11", 53),
        "abcd",
    );
    assert!(out1.iter().all(|f| f["eth_dst"] == "02:00:00:00:00:11"));

    assert_eq!(out0.len(), 3, "to the client: {out0:?}");
    assert_eq!(out0[0]["kind"], "arp", "rvsd answers ARP for its VIP");
    assert_eq!(
        (out0[0]["op"].as_u64(), out0[0]["psrc"].as_str()),
        (Some(2), Some("198.51.100.1"))
    );
    check_l4(
        &out0[1],
        "tcp",
        ("198.51.100.1", 80),
        ("203.0.113.10", 40000),
        "",
    );
    assert_eq!(out0[1]["flags"], "SA");
    check_l4(
        &out0[2],
        "udp",
        ("198.51.100.1", 53),
        ("203.0.113.10", 40001),
        "dcba",
    );
    assert!(out0[1..]
        .iter()
        .all(|f| f["eth_dst"] == "02:00:00:00:00:fe"));

    // ipvsadm's exact listing; the TCP connection is ESTABLISHED (active),
    // the UDP one inactive.
    assert_eq!(
        text(&list.stdout),
        "IP Virtual Server version 1.2.1 (size=4096)\n\
         Prot LocalAddress:Port Scheduler Flags\n\
         \x20 -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
         TCP  198.51.100.1:80 rr\n\
         \x20 -> 10.0.0.11:8080               Masq    1      1          0         \n\
         UDP  198.51.100.1:53 rr\n\
         \x20 -> 10.0.0.11:53                 Masq    1      0          1         \n"
    );
    for want in [
        "drop no_service 1",
        "drop no_connection 1",
        "tx_packets 6",
        "rx_packets 8",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim() == want),
            "missing {want:?} in:\n{stdout}"
        );
    }
}

/// The same in IPv6: vector §7.16's SYN leaves for [R1]:8080 with hop limit 63 and TCP
/// checksum 0x7fb8 (the real kernel's, oracle 6.12 and 6.1), data and UDP follow, the
/// replies return from the VIP; `-Ln` and `-Lnc` list them in IPv6 as ipvsadm does.
#[test]
fn nat_rewrites_ipv6_both_ways() {
    let dir = TempDir::new("pcap-nat6");
    py("frames.py", &["make-nat6", dir.0.to_str().unwrap()]);
    let cfg = pcap_nat_config(
        &dir,
        &[
            "-A -t [2001:db8:f::1]:80 -s rr",
            "-a -t [2001:db8:f::1]:80 -r [2001:db8:a::11]:8080 -m",
            "-A -u [2001:db8:f::1]:53 -s rr",
            "-a -u [2001:db8:f::1]:53 -r [2001:db8:a::11]:53 -m",
        ],
    );
    let d = Rvsd::start(&dir, &cfg, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut out0, mut out1) = (Vec::new(), Vec::new());
    while (out0.len() < 2 || out1.len() < 3) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        out0 = decode(&dir.path("tx0.pcap"));
        out1 = decode(&dir.path("tx1.pcap"));
    }
    let list = text(&d.adm(&["-Ln"]).stdout);
    let conns = text(&d.adm(&["-Lnc"]).stdout);
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let (c, v, r1) = ("2001:db8:c::10", "2001:db8:f::1", "2001:db8:a::11");
    assert_eq!(out1.len(), 3, "to the real server: {out1:?}");
    check_l4(&out1[0], "tcp", (c, 40000), (r1, 8080), "");
    assert_eq!(
        (&out1[0]["flags"], &out1[0]["l4_csum"]),
        (&"S".into(), &0x7fb8.into())
    );
    check_l4(
        &out1[1],
        "tcp",
        (c, 40000),
        (r1, 8080),
        "GET / HTTP/1.0\r\n\r\n",
    );
    check_l4(&out1[2], "udp", (c, 40001), (r1, 53), "abcd");
    assert_eq!(out0.len(), 2, "to the client: {out0:?}");
    check_l4(&out0[0], "tcp", (v, 80), (c, 40000), "");
    check_l4(&out0[1], "udp", (v, 53), (c, 40001), "dcba");

    assert!(
        list.contains("TCP  [2001:db8:f::1]:80 rr\n  -> [2001:db8:a::11]:8080        Masq    1      1          0         \n"),
        "{list}"
    );
    let entries: Vec<&str> = conns.lines().skip(2).collect();
    let want = [
        "TCP 14:59  ESTABLISHED [2001:db8:c::10]:40000 [2001:db8:f::1]:80 [2001:db8:a::11]:8080",
        "UDP 04:59  UDP         [2001:db8:c::10]:40001 [2001:db8:f::1]:53 [2001:db8:a::11]:53",
    ];
    for w in want {
        // The expiry may have ticked by a second or two.
        let (head, tail) = (&w[..4], &w[10..]);
        assert!(
            entries
                .iter()
                .any(|e| e.starts_with(head) && e.ends_with(tail)),
            "{w:?} not in\n{conns}"
        );
    }
    assert_eq!(entries.len(), 2, "{conns}");
}
