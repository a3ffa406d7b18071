//! End to end through real namespaces: rvsd opens veths with net_af_packet
//! and real kernel stacks talk to it. Every test here builds the topology of
//! scripts/netns.sh, so they run one at a time.

mod common;
use common::*;
use std::process::Command;
use std::sync::Mutex;

static TOPOLOGY: Mutex<()> = Mutex::new(());

fn netns(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/netns.sh");
    let st = Command::new(script).args(args).status().expect("netns.sh");
    assert!(st.success(), "netns.sh {args:?}");
}

/// Tears the topology down even when a test panics.
struct Topology;
impl Topology {
    fn up(servers: u32) -> Topology {
        netns(&["up", &servers.to_string()]);
        Topology
    }
}
impl Drop for Topology {
    fn drop(&mut self) {
        netns(&["down"]);
    }
}

fn config() -> String {
    format!(
        r#"{{"eal": [{EAL_TEST_ARGS}], "mbufs": 4095,
            "ports": [
              {{"device": "net_af_packet0,iface=lb0", "addresses": ["10.0.1.1/24"]}},
              {{"device": "net_af_packet1,iface=lb1", "addresses": ["10.0.2.1/24"]}}]}}"#
    )
}

fn ping(ns: &str, ip: &str) -> String {
    let out = Command::new("ip")
        .args([
            "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip,
        ])
        .output()
        .unwrap();
    let text = text(&out.stdout);
    assert!(
        out.status.success(),
        "ping {ip} from {ns} failed:\n{text}{}",
        text_err(&out)
    );
    text
}

fn text_err(o: &std::process::Output) -> String {
    text(&o.stderr)
}

#[test]
fn rvsd_answers_pings_from_both_sides() {
    let _serial = TOPOLOGY.lock().unwrap_or_else(|e| e.into_inner());
    let _topo = Topology::up(1);
    let dir = TempDir::new("netns-ping");
    let d = Rvsd::start(&dir, &config(), Some("rvs-lb"));

    let client = ping("rvs-client", "10.0.1.1");
    let server = ping("rvs-rs1", "10.0.2.1");
    assert!(client.contains("3 received"), "{client}");
    assert!(server.contains("3 received"), "{server}");
    // Nobody else may answer: the address exists only inside rvsd.
    let wrong = Command::new("ip")
        .args([
            "netns",
            "exec",
            "rvs-client",
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            "10.0.1.9",
        ])
        .output()
        .unwrap();
    assert!(
        !wrong.status.success(),
        "an address rvsd does not own got an answer"
    );

    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let replies: u64 = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("icmp_echo_replies "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no echo counter in:\n{stdout}"));
    assert_eq!(replies, 6, "{stdout}");
}
