//! Running the real rvsd and rvsadm binaries for process-level tests.
#![allow(dead_code)] // each test binary uses a different part

pub mod golden;
#[path = "tempdir.rs"]
mod tempdir;
pub use tempdir::TempDir;
pub mod netns;
pub mod transcript;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const RVSD: &str = env!("CARGO_BIN_EXE_rvsd");
pub const RVSADM: &str = env!("CARGO_BIN_EXE_rvsadm");

/// A running rvsd; stopped with SIGTERM (and its output collected) by
/// [`Rvsd::stop`], killed on drop otherwise.
pub struct Rvsd {
    child: Option<Child>,
    pub socket: PathBuf,
    /// Its stderr (the log) as it comes.
    log: Option<Log>,
}

/// A child's stderr read by a thread as it comes: a test may wait for a log line while the
/// child runs, and a chatty child never blocks on a full pipe.
struct Log {
    text: Arc<Mutex<String>>,
    reader: JoinHandle<()>,
}

impl Log {
    fn follow(child: &mut Child) -> Log {
        let pipe = child.stderr.take().unwrap();
        let text = Arc::new(Mutex::new(String::new()));
        let into = text.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut t = into.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
        });
        Log { text, reader }
    }

    fn now(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// Everything, once the child has closed its stderr.
    fn all(self) -> String {
        let _ = self.reader.join();
        let text = self.text.lock().unwrap();
        text.clone()
    }
}

impl Rvsd {
    /// Starts rvsd on `config` (JSON text), optionally inside a network
    /// namespace, and waits until its admin socket answers.
    pub fn start(dir: &TempDir, config: &str, netns: Option<&str>) -> Rvsd {
        Rvsd::start_at(dir, config, netns, dir.path("rvs.sock"))
    }

    /// [`Rvsd::start`] with the admin socket at `socket`.
    pub fn start_at(dir: &TempDir, config: &str, netns: Option<&str>, socket: PathBuf) -> Rvsd {
        let cfg = dir.path("rvsd.json");
        std::fs::write(&cfg, config).unwrap();
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, RVSD]);
                c
            }
            None => Command::new(RVSD),
        };
        cmd.arg("--config").arg(&cfg).arg("--socket").arg(&socket);
        cmd.env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start rvsd");
        let log = Log::follow(&mut child);
        let mut d = Rvsd {
            child: Some(child),
            socket,
            log: Some(log),
        };
        d.wait_ready();
        d
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let out = collect(self.child.take().unwrap(), self.log.take().unwrap());
                panic!("rvsd exited early ({status}):\n{}\n{}", out.0, out.1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("rvsd did not open its admin socket in 30 s");
    }

    /// Runs rvsadm with `args` against this daemon.
    pub fn adm(&self, args: &[&str]) -> Output {
        rvsadm(&self.socket, args, None)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.log.as_ref().unwrap().now()
    }

    /// SIGTERM, wait, and return (exit code, stdout, stderr).
    pub fn stop(self) -> (i32, String, String) {
        self.stop_with("TERM")
    }

    /// Sends signal `sig` (as kill(1) names it), waits for the exit and returns (exit code, -1
    /// for a death by signal, stdout, stderr).
    pub fn stop_with(mut self, sig: &str) -> (i32, String, String) {
        let child = self.child.take().unwrap();
        signal(child.id(), sig);
        let log = self.log.take().unwrap();
        let (out, err, code) = wait_collect(child, log, Duration::from_secs(20));
        (code, out, err)
    }
}

/// Polls `done` every 50 ms for up to 20 s; panics naming `what` if it never holds.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Rvsd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
    assert!(
        ok.map(|s| s.success()).unwrap_or(false),
        "kill -{sig} {pid}"
    );
}

fn collect(mut child: Child, log: Log) -> (String, String) {
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = child.wait();
    (out, log.all())
}

