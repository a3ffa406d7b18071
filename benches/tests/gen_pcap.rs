//! rvs-gen into net_pcap for about a second per case, every frame judged by tshark: IP, UDP
//! and TCP checksums good, frame length, addresses, TTL, the stamp at the tail, the number of
//! distinct clients and source ports, and for TCP flows a SYN first and ACK segments after it whose sequence
//! numbers advance by the payload. The cases cover every pair of protocol, family, size
//! (64 and 1500) and flow mode, and the UDP checksum 0 option.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

const RATE: u64 = 2000;
/// Packets each `--flows` case cycles over.
const FLOWS: u64 = 100;

struct Case {
    tcp: bool,
    v6: bool,
    size: usize,
    /// `--flows FLOWS`, else `--new`.
    cycle: bool,
    csum0: bool,
}

/// One frame as tshark decoded it.
#[derive(Debug)]
struct Decoded {
    len: usize,
    dst_mac: String,
    src: String,
    dst: String,
    sport: u16,
    dport: u16,
    hops: u8,
    ip_csum: String,
    l4_csum: String,
    malformed: bool,
    syn: bool,
    ack: bool,
    seq: u32,
    payload: Vec<u8>,
}

const FIELDS: &[&str] = &[
    "frame.len",
    "eth.dst",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "udp.srcport",
    "tcp.srcport",
    "udp.dstport",
    "tcp.dstport",
    "ip.ttl",
    "ipv6.hlim",
    "ip.checksum.status",
    "udp.checksum.status",
    "tcp.checksum.status",
    "_ws.malformed",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.seq_raw",
    "udp.payload",
    "tcp.payload",
];

/// Every frame of `pcap` as tshark decodes it, checksums verified.
fn tshark(pcap: &Path) -> Vec<Decoded> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(pcap)
        .args(["-T", "fields", "-E", "separator=/t"]);
    for p in ["ip", "udp", "tcp"] {
        cmd.args(["-o", &format!("{p}.check_checksum:TRUE")]);
    }
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().map(parse_line).collect()
}

