//! DPDK's telemetry socket of a running rvsd, asked by DPDK's own client
//! (`dpdk-telemetry.py`): DPDK's `/ethdev/list` and rvs's `/rvs/counters` and
//! `/rvs/services` answer with the traffic rvsd handled on net_pcap; with `"telemetry":
//! false` there is no socket.

mod common;
use common::golden::pcap_frames;
use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// rvsd on the two net_pcap ports of `pcap_nat_config`, with EAL file prefix `prefix` and
/// the telemetry switch `telemetry`.
fn config(dir: &TempDir, prefix: &str, telemetry: bool) -> String {
    let mut cfg: Value = serde_json::from_str(&pcap_nat_config(dir, NAT_SERVICES)).unwrap();
    cfg["eal"] = json!([
        "--no-huge",
        "-m",
        "256",
        "--log-level",
        "*:warning",
        "--file-prefix",
        prefix
    ]);
    cfg["telemetry"] = json!(telemetry);
    cfg.to_string()
}

fn socket(prefix: &str) -> PathBuf {
    PathBuf::from(format!("/var/run/dpdk/{prefix}/dpdk_telemetry.v2"))
}

/// Each command's answer, as `dpdk-telemetry.py` prints them (one JSON line each).
fn ask(prefix: &str, commands: &[&str]) -> Vec<Value> {
    let mut child = Command::new("/usr/bin/python3")
        .args(["/usr/bin/dpdk-telemetry.py", "-f", prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dpdk-telemetry.py (Debian's dpdk-dev)");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(commands.join("\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answers: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), commands.len(), "{}", text(&out.stdout));
    answers
}

#[test]
fn telemetry_answers_dpdk_and_rvs_commands() {
    let dir = TempDir::new("telemetry");
    py("frames.py", &["make-nat", dir.0.to_str().unwrap()]);
    let prefix = format!("rvs-test-telemetry-{}", std::process::id());
    let d = Rvsd::start(&dir, &config(&dir, &prefix, true), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (tx0, tx1) = (dir.path("tx0.pcap"), dir.path("tx1.pcap"));
    while (pcap_frames(&tx0) < 3 || pcap_frames(&tx1) < 3) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let answers = ask(
        &prefix,
        &[
            "/ethdev/list",
            "/rvs/counters",
            "/rvs/services",
            "/help,/rvs/services",
        ],
    );
    let list = d.adm(&["-Ln"]);
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert!(text(&list.stdout).contains("TCP  198.51.100.1:80 rr"));
    assert!(
        !socket(&prefix).exists(),
        "rvsd removes its runtime directory"
    );

    assert_eq!(answers[0], json!({"/ethdev/list": [0, 1]}));

    let c = &answers[1]["/rvs/counters"];
    let w = &c["workers"]["0"];
    assert_eq!(
        (&w["rx_packets"], &w["tx_packets"]),
        (&json!(8), &json!(6)),
        "{c}"
    );
    assert!(w["busy_polls"].as_u64() >= Some(1), "{c}");
    assert!(w["idle_polls"].as_u64() >= Some(1), "{c}");
    assert_eq!(
        c["drops"],
        json!({"no_connection": 1, "no_service": 1}),
        "{c}"
    );
    assert_eq!(
        c["connections"]["ipv4"],
        json!({"used": 2, "capacity": 4096,
               "partitions": {"0": {"used": 2, "capacity": 4096, "evicted": 0}}})
    );
    assert_eq!(c["connections"]["ipv6"]["used"], 0, "{c}");
    let m = &c["mbufs"];
    assert_eq!(
        (&m["name"], &m["size"]),
        (&json!("rvs_mbufs"), &json!(2047)),
        "{c}"
    );
    let (in_use, available) = (m["in_use"].as_u64(), m["available"].as_u64());
    assert_eq!(in_use.zip(available).map(|(u, a)| u + a), Some(2047), "{c}");
    assert!(
        c.get("ports").is_none(),
        "ports are DPDK's /ethdev/stats: {c}"
    );

    let real = |port: u16, active: u32, inactive: u32| {
        json!({"0": {"address": "10.0.0.11", "port": port, "forward": "Masq", "weight": 1,
                     "active_conns": active, "inactive_conns": inactive}})
    };
    let service = |protocol: &str, port: u16, real_servers: Value| {
        json!({"protocol": protocol, "address": "198.51.100.1", "port": port,
               "scheduler": "rr", "real_servers": real_servers})
    };
    let services = &answers[2]["/rvs/services"];
    let want = json!({"0": service("TCP", 80, real(8080, 1, 0)),
                      "1": service("UDP", 53, real(53, 0, 1))});
    assert_eq!(services, &want);
    assert_eq!(
        answers[3],
        json!({"/help": {"/rvs/services": "rvs virtual services and real servers"}})
    );
}

#[test]
fn telemetry_false_closes_the_socket() {
    let dir = TempDir::new("telemetry-off");
    common::golden::empty_pcap(&dir.path("rx0.pcap"));
    common::golden::empty_pcap(&dir.path("rx1.pcap"));
    let prefix = format!("rvs-test-telemetry-off-{}", std::process::id());
    let d = Rvsd::start(&dir, &config(&dir, &prefix, false), None);
    let runtime = socket(&prefix).parent().unwrap().to_owned();
    assert!(runtime.exists(), "EAL made {}", runtime.display());
    assert!(!socket(&prefix).exists());
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
}