fn wait_collect(mut child: Child, log: Log, limit: Duration) -> (String, String, i32) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (o, e) = collect(child, log);
            return (o, e, status.code().unwrap_or(-1));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let (o, e) = collect(child, log);
            panic!("rvsd did not stop in time:\n{o}\n{e}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs rvsadm against `socket` with optional stdin text.
pub fn rvsadm(socket: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    rvsadm_bytes(socket, args, stdin.map(str::as_bytes))
}

/// Runs rvsadm against `socket` with optional stdin bytes.
pub fn rvsadm_bytes(socket: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(RVSADM);
    cmd.args(args).env("RVS_SOCKET", socket);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start rvsadm");
    if let Some(text) = stdin {
        use std::io::Write;
        // An rvsadm that refuses its input may stop reading it: that is its answer, not a
        // failure here.
        let _ = child.stdin.take().unwrap().write_all(text);
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Every frame of pcap file `pcap` as `tests/py/frames.py decode` reads it with scapy (one
/// JSON object each); none when the file is missing or empty.
pub fn decode(pcap: &Path) -> Vec<serde_json::Value> {
    if !pcap.exists() || golden::pcap_frames(pcap) == 0 {
        return Vec::new();
    }
    py("frames.py", &["decode", pcap.to_str().unwrap()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs a helper from tests/py with Debian's python (which has scapy).
pub fn py(script: &str, args: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/py")
        .join(script);
    let out = Command::new("/usr/bin/python3")
        .arg(path)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The keys every test daemon's configuration has: EAL without hugepages or telemetry, and
/// workers that pause when idle (`idle_backoff`): the suite runs daemons, their clients and
/// other test binaries side by side on two cores, which busy-polling workers would take.
pub const TEST_KEYS: &str = r#""eal": ["--no-huge", "-m", "256", "--no-telemetry", "--log-level", "*:warning"],
    "idle_backoff": true"#;

/// rvsd on one net_null port (10.0.0.1/24) that receives nothing (`no-rx`: net_null makes up
/// frames otherwise, and the worker would never be idle): a daemon for what needs no traffic
/// (the admin socket, reloads, signals); `services` are the ipvsadm lines it starts with.
pub fn null_config(services: &[&str]) -> String {
    let services = serde_json::to_string(services).unwrap();
    format!(
        r#"{{{TEST_KEYS}, "mbufs": 1023, "conn_table_size": 4096,
            "ports": [{{"device": "net_null0,no-rx=1", "addresses": ["10.0.0.1/24"]}}],
            "services": {services}}}"#
    )
}

/// The services of `frames.py make-nat`'s flows: TCP 80 and UDP 53 of V, NAT to R1.
pub const NAT_SERVICES: &[&str] = &[
    "-A -t 198.51.100.1:80 -s rr",
    "-a -t 198.51.100.1:80 -r 10.0.0.11:8080 -m",
    "-A -u 198.51.100.1:53 -s rr",
    "-a -u 198.51.100.1:53 -r 10.0.0.11:53 -m",
];

/// UDP 53 of V in both families, NAT to R1's port 53 (fragments, neighbours).
pub const UDP53_DUAL: &[&str] = &[
    "-A -u 198.51.100.1:53 -s rr",
    "-a -u 198.51.100.1:53 -r 10.0.0.11:53 -m",
    "-A -u [2001:db8:f::1]:53 -s rr",
    "-a -u [2001:db8:f::1]:53 -r [2001:db8:a::11]:53 -m",
];

/// rvsd on two net_pcap ports as the director of ipvs-forwarding §7.0 for NAT tests, in both
/// families: the client side (203.0.113.1/24 and 2001:db8:c::1/64, client 203.0.113.10 and
/// 2001:db8:c::10 known) reads DIR/rx0.pcap and writes DIR/tx0.pcap, the real-server side
/// (10.0.0.1/24 and 2001:db8:a::1/64, R1 10.0.0.11 and 2001:db8:a::11 known) rx1/tx1;
/// `services` are the ipvsadm lines it starts with.
pub fn pcap_nat_config(dir: &TempDir, services: &[&str]) -> String {
    let p = |n: &str| dir.path(n).display().to_string();
    let services = serde_json::to_string(services).unwrap();
    format!(
        r#"{{{TEST_KEYS}, "mbufs": 2047, "conn_table_size": 4096,
            "ports": [
              {{"device": "net_pcap0,rx_pcap={},tx_pcap={}",
                "addresses": ["203.0.113.1/24", "2001:db8:c::1/64"],
                "neighbours": [{{"ip": "203.0.113.10", "mac": "02:00:00:00:00:fe"}},
                               {{"ip": "2001:db8:c::10", "mac": "02:00:00:00:00:fe"}}]}},
              {{"device": "net_pcap1,rx_pcap={},tx_pcap={}",
                "addresses": ["10.0.0.1/24", "2001:db8:a::1/64"],
                "neighbours": [{{"ip": "10.0.0.11", "mac": "02:00:00:00:00:11"}},
                               {{"ip": "2001:db8:a::11", "mac": "02:00:00:00:00:11"}}]}}],
            "services": {services}}}"#,
        p("rx0.pcap"),
        p("tx0.pcap"),
        p("rx1.pcap"),
        p("tx1.pcap")
    )
}
