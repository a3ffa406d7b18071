//! `rvsadm --counters` against rvsd on two net_pcap ports doing NAT: known frames in, and
//! the per-port (DPDK's), per-worker, drop, connection-table and mbuf figures read back
//! while rvsd keeps running; the byte counts checked against the pcap files themselves.
//! Also that `--counters` leaves every ipvsadm error path as it was.

mod common;
use common::golden::{pcap_frames, pcap_lengths};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// The indented lines under `heading`, trimmed.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect()
}

fn bytes(pcap: &Path) -> usize {
    pcap_lengths(pcap).iter().sum()
}

/// `polls B busy, I idle (...), P pauses` → (B, I, P).
fn polls(worker: &[&str]) -> (u64, u64, u64) {
    let line = worker.iter().find(|l| l.starts_with("polls ")).unwrap();
    let w: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let n = |i: usize| w[i].parse().unwrap();
    (n(1), n(3), n(w.len() - 2))
}

#[test]
fn counters_show_ports_workers_drops_tables_and_mbufs_live() {
    let dir = TempDir::new("counters");
    py("frames.py", &["make-nat", dir.0.to_str().unwrap()]);
    let cfg = pcap_nat_config(&dir, NAT_SERVICES);
    let (rx0, rx1) = (dir.path("rx0.pcap"), dir.path("rx1.pcap"));
    let (tx0, tx1) = (dir.path("tx0.pcap"), dir.path("tx1.pcap"));
    let d = Rvsd::start(&dir, &cfg, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while (pcap_frames(&tx0) < 3 || pcap_frames(&tx1) < 3) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let first = d.adm(&["--counters"]);
    std::thread::sleep(Duration::from_millis(200));
    let second = text(&d.adm(&["--counters"]).stdout);
    let list = d.adm(&["-Ln"]);
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert_eq!(
        (first.status.code(), text(&first.stderr)),
        (Some(0), "".into())
    );
    let out = text(&first.stdout);

    // Per port, as DPDK counts: 6 frames in from the client side (ARP, SYN, data, UDP and
    // the two dropped), 2 from the real server; 3 out each way (the ARP reply with them).
    let (in0, in1) = (bytes(&rx0), bytes(&rx1));
    let (out0, out1) = (bytes(&tx0), bytes(&tx1));
    let port0 = section(&out, "Port net_pcap0");
    let port1 = section(&out, "Port net_pcap1");
    assert_eq!(
        port0[..2],
        [
            format!("rx 6 packets {in0} bytes, tx 3 packets {out0} bytes"),
            "missed 0, rx errors 0, tx errors 0, no mbuf 0".into()
        ],
        "{out}"
    );
    assert_eq!(
        port1[0],
        format!("rx 2 packets {in1} bytes, tx 3 packets {out1} bytes"),
        "{out}"
    );
    // DPDK's extended counters, the non-zero ones.
    assert!(port0.contains(&"rx_good_packets 6"), "{out}");
    assert!(port1.contains(&"tx_good_packets 3"), "{out}");
    assert!(!port0[2..].iter().any(|l| l.ends_with(" 0")), "{out}");

    // The one worker saw all of it, has polled busy and idle, paused when idle (the tests'
    // daemons back off), and made both connections (TCP and UDP).
    let worker = section(&out, "Worker 0");
    let (rx, tx) = (in0 + in1, out0 + out1);
    assert_eq!(
        worker[0],
        format!("rx 8 packets {rx} bytes, tx 6 packets {tx} bytes"),
        "{out}"
    );
    let (busy, idle, pauses) = polls(&worker);
    assert!(busy >= 1 && idle >= 1 && pauses >= 1, "{out}");
    assert_eq!(worker[2], "connections created 2", "{out}");
    assert_eq!(
        section(&out, "Drops"),
        ["no_service 1", "no_connection 1"],
        "{out}"
    );
    assert_eq!(
        section(&out, "Connections"),
        [
            "ipv4 2 of 4096 (worker 0: 2 of 4096)",
            "ipv6 0 of 1024 (worker 0: 0 of 1024)"
        ],
        "{out}"
    );
    let mbufs = section(&out, "Mbufs");
    let w: Vec<&str> = mbufs[0].split([' ', ',']).collect();
    let (in_use, avail): (u32, u32) = (w[1].parse().unwrap(), w[5].parse().unwrap());
    assert_eq!(
        (w[0], in_use + avail, w[8]),
        ("rvs_mbufs", 2047, "2047"),
        "{out}"
    );

    // Read live: the worker went on polling (idle) between the two reads, nothing more came.
    let worker2 = section(&second, "Worker 0");
    assert_eq!(worker2[0], worker[0], "{second}");
    let (busy2, idle2, pauses2) = polls(&worker2);
    assert!(
        busy2 == busy && idle2 > idle && pauses2 > pauses,
        "{out}\n{second}"
    );
    assert_eq!(worker2[2], "connections created 2", "{second}");
    // rvsd kept serving, and its final report agrees.
    assert!(text(&list.stdout).contains("TCP  198.51.100.1:80 rr"));
    for want in ["rx_packets 8", "tx_packets 6", "drop no_service 1"] {
        assert!(report.lines().any(|l| l.trim() == want), "{want}: {report}");
    }
}

/// `--counters` is rvs's own only when alone: anywhere else it is an unknown option, and
/// rvsadm says what ipvsadm says of any unknown option; `-h` does not mention it.
#[test]
fn counters_leave_ipvsadm_options_as_they_were() {
    let dir = TempDir::new("counters-opts");
    let cfg = pcap_nat_config(&dir, &[]);
    common::golden::empty_pcap(&dir.path("rx0.pcap"));
    common::golden::empty_pcap(&dir.path("rx1.pcap"));
    let d = Rvsd::start(&dir, &cfg, None);
    let run = |args: &[&str]| {
        let o = d.adm(args);
        (text(&o.stdout), text(&o.stderr), o.status.code())
    };
    let as_bogus = |args: &[&str]| {
        let bogus: Vec<&str> = args
            .iter()
            .map(|a| if *a == "--counters" { "--bogus" } else { a })
            .collect();
        let (o, e, c) = run(&bogus);
        (
            o.replace("--bogus", "--counters"),
            e.replace("--bogus", "--counters"),
            c,
        )
    };
    for args in [
        &["--counters", "-n"][..],
        &["-L", "--counters"],
        &["-Ln", "--counters"],
        &["-A", "--counters"],
        &["--counters", "--counters"],
    ] {
        let got = run(args);
        assert_ne!(got.2, Some(0), "{args:?}: {got:?}");
        assert_eq!(got, as_bogus(args), "{args:?}");
    }
    assert_eq!(run(&["--counters=1"]).2, run(&["--bogus=1"]).2);
    let (help, _, code) = run(&["-h"]);
    assert_eq!(code, Some(0));
    assert!(!help.contains("--counters"), "{help}");
    let (_, _, code) = run(&["--counters"]);
    assert_eq!(code, Some(0));
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");

    // Without a daemon, ipvsadm's start-up failure, as for every command.
    let gone = rvsadm(&dir.path("none.sock"), &["--counters"], None);
    assert_eq!(gone.status.code(), Some(2));
    assert!(text(&gone.stderr).starts_with("Can't initialize ipvs"));
}
