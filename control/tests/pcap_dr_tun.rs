//! rvsd on two net_pcap ports, wired as the real kernel was when it made the
//! golden frames of `tests/golden/dr_tun/` (ipvs-forwarding §7.0): for every
//! case the oracle ran (DR, TUN ipip/gre/gue with their checksum variants,
//! TOS/ECN and DF variations, TTL 1, too big with and without DF), the same
//! input frames go into rvsd with the same real server, and what rvsd sends
//! on each link is compared field by field with what IPVS sent, by scapy
//! (`tests/py/golden_cmp.py`, an outside decoder that also recomputes every
//! checksum).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/dr_tun")
}

/// `(case, real-server options)` from the oracle's command file, so the
/// cases and their `-a` options have one source.
fn cases() -> Vec<(String, String)> {
    let cmd = std::fs::read_to_string(golden_dir().join("oracle.cmd")).unwrap();
    cmd.lines()
        .filter_map(|l| l.strip_prefix("run_case "))
        .map(|rest| {
            let (name, opts) = rest.split_once(' ').unwrap();
            (name.to_string(), opts.to_string())
        })
        .collect()
}

/// The frames of a classic pcap file (what net_pcap writes).
fn pcap_frames(path: &Path) -> usize {
    let Ok(b) = std::fs::read(path) else {
        return 0;
    };
    let mut n = 0;
    let mut off = 24;
    while off + 16 <= b.len() {
        let len = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        if off + 16 + len > b.len() {
            break;
        }
        off += 16 + len;
        n += 1;
    }
    n
}

/// An empty pcap (net_pcap needs a file to read on the inside port).
fn empty_pcap(path: &Path) {
    let mut h = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // Version 2.4 is two u16s, not one u32: rewrite bytes 4..8.
    h[4..8].copy_from_slice(&[2, 0, 4, 0]);
    std::fs::write(path, h).unwrap();
}

/// How many frames the golden case expects on `side`.
fn expected(golden: &serde_json::Value, case: &str, side: &str) -> usize {
    let c = golden
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == case)
        .unwrap();
    c[format!("output_{side}")].as_array().unwrap().len()
}

/// Runs one case through rvsd; its output lands in DIR/CASE.{outside,inside}.pcap.
fn run_case(dir: &TempDir, golden: &serde_json::Value, case: &str, dest: &str) {
    let p = |n: &str| dir.path(n).display().to_string();
    let (outside, inside) = (
        p(&format!("{case}.outside.pcap")),
        p(&format!("{case}.inside.pcap")),
    );
    let cfg = format!(
        r#"{{"eal": [{EAL_TEST_ARGS}], "mbufs": 2047, "conn_table_size": 4096,
            "ports": [
              {{"device": "net_pcap0,rx_pcap={},tx_pcap={outside}", "addresses": ["198.51.100.2/24"],
                "neighbours": [{{"ip": "198.51.100.254", "mac": "02:00:00:00:00:fe"}}]}},
              {{"device": "net_pcap1,rx_pcap={},tx_pcap={inside}", "addresses": ["10.0.0.1/24"],
                "neighbours": [{{"ip": "10.0.0.21", "mac": "02:00:00:00:00:21"}},
                               {{"ip": "10.0.0.254", "mac": "02:00:00:00:00:54"}}]}}],
            "routes": [{{"prefix": "0.0.0.0/0", "via": "198.51.100.254"}},
                       {{"prefix": "192.0.2.31/32", "via": "10.0.0.254"}}],
            "services": ["-A -t 198.51.100.1:80 -s rr",
                         "-a -t 198.51.100.1:80 -r {dest}"]}}"#,
        p(&format!("{case}.rx.pcap")),
        p("empty.pcap"),
    );
    let sub = TempDir::new(&format!("pcap-dr-tun-{case}"));
    let d = Rvsd::start(&sub, &cfg, None);
    let want = (
        expected(golden, case, "outside"),
        expected(golden, case, "inside"),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    // net_pcap writes as it sends; stop as soon as every expected frame is out.
    while (
        pcap_frames(Path::new(&outside)),
        pcap_frames(Path::new(&inside)),
    ) < want
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100)); // and nothing more arrives
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{case}: {stdout}\n{stderr}");
}

#[test]
fn dr_and_tun_frames_match_the_real_kernel() {
    let dir = TempDir::new("pcap-dr-tun");
    let golden_json = golden_dir().join("golden.json");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&golden_json).unwrap()).unwrap();
    let (json, out) = (golden_json.to_str().unwrap(), dir.0.to_str().unwrap());
    py("golden_cmp.py", &["make-all", json, out]);
    empty_pcap(&dir.path("empty.pcap"));
    let cases = cases();
    assert_eq!(cases.len(), golden.as_array().unwrap().len());
    for (case, dest) in &cases {
        run_case(&dir, &golden, case, dest);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/py/golden_cmp.py");
    let res = Command::new("/usr/bin/python3")
        .arg(script)
        .args(["compare-all", json, out])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&res.stdout);
    let failed: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("\"ok\": false"))
        .collect();
    assert!(
        res.status.success() && failed.is_empty(),
        "frames differ from the kernel's:\n{}\n{}",
        failed.join("\n"),
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(report.lines().count(), 2 * cases.len(), "{report}");
}
