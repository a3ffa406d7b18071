//! The Prometheus endpoint of rvsd on two net_pcap ports doing NAT: known frames in, the
//! endpoint scraped over TCP, every line read by the Prometheus project's own parser
//! (`tests/py/prom_parse.py`) and the values checked against the traffic and against the
//! listings. Also: only GET /metrics is answered, a client that never finishes its request
//! holds nothing and is cut off, nothing listens unless configured, a bad address is a
//! configuration error and a taken one stops the start.

mod common;
use common::golden::pcap_frames;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

type Labels = BTreeMap<String, String>;

/// A scrape as the parser read it: families by name (type, help), samples.
struct Scrape {
    families: BTreeMap<String, (String, String)>,
    samples: Vec<(String, Labels, f64)>,
}

impl Scrape {
    fn parse(dir: &TempDir, body: &str) -> Scrape {
        let file = dir.path("scrape.txt");
        std::fs::write(&file, body).unwrap();
        let doc: Value =
            serde_json::from_str(&py("prom_parse.py", &[file.to_str().unwrap()])).unwrap();
        let families = doc["families"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, f)| {
                let s = |k: &str| f[k].as_str().unwrap().to_string();
                (name.clone(), (s("type"), s("help")))
            })
            .collect();
        let samples = doc["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = serde_json::from_value(s[1].clone()).unwrap();
                (
                    s[0].as_str().unwrap().to_string(),
                    labels,
                    s[2].as_f64().unwrap(),
                )
            })
            .collect();
        Scrape { families, samples }
    }

    /// The one sample `name` whose labels include `with`.
    fn value(&self, name: &str, with: &[(&str, &str)]) -> u64 {
        let found: Vec<f64> = self
            .samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && with
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(v))
            })
            .map(|s| s.2)
            .collect();
        assert_eq!(found.len(), 1, "{name} {with:?}: {found:?}");
        found[0] as u64
    }
}

