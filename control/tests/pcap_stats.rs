//! `--stats` and `--rate` from rvsd on net_pcap, on the burst the oracle measured (ipvs-
//! schedulers §7.1): 2000 UDP datagrams of 30 bytes (IP length) within one 2-s estimation
//! interval, then nothing. rvsd counts them exactly and its rates decay, estimation after
//! estimation, as Linux 6.12's did for the same burst. The same figures come out of
//! `rvsadm --json`, and `rvsadm --watch` shows them redrawn in place in a terminal (tmux).

mod common;
use common::golden::counter;
use common::*;
use serde_json::Value;
use std::process::Command;
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
    let json = |args: &[&str]| -> Value {
        let out = d.adm(&[&["--json"], args].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let listed = json(&["-Ln"]);
    let refused = d.adm(&["--json", "-A", "-t", "10.9.9.9:80"]);
    let conns = json(&["-Lnc"]);
    let counters = json(&["--counters"]);
    let screens = watch_in_tmux(&d.socket);
    let (code, report, err) = d.stop();
    assert_eq!(code, 0, "{report}\n{err}");
    assert_eq!(counter(&report, "rx_packets"), 2001, "{report}");
    // One connection; 2000 datagrams of 20 + 8 + 2 bytes; nothing back.
    let want = [1, 2000, 0, 60_000, 0];
    assert_eq!(values(&stats, SERVICE), want, "{stats}");
    assert_eq!(values(&stats, "  -> 10.0.0.11:53"), want, "{stats}");
    assert_eq!(seen, LINUX, "InPPS and InBPS at each estimation");

    let svc = &listed["services"][0];
    assert_eq!(
        (svc["protocol"].as_str(), svc["port"].as_u64()),
        (Some("udp"), Some(53))
    );
    let server = &svc["servers"][0];
    assert_eq!(server["address"], "10.0.0.11");
    assert_eq!(server["forward"], "masq");
    assert_eq!(server["inactive_connections"], 1);
    for s in [&svc["stats"], &server["stats"]] {
        let got: Vec<u64> = [
            "conns",
            "in_packets",
            "out_packets",
            "in_bytes",
            "out_bytes",
        ]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .collect();
        assert_eq!(got, want, "{listed}");
    }
    assert_eq!(refused.status.code(), Some(2), "--json with -A");
    let c = &conns["connections"][0];
    assert_eq!(
        (c["protocol"].as_str(), c["state"].as_str()),
        (Some("udp"), Some("UDP"))
    );
    assert_eq!(c["client"]["port"], 40001);
    assert_eq!(counters["workers"][0]["rx_packets"], 2001);

    // Frames redrawn in place: each screen holds one table, and the rates fell between.
    let pps = |screen: &str| values(screen, SERVICE)[1];
    for screen in &screens {
        assert_eq!(screen.matches("CPS    InPPS").count(), 1, "{screen}");
        assert!(screen.contains("Workers:  0 "), "{screen}");
        assert!(screen.contains("Drops"), "{screen}");
    }
    assert!(pps(&screens[0]) > pps(&screens[1]), "{screens:?}");
}

/// Runs `rvsadm --watch 1` in a detached tmux session of 100×40 and captures the screen
/// twice, three seconds apart (rates change every 2 s); then Ctrl-C ends it.
fn watch_in_tmux(socket: &std::path::Path) -> Vec<String> {
    let session = format!("rvs-watch-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux").args(args).output().expect("tmux");
        assert!(out.status.success(), "tmux {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let cmd = format!("{RVSADM} --socket {} --watch 1", socket.display());
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "40",
        &cmd,
    ]);
    let mut screens = Vec::new();
    for _ in 0..2 {
        std::thread::sleep(Duration::from_secs(3));
        screens.push(tmux(&["capture-pane", "-p", "-t", &session]));
    }
    tmux(&["send-keys", "-t", &session, "C-c", ""]);
    std::thread::sleep(Duration::from_millis(300));
    // Ctrl-C ended rvsadm, and with it the session.
    let alive = Command::new("tmux")
        .args(["has-session", "-t", &session])
        .output()
        .expect("tmux");
    assert!(
        !alive.status.success(),
        "rvsadm --watch still running after Ctrl-C"
    );
    screens
}
