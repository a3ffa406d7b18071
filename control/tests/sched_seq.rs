//! Scheduler sequences through the real daemon, compared with the real kernel's
//! (issue 13 parts 3 and 9): every scenario of `tests/golden/sched_seq/scenarios` — rr, wrr,
//! lc, wlc, sed and nq services built by `-a` lines or one `-R`, then edited, emptied of weight,
//! switched with `-E` or given new servers between picks — and of `scenarios2` — sh, mh, dh,
//! lblc, lblcr, fo, ovf and twos from many clients and to several destinations (fwmark
//! services), thresholds set and cleared, persistence — is replayed by `tests/py/sched_seq.py`
//! against rvsd in the DR namespaces (`scripts/netns.sh up-direct 4`), and the real server of
//! every pick must be the one Linux 6.12 chose (`sched_seq.golden` from `oracle.cmd`,
//! `sched_seq2.golden` from `oracle2.cmd`). Unit tests of the schedulers cannot catch a daemon
//! whose workers apply the changes differently; this reads what an operator reads, `rvsadm -Lnc`.
//!
//! One worker (the default), so the whole sequence is the kernel's, not a share of it.

mod common;
use common::netns::{driver, in_ns, script, HostLock};
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const GOLDEN: &str = include_str!("../../tests/golden/sched_seq/sched_seq.golden");
const GOLDEN2: &str = include_str!("../../tests/golden/sched_seq/sched_seq2.golden");

/// The real servers A, B, C, D: rs1..rs4 of the topology (10.20.0.11-14 in the oracle).
const SERVERS: &str = "10.0.2.11,10.0.2.12,10.0.2.13,10.0.2.14";
/// The SYNs' source: no namespace owns it, so no answer reaches anyone and the entries stay
/// in SYN_RECV, as in the oracle (10.10.0.50 there for `scenarios`; `scenarios2`, whose
/// hashes depend on the addresses, runs there with these, and with clients 10.0.1.60-99,
/// owned by nobody either).
const CLIENT: &str = "10.0.1.50";

/// Per scenario, the picks of each `syn` step (`-`: no real server).
type Sequences = BTreeMap<String, Vec<Vec<String>>>;

/// `NAME: A B | C D` lines, as sched_seq.py prints them.
fn parse(text: &str) -> Sequences {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, picks) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a sequence line: {l:?}"));
            let groups = picks
                .split(" | ")
                .map(|g| g.split_whitespace().map(str::to_string).collect())
                .collect();
            (name.to_string(), groups)
        })
        .collect()
}

fn show(groups: &[Vec<String>]) -> String {
    let g: Vec<String> = groups.iter().map(|g| g.join(" ")).collect();
    g.join(" | ")
}

/// The DR topology with four real servers and rvsd; torn down on drop, even after a panic.
struct Lab {
    rvsd: Option<Rvsd>,
    _dir: TempDir,
    _host: HostLock,
}

impl Lab {
    fn up() -> Lab {
        let host = HostLock::take();
        script("scripts/netns.sh", &["up-direct", "4"]);
        let dir = TempDir::new("sched-seq");
        let cfg = format!(
            r#"{{{TEST_KEYS}, "mbufs": 8191, "conn_table_size": 65536,
                "ports": [
                  {{"device": "net_af_packet0,iface=lb0", "addresses": ["10.0.1.1/24"]}},
                  {{"device": "net_af_packet1,iface=lb1", "addresses": ["10.0.2.1/24"]}}],
                "marks": [
                  {{"mark": 1, "proto": "tcp", "dst": "10.0.1.112/30"}},
                  {{"mark": 2, "proto": "tcp", "dst": "10.0.1.116/30"}},
                  {{"mark": 3, "proto": "tcp", "dst": "10.0.1.120/30"}}]}}"#
        );
        let rvsd = Rvsd::start(&dir, &cfg, Some("rvs-lb"));
        // rvsd learns each real server's MAC now, so that no pick waits on ARP.
        for k in 1..=4 {
            let ns = format!("rvs-rs{k}");
            let ok = in_ns(&ns, &["ping", "-c", "1", "-W", "2", "10.0.2.1"]);
            assert!(ok.status.success(), "{ns} cannot reach rvsd");
        }
        Lab {
            rvsd: Some(rvsd),
            _dir: dir,
            _host: host,
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(d) = self.rvsd.take() {
            let (code, out, err) = d.stop();
            if code != 0 && !std::thread::panicking() {
                panic!("rvsd exit {code}:\n{out}\n{err}");
            }
        }
        script("scripts/netns.sh", &["down"]);
    }
}

/// Replays `scenarios` (VIP, VIP2, ... = `vips`) against a fresh rvsd and compares every
/// scenario with the kernel's `golden` (at least `min` of them, so that a truncated golden
/// cannot pass).
fn replay_matches_linux(scenarios: &str, golden: &str, vips: &str, min: usize) {
    let lab = Lab::up();
    let rvsd = lab.rvsd.as_ref().unwrap();
    let lb0 = in_ns("rvs-lb", &["cat", "/sys/class/net/lb0/address"]);
    let mac = text(&lb0.stdout).trim().to_string();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden/sched_seq")
        .join(scenarios);
    let args = [
        "--admin",
        RVSADM,
        "--iface",
        "c0",
        "--mac",
        &mac,
        "--vip",
        vips,
        "--client",
        CLIENT,
        "--servers",
        SERVERS,
        file.to_str().unwrap(),
    ];
    let printed = driver("rvs-client", "sched_seq.py", &args, &rvsd.socket);
    let (kernel, ours) = (parse(golden), parse(&printed));
    assert!(kernel.len() >= min, "golden incomplete: {kernel:?}");
    let mut wrong = Vec::new();
    for (name, want) in &kernel {
        let got = ours.get(name).map(|g| show(g)).unwrap_or_default();
        if got != show(want) {
            wrong.push(format!("{name}\n  linux: {}\n  rvsd:  {got}", show(want)));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} scenarios differ from Linux:\n{}",
        wrong.len(),
        kernel.len(),
        wrong.join("\n")
    );
    println!(
        "{scenarios}: {} scenarios, every pick as Linux 6.12's",
        kernel.len()
    );
}

#[test]
fn scheduler_sequences_through_rvsd_match_linux() {
    replay_matches_linux("scenarios", GOLDEN, "10.0.1.100", 20);
}

/// sh, mh, dh, lblc, lblcr, fo, ovf, twos, thresholds and persistence (`scenarios2`).
#[test]
fn hashing_threshold_and_persistence_sequences_through_rvsd_match_linux() {
    replay_matches_linux(
        "scenarios2",
        GOLDEN2,
        "10.0.1.100,10.0.1.101,10.0.1.102",
        21,
    );
}
