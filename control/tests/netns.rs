//! End to end through real namespaces (scripts/netns.sh): rvsd opens veths
//! with net_af_packet; a client namespace and three real-server namespaces
//! with nginx talk real TCP through it. Every test builds the topology, so
//! they run one at a time.

mod common;
use common::netns::{client, in_ns, script, wrk, HostLock};
use common::*;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static TOPOLOGY: Mutex<()> = Mutex::new(());

const VIP: &str = "10.0.1.100:80";

/// The topology with `servers` real servers (running nginx when asked) and
/// rvsd in the middle; everything is torn down on drop, even after a panic.
struct Lab {
    rvsd: Option<Rvsd>,
    _dir: TempDir,
    _host: HostLock,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    fn up(tag: &str, servers: u32, web: bool) -> Lab {
        Lab::up_with_workers(tag, servers, web, 1)
    }

    /// With `workers` > 1, each port gets as many af_packet queue pairs
    /// (the kernel's fanout spreads flows over them).
    fn up_with_workers(tag: &str, servers: u32, web: bool, workers: u32) -> Lab {
        let pmd = format!("net_af_packet{{n}},iface=lb{{n}},qpairs={workers}");
        Lab::build(tag, servers, web, (workers, &pmd), (false, ""))
    }

    /// With nginx and the configuration's mark rules `marks` (JSON).
    fn up_marked(tag: &str, servers: u32, marks: &str) -> Lab {
        let pmd = "net_af_packet{n},iface=lb{n}";
        Lab::build(tag, servers, true, (1, pmd), (false, marks))
    }

    /// The topology with IPv6 as well (`netns.sh up-dual`), nginx on every server.
    fn up_dual(tag: &str, servers: u32) -> Lab {
        Lab::build(
            tag,
            servers,
            true,
            (1, "net_af_packet{n},iface=lb{n}"),
            (true, ""),
        )
    }

    /// The topology with rvsd's ports opened by net_pcap on the interfaces: libpcap hands
    /// over every frame as it came, where af_packet's fanout (DPDK 22.11) has the kernel
    /// reassemble IP fragments first.
    fn up_pcap(tag: &str, servers: u32) -> Lab {
        Lab::build(
            tag,
            servers,
            false,
            (1, "net_pcap{n},iface=lb{n}"),
            (false, ""),
        )
    }

    /// `ports` is the worker count and the port device, `{n}` standing for the port number;
    /// `dual` adds IPv6, `marks` the configuration's mark rules (a JSON list, or empty).
    fn build(
        tag: &str,
        servers: u32,
        web: bool,
        ports: (u32, &str),
        (dual, marks): (bool, &str),
    ) -> Lab {
        let (workers, pmd) = ports;
        let dev = |n: u32| pmd.replace("{n}", &n.to_string());
        let (dev0, dev1) = (dev(0), dev(1));
        let serial = TOPOLOGY.lock().unwrap_or_else(|e| e.into_inner());
        let host = HostLock::take();
        let topology = if dual { "up-dual" } else { "up" };
        script("scripts/netns.sh", &[topology, &servers.to_string()]);
        if web {
            script("scripts/webservers.sh", &["start", &servers.to_string()]);
        }
        let dir = TempDir::new(tag);
        let (v6_out, v6_in) = match dual {
            true => (r#", "2001:db8:1::1/64""#, r#", "2001:db8:2::1/64""#),
            false => ("", ""),
        };
        let marks = match marks {
            "" => String::new(),
            m => format!(r#""marks": {m},"#),
        };
        let cfg = format!(
            r#"{{{TEST_KEYS}, "mbufs": 8191, "conn_table_size": 65536,
                "workers": {workers}, {marks}
                "ports": [
                  {{"device": "{dev0}", "addresses": ["10.0.1.1/24"{v6_out}]}},
                  {{"device": "{dev1}", "addresses": ["10.0.2.1/24"{v6_in}]}}]}}"#
        );
        let rvsd = Rvsd::start(&dir, &cfg, Some("rvs-lb"));
        Lab {
            rvsd: Some(rvsd),
            _dir: dir,
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

    /// A service on the VIP with real servers rs1..rsN (NAT), weights as given.
    fn service(&self, sched: &str, weights: &[u32]) {
        self.adm(&format!("-A -t {VIP} -s {sched}"));
        for (i, w) in weights.iter().enumerate() {
            self.adm(&format!("-a -t {VIP} -r 10.0.2.1{}:80 -m -w {w}", i + 1));
        }
        // Let every server announce itself, so that the first SYN does not
        // wait for ARP resolution.
        for i in 1..=weights.len() {
            let ns = format!("rvs-rs{i}");
            let ok = in_ns(&ns, &["ping", "-c", "1", "-W", "2", "10.0.2.1"]);
            assert!(ok.status.success(), "{ns} cannot reach rvsd");
        }
    }

    /// `(active, inactive)` of real server `rsK` as `rvsadm -Ln` prints them.
    fn conns(&self, k: u32) -> (u32, u32) {
        let list = self.adm("-Ln");
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("  -> 10.0.2.1{k}:80")))
            .unwrap_or_else(|| panic!("rs{k} not listed:\n{list}"));
        let f: Vec<&str> = line.split_whitespace().collect();
        (f[4].parse().unwrap(), f[5].parse().unwrap())
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
        script("scripts/webservers.sh", &["stop"]);
        script("scripts/netns.sh", &["down"]);
    }
}

