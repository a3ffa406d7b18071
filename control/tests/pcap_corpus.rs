//! The bad-frame corpus (issue 15): rvsd on two net_pcap ports, the real-server side on
//! VLAN 200, takes one frame per named case (`tests/py/frames.py make-corpus`) and every
//! frame's fate is the one [`CASES`] writes down: dropped under its reason (the shutdown
//! report's drop counters), forwarded as scapy decodes it from the tx pcap (addresses, ports,
//! flags, TTL, IPv4 options, no Ethernet padding; checksums verified), or answered with an
//! ICMP error. The counters then add up: every frame received is dropped or forwarded, and
//! every frame sent is a case's. Frames that carry a payload carry their case's name in it,
//! so what rvsd sent names its case (an ICMP error by the packet it quotes).

mod common;
use common::golden::{counter, pcap_frames};
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use Fate::*;

/// What rvsd does with a case's frame.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    /// Dropped, counted under this reason; nothing sent.
    Drop(&'static str),
    /// Forwarded: the frame sent, as [`summary`] writes it.
    Forward(&'static str),
    /// Dropped, counted under the reason, and answered with this ICMP error ([`summary`]).
    Answer(&'static str, &'static str),
}

/// Every case of the corpus in `make-corpus`'s order, with its fate. The addresses are
/// ipvs-forwarding §7.0's: client C, VIP V, NAT real server R1 (C6, V6, R1_6 in IPv6).
/// Where rvs follows IPVS the note says so; the drops of malformed frames are rvs's own (the
/// kernel drops them in its IP layer before IPVS sees them).
const CASES: &[(&str, Fate)] = &[
    ("valid_syn", Forward("tcp C:40000 > R1:8080 [S] ttl 63")),
    ("ethernet_truncated", Drop("ethernet_truncated")),
    ("unknown_ethertype", Drop("unknown_ethertype")),
    ("ipv4_header_truncated", Drop("ipv4_too_short")),
    ("ipv4_version_6", Drop("ipv4_bad_version")),
    ("ipv4_ihl_4", Drop("ipv4_bad_ihl")),
    ("ipv4_ihl_past_frame", Drop("ipv4_too_short")),
    // IPVS leaves options as they are (§3.1); Router Alert here.
    (
        "ipv4_options",
        Forward("tcp C:40006 > R1:8080 [S] ttl 63 options 94040000"),
    ),
    // Linux trims a packet to its total length on input: the padding does not travel.
    ("ipv4_padding", Forward("tcp C:40007 > R1:8080 [S] ttl 63")),
    ("ipv4_total_len_past_frame", Drop("ipv4_bad_total_len")),
    ("ipv4_total_len_below_header", Drop("ipv4_bad_total_len")),
    ("ipv4_bad_checksum", Drop("ipv4_bad_checksum")),
    ("tcp_header_truncated", Drop("tcp_truncated")),
    ("udp_header_truncated", Drop("udp_truncated")),
    ("tcp_data_offset_4", Drop("tcp_bad_data_offset")),
    ("tcp_data_offset_past_segment", Drop("tcp_bad_data_offset")),
    ("udp_length_past_datagram", Drop("udp_bad_length")),
    ("udp_length_below_8", Drop("udp_bad_length")),
    // IPVS checks no port: a client port 0 is a client port.
    ("tcp_sport_0", Forward("tcp C:0 > R1:8080 [S] ttl 63")),
    ("tcp_dport_0", Drop("no_service")),
    ("udp_sport_0", Forward("udp C:0 > R1:53 ttl 63")),
    ("udp_dport_0", Drop("no_service")),
    // §7.6: the zero checksum is computed in full (scapy verifies it: 0 would not).
    ("udp_checksum_0", Forward("udp C:40021 > R1:53 ttl 63")),
    // No connection: SYN without RST creates one (§2.2), the rest is no_connection.
    ("syn_fin_new", Forward("tcp C:40100 > R1:8080 [FS] ttl 63")),
    ("syn_rst_new", Drop("no_connection")),
    ("fin_urg_psh_new", Drop("no_connection")),
    ("no_flags_new", Drop("no_connection")),
    ("all_flags_new", Drop("no_connection")),
    // On a connection (SYN_RECV) every segment follows it, flags untouched.
    (
        "syn_fin_conn_syn",
        Forward("tcp C:40110 > R1:8080 [S] ttl 63"),
    ),
    (
        "syn_fin_on_conn",
        Forward("tcp C:40110 > R1:8080 [FS] ttl 63"),
    ),
    (
        "syn_rst_conn_syn",
        Forward("tcp C:40111 > R1:8080 [S] ttl 63"),
    ),
    (
        "syn_rst_on_conn",
        Forward("tcp C:40111 > R1:8080 [SR] ttl 63"),
    ),
    (
        "fin_urg_psh_conn_syn",
        Forward("tcp C:40112 > R1:8080 [S] ttl 63"),
    ),
    (
        "fin_urg_psh_on_conn",
        Forward("tcp C:40112 > R1:8080 [FPU] ttl 63"),
    ),
    (
        "no_flags_conn_syn",
        Forward("tcp C:40113 > R1:8080 [S] ttl 63"),
    ),
    (
        "no_flags_on_conn",
        Forward("tcp C:40113 > R1:8080 [] ttl 63"),
    ),
    (
        "all_flags_conn_syn",
        Forward("tcp C:40114 > R1:8080 [S] ttl 63"),
    ),
    (
        "all_flags_on_conn",
        Forward("tcp C:40114 > R1:8080 [FSRPAUEC] ttl 63"),
    ),
    // §7.10: its only server has weight 0.
    (
        "quiesced_server_syn",
        Answer("icmp 3/3 V > C ttl 64", "no_destination"),
    ),
    ("no_service_tcp", Drop("no_service")),
    ("no_service_udp", Drop("no_service")),
    ("not_for_us", Drop("not_for_us")),
    ("gre_to_vip", Drop("unsupported_protocol")),
    ("martian_loopback", Drop("martian_source")),
    ("martian_multicast", Drop("martian_source")),
    ("martian_broadcast", Drop("martian_source")),
    ("martian_unspecified", Drop("martian_source")),
    ("martian_own_address", Drop("martian_source")),
    ("martian_other_port_address", Drop("martian_source")),
    ("martian_vip", Drop("martian_source")),
    ("martian_subnet_broadcast", Drop("martian_source")),
    ("tagged_on_untagged_port", Drop("vlan_tagged")),
    ("priority_tag_on_untagged_port", Drop("vlan_tagged")),
    ("wrong_dst_mac", Drop("not_our_mac")),
    ("broadcast_dst_mac", Drop("not_our_mac")),
    ("multicast_dst_mac", Drop("not_our_mac")),
    // §7.11, and rvs creates no connection for a packet that dies here.
    (
        "ttl_0_syn",
        Answer("icmp 11/0 V > C ttl 64", "ttl_exceeded"),
    ),
    (
        "ttl_1_syn",
        Answer("icmp 11/0 V > C ttl 64", "ttl_exceeded"),
    ),
    ("ttl_2_syn", Forward("tcp C:40502 > R1:8080 [S] ttl 1")),
    (
        "ttl_1_conn_syn",
        Forward("tcp C:40503 > R1:8080 [S] ttl 63"),
    ),
    (
        "ttl_1_on_conn",
        Answer("icmp 11/0 V > C ttl 64", "ttl_exceeded"),
    ),
    // Held for its first fragment, which never comes.
    ("fragment_later_only", Drop("fragment_timeout")),
    ("ipv6_valid", Forward("udp C6:40600 > R1_6:53 ttl 63")),
    ("ipv6_header_truncated", Drop("ipv6_too_short")),
    ("ipv6_payload_len_past_frame", Drop("ipv6_bad_payload_len")),
    ("ipv6_padding", Forward("udp C6:40602 > R1_6:53 ttl 63")),
    (
        "ipv6_six_extension_headers",
        Forward("udp C6:40603 > R1_6:53 ttl 63"),
    ),
    (
        "ipv6_seven_extension_headers",
        Drop("ipv6_extension_header"),
    ),
    ("ipv6_hop_by_hop_not_first", Drop("ipv6_extension_header")),
    ("ipv6_routing_segments_left", Drop("ipv6_extension_header")),
    (
        "ipv6_extension_past_payload",
        Drop("ipv6_extension_truncated"),
    ),
    ("ipv6_fragment_later_only", Drop("fragment_timeout")),
    // The real-server side, on VLAN 200.
    ("server_untagged", Drop("vlan_untagged")),
    ("server_wrong_vlan", Drop("vlan_mismatch")),
    ("server_stacked_tags", Drop("vlan_stacked")),
    ("server_reply_no_connection", Drop("not_for_us")),
];

const SERVER_VLAN: u64 = 200;

/// The services: NAT_SERVICES' TCP 80 and UDP 53, a TCP service whose only real server is
/// quiesced, and UDP 53 in IPv6.
const SERVICES: &[&str] = &[
    "-A -t 198.51.100.1:8000 -s rr",
    "-a -t 198.51.100.1:8000 -r 10.0.0.11:8000 -m -w 0",
    "-A -u [2001:db8:f::1]:53 -s rr",
    "-a -u [2001:db8:f::1]:53 -r [2001:db8:a::11]:53 -m",
];

#[test]
fn every_frame_of_the_bad_frame_corpus_meets_its_fate() {
    let dir = TempDir::new("pcap-corpus");
    py("frames.py", &["make-corpus", dir.0.to_str().unwrap()]);
    assert_table_is_the_corpus(&dir);
    let (report, sent) = run(&dir);

    let mut got: BTreeMap<String, String> = BTreeMap::new();
    for (name, line) in sent {
        assert!(
            got.insert(name.clone(), line).is_none(),
            "{name} sent twice"
        );
    }
    let mut wrong = Vec::new();
    for &(name, fate) in CASES {
        let want = match fate {
            Drop(_) => None,
            Forward(s) | Answer(s, _) => Some(s),
        };
        let out = got.remove(name);
        if out.as_deref() != want {
            wrong.push(format!("{name}: want {fate:?}, sent {out:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}\n{report}", wrong.join("\n"));
    assert!(got.is_empty(), "sent for no case: {got:?}");
    assert_counters_add_up(&report);
}

/// `make-corpus`'s cases are the table's, in the same order.
fn assert_table_is_the_corpus(dir: &TempDir) {
    let listed = std::fs::read_to_string(dir.path("cases.txt")).unwrap();
    let names: Vec<&str> = listed
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let table: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    assert_eq!(names, table);
}

/// rvsd on the corpus: its shutdown report once every frame was received and the held
/// fragments timed out, and what it sent as (case, [`summary`]), every frame checked for
/// the link it left by.
fn run(dir: &TempDir) -> (String, Vec<(String, String)>) {
    let mut cfg: Value = serde_json::from_str(&pcap_nat_config(dir, &services())).unwrap();
    cfg["ports"][1]["vlan"] = SERVER_VLAN.into();
    let d = Rvsd::start(dir, &cfg.to_string(), None);
    let timeouts = expected(|f| f == Drop("fragment_timeout"));
    wait_until("every frame received and the fragments timed out", || {
        let c = json_counters(&d);
        let rx: u64 = c["workers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["rx_packets"].as_u64().unwrap())
            .sum();
        let held = c["drops"]["fragment_timeout"].as_u64().unwrap_or(0);
        rx == CASES.len() as u64 && held == timeouts
    });
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
    let mut sent = Vec::new();
    for (port, link) in [(0, check_to_client as fn(&Value)), (1, check_to_server)] {
        for f in decode(&dir.path(&format!("tx{port}.pcap"))) {
            link(&f);
            sent.push((case_of(&f), summary(&f)));
        }
    }
    (report, sent)
}

fn services() -> Vec<&'static str> {
    NAT_SERVICES.iter().chain(SERVICES).copied().collect()
}

fn json_counters(d: &Rvsd) -> Value {
    let out = d.adm(&["--json", "--counters"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// How many cases' fates satisfy `which`.
fn expected(which: impl Fn(Fate) -> bool) -> u64 {
    CASES.iter().filter(|c| which(c.1)).count() as u64
}

/// Every frame received was dropped (an ICMP error's offender too) or forwarded, and every
/// frame sent was a forward or an answer: each drop reason counts exactly its cases.
fn assert_counters_add_up(report: &str) {
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for &(_, fate) in CASES {
        if let Drop(reason) | Answer(_, reason) = fate {
            *want.entry(reason.to_owned()).or_default() += 1;
        }
    }
    let drops: BTreeMap<String, u64> = report
        .lines()
        .skip_while(|l| l.trim() != "Totals")
        .filter_map(|l| {
            let (reason, n) = l.trim().strip_prefix("drop ")?.split_once(' ')?;
            Some((reason.to_owned(), n.parse().unwrap()))
        })
        .collect();
    assert_eq!(drops, want, "drop counters:\n{report}");
    let forwarded = expected(|f| matches!(f, Forward(_)));
    let answered = expected(|f| matches!(f, Answer(..)));
    let dropped: u64 = drops.values().sum();
    let rx = counter(report, "rx_packets");
    assert_eq!(rx, CASES.len() as u64, "{report}");
    assert_eq!(
        rx,
        dropped + forwarded,
        "a frame unaccounted for:\n{report}"
    );
    assert_eq!(
        counter(report, "tx_packets"),
        forwarded + answered,
        "{report}"
    );
    assert_eq!(counter(report, "icmp_errors_sent"), answered, "{report}");
}

fn decode(pcap: &Path) -> Vec<Value> {
    if pcap_frames(pcap) == 0 {
        return Vec::new();
    }
    py("frames.py", &["decode", pcap.to_str().unwrap()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The case a frame rvsd sent belongs to: the name its payload (or the packet an ICMP error
/// quotes) ends with.
fn case_of(f: &Value) -> String {
    let payload = f["payload"].as_str().unwrap_or_default();
    CASES
        .iter()
        .map(|c| c.0)
        .filter(|name| payload.ends_with(name))
        .max_by_key(|name| name.len())
        .unwrap_or_else(|| panic!("a frame of no case: {f}"))
        .to_owned()
}

/// A frame sent to the client side: untagged, to C's MAC.
fn check_to_client(f: &Value) {
    check_link(f, Value::Null, "02:00:00:00:00:fe");
}

/// A frame sent to the real-server side: VLAN 200, to R1's MAC.
fn check_to_server(f: &Value) {
    check_link(f, SERVER_VLAN.into(), "02:00:00:00:00:11");
}

/// The frame's tag and destination MAC, and every checksum scapy recomputed holds.
fn check_link(f: &Value, vlan: Value, mac: &str) {
    assert_eq!(
        (&f["vlan"], f["eth_dst"].as_str()),
        (&vlan, Some(mac)),
        "{f}"
    );
    for sum in ["ip_csum_ok", "l4_csum_ok", "icmp_csum_ok"] {
        assert_ne!(f[sum], false, "{sum}: {f}");
    }
}

/// A frame rvsd sent, as [`CASES`] writes it: `tcp C:40000 > R1:8080 [S] ttl 63`, with
/// ` options HEX` for IPv4 options and ` padding N` for bytes after the IP packet;
/// `icmp TYPE/CODE V > C ttl 64`.
fn summary(f: &Value) -> String {
    let addr = |k: &str| name_of(f[k].as_str().unwrap());
    let ttl = &f["ttl"];
    match f["kind"].as_str().unwrap() {
        "icmp" => format!(
            "icmp {}/{} {} > {} ttl {ttl}",
            f["type"],
            f["code"],
            addr("src"),
            addr("dst")
        ),
        kind @ ("tcp" | "udp") => {
            let flags = match kind {
                "tcp" => format!(" [{}]", f["flags"].as_str().unwrap()),
                _ => String::new(),
            };
            let mut s = format!(
                "{kind} {}:{} > {}:{}{flags} ttl {ttl}",
                addr("src"),
                f["sport"],
                addr("dst"),
                f["dport"]
            );
            if let Some(o) = f["ip_options"].as_str().filter(|o| !o.is_empty()) {
                s += &format!(" options {o}");
            }
            if f["padding"].as_u64().unwrap_or(0) > 0 {
                s += &format!(" padding {}", f["padding"]);
            }
            s
        }
        other => panic!("rvsd sent a {other} frame: {f}"),
    }
}

fn name_of(addr: &str) -> &str {
    match addr {
        "203.0.113.10" => "C",
        "198.51.100.1" => "V",
        "10.0.0.11" => "R1",
        "2001:db8:c::10" => "C6",
        "2001:db8:f::1" => "V6",
        "2001:db8:a::11" => "R1_6",
        other => other,
    }
}