/// One HTTP/1.1 request: (status line, head, body).
fn http(addr: SocketAddr, method: &str, path: &str) -> (String, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap().to_string();
    (status, head.to_lowercase(), body.to_string())
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The TCP ports process `pid` listens on (its sockets in LISTEN state).
fn listening_ports(pid: u32) -> Vec<u16> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let l = l.to_str()?;
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap();
        for line in text.lines().skip(1) {
            let w: Vec<&str> = line.split_whitespace().collect();
            if w[3] == "0A" && inodes.contains(w[9]) {
                let port = w[1].rsplit(':').next().unwrap();
                ports.push(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports
}

/// The five numbers of the `--stats --exact` line of `list` that starts with `start`.
fn stats(list: &str, start: &str) -> Vec<u64> {
    let line = list
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("{start:?}:\n{list}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields[fields.len() - 5..]
        .iter()
        .map(|f| f.parse().unwrap())
        .collect()
}

const TOTALS: [&str; 5] = [
    "connections_total",
    "incoming_packets_total",
    "outgoing_packets_total",
    "incoming_bytes_total",
    "outgoing_bytes_total",
];

fn service(addr: &str, port: &str, proto: &str, mark: &str) -> [(&'static str, String); 4] {
    [
        ("local_address", addr.into()),
        ("local_port", port.into()),
        ("proto", proto.into()),
        ("local_mark", mark.into()),
    ]
}

fn labels<'a>(
    svc: &'a [(&'static str, String)],
    remote: &'a [(&'static str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    svc.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(remote.iter().copied())
        .collect()
}

#[test]
fn a_scrape_parses_line_by_line_and_counts_the_traffic() {
    let dir = TempDir::new("metrics");
    py("frames.py", &["make-nat", dir.0.to_str().unwrap()]);
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg = pcap_nat_config(
        &dir,
        &[
            "-A -t 198.51.100.1:80 -s rr",
            "-a -t 198.51.100.1:80 -r 10.0.0.11:8080 -m -w 3",
            "-A -u 198.51.100.1:53 -s rr",
            "-a -u 198.51.100.1:53 -r 10.0.0.11:53 -m",
            "-A -t [2001:db8:c::100]:443 -s rr",
            "-a -t [2001:db8:c::100]:443 -r [2001:db8:a::11]:443 -m -w 0",
            "-A -f 7 -s rr",
            "-a -f 7 -r 10.0.0.11:443 -m -w 2",
        ],
    )
    .replacen(
        '{',
        &format!(
            r#"{{"metrics": "{addr}", "marks": [{{"mark": 7, "proto": "tcp", "dst": "198.51.100.2", "ports": ["443"]}}], "#
        ),
        1,
    );
    let d = Rvsd::start(&dir, &cfg, None);
    assert_eq!(listening_ports(d.pid()), [port]);
    let (tx0, tx1) = (dir.path("tx0.pcap"), dir.path("tx1.pcap"));
    wait_until("the NAT frames", || {
        pcap_frames(&tx0) >= 3 && pcap_frames(&tx1) >= 3
    });
    // Statistics move at the 2-s estimation: wait for it, then read both views.
    let list = || text(&d.adm(&["-Ln", "--stats", "--exact"]).stdout);
    wait_until("the estimation", || {
        stats(&list(), "UDP  198.51.100.1:53")[0] == 1
    });
    let listing = list();

    // A client that sends half a request and waits: holds nothing, cut off at the deadline.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /metr").unwrap();
    let slow_since = Instant::now();

    let (status, head, body) = http(addr, "GET", "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "{head}");
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let s = Scrape::parse(&dir, &body);

    // Every family typed and documented (the parser checked every line); counters end in
    // _total (the parser names their families without it).
    for (name, (kind, help)) in &s.families {
        assert!(kind == "counter" || kind == "gauge", "{name}: {kind}");
        assert!(!help.is_empty(), "{name}");
    }
    for (name, _, _) in &s.samples {
        let family = name.strip_suffix("_total").unwrap_or(name);
        let kind = &s.families[family].0;
        assert_eq!(
            kind == "counter",
            name.ends_with("_total"),
            "{name}: {kind}"
        );
    }

    // node_exporter's totals: two connections (TCP, UDP); 3 packets in (SYN, data, UDP),
    // 2 out (SYN-ACK, UDP); bytes as --stats counts them.
    let tcp = service("198.51.100.1", "80", "TCP", "");
    let udp = service("198.51.100.1", "53", "UDP", "");
    let tcp_stats = stats(&listing, "TCP  198.51.100.1:80");
    let udp_stats = stats(&listing, "UDP  198.51.100.1:53");
    let total: Vec<u64> = (0..5).map(|i| tcp_stats[i] + udp_stats[i]).collect();
    assert_eq!(total[..3], [2, 3, 2], "{listing}");
    for (i, name) in TOTALS.iter().enumerate() {
        assert_eq!(
            s.value(&format!("node_ipvs_{name}"), &[]),
            total[i],
            "{name}"
        );
    }
    // Per service and per real server, as the listing.
    for (i, name) in TOTALS.iter().enumerate() {
        let service = format!("rvs_ipvs_service_{name}");
        let backend = format!("rvs_ipvs_backend_{name}");
        assert_eq!(
            s.value(&service, &labels(&tcp, &[])),
            tcp_stats[i],
            "{name}"
        );
        assert_eq!(
            s.value(&service, &labels(&udp, &[])),
            udp_stats[i],
            "{name}"
        );
        let r1 = [("remote_address", "10.0.0.11"), ("remote_port", "8080")];
        let want = stats(&listing, "  -> 10.0.0.11:8080")[i];
        assert_eq!(s.value(&backend, &labels(&tcp, &r1)), want, "{name}");
    }
    assert_eq!(tcp_stats[..3], [1, 2, 1], "{listing}");

    // node_exporter's backend gauges: the TCP connection is established, UDP's inactive.
    let r1 = [("remote_address", "10.0.0.11"), ("remote_port", "8080")];
    let r1_udp = [("remote_address", "10.0.0.11"), ("remote_port", "53")];
    for (svc, remote, want) in [(&tcp, &r1, [1, 0, 3]), (&udp, &r1_udp, [0, 1, 1])] {
        let got = ["active", "inactive"].map(|k| {
            s.value(
                &format!("node_ipvs_backend_connections_{k}"),
                &labels(svc, remote),
            )
        });
        assert_eq!(
            [
                got[0],
                got[1],
                s.value("node_ipvs_backend_weight", &labels(svc, remote))
            ],
            want
        );
    }
    let v6 = service("2001:db8:c::100", "443", "TCP", "");
    let r6 = [("remote_address", "2001:db8:a::11"), ("remote_port", "443")];
    assert_eq!(s.value("node_ipvs_backend_weight", &labels(&v6, &r6)), 0);
    let fwm = service("", "0", "FWM", "00000007");
    let r_fwm = [("remote_address", "10.0.0.11"), ("remote_port", "443")];
    assert_eq!(
        s.value("node_ipvs_backend_weight", &labels(&fwm, &r_fwm)),
        2
    );
    assert_eq!(
        s.value(
            "node_ipvs_backend_connections_active",
            &labels(&fwm, &r_fwm)
        ),
        0
    );
    // Every label of node_exporter's, in every backend sample.
    let backend_labels = [
        "local_address",
        "local_port",
        "remote_address",
        "remote_port",
        "proto",
        "local_mark",
    ];
    for (name, l, _) in s
        .samples
        .iter()
        .filter(|(n, _, _)| n.starts_with("node_ipvs_backend_"))
    {
        assert_eq!(
            l.keys().map(String::as_str).collect::<HashSet<_>>(),
            backend_labels.into(),
            "{name}"
        );
    }

    // rvs's own: ports as DPDK counts (6 frames in on the client side, 2 on the other, 3 out
    // each), the worker, drops (every reason, at 0 too), tables, mbufs.
    let p0 = [("port", "net_pcap0")];
    let p1 = [("port", "net_pcap1")];
    assert_eq!(s.value("rvs_port_rx_packets_total", &p0), 6);
    assert_eq!(s.value("rvs_port_rx_packets_total", &p1), 2);
    assert_eq!(s.value("rvs_port_tx_packets_total", &p1), 3);
    assert_eq!(s.value("rvs_port_rx_nombuf_total", &p0), 0);
    assert_eq!(
        s.value(
            "rvs_port_xstats_total",
            &[("port", "net_pcap0"), ("xstat", "rx_good_packets")]
        ),
        6
    );
    let w0 = [("worker", "0")];
    assert_eq!(s.value("rvs_worker_rx_packets_total", &w0), 8);
    assert_eq!(s.value("rvs_worker_tx_packets_total", &w0), 6);
    assert!(s.value("rvs_worker_busy_polls_total", &w0) >= 1);
    assert!(s.value("rvs_worker_idle_polls_total", &w0) >= 1);
    // The tests' daemons pause when idle; the worker made both connections.
    assert!(s.value("rvs_worker_pauses_total", &w0) >= 1);
    assert_eq!(s.value("rvs_worker_connections_created_total", &w0), 2);
    assert_eq!(s.value("rvs_drops_total", &[("reason", "no_service")]), 1);
    assert_eq!(
        s.value("rvs_drops_total", &[("reason", "no_connection")]),
        1
    );
    assert_eq!(s.value("rvs_drops_total", &[("reason", "table_full")]), 0);
    let v4 = [("family", "ipv4")];
    assert_eq!(s.value("rvs_conn_table_capacity", &v4), 4096);
    assert_eq!(
        s.value("rvs_conn_table_capacity", &[("family", "ipv6")]),
        1024
    );
    assert_eq!(
        s.value(
            "rvs_conn_table_used",
            &[("family", "ipv4"), ("worker", "0")]
        ),
        2
    );
    assert_eq!(
        s.value(
            "rvs_conn_table_partition_capacity",
            &[("family", "ipv4"), ("worker", "0")]
        ),
        4096
    );
    let pool = [("pool", "rvs_mbufs")];
    assert_eq!(s.value("rvs_mbuf_pool_size", &pool), 2047);
    let in_use = s.value("rvs_mbuf_pool_in_use", &pool);
    assert_eq!(in_use + s.value("rvs_mbuf_pool_available", &pool), 2047);

    // Only GET /metrics.
    for (method, path, want) in [
        ("GET", "/", "HTTP/1.1 404 Not Found"),
        ("GET", "/metrics/x", "HTTP/1.1 404 Not Found"),
        ("GET", "/favicon.ico", "HTTP/1.1 404 Not Found"),
        ("POST", "/metrics", "HTTP/1.1 405 Method Not Allowed"),
    ] {
        assert_eq!(http(addr, method, path).0, want, "{method} {path}");
    }

    // The slow client is cut off at the deadline (10 s) and never got an answer.
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut got = Vec::new();
    let _ = slow.read_to_end(&mut got);
    let waited = slow_since.elapsed();
    assert!(got.is_empty(), "{}", text(&got));
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
    // rvsd went on serving all along.
    assert!(text(&d.adm(&["-Ln"]).stdout).contains("TCP  198.51.100.1:80 rr"));
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert!(
        stderr.contains(&format!("Prometheus metrics at http://{addr}/metrics")),
        "{stderr}"
    );
    assert!(stderr.contains("not done in 10s"), "{stderr}");
}

/// rvsd as `args`, which should fail: (exit code, stderr).
fn failing_start(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let mut child = Command::new(RVSD)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("rvsd did not fail: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap(), text(&out.stderr))
}

#[test]
fn metrics_are_off_by_default_and_a_bad_or_taken_address_fails() {
    let dir = TempDir::new("metrics-config");
    let d = Rvsd::start(&dir, &null_config(&[]), None);
    assert_eq!(listening_ports(d.pid()), [0u16; 0]);
    let (code, report, stderr) = d.stop();
    assert_eq!(code, 0, "{report}\n{stderr}");
    assert!(!stderr.contains("Prometheus"), "{stderr}");

    let file = dir.path("bad.json");
    let socket = dir.path("bad.sock");
    let with = |metrics: &str| {
        null_config(&[]).replacen('{', &format!(r#"{{"metrics": "{metrics}", "#), 1)
    };
    std::fs::write(&file, with("localhost:9110")).unwrap();
    let why = r#"metrics: "localhost:9110" is not an address and port"#;
    let (code, stderr) = failing_start(&[
        "--config".as_ref(),
        file.as_ref(),
        "--socket".as_ref(),
        socket.as_ref(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    let (code, stderr) = failing_start(&["--check-config".as_ref(), file.as_ref()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(why), "{stderr}");

    // Someone else has the port: rvsd says so and stops.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    std::fs::write(&file, with(&addr.to_string())).unwrap();
    let (code, stderr) = failing_start(&[
        "--config".as_ref(),
        file.as_ref(),
        "--socket".as_ref(),
        socket.as_ref(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("rvsd: metrics on {addr}: Address already in use")),
        "{stderr}"
    );
}