fn spread(n: usize) -> BTreeMap<String, usize> {
    common::netns::spread(VIP, n)
}

/// A download of /big at `rate` in the background; its headers (with the
/// answering server in X-Server) go to `headers`.
fn slow_download(headers: &std::path::Path, rate: &str) -> Child {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            "rvs-client",
            "curl",
            "-s",
            "-o",
            "/dev/null",
        ])
        // A stalled download fails the test in bounded time rather than hanging it.
        .args([
            "-m",
            "120",
            "-w",
            "%{size_download}",
            "--limit-rate",
            rate,
            "-D",
        ])
        .arg(headers)
        .arg(format!("http://{VIP}/big"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the download's X-Server header; returns the server number.
fn download_server(headers: &std::path::Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(h) = std::fs::read_to_string(headers) {
            if let Some(l) = h
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("x-server: rs"))
            {
                return l.trim()[12..].parse().unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the download never started");
}

const BIG: &str = "67108864";

#[test]
fn rvsd_answers_pings_from_both_sides() {
    let lab = Lab::up("netns-ping", 1, false);
    for (ns, ip) in [("rvs-client", "10.0.1.1"), ("rvs-rs1", "10.0.2.1")] {
        let out = Command::new("ip")
            .args([
                "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip,
            ])
            .output()
            .unwrap();
        assert!(
            text(&out.stdout).contains("3 received"),
            "ping {ip} from {ns}"
        );
    }
    // Nobody else may answer: the address exists only inside rvsd.
    let wrong = client(&["ping", "-c", "1", "-W", "1", "10.0.1.9"]);
    assert!(
        !wrong.status.success(),
        "an address rvsd does not own got an answer"
    );
    let mut lab = lab;
    let (code, stdout, stderr) = lab.rvsd.take().unwrap().stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|l| l.trim() == "icmp_echo_replies 6"),
        "{stdout}"
    );
}

#[test]
fn rr_spreads_evenly_and_wrk_gets_every_answer() {
    let lab = Lab::up("netns-rr", 3, true);
    lab.service("rr", &[1, 1, 1]);
    let n = 30;
    let s = spread(n);
    assert_eq!(s.len(), 3, "{s:?}");
    for (server, count) in &s {
        assert!(
            count.abs_diff(n / 3) <= 1,
            "{server} got {count} of {n}: {s:?}"
        );
    }
    let requests = wrk(VIP, 1, 16, 3);
    assert!(requests > 1000, "{requests} requests");
    println!("rr spread {s:?}; wrk: {requests} requests in 3 s, no errors");
}

/// Two workers: each owns a queue of both ports, a reply may come back on
/// the other worker's queue (the connection table is shared), and each
/// worker keeps its own rr cursor, so the spread is even but not exact.
/// Both workers must carry a fair share, and replies must arrive on both of the
/// server port's queues while every request is answered: a reply handled by the
/// worker that did not make its connection. Each worker counts the connections it made:
/// their sum is every connection the client opened.
#[test]
fn two_workers_share_connections_and_spread_the_load() {
    let lab = Lab::up_with_workers("netns-workers", 3, true, 2);
    lab.service("rr", &[1, 1, 1]);
    let s = spread(30);
    assert_eq!(s.len(), 3, "{s:?}");
    assert!(s.values().all(|&n| n >= 5), "uneven: {s:?}");
    let created = |c: &serde_json::Value| -> Vec<u64> {
        (0..2)
            .map(|w| c["workers"][w]["connections_created"].as_u64().unwrap())
            .collect()
    };
    let c: serde_json::Value = serde_json::from_str(&lab.adm("--json --counters")).unwrap();
    let by_worker = created(&c);
    assert_eq!(by_worker.iter().sum::<u64>(), 30, "{by_worker:?}");
    assert!(by_worker.iter().all(|&n| n > 0), "{by_worker:?}");
    wrk(VIP, 2, 32, 3);
    let c: serde_json::Value = serde_json::from_str(&lab.adm("--json --counters")).unwrap();
    let rx: Vec<u64> = (0..2)
        .map(|w| c["workers"][w]["rx_packets"].as_u64().unwrap())
        .collect();
    let total = rx[0] + rx[1];
    assert!(
        rx.iter().all(|&n| n * 5 >= total),
        "one worker idle: {rx:?}"
    );
    let queue = |port: usize, q: usize| {
        let name = format!("rx_q{q}_packets");
        let xs = c["ports"][port]["xstats"].as_array().unwrap();
        let x = xs.iter().find(|x| x["name"] == name.as_str());
        x.and_then(|x| x["value"].as_u64()).unwrap_or(0)
    };
    let replies = [queue(1, 0), queue(1, 1)];
    assert!(
        replies.iter().all(|&n| n > 100),
        "replies on one queue only: {replies:?}"
    );
    // wrk's connections (32, and those it reopened) are counted as the listing's Conns
    // counts them, once the 2-s estimation has taken them in.
    let listed = |list: &str| -> u64 {
        let line = list.lines().find(|l| l.starts_with("TCP  10.0.1.100:80"));
        // The last five figures: Conns, InPkts, OutPkts, InBytes, OutBytes.
        let conns = line.and_then(|l| l.split_whitespace().rev().nth(4));
        conns.map_or(0, |n| n.parse().unwrap())
    };
    let made: u64 = created(&c).iter().sum();
    assert!(made >= 30 + 32, "{made}");
    wait_until("the estimation of wrk's connections", || {
        listed(&lab.adm("-Ln --stats --exact")) == made
    });
    let mut lab = lab;
    let (code, stdout, stderr) = lab.rvsd.take().unwrap().stop();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for w in ["worker on queue 0 started", "worker on queue 1 started"] {
        assert!(stderr.contains(w), "{w:?} missing:\n{stderr}");
    }
    println!("two workers: spread {s:?}");
}

/// The first packet to a real server whose MAC rvsd does not know: the server ignores ARP
/// while it is added (so it stays unresolved), then answers again; the first SYN finds its
/// next hop unresolved, is dropped while rvsd asks (counted `no_neighbour`), and the
/// client's retransmission goes through once the server has answered.
#[test]
fn the_first_connection_to_an_unresolved_server_gets_through() {
    let lab = Lab::up("netns-unresolved", 1, true);
    let arp_ignore = |v: &str| {
        let set = format!("net.ipv4.conf.all.arp_ignore={v}");
        assert!(in_ns("rvs-rs1", &["sysctl", "-qw", &set]).status.success());
    };
    arp_ignore("8");
    lab.adm(&format!("-A -t {VIP} -s rr"));
    lab.adm(&format!("-a -t {VIP} -r 10.0.2.11:80 -m"));
    std::thread::sleep(Duration::from_secs(2));
    arp_ignore("0");
    let out = client(&["curl", "-s", "-m", "5", &format!("http://{VIP}/")]);
    assert_eq!(text(&out.stdout).trim(), "rs1", "{}", text(&out.stderr));
    let c: serde_json::Value = serde_json::from_str(&lab.adm("--json --counters")).unwrap();
    let waited = c["drops"]["no_neighbour"].as_u64().unwrap_or(0);
    assert!(
        waited >= 1,
        "the first SYN did not wait for ARP: {}",
        c["drops"]
    );
}

#[test]
fn wrr_follows_the_weights() {
    let lab = Lab::up("netns-wrr", 3, true);
    lab.service("wrr", &[3, 2, 1]);
    let s = spread(60);
    let got: Vec<usize> = (1..=3)
        .map(|k| s.get(&format!("rs{k}")).copied().unwrap_or(0))
        .collect();
    assert_eq!(got, vec![30, 20, 10], "{s:?}");
}

#[test]
fn lc_prefers_idle_servers_and_listing_shows_open_connections() {
    let lab = Lab::up("netns-lc", 3, true);
    lab.service("lc", &[1, 1, 1]);
    let headers = lab._dir.path("lc-headers");
    let mut dl = slow_download(&headers, "8M");
    let busy = download_server(&headers);
    assert_eq!(lab.conns(busy).0, 1, "the download is an active connection");
    let s = spread(12);
    assert!(
        !s.contains_key(&format!("rs{busy}")),
        "lc sent new work to the busy rs{busy}: {s:?}"
    );
    assert_eq!(s.values().sum::<usize>(), 12);
    for (server, count) in &s {
        assert_eq!(
            *count, 6,
            "the two idle servers share evenly: {server} {s:?}"
        );
    }
    let _ = dl.kill();
    let _ = dl.wait();
}

#[test]
fn weight_zero_quiesces_and_a_running_download_completes() {
    let lab = Lab::up("netns-quiesce", 3, true);
    lab.service("rr", &[1, 1, 1]);
    let headers = lab._dir.path("q-headers");
    let dl = slow_download(&headers, "16M");
    let busy = download_server(&headers);
    lab.adm(&format!("-e -t {VIP} -r 10.0.2.1{busy}:80 -m -w 0"));
    let s = spread(12);
    assert!(
        !s.contains_key(&format!("rs{busy}")),
        "weight 0 rs{busy} got new work: {s:?}"
    );
    let (active, _) = lab.conns(busy);
    assert_eq!(active, 1, "the download still runs through rs{busy}");
    let out = dl.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), BIG, "the whole file arrived");
}

