//! DR (`-g`) and TUN (`-i`) end to end through real namespaces
//! (`scripts/netns.sh up-direct`): rvsd opens lb0/lb1 with net_af_packet,
//! the client reaches the VIP through rvsd, and the real servers answer the
//! client directly through a router — never through rvsd. TUN real servers
//! run `tests/py/tun_endpoint.py` (the kernel has no ipip/gre/fou), which
//! records every outer packet; `tests/py/tunnels.py` decodes the captures
//! with scapy as the outside judge of ipvs-forwarding §3.2/§3.3/§3.3.5.
//!
//! Every test builds the topology, so they run one at a time: a mutex in
//! this binary and a host-wide lock against other binaries that build
//! namespaces named `rvs-*`.

mod common;
use common::netns::{client, in_ns, script, HostLock};
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

static TOPOLOGY: Mutex<()> = Mutex::new(());

const VIP_IP: &str = "10.0.1.100";
const VIP: &str = "10.0.1.100:80";
const CLIENT: &str = "10.0.1.2";
const RVSD_INSIDE: &str = "10.0.2.1";
const GUE_PORT: u16 = 6080;

/// The MAC address of `iface` in namespace `ns`.
fn mac(ns: &str, iface: &str) -> String {
    let out = in_ns(ns, &["cat", &format!("/sys/class/net/{iface}/address")]);
    assert!(out.status.success(), "no {iface} in {ns}");
    text(&out.stdout).trim().to_string()
}

/// A background process in a namespace (tcpdump, the upload sink), ready
/// once it printed `ready` on stderr; stopped with SIGTERM.
struct Bg {
    child: Option<Child>,
    log: Arc<Mutex<String>>,
}

impl Bg {
    fn spawn(ns: &str, args: &[&str], ready: &str) -> Bg {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let (l, want) = (log.clone(), ready.to_string());
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains(&want) {
                    let _ = tx.send(());
                }
                l.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut bg = Bg {
            child: Some(child),
            log,
        };
        if rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let log = bg.log.lock().unwrap().clone();
            bg.kill();
            panic!("{args:?} not ready in {ns}:\n{log}");
        }
        bg
    }

    /// SIGTERM, wait; returns what it printed on stderr.
    fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        signal(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let the reader thread catch the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        self.kill();
    }
}

/// tcpdump writing `iface` (in `ns`) to `path`.
struct Capture {
    bg: Bg,
    path: PathBuf,
}

impl Capture {
    fn start(ns: &str, iface: &str, path: PathBuf, filter: &str) -> Capture {
        let p = path.to_str().unwrap().to_string();
        // --immediate-mode: without it frames wait in the kernel's ring
        // block, and a capture stopped within a second loses them.
        let mut args = vec![
            "tcpdump",
            "--immediate-mode",
            "-i",
            iface,
            "-nn",
            "-U",
            "-Z",
            "root",
            "-s",
            "0",
            "-w",
            &p,
        ];
        args.extend(filter.split_whitespace());
        let bg = Bg::spawn(ns, &args, "listening on");
        Capture { bg, path }
    }

    /// Stops the capture; one decoded object per IPv4 frame
    /// (`tunnels.py decode-eth`).
    fn stop(self) -> Vec<Value> {
        std::thread::sleep(Duration::from_millis(200));
        self.bg.stop();
        json_lines(&py(
            "tunnels.py",
            &["decode-eth", self.path.to_str().unwrap()],
        ))
    }
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// How the real servers run.
#[derive(Clone, Copy, PartialEq)]
enum Servers {
    /// DR: nginx only (the VIP is on lo, from netns.sh up-direct).
    Dr,
    /// TUN: nginx plus tun_endpoint.py of this type (ipip, gre, gue).
    Tun(&'static str),
    /// NAT behind a router with a smaller MTU (netns.sh up-pmtu): the test starts what
    /// the real server runs.
    NatBehindRouter,
    /// DR over IPv4 and IPv6 (netns.sh up-direct-dual): nginx only.
    DrDual,
    /// TUN over IPv6 (netns.sh up-direct-dual): nginx plus tun_endpoint.py --outer 6.
    TunOverIpv6,
    /// [`Servers::NatBehindRouter`] with IPv6 as well (netns.sh up-pmtu-dual).
    NatBehindRouterDual,
}

/// The direct topology with `n` real servers and rvsd; torn down on drop,
/// even after a panic.
struct Lab {
    rvsd: Option<Rvsd>,
    dir: TempDir,
    n: u32,
    servers: Servers,
    _host: HostLock,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    fn up(tag: &str, n: u32, servers: Servers) -> Lab {
        Lab::up_with(tag, n, servers, "")
    }

