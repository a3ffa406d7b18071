//! rvs-gen ↔ dpdk-testpmd macswap over memif: what goes out comes back (the same frames, MACs
//! swapped) with its stamp, so every frame received is a latency sample; and rvs-gen stopped
//! by a signal after its forwarder went away (the harness's order) still prints its summary.

mod common;
use common::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One memif pair at a time: each side polls a CPU.
static SERIAL: Mutex<()> = Mutex::new(());

/// dpdk-testpmd in macswap mode, the memif server, and its EAL file prefix.
struct Forwarder(Option<Child>, String);

impl Forwarder {
    fn macswap(dir: &TempDir, sock: &Path) -> Forwarder {
        let vdev = format!(
            "net_memif0,role=server,socket={},socket-abstract=no,mac=02:00:00:00:00:01",
            sock.display()
        );
        // A forwarding lcore beside the main one.
        let prefix = format!("rvs-gen-fwd-{}", std::process::id());
        let eal = eal(&prefix, &vdev, 2);
        let log = File::create(dir.path("testpmd.log")).unwrap();
        let child = Command::new("dpdk-testpmd")
            .args(&eal)
            .args(["--", "--forward-mode=macswap", "--stats-period", "1"])
            .args(["--nb-cores=1", "--total-num-mbufs=4096"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dpdk-testpmd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "no memif socket from testpmd");
            std::thread::sleep(Duration::from_millis(50));
        }
        Forwarder(Some(child), prefix)
    }

    /// SIGINT, wait for the exit, and remove the runtime directory EAL leaves.
    fn stop(&mut self) {
        if let Some(mut c) = self.0.take() {
            signal(c.id(), "INT");
            let _ = c.wait();
            let _ = std::fs::remove_dir_all(Path::new("/var/run/dpdk").join(&self.1));
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "kill -{sig} {pid}");
}

fn client(sock: &Path) -> Vec<String> {
    let vdev = format!(
        "net_memif0,role=client,socket={},socket-abstract=no",
        sock.display()
    );
    eal(&format!("rvs-gen-memif-{}", std::process::id()), &vdev, 1)
}

#[test]
fn what_goes_out_comes_back_with_its_latency() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("memif-loop");
    let sock = dir.path("memif.sock");
    let mut fwd = Forwarder::macswap(&dir, &sock);
    let opts = "--proto udp --size 64 --flows 256 --rate 20000 --seconds 3 --warmup 1";
    let (lines, s) = result(spawn(&client(&sock), opts).wait_with_output().unwrap());
    fwd.stop();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let (tx, rx) = (num(&s, "tx"), num(&s, "rx"));
    // At most what both memif rings hold can be in flight when the run ends.
    assert!(tx > 0 && rx <= tx && tx - rx <= 2048, "{s}");
    assert!(num(&s, "tx_pps") > 0 && num(&s, "rx_pps") > 0, "{s}");
    assert_eq!(num(&s, "flows"), 256);
    // Every frame back is one of ours, its stamp intact.
    assert_eq!(num(&s, "lat_samples"), rx, "{s}");
    let (p50, p99) = (num(&s, "lat_p50_ns"), num(&s, "lat_p99_ns"));
    assert!(0 < p50 && p50 <= p99, "{s}");
}

#[test]
fn a_signal_after_the_forwarder_left_still_gives_the_summary() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("memif-signal");
    let sock = dir.path("memif.sock");
    let mut fwd = Forwarder::macswap(&dir, &sock);
    let opts = "--proto tcp --size 64 --new --seconds 60 --warmup 1";
    let mut gen = spawn(&client(&sock), opts);
    let mut out = BufReader::new(gen.stdout.take().unwrap());
    let mut seen = String::new();
    for _ in 0..2 {
        out.read_line(&mut seen).unwrap();
    }
    fwd.stop();
    signal(gen.id(), "TERM");
    out.read_to_string(&mut seen).unwrap();
    let mut output = gen.wait_with_output().unwrap();
    output.stdout = seen.into_bytes();
    let (lines, s) = result(output);
    assert!(lines.len() >= 2 && lines.len() < 60, "{lines:?}");
    let printed: u64 = lines
        .iter()
        .map(|l| {
            l.split(' ').nth(1).unwrap()["tx_pps=".len()..]
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    let tx = num(&s, "tx");
    assert!(tx >= printed && tx > 0, "{s} {lines:?}");
    assert_eq!(num(&s, "flows"), tx, "--new: a flow per packet");
    assert!(num(&s, "tx_pps") > 0, "the second after the warm-up: {s}");
}