#[test]
fn deleting_servers_and_services_behaves_as_ipvsadm() {
    let lab = Lab::up("netns-delete", 3, true);
    lab.service("rr", &[1, 1, 1]);
    lab.adm(&format!("-d -t {VIP} -r 10.0.2.12:80"));
    assert!(
        !lab.adm("-Ln").contains("10.0.2.12"),
        "deleted server still listed"
    );
    let s = spread(10);
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        ["rs1", "rs3"],
        "{s:?}"
    );
    // Deleting it again is ipvsadm's error.
    let again = lab.rvsd().adm(&["-d", "-t", VIP, "-r", "10.0.2.12:80"]);
    assert_eq!(again.status.code(), Some(255));
    assert_eq!(text(&again.stderr), "No such destination\n");
    lab.adm(&format!("-D -t {VIP}"));
    let list = lab.adm("-Ln");
    assert!(!list.contains("10.0.1.100"), "{list}");
    let out = client(&["curl", "-s", "-m", "2", &format!("http://{VIP}/")]);
    assert!(!out.status.success(), "the VIP still answers after -D");
}

/// IPv6 end to end: a NAT service on [2001:db8:1::100]:80 with three real
/// servers; the client finds the VIP by Neighbour Discovery (rvsd answers for
/// it), curl -6 spreads evenly, wrk gets every answer, `-Ln` lists the
/// servers in IPv6 as ipvsadm does.
#[test]
fn ipv6_nat_end_to_end() {
    let lab = Lab::up_dual("netns-v6", 3);
    let vip = "[2001:db8:1::100]:80";
    lab.adm(&format!("-A -t {vip} -s rr"));
    for k in 1..=3 {
        lab.adm(&format!("-a -t {vip} -r [2001:db8:2::1{k}]:80 -m -w 1"));
        let ns = format!("rvs-rs{k}");
        let ok = in_ns(&ns, &["ping", "-6", "-c", "1", "-W", "2", "2001:db8:2::1"]);
        assert!(ok.status.success(), "{ns} cannot reach rvsd over IPv6");
    }
    let s = common::netns::spread(vip, 30);
    let counts: Vec<usize> = (1..=3)
        .map(|k| s.get(&format!("rs{k}")).copied().unwrap_or(0))
        .collect();
    assert_eq!(counts, [10, 10, 10], "{s:?}");
    let requests = wrk(vip, 1, 16, 2);
    assert!(requests > 500, "{requests} requests");
    let list = lab.adm("-Ln");
    assert!(list.contains("TCP  [2001:db8:1::100]:80 rr"), "{list}");
    assert!(
        list.contains("  -> [2001:db8:2::11]:80          Masq    1"),
        "{list}"
    );
    // -Lnc: every connection, in ipvsadm's columns, to the VIP and one of the servers.
    let conns = lab.adm("-Lnc");
    let mut lines = conns.lines();
    assert_eq!(lines.next(), Some("IPVS connection entries"));
    assert_eq!(
        lines.next(),
        Some("pro expire state       source             virtual            destination")
    );
    let entries: Vec<&str> = lines.collect();
    assert!(entries.len() >= 30, "{conns}");
    for e in &entries {
        let f: Vec<&str> = e.split_whitespace().collect();
        assert_eq!((f[0], f[4]), ("TCP", vip), "{e}");
        assert!(f[3].starts_with("[2001:db8:1::"), "{e}");
        assert!(
            ["1", "2", "3"]
                .iter()
                .any(|k| f[5] == format!("[2001:db8:2::1{k}]:80")),
            "{e}"
        );
        let (mm, ss) = f[1].split_once(':').unwrap();
        assert!(mm.len() == 2 && ss.len() == 2 && ss < "60", "{e}");
        assert_eq!(&e[..4], "TCP ", "{e}");
        assert_eq!(&e[9..11], "  ", "expiry padded to 6: {e}");
    }
    println!("IPv6 NAT: spread {s:?}, wrk {requests} requests in 2 s");
}

