//! Connection lifecycle through the real daemon, compared with the real kernel's (issue 13
//! part 8): the TCP walks of ipvs-forwarding §1.4.3 for NAT and DR (handshake, close from
//! either side, RST, TIME_WAIT and CLOSE reuse §2.5, PSH-only §7.22), `--set` taking effect at
//! a connection's next packet (§1.7), what creates an entry (§2.2), a deleted and re-added
//! real server (§2.6, ipvs-schedulers §8), services with no usable destination (§7.10) and
//! entries expiring so that ActiveConn/InActConn fall back to 0 (§2.7).
//!
//! `tests/py/lifecycle.py` plays client and real servers with hand-made frames on rvsd's two
//! links (`scripts/netns.sh up-bare`: their peers sit in a namespace with no address, so no
//! kernel answers) and prints, after each step, what left rvsd and the walk's `rvsadm -Lnc`
//! entry. The same script made `lifecycle.golden` on Linux 6.12 (`oracle.cmd`); every line
//! must match, expiries within [`EXPIRE_SLACK`] seconds. `sip.walks` does the same for the
//! SIP persistence engine (`sip.golden`, `oracle_sip.cmd`).

mod common;
use common::netns::{driver, in_ns, script, HostLock};
use common::*;
use std::path::Path;

const GOLDEN: &str = include_str!("../../tests/golden/lifecycle/lifecycle.golden");

/// Expiry countdowns are read a few hundred ms after a packet, on two machines with different
/// clocks and speeds: they must agree within this many seconds.
const EXPIRE_SLACK: i64 = 2;

/// The namespaces and rvsd; torn down on drop, even after a panic.
struct Lab {
    rvsd: Option<Rvsd>,
    _dir: TempDir,
    _host: HostLock,
}

impl Lab {
    fn up() -> Lab {
        let host = HostLock::take();
        script("scripts/netns.sh", &["up-bare"]);
        let dir = TempDir::new("lifecycle");
        let cfg = format!(
            r#"{{{TEST_KEYS}, "mbufs": 8191, "conn_table_size": 4096,
                "ports": [
                  {{"device": "net_af_packet0,iface=lb0", "addresses": ["10.0.1.1/24"]}},
                  {{"device": "net_af_packet1,iface=lb1", "addresses": ["10.0.2.1/24"]}}]}}"#
        );
        let rvsd = Rvsd::start(&dir, &cfg, Some("rvs-lb"));
        Lab {
            rvsd: Some(rvsd),
            _dir: dir,
            _host: host,
        }
    }

    fn mac(iface: &str) -> String {
        let path = format!("/sys/class/net/{iface}/address");
        text(&in_ns("rvs-lb", &["cat", &path]).stdout)
            .trim()
            .to_string()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        drop(self.rvsd.take());
        script("scripts/netns.sh", &["down"]);
    }
}

/// One printed step: `walk n what`, what left the director, and the table part.
struct Step<'a> {
    key: &'a str,
    sent: &'a str,
    table: &'a str,
}

fn steps(text: &str) -> Vec<Step<'_>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (key, rest) = l.split_once(": ").unwrap_or((l, ""));
            let (sent, table) = rest.split_once(" | ").unwrap_or((rest, ""));
            Step { key, sent, table }
        })
        .collect()
}

/// `mm:ss` in seconds.
fn secs(mmss: &str) -> Option<i64> {
    let (m, s) = mmss.split_once(':')?;
    Some(m.parse::<i64>().ok()? * 60 + s.parse::<i64>().ok()?)
}

/// Whether two `STATE mm:ss RS` table parts agree (the expiry within the slack).
fn same_table(linux: &str, rvs: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (linux.split(' ').collect(), rvs.split(' ').collect());
    match (a.as_slice(), b.as_slice()) {
        ([s1, e1, d1], [s2, e2, d2]) => {
            let close =
                matches!((secs(e1), secs(e2)), (Some(x), Some(y)) if (x - y).abs() <= EXPIRE_SLACK);
            s1 == s2 && d1 == d2 && close
        }
        _ => linux == rvs,
    }
}

/// What rvsd must send where Linux sent `linux`. rvsd has no host stack: a non-SYN segment
/// with no entry, which Linux's own TCP answers with RST from the VIP, is dropped and counted
/// (`no_connection`; ipvs-forwarding §2.2 rvs note, §7.9).
fn expected_sent<'a>(linux: &'a Step) -> &'a str {
    let host_rst = linux.sent.starts_with("c0 10.0.1.100:") && linux.sent.ends_with(" R");
    match host_rst && linux.table == "none" {
        true => "-",
        false => linux.sent,
    }
}