fn parse_line(line: &str) -> Decoded {
    let v: HashMap<&str, &str> = FIELDS.iter().copied().zip(line.split('\t')).collect();
    // One of each pair is empty: the family's or the protocol's.
    let either = |a: &str, b: &str| format!("{}{}", v[a], v[b]);
    let number = |a: &str, b: &str| either(a, b).parse().unwrap_or(0);
    let hex = either("udp.payload", "tcp.payload").replace(':', "");
    Decoded {
        len: v["frame.len"].parse().unwrap(),
        dst_mac: v["eth.dst"].to_string(),
        src: either("ip.src", "ipv6.src"),
        dst: either("ip.dst", "ipv6.dst"),
        sport: number("udp.srcport", "tcp.srcport") as u16,
        dport: number("udp.dstport", "tcp.dstport") as u16,
        hops: number("ip.ttl", "ipv6.hlim") as u8,
        ip_csum: v["ip.checksum.status"].to_string(),
        l4_csum: either("udp.checksum.status", "tcp.checksum.status"),
        malformed: !v["_ws.malformed"].is_empty(),
        syn: v["tcp.flags.syn"] == "1",
        ack: v["tcp.flags.ack"] == "1",
        seq: v["tcp.seq_raw"].parse().unwrap_or(0),
        payload: (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect(),
    }
}

/// Runs `case` into a pcap; its summary and the frames as tshark decoded them.
fn generate(dir: &TempDir, name: &str, c: &Case) -> (Value, Vec<Decoded>) {
    let (rx, tx) = (dir.path("empty.pcap"), dir.path(&format!("{name}.pcap")));
    empty_pcap(&rx);
    let vdev = format!(
        "net_pcap0,rx_pcap={},tx_pcap={}",
        rx.display(),
        tx.display()
    );
    let opts = format!(
        "--proto {} --size {} {} {} {} --rate {RATE} --seconds 1 --warmup 0",
        if c.tcp { "tcp" } else { "udp" },
        c.size,
        // --new from a small network: the clients take many source ports too.
        match (c.cycle, c.v6) {
            (true, _) => format!("--flows {FLOWS}"),
            (false, false) => "--new --src-net 10.1.0.0/28".into(),
            (false, true) => "--new --src-net fd00:1::/124".into(),
        },
        if c.v6 { "--ipv6" } else { "" },
        if c.csum0 { "--udp-csum0" } else { "" },
    );
    let gen = spawn(&eal(&format!("rvs-gen-pcap-{name}"), &vdev, 1), &opts);
    let (lines, summary) = result(gen.wait_with_output().unwrap());
    assert_eq!(lines.len(), 1, "one second: {lines:?}");
    assert!(lines[0].starts_with("t=1 tx_pps="), "{lines:?}");
    (summary, tshark(&tx))
}

/// The frame length rvs-gen sends for `c`: the size less the FCS, or the headers and the
/// 6-byte stamp when longer.
fn frame_len(c: &Case) -> usize {
    let headers = 14 + if c.v6 { 40 } else { 20 } + if c.tcp { 20 } else { 8 };
    (c.size - 4).max(headers + 6)
}

impl Case {
    /// `"udp|tcp ipv4|ipv6 SIZE flows|new [csum0]"`.
    fn parse(words: &str) -> Case {
        let w: Vec<&str> = words.split(' ').collect();
        Case {
            tcp: w[0] == "tcp",
            v6: w[1] == "ipv6",
            size: w[2].parse().unwrap(),
            cycle: w[3] == "flows",
            csum0: w.get(4) == Some(&"csum0"),
        }
    }
}

/// Runs the case `words` ([`Case::parse`]) and checks every frame.
fn check(words: &str) {
    let c = &Case::parse(words);
    let name = &words.replace(' ', "-");
    let dir = TempDir::new(name);
    let (summary, frames) = generate(&dir, name, c);
    let n = frames.len() as u64;
    assert!(n > 0, "{name}: no frames");
    assert_eq!(
        num(&summary, "tx"),
        n,
        "{name}: every frame sent is in the pcap"
    );
    // The pacing's bound: one second at RATE, at most the bucket (two bursts) more.
    assert!(n <= RATE + 64, "{name}: {n} frames in 1 s at {RATE}/s");
    assert_eq!(num(&summary, "rx"), 0);
    assert!(summary["lat_p50_ns"].is_null() && summary["lat_samples"].is_null());
    let (vip, ip_ok) = if c.v6 {
        ("2001:db8:f::2", "")
    } else {
        ("198.18.0.2", "1")
    };
    let l4_ok = if c.csum0 { "3" } else { "1" }; // 3: not present (UDP checksum 0)
    let mut last_stamp = 0;
    for (i, f) in frames.iter().enumerate() {
        let what = format!("{name}: frame {i}: {f:?}");
        assert_eq!(f.len, frame_len(c), "{what}");
        assert_eq!(
            (f.dst_mac.as_str(), f.dst.as_str(), f.dport),
            ("02:00:00:00:00:01", vip, 9),
            "{what}"
        );
        assert_eq!(f.hops, 64, "{what}");
        assert_eq!(
            (f.ip_csum.as_str(), f.l4_csum.as_str(), f.malformed),
            (ip_ok, l4_ok, false),
            "{what}"
        );
        let prefix = if c.v6 { "fd00:" } else { "10." };
        assert!(f.src.starts_with(prefix), "{what}");
        // The payload is zeros but for the stamp, which the clock only moves forward.
        let (zeros, stamp) = f.payload.split_at(f.payload.len() - 6);
        assert!(zeros.iter().all(|&b| b == 0), "{what}");
        let stamp = stamp.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
        assert!(stamp >= last_stamp && stamp > 0, "{what}");
        last_stamp = stamp;
    }
    let clients: HashSet<(&str, u16)> = frames.iter().map(|f| (f.src.as_str(), f.sport)).collect();
    let distinct = if c.cycle { n.min(FLOWS) } else { n };
    assert_eq!(clients.len() as u64, distinct, "{name}: distinct clients");
    let ports: HashSet<u16> = frames.iter().map(|f| f.sport).collect();
    // --flows: 100 addresses of a /8 on one port; --new: 14 addresses of a /28, port after port.
    let want = if c.cycle { 1 } else { n.div_ceil(14) };
    assert_eq!(ports.len() as u64, want, "{name}: source ports");
    assert_eq!(num(&summary, "flows"), distinct, "{name}");
    if c.tcp {
        check_tcp(name, c, &frames);
    }
}

/// `--new`: every segment a SYN. `--flows`: each client's first segment a SYN, the rest ACK
/// segments whose sequence numbers advance by the payload (the SYN's data and flag included).
fn check_tcp(name: &str, c: &Case, frames: &[Decoded]) {
    let mut seen: HashMap<(&str, u16), (u32, u32)> = HashMap::new();
    for (i, f) in frames.iter().enumerate() {
        let what = format!("{name}: frame {i}: {f:?}");
        let payload = f.payload.len() as u32;
        match seen.get_mut(&(f.src.as_str(), f.sport)) {
            None => {
                assert!(f.syn && !f.ack, "{what}: a flow starts with a SYN");
                seen.insert((&f.src, f.sport), (f.seq, 0));
            }
            Some((isn, pass)) => {
                assert!(c.cycle, "{what}: --new repeats no client");
                assert!(f.ack && !f.syn, "{what}: an ACK after the SYN");
                *pass += 1;
                assert_eq!(f.seq, *isn + 1 + *pass * payload, "{what}");
            }
        }
    }
}

#[test]
fn udp_ipv4_64_flows() {
    check("udp ipv4 64 flows");
}

#[test]
fn udp_ipv4_1500_new() {
    check("udp ipv4 1500 new");
}

#[test]
fn udp_ipv6_64_new() {
    check("udp ipv6 64 new");
}

#[test]
fn udp_ipv6_1500_flows() {
    check("udp ipv6 1500 flows");
}

#[test]
fn tcp_ipv4_64_flows() {
    check("tcp ipv4 64 flows");
}

#[test]
fn tcp_ipv4_1500_new() {
    check("tcp ipv4 1500 new");
}

#[test]
fn tcp_ipv6_64_flows() {
    check("tcp ipv6 64 flows");
}

#[test]
fn tcp_ipv6_1500_new() {
    check("tcp ipv6 1500 new");
}

#[test]
fn udp_checksum_zero() {
    check("udp ipv4 64 new csum0");
}