/// Fragments end to end through NAT: a 4000-byte UDP datagram leaves the
/// client in three fragments, reaches the real server through rvsd (the first
/// fragment balanced and rewritten, the others following it), is reassembled
/// there and echoed in fragments, which rvsd translates back; the client gets
/// its 4000 bytes.
#[test]
fn fragmented_udp_through_nat_end_to_end() {
    let lab = Lab::up_pcap("netns-frag", 1);
    let echo = format!("{}/../tests/py/udp_echo.py", env!("CARGO_MANIFEST_DIR"));
    let mut server = Command::new("ip")
        .args([
            "netns",
            "exec",
            "rvs-rs1",
            "/usr/bin/python3",
            &echo,
            "serve",
            "7",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stderr.as_mut().unwrap()),
        &mut ready,
    )
    .unwrap();
    lab.adm("-A -u 10.0.1.100:7 -s rr");
    lab.adm("-a -u 10.0.1.100:7 -r 10.0.2.11:7 -m");
    let ok = in_ns("rvs-rs1", &["ping", "-c", "1", "-W", "2", "10.0.2.1"]);
    assert!(ok.status.success(), "rs1 cannot reach rvsd");
    let out = client(&["/usr/bin/python3", &echo, "ask", "10.0.1.100", "7", "4000"]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "no whole echo: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "4000");
}

/// Persistence end to end (ipvs-schedulers §5): on an rr service with `-p`, nine curls from
/// one client all land on one real server; two more client addresses each get their own
/// (rr moves on only when a template is made); `-Lnc` lists one template per client
/// (client port 0, ASSURED, bound to its server) and `--persistent-conn` counts them.
#[test]
fn persistent_clients_stay_and_new_ones_spread() {
    let lab = Lab::up("netns-persist", 3, true);
    lab.service("rr -p 60", &[1, 1, 1]);
    let first = spread(9);
    assert_eq!(first.len(), 1, "one client, one server: {first:?}");
    let mut servers: Vec<String> = first.keys().cloned().collect();
    for extra in ["10.0.1.3", "10.0.1.4"] {
        let ok = client(&["ip", "addr", "add", &format!("{extra}/24"), "dev", "c0"]);
        assert!(ok.status.success(), "{}", text(&ok.stderr));
        let mut got = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let out = client(&[
                "curl",
                "-s",
                "-m",
                "5",
                "--interface",
                extra,
                &format!("http://{VIP}/"),
            ]);
            assert!(
                out.status.success(),
                "curl from {extra}: {}",
                text(&out.stderr)
            );
            got.insert(text(&out.stdout).trim().to_string());
        }
        assert_eq!(got.len(), 1, "{extra} moved between servers: {got:?}");
        servers.extend(got);
    }
    servers.sort();
    servers.dedup();
    assert_eq!(
        servers.len(),
        3,
        "three clients, three servers by rr: {servers:?}"
    );

    let conns = lab.adm("-Lnc");
    let templates: Vec<&str> = conns.lines().filter(|l| l.contains(":0 ")).collect();
    assert_eq!(templates.len(), 3, "{conns}");
    for t in &templates {
        let f: Vec<&str> = t.split_whitespace().collect();
        // Its connections were established: ASSURED (ipvs-schedulers §5.3).
        assert_eq!((f[0], f[2], f[4]), ("TCP", "ASSURED", VIP), "{t}");
        assert!(f[1].starts_with("00:"), "a 60 s template: {t}");
        assert!(f[3].starts_with("10.0.1.") && f[3].ends_with(":0"), "{t}");
    }
    let list = lab.adm("-Ln --persistent-conn");
    for k in 1..=3 {
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("  -> 10.0.2.1{k}:80")))
            .unwrap_or_else(|| panic!("{list}"));
        let persist: u32 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert_eq!(persist, 1, "one template on rs{k}: {list}");
    }
    println!("persistence: {first:?}, then one server per client address");
}