fn differences(linux: &[Step], rvs: &[Step]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (k, want) in linux.iter().enumerate() {
        let got = rvs.iter().find(|s| s.key == want.key);
        let ok =
            got.is_some_and(|g| g.sent == expected_sent(want) && same_table(want.table, g.table));
        if !ok {
            let got = got.map_or("<missing>".to_string(), |g| {
                format!("{} | {}", g.sent, g.table)
            });
            wrong.push(format!(
                "line {}: {}\n  linux: {} | {}\n  rvsd:  {got}",
                k + 1,
                want.key,
                want.sent,
                want.table
            ));
        }
    }
    wrong
}

/// Plays `walks` (a file of `tests/golden/lifecycle/`) against rvsd and checks every step
/// against `golden`, Linux's; returns rvsd's drop report.
fn walks_match_linux(walks: &str, golden: &str, min_steps: usize) -> String {
    let mut lab = Lab::up();
    let rvsd = lab.rvsd.as_ref().unwrap();
    let walks = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden/lifecycle")
        .join(walks);
    let (client_mac, server_mac) = (Lab::mac("lb0"), Lab::mac("lb1"));
    let args = [
        "--admin",
        RVSADM,
        "--client-if",
        "c0",
        "--server-if",
        "s0",
        "--client-mac",
        &client_mac,
        "--server-mac",
        &server_mac,
        "--vip",
        "10.0.1.100",
        "--client",
        "10.0.1.50",
        "--servers",
        "10.0.2.11,10.0.2.12",
        "--director",
        "10.0.1.1,10.0.2.1",
        // As in the oracle's command files: steps take about as long on both sides, so
        // countdowns that must not be re-armed (walk `nodest`) stay comparable.
        "--settle",
        "0.8",
        walks.to_str().unwrap(),
    ];
    let printed = driver("rvs-wire", "lifecycle.py", &args, &rvsd.socket);
    let (linux, rvs) = (steps(golden), steps(&printed));
    assert!(linux.len() >= min_steps, "golden incomplete");
    let wrong = differences(&linux, &rvs);
    assert!(
        wrong.is_empty(),
        "{} of {} steps differ from Linux:\n{}\n\nrvsd printed:\n{printed}",
        wrong.len(),
        linux.len(),
        wrong.join("\n")
    );
    println!("{} steps as Linux 6.12's", linux.len());
    let (code, report, err) = lab.rvsd.take().unwrap().stop();
    assert_eq!(code, 0, "rvsd:\n{report}\n{err}");
    report
}

#[test]
fn connection_walks_through_rvsd_match_linux() {
    let report = walks_match_linux("walks", GOLDEN, 100);
    // The drops were counted by reason: the ACK and FIN+ACK that created nothing plus the RST
    // and SYN+RST, and the two client packets of the deleted real server (walk `nodest`).
    for line in ["drop no_connection 4\n", "drop dest_unavailable 2\n"] {
        assert!(report.contains(line), "no {line:?} in:\n{report}");
    }
}

/// `--pe sip` (ipvs-schedulers §5.6): calls keep their server across client ports by
/// Call-ID, in every form of the header the kernel reads; datagrams without a usable one are
/// dropped, as is TCP; a real server starts a flow (with and without persistence) and the
/// call's next flow follows it; `-Lnc --persistent-conn` lists the Call-IDs.
#[test]
fn sip_calls_through_rvsd_match_linux() {
    let golden = include_str!("../../tests/golden/lifecycle/sip.golden");
    let report = walks_match_linux("sip.walks", golden, 25);
    // No Call-ID, one not ending its line, one too long, and the SYN.
    assert!(
        report.contains("drop pe_no_data 4\n"),
        "no pe_no_data 4 in:\n{report}"
    );
}

/// `-o` (ipvs-schedulers §5.7): every datagram of one flow is scheduled on its own and leaves
/// no entry; with `-p` the client's template keeps all its datagrams on one server.
#[test]
fn one_packet_scheduling_through_rvsd_matches_linux() {
    let golden = include_str!("../../tests/golden/lifecycle/ops.golden");
    walks_match_linux("ops.walks", golden, 15);
}

/// `--stats` (ipvs-schedulers §6): NAT both ways, UDP and DR counted per real server and
/// service exactly as Linux counted the same frames; a deleted server's traffic stays in its
/// service; `-Z` of one service, then of all; `--rate` after `-Z`.
#[test]
fn statistics_through_rvsd_match_linux() {
    let golden = include_str!("../../tests/golden/lifecycle/stats.golden");
    walks_match_linux("stats.walks", golden, 30);
}