    /// `inside` is extra JSON for lb1's port object (e.g. `, "mtu": 1500`).
    fn up_with(tag: &str, n: u32, servers: Servers, inside: &str) -> Lab {
        let serial = TOPOLOGY.lock().unwrap_or_else(|e| e.into_inner());
        let host = HostLock::take();
        let topology = match servers {
            Servers::NatBehindRouter => "up-pmtu",
            Servers::NatBehindRouterDual => "up-pmtu-dual",
            Servers::DrDual | Servers::TunOverIpv6 => "up-direct-dual",
            _ => "up-direct",
        };
        script("scripts/netns.sh", &[topology, &n.to_string()]);
        match servers {
            Servers::NatBehindRouter | Servers::NatBehindRouterDual => {}
            Servers::Dr | Servers::DrDual => {
                script("scripts/webservers.sh", &["start", &n.to_string()])
            }
            Servers::Tun(kind) => script(
                "scripts/tunservers.sh",
                &["start", &n.to_string(), kind, &GUE_PORT.to_string()],
            ),
            Servers::TunOverIpv6 => script(
                "scripts/tunservers.sh",
                &["start", &n.to_string(), "ipip", &GUE_PORT.to_string(), "6"],
            ),
        }
        let dir = TempDir::new(tag);
        // Behind the router, the real servers' prefix is one hop away.
        let routes = match servers {
            Servers::NatBehindRouter => {
                r#""routes": [{"prefix": "10.0.3.0/24", "via": "10.0.2.254"}],"#
            }
            Servers::NatBehindRouterDual => {
                r#""routes": [{"prefix": "10.0.3.0/24", "via": "10.0.2.254"},
                              {"prefix": "2001:db8:3::/64", "via": "2001:db8:2::254"}],"#
            }
            _ => "",
        };
        let (v6_out, v6_in) = match servers {
            Servers::DrDual | Servers::TunOverIpv6 | Servers::NatBehindRouterDual => {
                (r#", "2001:db8:1::1/64""#, r#", "2001:db8:2::1/64""#)
            }
            _ => ("", ""),
        };
        let cfg = format!(
            r#"{{{TEST_KEYS}, "mbufs": 8191, "conn_table_size": 65536, {routes}
                "ports": [
                  {{"device": "net_af_packet0,iface=lb0", "addresses": ["10.0.1.1/24"{v6_out}]}},
                  {{"device": "net_af_packet1,iface=lb1", "addresses": ["10.0.2.1/24"{v6_in}]{inside}}}]}}"#
        );
        let rvsd = Rvsd::start(&dir, &cfg, Some("rvs-lb"));
        Lab {
            rvsd: Some(rvsd),
            dir,
            n,
            servers,
            _host: host,
            _serial: serial,
        }
    }

    fn rvsd(&self) -> &Rvsd {
        self.rvsd.as_ref().unwrap()
    }

    /// rvsadm that must succeed; returns its stdout.
    fn adm(&self, line: &str) -> String {
        let args: Vec<&str> = line.split_whitespace().collect();
        let out = self.rvsd().adm(&args);
        assert!(out.status.success(), "rvsadm {line}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// `-A -t vip -s sched`, then rs1..rsN with `method` (e.g. `-g` or
    /// `-i --tun-type gue --tun-port 6080`), weight 1 each; the servers
    /// announce themselves to rvsd so that no first SYN waits for ARP.
    fn service(&self, vip: &str, port: u16, sched: &str, method: &str) {
        self.adm(&format!("-A -t {vip} -s {sched}"));
        for k in 1..=self.n {
            self.adm(&format!("-a -t {vip} -r 10.0.2.1{k}:{port} {method} -w 1"));
        }
        for k in 1..=self.n {
            let ns = format!("rvs-rs{k}");
            let ok = in_ns(&ns, &["ping", "-c", "1", "-W", "2", RVSD_INSIDE]);
            assert!(ok.status.success(), "{ns} cannot reach rvsd");
        }
    }

    /// `(forward, active, inactive)` of `rsK` as `rvsadm -Ln` prints them.
    fn dest(&self, k: u32) -> (String, u32, u32) {
        let list = self.adm("-Ln");
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("  -> 10.0.2.1{k}:")))
            .unwrap_or_else(|| panic!("rs{k} not listed:\n{list}"));
        let f: Vec<&str> = line.split_whitespace().collect();
        (
            f[2].to_string(),
            f[4].parse().unwrap(),
            f[5].parse().unwrap(),
        )
    }

    /// Stops the tunnel endpoints (their pcaps are complete afterwards) and
    /// decodes rsK's capture (`tunnels.py decode-tun`).
    fn tun_records(&self) -> BTreeMap<u32, Vec<Value>> {
        script("scripts/tunservers.sh", &["stop-endpoints"]);
        (1..=self.n)
            .map(|k| {
                let pcap = format!("/tmp/rvs-tun/rs{k}.pcap");
                (k, json_lines(&py("tunnels.py", &["decode-tun", &pcap])))
            })
            .collect()
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
        match self.servers {
            Servers::Dr | Servers::DrDual => script("scripts/webservers.sh", &["stop"]),
            Servers::Tun(_) | Servers::TunOverIpv6 => script("scripts/tunservers.sh", &["stop"]),
            Servers::NatBehindRouter | Servers::NatBehindRouterDual => {}
        }
        script("scripts/netns.sh", &["down"]);
    }
}