/// Fwmark services end to end (ipvs-schedulers §5.2): the configuration marks TCP to the VIP on
/// ports 80 and 8088 with mark 1; one persistent `-f 1` service takes both, so a client's
/// connections to either port land on one real server, which answers on the port the client
/// used; `-Lnc` lists the template as IPVS does (`IP`, virtual `0.0.0.1:0`, port 0).
#[test]
fn a_fwmark_service_takes_every_marked_port_and_persists_across_them() {
    let marks = r#"[{"mark": 1, "proto": "tcp", "dst": "10.0.1.100", "ports": ["80", "8088"]}]"#;
    let lab = Lab::up_marked("netns-fwmark", 3, marks);
    lab.adm("-A -f 1 -s rr -p 60");
    for k in 1..=3 {
        lab.adm(&format!("-a -f 1 -r 10.0.2.1{k} -m"));
        let ok = in_ns(
            &format!("rvs-rs{k}"),
            &["ping", "-c", "1", "-W", "2", "10.0.2.1"],
        );
        assert!(ok.status.success());
    }
    let mut seen = std::collections::BTreeSet::new();
    for vip in [
        "10.0.1.100:80",
        "10.0.1.100:8088",
        "10.0.1.100:80",
        "10.0.1.100:8088",
    ] {
        seen.insert(common::netns::get(vip));
    }
    assert_eq!(
        seen.len(),
        1,
        "one client, one server over both ports: {seen:?}"
    );
    let conns = lab.adm("-Lnc");
    let template: Vec<&str> = conns.lines().filter(|l| l.starts_with("IP ")).collect();
    assert_eq!(template.len(), 1, "{conns}");
    let f: Vec<&str> = template[0].split_whitespace().collect();
    assert_eq!((f[3], f[4]), ("10.0.1.2:0", "0.0.0.1:0"), "{conns}");
    assert!(f[5].ends_with(":0"), "{conns}");
    let ports: std::collections::BTreeSet<&str> = conns
        .lines()
        .filter(|l| l.starts_with("TCP "))
        .map(|l| {
            l.split_whitespace()
                .nth(5)
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ports,
        ["80", "8088"].into(),
        "the client's ports kept: {conns}"
    );
    // Unmarked traffic to the VIP (another port) finds no service.
    let out = client(&["curl", "-s", "-m", "2", "http://10.0.1.100:81/"]);
    assert!(!out.status.success());
}

/// Reload (SIGHUP) keeps what did not change and drops nothing under load. First a service is
/// added next to a wrr 1:1 one, whose cursor goes on across the reload (alternating picks: a
/// service made anew would start again). Then the configuration file gains a real server,
/// changes a weight and loses that service while wrk runs and a slow download streams through
/// one server: wrk ends with every answer and no socket error, the download completes, its
/// server's ActiveConn reads 1 once wrk's connections closed (the connection counts on the
/// same real server), `-Ln` lists the new configuration and new connections follow the new
/// weights.
#[test]
fn a_sighup_reload_under_load_drops_nothing() {
    let lab = Lab::up("netns-reload", 3, true);
    let file = lab._dir.path("rvsd.json");
    let with_services = |services: &[String]| {
        let mut cfg: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        cfg["services"] = serde_json::json!(services);
        std::fs::write(&file, cfg.to_string()).unwrap();
    };
    let rs = |k: u32, w: u32| format!("-a -t {VIP} -r 10.0.2.1{k}:80 -m -w {w}");
    let mut services = vec![format!("-A -t {VIP} -s wrr"), rs(1, 1), rs(2, 1)];
    with_services(&services);
    signal(lab.rvsd().pid(), "HUP");
    wait_until("the first services", || {
        lab.adm("-Ln").contains("10.0.2.12:80")
    });
    for k in 1..=3 {
        let ok = in_ns(
            &format!("rvs-rs{k}"),
            &["ping", "-c", "1", "-W", "2", "10.0.2.1"],
        );
        assert!(ok.status.success(), "rs{k} cannot reach rvsd");
    }

    let first = common::netns::get(VIP);
    services.push("-A -t 10.0.1.100:8080 -s rr".into());
    with_services(&services);
    signal(lab.rvsd().pid(), "HUP");
    wait_until("the second service", || lab.adm("-Ln").contains(":8080"));
    let next = common::netns::get(VIP);
    assert_ne!(
        first, next,
        "the wrr cursor of the unchanged service went on"
    );

    let headers = lab._dir.path("reload-headers");
    let dl = slow_download(&headers, "8M");
    let busy = download_server(&headers);
    let load = std::thread::spawn(|| wrk(VIP, 1, 16, 4));
    wait_until("wrk's connections", || lab.conns(1).0 + lab.conns(2).0 > 1);
    services[1] = rs(1, 2);
    services[3] = rs(3, 1);
    with_services(&services);
    signal(lab.rvsd().pid(), "HUP");
    wait_until("the reloaded services", || {
        lab.adm("-Ln").contains("10.0.2.13:80")
    });
    assert!(!load.is_finished(), "wrk ended before the reload");
    let requests = load.join().expect("wrk: every answer, no socket error");
    wait_until("wrk's connections closed", || {
        (1..=3).all(|k| lab.conns(k).0 == u32::from(k == busy))
    });
    let out = dl.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), BIG, "the whole download arrived");

    let list = lab.adm("-Ln");
    assert!(list.contains(&format!("TCP  {VIP} wrr")), "{list}");
    assert!(!list.contains(":8080"), "{list}");
    for (k, w) in [(1, 2), (2, 1), (3, 1)] {
        let line = format!("  -> {:<28} Masq    {w} ", format!("10.0.2.1{k}:80"));
        assert!(list.contains(&line), "{line:?} not in:\n{list}");
    }
    // Any four wrr picks of weights 2:1:1 are two, one and one.
    let s = spread(12);
    let got: Vec<usize> = (1..=3)
        .map(|k| s.get(&format!("rs{k}")).copied().unwrap_or(0))
        .collect();
    assert_eq!(got, [6, 3, 3], "{s:?}");
    println!("reload under load: wrk {requests} requests, download through rs{busy}, then {s:?}");
}
