//! Running rvs-gen for the integration tests.
#![allow(dead_code)] // each test binary uses a different part

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

pub const GEN: &str = env!("CARGO_BIN_EXE_rvs-gen");

#[path = "../../../control/tests/common/tempdir.rs"]
mod tempdir;
pub use tempdir::TempDir;

/// EAL arguments for a test process named `prefix` on `vdev` with `lcores` lcores: no
/// hugepages, every lcore free to float over every CPU (tests share the machine).
pub fn eal(prefix: &str, vdev: &str, lcores: usize) -> Vec<String> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = format!("(0-{})", cpus - 1);
    let lcores: Vec<String> = (0..lcores).map(|l| format!("{l}@{all}")).collect();
    let args = format!(
        "--no-huge -m 128 --no-pci --no-telemetry --log-level *:warning --file-prefix {prefix} \
         --lcores {} --vdev {vdev}",
        lcores.join(",")
    );
    args.split_whitespace().map(String::from).collect()
}

/// rvs-gen started with `eal`, then `--`, then `opts`; its stdout piped.
pub fn spawn(eal: &[String], opts: &str) -> Child {
    Command::new(GEN)
        .args(eal)
        .arg("--")
        .args(opts.split_whitespace())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rvs-gen")
}

/// What a finished rvs-gen printed: its per-second lines and its summary (the last line),
/// after checking that it succeeded.
pub fn result(out: Output) -> (Vec<String>, Value) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "rvs-gen failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let mut lines: Vec<String> = stdout.lines().map(String::from).collect();
    let last = lines.pop().unwrap_or_default();
    let summary = serde_json::from_str(&last)
        .unwrap_or_else(|e| panic!("summary {last:?}: {e}\n{stdout}\n{stderr}"));
    (lines, summary)
}

/// Field `name` of `summary` as a number.
pub fn num(summary: &Value, name: &str) -> u64 {
    summary[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} in {summary}"))
}

/// An empty pcap file (a header only): net_pcap's receive side for a port that only sends.
pub fn empty_pcap(path: &Path) {
    let header = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    std::fs::write(path, header).unwrap();
}