fn spread(n: usize) -> BTreeMap<String, usize> {
    common::netns::spread(VIP, n)
}

fn wrk(secs: u32) -> u64 {
    common::netns::wrk(VIP, 1, 16, secs)
}

fn assert_even(s: &BTreeMap<String, usize>, servers: usize, each: usize) {
    assert_eq!(s.len(), servers, "{s:?}");
    assert!(s.values().all(|&c| c == each), "uneven: {s:?}");
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

fn u(v: &Value, path: &[&str]) -> u64 {
    s(v, path)
        .as_u64()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

fn st<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    s(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

fn yes(v: &Value, path: &[&str]) -> bool {
    s(v, path)
        .as_bool()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

// ---------------------------------------------------------------- DR

#[test]
fn dr_spreads_evenly_and_replies_bypass_rvsd() {
    let lab = Lab::up("direct-dr", 3, Servers::Dr);
    lab.service(VIP, 80, "rr", "-g");
    let cap = Capture::start("rvs-client", "c0", lab.dir.path("c0.pcap"), "tcp port 80");
    let spread30 = spread(30);
    assert_even(&spread30, 3, 10);
    let frames = cap.stop();

    // -Ln: Route, and the 30 closed connections as IPVS counts them.
    for k in 1..=3 {
        let (fwd, active, inactive) = lab.dest(k);
        assert_eq!(fwd, "Route", "rs{k}:\n{}", lab.adm("-Ln"));
        assert_eq!(active + inactive, 10, "rs{k}:\n{}", lab.adm("-Ln"));
    }

    // Requests went to rvsd's MAC, replies came from the router's.
    let (lb0, r0) = (mac("rvs-lb", "lb0"), mac("rvs-router", "r0"));
    let (mut requests, mut replies) = (0, 0);
    for f in &frames {
        let (src, dst) = (st(f, &["src"]), st(f, &["dst"]));
        if src == CLIENT && dst == VIP_IP {
            assert_eq!(st(f, &["eth_dst"]), lb0, "request not sent to rvsd: {f}");
            requests += 1;
        } else if src == VIP_IP && dst == CLIENT {
            assert_eq!(
                st(f, &["eth_src"]),
                r0,
                "a reply did not come from the router: {f}"
            );
            assert_ne!(st(f, &["eth_src"]), lb0, "a reply came through rvsd: {f}");
            assert!(yes(f, &["tcp", "csum_ok"]), "{f}");
            replies += 1;
        }
    }
    // At least SYN, ACK, GET, FIN one way; SYN+ACK, answer, FIN the other.
    assert!(
        requests >= 30 * 3 && replies >= 30 * 3,
        "{requests} requests, {replies} replies"
    );

    let n = wrk(2);
    assert!(n > 200, "wrk: only {n} requests in 2 s");
    println!("DR: spread {spread30:?}, {requests}/{replies} frames checked, wrk {n} requests");
}

// ---------------------------------------------------------------- TUN

/// The outer TOS of ipvs-forwarding §3.3.1: DSCP and ECN copied, CE
/// becomes ECT(0).
fn outer_tos(inner: u64) -> u64 {
    if inner & 3 == 3 {
        inner & !1
    } else {
        inner
    }
}

/// `-i` options for a destination of this tunnel.
fn tun_method(kind: &str, csum: bool) -> String {
    let mut m = format!("-i --tun-type {kind}");
    if kind == "gue" {
        m += &format!(" --tun-port {GUE_PORT}");
    }
    if csum {
        m += " --tun-csum";
    }
    m
}

/// Checks one decoded outer packet received by rsK against §3.3.
fn check_tun_packet(rec: &Value, k: u32, kind: &str, csum: bool) {
    let o = &rec["outer"];
    let i = &rec["inner"];
    assert!(i.is_object(), "no inner IPv4 packet: {rec}");
    // Outer IPv4 header (§3.3.1).
    assert_eq!(u(o, &["version"]), 4, "{rec}");
    assert_eq!(u(o, &["ihl"]), 20, "outer options: {rec}");
    assert_eq!(st(o, &["src"]), RVSD_INSIDE, "{rec}");
    assert_eq!(st(o, &["dst"]), format!("10.0.2.1{k}"), "{rec}");
    let proto = match kind {
        "ipip" => 4,
        "gre" => 47,
        _ => 17,
    };
    assert_eq!(u(o, &["proto"]), proto, "{rec}");
    assert!(yes(o, &["ip_csum_ok"]), "outer IP checksum: {rec}");
    assert_eq!(u(o, &["len"]), u(o, &["caplen"]), "{rec}");
    assert!(!yes(o, &["mf"]) && u(o, &["frag"]) == 0, "{rec}");
    assert_eq!(
        u(o, &["ttl"]),
        u(i, &["ttl"]),
        "outer TTL = inner TTL: {rec}"
    );
    assert_eq!(
        u(o, &["tos"]),
        outer_tos(u(i, &["tos"])),
        "outer TOS from the inner: {rec}"
    );
    assert_eq!(yes(o, &["df"]), yes(i, &["df"]), "DF copied: {rec}");
    if yes(o, &["df"]) {
        assert_eq!(u(o, &["id"]), 0, "ID 0 with DF: {rec}");
    }
    // Inner packet: TTL −1 (the client sends 64), destination still V.
    assert_eq!(st(i, &["src"]), CLIENT, "{rec}");
    assert_eq!(st(i, &["dst"]), VIP_IP, "{rec}");
    assert_eq!(u(i, &["ttl"]), 63, "inner TTL: {rec}");
    assert!(yes(i, &["ip_csum_ok"]), "inner IP checksum: {rec}");
    assert!(yes(i, &["tcp", "csum_ok"]), "inner TCP checksum: {rec}");
    let inner_len = u(i, &["len"]);
    // Encapsulation (§3.3.3, §3.3.4).
    let encap = match kind {
        "ipip" => 0,
        "gre" => {
            let h = st(rec, &["gre", "header"]);
            if csum {
                assert_eq!(h.len(), 16, "{rec}");
                assert!(h.starts_with("80000800") && h.ends_with("0000"), "{rec}");
                assert_eq!(s(rec, &["gre", "csum_ok"]), &Value::Bool(true), "{rec}");
                8
            } else {
                assert_eq!(h, "00000800", "{rec}");
                4
            }
        }
        _ => {
            assert_eq!(st(rec, &["gue", "header"]), "00040000", "{rec}");
            assert_eq!(u(rec, &["udp", "dport"]), GUE_PORT as u64, "{rec}");
            let sport = u(rec, &["udp", "sport"]);
            assert!((32768..60999).contains(&sport), "GUE source port: {rec}");
            assert_eq!(u(rec, &["udp", "len"]), 8 + 4 + inner_len, "{rec}");
            if csum {
                assert_ne!(u(rec, &["udp", "csum"]), 0, "{rec}");
                assert_eq!(s(rec, &["udp", "csum_ok"]), &Value::Bool(true), "{rec}");
            } else {
                assert_eq!(u(rec, &["udp", "csum"]), 0, "--tun-nocsum: {rec}");
            }
            12
        }
    };
    assert_eq!(u(o, &["len"]), 20 + encap + inner_len, "{rec}");
}

/// A TUN service of this kind through three real servers: wrk, then rr
/// spread 3/3/3 with curl and one request with DSCP EF (the client also
/// negotiates ECN, so data segments carry ECT(0)); every outer packet each
/// endpoint received in the second part is checked field by field.
fn tun_case(tag: &str, kind: &'static str, csum: bool) {
    let lab = Lab::up(tag, 3, Servers::Tun(kind));
    let ecn = client(&["sysctl", "-qw", "net.ipv4.tcp_ecn=1"]);
    assert!(ecn.status.success());
    lab.service(VIP, 80, "rr", &tun_method(kind, csum));
    // Volume first; then fresh captures (the decoder is scapy: tens of
    // thousands of wrk packets would take minutes to judge).
    let n = wrk(2);
    assert!(n > 200, "wrk: only {n} requests in 2 s");
    script(
        "scripts/tunservers.sh",
        &["endpoints", "3", kind, &GUE_PORT.to_string()],
    );
    let s9 = spread(9);
    assert_even(&s9, 3, 3);
    let tos = client(&[
        "/usr/bin/python3",
        &format!("{}/../tests/py/tunnels.py", env!("CARGO_MANIFEST_DIR")),
        "get",
        &format!("http://{VIP}/"),
        "0xb8",
    ]);
    assert!(tos.status.success(), "{}", text(&tos.stderr));
    assert!(text(&tos.stdout).starts_with("rs"), "{}", text(&tos.stdout));
    for k in 1..=3 {
        let (fwd, _, _) = lab.dest(k);
        assert_eq!(fwd, "Tunnel", "rs{k}:\n{}", lab.adm("-Ln"));
    }

    let mut total = 0;
    let mut dscp = 0;
    let mut ect = 0;
    for (k, recs) in lab.tun_records() {
        assert!(recs.len() >= 3 * 4, "rs{k}: only {} packets", recs.len());
        // GUE: one source port per flow (client port).
        let mut ports: BTreeMap<u64, u64> = BTreeMap::new();
        for rec in &recs {
            check_tun_packet(rec, k, kind, csum);
            let tos = u(rec, &["inner", "tos"]);
            dscp += (tos & !3 == 0xb8) as u32;
            ect += (tos & 3 == 2) as u32;
            if kind == "gue" {
                let flow = u(rec, &["inner", "tcp", "sport"]);
                let sport = u(rec, &["udp", "sport"]);
                assert_eq!(
                    *ports.entry(flow).or_insert(sport),
                    sport,
                    "GUE source port changed within flow {flow}"
                );
            }
        }
        total += recs.len();
    }
    assert!(dscp >= 3, "the DSCP EF request was not seen in the tunnel");
    assert!(ect > 0, "no ECT(0) segment seen (ECN not negotiated?)");
    println!("TUN {kind} csum={csum}: spread {s9:?}, {total} outer packets checked, wrk {n}");
}

#[test]
fn tun_ipip_forwards_and_encapsulates_per_spec() {
    tun_case("direct-ipip", "ipip", false);
}

#[test]
fn tun_gre_forwards_and_encapsulates_per_spec() {
    tun_case("direct-gre", "gre", false);
}

#[test]
fn tun_gre_with_checksum_forwards_and_encapsulates_per_spec() {
    tun_case("direct-gre-csum", "gre", true);
}

#[test]
fn tun_gue_forwards_and_encapsulates_per_spec() {
    tun_case("direct-gue", "gue", false);
}

#[test]
fn tun_gue_with_checksum_forwards_and_encapsulates_per_spec() {
    tun_case("direct-gue-csum", "gue", true);
}

/// §3.3.5 end to end: rvsd's inside port has MTU 1500, so a 1500-byte DF
/// segment from the client does not fit the tunnel. rvsd must answer with
/// ICMP 3/4 (next-hop MTU = 1500 − outer header − encapsulation) from the
/// VIP; the client's kernel lowers its path MTU and the upload completes.
/// The HTTP sink on rs1:8080 that counts what is uploaded to it.
fn upload_sink() -> Bg {
    Bg::spawn(
        "rvs-rs1",
        &[
            "/usr/bin/python3",
            &format!("{}/../tests/py/tunnels.py", env!("CARGO_MANIFEST_DIR")),
            "sink",
            "8080",
        ],
        "sink on port",
    )
}

/// Bytes [`upload`] sends.
const UPLOAD: usize = 4 << 20;

/// Uploads [`UPLOAD`] bytes from the client to `vip` (the sink answers), capturing ICMP on
/// the client's link; every byte must arrive. Returns the capture.
fn upload(lab: &Lab, vip: &str) -> Vec<Value> {
    let size = UPLOAD;
    let file = lab.dir.path("upload");
    std::fs::write(&file, vec![0x5a_u8; size]).unwrap();
    let cap = Capture::start("rvs-client", "c0", lab.dir.path("icmp.pcap"), "icmp");
    let out = client(&[
        "curl",
        "-s",
        "-m",
        "60",
        "-H",
        "Expect:",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{vip}/"),
    ]);
    let frames = cap.stop();
    assert!(out.status.success(), "upload failed: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), format!("received {size}"));
    frames
}

fn tun_too_big(tag: &str, kind: &'static str, csum: bool, mtu: u64) {
    let lab = Lab::up_with(tag, 1, Servers::Tun(kind), r#", "mtu": 1500"#);
    let sink = upload_sink();
    let vip = format!("{VIP_IP}:8080");
    lab.service(&vip, 8080, "rr", &tun_method(kind, csum));
    let frames = upload(&lab, &vip);
    drop(sink);

    let lb0 = mac("rvs-lb", "lb0");
    let frag_needed: Vec<&Value> = frames
        .iter()
        .filter(|f| {
            s(f, &["icmp", "type"]).as_u64() == Some(3)
                && s(f, &["icmp", "code"]).as_u64() == Some(4)
        })
        .collect();
    assert!(!frag_needed.is_empty(), "no ICMP frag-needed: {frames:?}");
    for f in &frag_needed {
        assert_eq!(st(f, &["src"]), VIP_IP, "{f}");
        assert_eq!(st(f, &["dst"]), CLIENT, "{f}");
        assert_eq!(st(f, &["eth_src"]), lb0, "not sent by rvsd: {f}");
        assert_eq!(u(f, &["icmp", "mtu"]), mtu, "{f}");
        assert!(yes(f, &["icmp", "csum_ok"]), "{f}");
        assert!(yes(f, &["ip_csum_ok"]), "{f}");
        let q = &f["icmp"]["quoted"];
        assert_eq!(st(q, &["src"]), CLIENT, "{f}");
        assert_eq!(st(q, &["dst"]), VIP_IP, "{f}");
        assert_eq!(u(q, &["dport"]), 8080, "{f}");
        assert_eq!(u(q, &["ttl"]), 63, "quoted after the TTL decrement: {f}");
        assert!(u(q, &["len"]) > mtu, "{f}");
    }

    // Nothing bigger than the tunnel MTU went into the tunnel; the body did.
    let recs = lab.tun_records().remove(&1).unwrap();
    let mut data = 0;
    for rec in &recs {
        check_tun_packet(rec, 1, kind, csum);
        assert!(u(rec, &["inner", "len"]) <= mtu, "{rec}");
        assert!(u(rec, &["outer", "len"]) <= 1500, "{rec}");
        data += u(rec, &["inner", "tcp", "data_len"]);
    }
    assert!(
        data >= UPLOAD as u64,
        "only {data} bytes went through the tunnel"
    );
    println!(
        "TUN {kind} csum={csum}: {} frag-needed (mtu {mtu}), {} outer packets",
        frag_needed.len(),
        recs.len()
    );
}

#[test]
fn tun_ipip_too_big_df_segment_draws_frag_needed_1480() {
    tun_too_big("direct-ipip-mtu", "ipip", false, 1480);
}

#[test]
fn tun_gue_too_big_df_segment_draws_frag_needed_1468() {
    tun_too_big("direct-gue-mtu", "gue", false, 1468);
}

#[test]
fn tun_gre_csum_too_big_df_segment_draws_frag_needed_1472() {
    tun_too_big("direct-gre-mtu", "gre", true, 1472);
}

// ------------------------------------------- the test bench itself

/// Without rvsd: a namespace on the server bridge plays rvsd's inside
/// address and sends scapy-made encapsulated SYNs (client → VIP:80) to
/// rs1; for every tunnel type the endpoint must hand the SYN to the real
/// server's TCP, whose SYN+ACK leaves toward the router (never rvsd).
#[test]
fn tun_endpoint_decapsulates_every_type_without_rvsd() {
    let _serial = TOPOLOGY.lock().unwrap_or_else(|e| e.into_inner());
    let _host = HostLock::take();
    struct Down;
    impl Drop for Down {
        fn drop(&mut self) {
            script("scripts/tunservers.sh", &["stop"]);
            script("scripts/netns.sh", &["down"]);
        }
    }
    let _down = Down;
    script("scripts/netns.sh", &["up-direct", "1"]);
    let sh = |line: &str| {
        let args: Vec<&str> = line.split_whitespace().collect();
        let st = Command::new(args[0]).args(&args[1..]).status().unwrap();
        assert!(st.success(), "{line}");
    };
    sh("ip netns add rvs-probe");
    sh("ip -n rvs-probe link set lo up");
    sh("ip link add p0 netns rvs-probe type veth peer name pr0 netns rvs-sw");
    sh("ip -n rvs-sw link set pr0 master br0 up");
    sh("ip -n rvs-probe addr add 10.0.2.1/24 dev p0");
    sh("ip -n rvs-probe link set p0 up");
    let _ = in_ns(
        "rvs-probe",
        &["ethtool", "-K", "p0", "tx", "off", "rx", "off"],
    );
    let dir = TempDir::new("direct-endpoint");
    let router = mac("rvs-router", "r1");
    let tunnels = format!("{}/../tests/py/tunnels.py", env!("CARGO_MANIFEST_DIR"));
    let mut webs = false;
    for (i, (endpoint, kind)) in [
        ("ipip", "ipip"),
        ("gre", "gre"),
        ("gre", "gre-csum"),
        ("gue", "gue"),
        ("gue", "gue-csum"),
    ]
    .into_iter()
    .enumerate()
    {
        script(
            "scripts/tunservers.sh",
            &["endpoints", "1", endpoint, &GUE_PORT.to_string()],
        );
        if !webs {
            script("scripts/webservers.sh", &["start", "1"]);
            webs = true;
        }
        let sport = (41000 + i).to_string();
        let cap = Capture::start(
            "rvs-rs1",
            "eth0",
            dir.path(&format!("{kind}.pcap")),
            &format!("tcp and src host {VIP_IP}"),
        );
        let sent = in_ns(
            "rvs-probe",
            &[
                "/usr/bin/python3",
                &tunnels,
                "send-syn",
                kind,
                "10.0.2.11",
                &sport,
            ],
        );
        assert!(sent.status.success(), "{}", text(&sent.stderr));
        // The SYN+ACK leaves at once; wait a little for it to be written.
        std::thread::sleep(Duration::from_millis(500));
        let frames = cap.stop();
        let synack = frames.iter().find(|f| {
            s(f, &["tcp", "dport"]).as_u64() == Some(41000 + i as u64)
                && st(f, &["tcp", "flags"]).contains('S')
                && st(f, &["tcp", "flags"]).contains('A')
        });
        let f = synack.unwrap_or_else(|| panic!("{kind}: no SYN+ACK: {frames:?}"));
        assert_eq!(st(f, &["src"]), VIP_IP, "{f}");
        assert_eq!(st(f, &["dst"]), CLIENT, "{f}");
        assert_eq!(
            st(f, &["eth_dst"]),
            router,
            "{kind}: not toward the router: {f}"
        );
        let recs = json_lines(&py("tunnels.py", &["decode-tun", "/tmp/rvs-tun/rs1.pcap"]));
        assert_eq!(recs.len(), 1, "{kind}: {recs:?}");
        let csum = kind.ends_with("-csum");
        check_tun_packet(&recs[0], 1, endpoint, csum);
    }
}

// ---------------------------------------------------------------- NAT PMTU

/// §4.4 end to end: the real server sits behind a router whose link to it
/// has MTU 1400, but advertises MSS 1460; the client's 1500-byte segments
/// draw Frag Needed from the router, addressed to the client as the router
/// saw it (C → R). rvsd translates it back to the VIP (vector 7.18's
/// rewrite), the client lowers its path MTU, and a 4 MiB upload completes.
#[test]
fn nat_frag_needed_from_behind_the_director_reaches_the_client() {
    let lab = Lab::up("nat-pmtu", 1, Servers::NatBehindRouter);
    let sink = upload_sink();
    let vip = format!("{VIP_IP}:8080");
    lab.adm(&format!("-A -t {vip} -s rr"));
    lab.adm(&format!("-a -t {vip} -r 10.0.3.11:8080 -m"));
    let ok = in_ns("rvs-rs1", &["ping", "-c", "1", "-W", "2", RVSD_INSIDE]);
    assert!(ok.status.success(), "rs1 cannot reach rvsd");
    let frames = upload(&lab, &vip);
    drop(sink);
    let lb0 = mac("rvs-lb", "lb0");
    let frag_needed: Vec<&Value> = frames
        .iter()
        .filter(|f| s(f, &["icmp", "type"]).as_u64() == Some(3))
        .collect();
    assert!(
        !frag_needed.is_empty(),
        "no ICMP reached the client: {frames:?}"
    );
    for f in &frag_needed {
        assert_eq!(u(f, &["icmp", "code"]), 4, "{f}");
        assert_eq!(st(f, &["src"]), VIP_IP, "translated to the VIP: {f}");
        assert_eq!(st(f, &["dst"]), CLIENT, "{f}");
        assert_eq!(st(f, &["eth_src"]), lb0, "sent by rvsd: {f}");
        assert_eq!(
            u(f, &["icmp", "mtu"]),
            1400,
            "the router's MTU, passed on: {f}"
        );
        assert!(yes(f, &["icmp", "csum_ok"]), "{f}");
        assert!(yes(f, &["ip_csum_ok"]), "{f}");
        let q = &f["icmp"]["quoted"];
        assert_eq!((st(q, &["src"]), st(q, &["dst"])), (CLIENT, VIP_IP), "{f}");
        assert_eq!(u(q, &["dport"]), 8080, "quoted port back to the VIP's: {f}");
    }
    println!("NAT PMTU: {} frag-needed translated", frag_needed.len());
}

/// DR over IPv6: the client finds the VIP by ND (rvsd answers for it, the
/// real servers hold it on lo and do not), rvsd sends each SYN to a real
/// server's MAC with only the hop limit changed, and the servers answer
/// through the router: curl -6 spreads evenly, wrk gets every answer.
#[test]
fn dr_over_ipv6_spreads_and_gets_every_answer() {
    let lab = Lab::up("direct-dr6", 3, Servers::DrDual);
    let vip = "[2001:db8:1::100]:80";
    lab.adm(&format!("-A -t {vip} -s rr"));
    for k in 1..=3 {
        lab.adm(&format!("-a -t {vip} -r [2001:db8:2::1{k}]:80 -g -w 1"));
        let ns = format!("rvs-rs{k}");
        let ok = in_ns(&ns, &["ping", "-6", "-c", "1", "-W", "2", "2001:db8:2::1"]);
        assert!(ok.status.success(), "{ns} cannot reach rvsd over IPv6");
    }
    let s = common::netns::spread(vip, 30);
    assert_even(&s, 3, 10);
    let requests = common::netns::wrk(vip, 1, 16, 2);
    let list = lab.adm("-Ln");
    assert!(
        list.contains("  -> [2001:db8:2::11]:80          Route   1"),
        "{list}"
    );
    println!("DR over IPv6: spread {s:?}, wrk {requests} requests in 2 s");
}

/// TUN over IPv6 end to end (§3.3, §3.3.2): an IPv6 service whose real servers are IPv6
/// tunnel endpoints (IPv6 in IPv6) and an IPv4 service with the same servers (IPv4 in
/// IPv6, families mixed as IPVS allows for tunnels). curl spreads evenly over both; every
/// outer packet the endpoints received is checked: IPv6 from rvsd's inside address to the
/// server, next header 41 or 4, traffic class by the ECN rule, flow label 0, hop limit =
/// the inner's after its decrement, payload = the inner packet (destination the VIP).
#[test]
fn tun_over_ipv6_end_to_end() {
    let lab = Lab::up("direct-tun6", 3, Servers::TunOverIpv6);
    let (vip6, vip4) = ("[2001:db8:1::100]:80", VIP);
    lab.adm(&format!("-A -t {vip6} -s rr"));
    lab.adm(&format!("-A -t {vip4} -s rr"));
    for k in 1..=3 {
        for vip in [vip6, vip4] {
            lab.adm(&format!("-a -t {vip} -r [2001:db8:2::1{k}]:80 -i -w 1"));
        }
        let ns = format!("rvs-rs{k}");
        let ok = in_ns(&ns, &["ping", "-6", "-c", "1", "-W", "2", "2001:db8:2::1"]);
        assert!(ok.status.success(), "{ns} cannot reach rvsd over IPv6");
    }
    let s6 = common::netns::spread(vip6, 9);
    assert_even(&s6, 3, 3);
    let s4 = common::netns::spread(vip4, 9);
    assert_even(&s4, 3, 3);
    let list = lab.adm("-Ln");
    assert!(
        list.contains("  -> [2001:db8:2::11]:80          Tunnel  1"),
        "{list}"
    );
    let mut seen = (0, 0);
    for (k, recs) in lab.tun_records() {
        assert!(
            recs.len() >= 2 * 3 * 4,
            "rs{k}: only {} packets",
            recs.len()
        );
        for rec in &recs {
            let (o, i) = (&rec["outer"], &rec["inner"]);
            assert!(i.is_object(), "no inner packet: {rec}");
            assert_eq!(u(o, &["version"]), 6, "{rec}");
            assert_eq!(st(o, &["src"]), "2001:db8:2::1", "{rec}");
            assert_eq!(st(o, &["dst"]), format!("2001:db8:2::1{k}"), "{rec}");
            assert_eq!(
                (u(o, &["flow"]), u(o, &["len"])),
                (0, 40 + u(i, &["len"])),
                "{rec}"
            );
            assert_eq!(u(o, &["ttl"]), u(i, &["ttl"]), "hop limit = inner's: {rec}");
            assert_eq!(u(i, &["ttl"]), 63, "inner decremented: {rec}");
            assert_eq!(u(o, &["tos"]), outer_tos(u(i, &["tos"])), "{rec}");
            assert!(yes(i, &["tcp", "csum_ok"]), "inner TCP checksum: {rec}");
            match u(o, &["proto"]) {
                41 => {
                    assert_eq!(st(i, &["dst"]), "2001:db8:1::100", "{rec}");
                    seen.0 += 1;
                }
                4 => {
                    assert_eq!(st(i, &["dst"]), VIP_IP, "{rec}");
                    assert!(yes(i, &["ip_csum_ok"]), "{rec}");
                    seen.1 += 1;
                }
                p => panic!("next header {p}: {rec}"),
            }
        }
    }
    assert!(
        seen.0 >= 9 * 4 && seen.1 >= 9 * 4,
        "6in6, 4in6 packets: {seen:?}"
    );
    println!("TUN over IPv6: spread {s6:?} (6in6), {s4:?} (4in6), outer packets {seen:?}");
}

/// §4.4 for IPv6 end to end: behind the router with MTU 1400 the real server
/// advertises MSS 1440, so the client's 1500-byte packets draw Packet Too Big
/// from the router, addressed to the client as the router saw it; rvsd
/// translates it back to the VIP, the client lowers its path MTU and a 4 MiB
/// upload over IPv6 completes.
#[test]
fn ipv6_packet_too_big_from_behind_the_director_reaches_the_client() {
    let lab = Lab::up("nat-pmtu6", 1, Servers::NatBehindRouterDual);
    let sink = Bg::spawn(
        "rvs-rs1",
        &[
            "/usr/bin/python3",
            &format!("{}/../tests/py/tunnels.py", env!("CARGO_MANIFEST_DIR")),
            "sink",
            "8080",
            "ipv6",
        ],
        "sink on port",
    );
    let vip = "[2001:db8:1::100]:8080";
    lab.adm(&format!("-A -t {vip} -s rr"));
    lab.adm(&format!("-a -t {vip} -r [2001:db8:3::11]:8080 -m"));
    let ok = in_ns(
        "rvs-rs1",
        &["ping", "-6", "-c", "1", "-W", "2", "2001:db8:2::1"],
    );
    assert!(ok.status.success(), "rs1 cannot reach rvsd over IPv6");
    let pcap = lab.dir.path("icmp6.pcap");
    let cap = Capture::start("rvs-client", "c0", pcap.clone(), "icmp6");
    upload(&lab, vip);
    drop(cap.bg);
    drop(sink);
    let text = text(
        &Command::new("tcpdump")
            .args(["-nn", "-r", pcap.to_str().unwrap()])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        text.contains("2001:db8:1::100 > 2001:db8:1::2: ICMP6, packet too big, mtu 1400"),
        "no translated Packet Too Big reached the client:\n{text}"
    );
}
