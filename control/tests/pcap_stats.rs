//! `--stats` and `--rate` from rvsd on net_pcap, on the burst the oracle measured (ipvs-
//! schedulers §7.1): 2000 UDP datagrams of 30 bytes (IP length) within one 2-s estimation interval, then
//! nothing. rvsd counts them exactly and its rates decay, estimation after estimation, as
//! Linux 6.12's did for the same burst.

mod common;
use common::golden::counter;
use common::*;
use std::time::{Duration, Instant};

/// InPPS and InBPS Linux 6.12 showed at its successive estimations after the burst.
const LINUX: [(u64, u64); 8] = [
    (250, 7500),
    (187, 5625),
    (141, 4219),
    (105, 3164),
    (79, 2373),
    (59, 1780),
    (44, 1335),
    (33, 1001),
];

const SERVICE: &str = "UDP  198.51.100.1:53";

/// The five numbers of the line of `list` that starts with `start`.
fn values(list: &str, start: &str) -> Vec<u64> {
    let line = list
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no {start:?} in:\n{list}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields[fields.len() - 5..]
        .iter()
        .map(|f| f.parse().unwrap())
        .collect()
}

#[test]
fn a_burst_is_counted_and_its_rates_decay_as_on_linux() {
    let dir = TempDir::new("pcap-stats");
    py("frames.py", &["make-burst", dir.0.to_str().unwrap()]);
    let cfg = pcap_nat_config(
        &dir,
        &[
            "-A -u 198.51.100.1:53 -s rr",
            "-a -u 198.51.100.1:53 -r 10.0.0.11:53 -m",
        ],
    );
    let d = Rvsd::start(&dir, &cfg, None);
    // Every change of the service's rates, read every 200 ms (estimations come every 2 s).
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < LINUX.len() && Instant::now() < deadline {
        let rate = text(&d.adm(&["-Ln", "--rate", "--exact"]).stdout);
        let v = values(&rate, SERVICE);
        let now = (v[1], v[3]);
        if now.0 > 0 && seen.last() != Some(&now) {
            seen.push(now);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let stats = text(&d.adm(&["-Ln", "--stats", "--exact"]).stdout);
    let (code, report, err) = d.stop();
    assert_eq!(code, 0, "{report}\n{err}");
    assert_eq!(counter(&report, "rx_packets"), 2001, "{report}");
    // One connection; 2000 datagrams of 20 + 8 + 2 bytes; nothing back.
    let want = [1, 2000, 0, 60_000, 0];
    assert_eq!(values(&stats, SERVICE), want, "{stats}");
    assert_eq!(values(&stats, "  -> 10.0.0.11:53"), want, "{stats}");
    assert_eq!(seen, LINUX, "InPPS and InBPS at each estimation");
}
