//! What the namespace tests share (`scripts/netns.sh` topologies): running
//! the scripts, commands inside a namespace, HTTP through the VIP from the
//! client, and a host-wide lock, since every topology is named `rvs-*`.

use super::text;
use std::collections::BTreeMap;
use std::process::{Command, Output};

/// Held while a test owns the `rvs-*` namespaces, against other test binaries.
const HOST_LOCK: &str = "/run/rvs-netns.lock";

/// An exclusive lock on [`HOST_LOCK`], released on drop.
pub struct HostLock {
    _file: std::fs::File,
}

impl HostLock {
    pub fn take() -> HostLock {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(HOST_LOCK)
            .expect(HOST_LOCK);
        f.lock().expect("lock /run/rvs-netns.lock");
        HostLock { _file: f }
    }
}

/// Runs a repository script, which must succeed.
pub fn script(path: &str, args: &[&str]) {
    let p = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    let st = Command::new(&p).args(args).status().expect(path);
    assert!(st.success(), "{path} {args:?}");
}

pub fn in_ns(ns: &str, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(args)
        .output()
        .unwrap()
}

pub fn client(args: &[&str]) -> Output {
    in_ns("rvs-client", args)
}

/// One new connection to `vip` (`addr:port`); the name of the server that answered.
pub fn get(vip: &str) -> String {
    let out = client(&["curl", "-s", "-m", "5", &format!("http://{vip}/")]);
    assert!(out.status.success(), "curl failed: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// `n` sequential requests to `vip`, counted per answering server.
pub fn spread(vip: &str, n: usize) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for _ in 0..n {
        *m.entry(get(vip)).or_default() += 1;
    }
    m
}

/// wrk against `vip` for `secs` seconds with `threads` threads and `conns`
/// connections: every answer a 2xx, no socket error. Returns the request count.
pub fn wrk(vip: &str, threads: u32, conns: u32, secs: u32) -> u64 {
    let (t, c, d) = (threads.to_string(), conns.to_string(), format!("{secs}s"));
    let url = format!("http://{vip}/");
    // timeout: wrk waits for connections that never open.
    let args = [
        "timeout",
        "20",
        "wrk",
        "--timeout",
        "2s",
        "-t",
        &t,
        "-c",
        &c,
        "-d",
        &d,
        &url,
    ];
    let out = client(&args);
    let report = text(&out.stdout);
    assert!(
        out.status.success(),
        "wrk exit {:?} (124: hung):\n{report}{}",
        out.status.code(),
        text(&out.stderr)
    );
    assert!(
        !report.contains("Socket errors") && !report.contains("Non-2xx"),
        "{report}"
    );
    report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in:\n{report}"))
}

/// Runs the driver `tests/py/SCRIPT` with `args` in namespace `ns`, rvsadm talking to the
/// daemon at `socket`; its stdout, which must come with success.
pub fn driver(ns: &str, script: &str, args: &[&str], socket: &std::path::Path) -> String {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "/usr/bin/python3"])
        .arg(repo.join("tests/py").join(script))
        .args(args)
        .env("RVS_SOCKET", socket)
        .output()
        .expect(script);
    let printed = text(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{printed}{}",
        out.status,
        text(&out.stderr)
    );
    printed
}
