//! Golden frames from the real kernel (`tests/golden/<set>/`): the cases its
//! oracle command file ran, what the kernel sent, and the comparison of what
//! rvsd sent with it (`tests/py/golden_cmp.py`, scapy as the judge).

use super::{py, Rvsd, TempDir, TEST_KEYS};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The virtual service of §7.0 (TCP V:80), the one of every case of a command file that
/// names none (`svc` lines).
pub const V4_SERVICE: &str = "198.51.100.1:80";

/// One case as the oracle ran it: its name, its TCP service (`ipvsadm -t`) and the
/// options of its one real server (`-r ...`).
pub struct Run {
    pub case: String,
    pub service: String,
    pub dest: String,
}

/// How the director was wired when the kernel made a set's frames, for rvsd's config: the
/// outside and inside ports' addresses and static neighbours (`(ip, mac)`), and the gateway
/// routes (`(prefix, via)`). The VIPs are not port addresses: the services hold them.
pub struct Wiring {
    pub outside: Port,
    pub inside: Port,
    pub routes: &'static [(&'static str, &'static str)],
}

pub struct Port {
    pub addresses: &'static [&'static str],
    pub neighbours: &'static [(&'static str, &'static str)],
}

/// §7.0 in IPv4 (`tests/golden/dr_tun`, `tests/golden/icmp`): upstream router
/// 198.51.100.254 (:fe), NAT server R1 10.0.0.11 (:11), DR server R2 10.0.0.21 (:21), TUN
/// server R3 192.0.2.31 via the gateway 10.0.0.254 (:54).
pub const WIRING_V4: Wiring = Wiring {
    outside: Port {
        addresses: &["198.51.100.2/24"],
        neighbours: &[("198.51.100.254", "02:00:00:00:00:fe")],
    },
    inside: Port {
        addresses: &["10.0.0.1/24"],
        neighbours: &[
            ("10.0.0.11", "02:00:00:00:00:11"),
            ("10.0.0.21", "02:00:00:00:00:21"),
            ("10.0.0.254", "02:00:00:00:00:54"),
        ],
    },
    routes: &[
        ("0.0.0.0/0", "198.51.100.254"),
        ("192.0.2.31/32", "10.0.0.254"),
    ],
};

/// §7.0 in both families (`tests/golden/tun6/oracle.cmd`): [`WIRING_V4`] plus
/// 2001:db8:f::2/64 outside (router 2001:db8:f::fe, :fe) and 2001:db8:a::1/64 inside, an
/// on-link IPv6 TUN server 2001:db8:a::31 (:31) and 2001:db8:b::31 via 2001:db8:a::254 (:54).
pub const WIRING_DUAL: Wiring = Wiring {
    outside: Port {
        addresses: &["198.51.100.2/24", "2001:db8:f::2/64"],
        neighbours: &[
            ("198.51.100.254", "02:00:00:00:00:fe"),
            ("2001:db8:f::fe", "02:00:00:00:00:fe"),
        ],
    },
    inside: Port {
        addresses: &["10.0.0.1/24", "2001:db8:a::1/64"],
        neighbours: &[
            ("10.0.0.254", "02:00:00:00:00:54"),
            ("2001:db8:a::254", "02:00:00:00:00:54"),
            ("2001:db8:a::31", "02:00:00:00:00:31"),
        ],
    },
    routes: &[
        ("0.0.0.0/0", "198.51.100.254"),
        ("192.0.2.31/32", "10.0.0.254"),
        ("::/0", "2001:db8:f::fe"),
        ("2001:db8:b::31/128", "2001:db8:a::254"),
    ],
};

impl Port {
    /// The rvsd config of this port on `device`.
    fn config(&self, device: String) -> Value {
        let neighbours: Vec<Value> = self
            .neighbours
            .iter()
            .map(|(ip, mac)| json!({"ip": ip, "mac": mac}))
            .collect();
        json!({"device": device, "addresses": self.addresses, "neighbours": neighbours})
    }
}

/// A set of golden cases: its folder and its `golden.json`.
pub struct Golden {
    pub dir: PathBuf,
    pub cases: Value,
}

impl Golden {
    pub fn load(set: &str) -> Golden {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/golden")
            .join(set);
        let text = std::fs::read_to_string(dir.join("golden.json")).unwrap();
        Golden {
            cases: serde_json::from_str(&text).unwrap(),
            dir,
        }
    }

    fn json(&self) -> String {
        self.dir.join("golden.json").display().to_string()
    }

    /// The cases the oracle's command file ran, in order, so the cases, their service and
    /// their `-a` options have one source: `run_case NAME DEST-OPTIONS` lines, the service
    /// being the last `svc SERVICE` line before (§7.0's [`V4_SERVICE`] in a file without one).
    pub fn runs(&self) -> Vec<Run> {
        let cmd = std::fs::read_to_string(self.dir.join("oracle.cmd")).unwrap();
        let mut service = V4_SERVICE.to_string();
        let mut runs = Vec::new();
        for l in cmd.lines() {
            if let Some(s) = l.strip_prefix("svc ") {
                service = s.trim().to_string();
            } else if let Some(rest) = l.strip_prefix("run_case ") {
                let (name, dest) = rest.split_once(' ').unwrap();
                runs.push(Run {
                    case: name.to_string(),
                    service: service.clone(),
                    dest: dest.to_string(),
                });
            }
        }
        assert_eq!(runs.len(), self.cases.as_array().unwrap().len());
        runs
    }

    /// The golden case `case`.
    pub fn case(&self, case: &str) -> &Value {
        let all = self.cases.as_array().unwrap();
        all.iter().find(|c| c["name"] == case).unwrap()
    }

    /// How many frames the kernel sent in `case` on `side` (`inside`, `outside`).
    pub fn expected(&self, case: &str, side: &str) -> usize {
        self.case(case)[format!("output_{side}")]
            .as_array()
            .unwrap()
            .len()
    }

    /// Writes every case's input frames into `out` (`golden_cmp.py make-all` and `extra`).
    pub fn make_inputs(&self, out: &Path, extra: &[&str]) {
        let (json, out) = (self.json(), out.display().to_string());
        let args: Vec<&str> = ["make-all", json.as_str(), out.as_str()]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        py("golden_cmp.py", &args);
    }

    /// Compares `out/CASE.{outside,inside}.pcap` with the kernel's frames, case by case;
    /// fails with every difference.
    pub fn assert_matches(&self, out: &Path) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/py/golden_cmp.py");
        let res = Command::new("/usr/bin/python3")
            .arg(script)
            .args(["compare-all", &self.json(), &out.display().to_string()])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&res.stdout);
        let failed: Vec<&str> = report
            .lines()
            .filter(|l| l.contains("\"ok\": false"))
            .collect();
        assert!(
            res.status.success() && failed.is_empty(),
            "frames differ from the kernel's:\n{}\n{}",
            failed.join("\n"),
            String::from_utf8_lossy(&res.stderr)
        );
        let runs = self.cases.as_array().unwrap().len();
        assert_eq!(report.lines().count(), 2 * runs, "{report}");
    }
}

/// An empty pcap (net_pcap needs a file to read on a port that gets no input).
pub fn empty_pcap(path: &Path) {
    let mut h = Vec::new();
    for v in [0xa1b2_c3d4u32, 0, 0, 0, 65535, 1] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // Version 2.4: two u16s.
    h[4..8].copy_from_slice(&[2, 0, 4, 0]);
    std::fs::write(path, h).unwrap();
}

/// A counter from rvsd's final report (`  rx_packets 12`, `  drop unknown_ethertype 3`).
pub fn counter(report: &str, name: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The frames in a classic pcap file (what net_pcap writes, as it writes).
pub fn pcap_frames(path: &Path) -> usize {
    pcap_lengths(path).len()
}

/// The captured length of each whole frame in a classic pcap file.
pub fn pcap_lengths(path: &Path) -> Vec<usize> {
    let Ok(b) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut lengths = Vec::new();
    let mut off = 24;
    while off + 16 <= b.len() {
        let len = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        if off + 16 + len > b.len() {
            break;
        }
        off += 16 + len;
        lengths.push(len);
    }
    lengths
}

/// Runs rvsd wired as the oracle's director (`wiring`), on net_pcap, for golden case `run`
/// (its service with its one real server): it reads the outside and inside links' frames
/// from the pcaps `rx` and writes what it sends to DIR/CASE.{outside,inside}.pcap. Stops once
/// the kernel's number of frames is out on both links (and a moment more, for anything
/// extra); returns what rvsd printed at the stop.
pub fn run_director(
    dir: &TempDir,
    golden: &Golden,
    wiring: &Wiring,
    run: &Run,
    rx: (&str, &str),
) -> String {
    let case = run.case.as_str();
    let out = |side: &str| dir.path(&format!("{case}.{side}.pcap"));
    let (outside, inside) = (out("outside"), out("inside"));
    let (rx_out, rx_in) = rx;
    let routes: Vec<Value> = wiring
        .routes
        .iter()
        .map(|(prefix, via)| json!({"prefix": prefix, "via": via}))
        .collect();
    let (svc, dest) = (&run.service, &run.dest);
    let mut cfg: Value = serde_json::from_str(&format!("{{{TEST_KEYS}}}")).unwrap();
    let rest = json!({
        "mbufs": 2047, "conn_table_size": 4096,
        "ports": [
            wiring.outside.config(format!("net_pcap0,rx_pcap={rx_out},tx_pcap={}", outside.display())),
            wiring.inside.config(format!("net_pcap1,rx_pcap={rx_in},tx_pcap={}", inside.display())),
        ],
        "routes": routes,
        "services": [format!("-A -t {svc} -s rr"), format!("-a -t {svc} -r {dest}")],
    });
    cfg.as_object_mut()
        .unwrap()
        .extend(rest.as_object().unwrap().clone());
    let cfg = cfg.to_string();
    let sub = TempDir::new(&format!("golden-{case}"));
    let d = Rvsd::start(&sub, &cfg, None);
    let want = (
        golden.expected(case, "outside"),
        golden.expected(case, "inside"),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while (pcap_frames(&outside), pcap_frames(&inside)) < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let (code, stdout, stderr) = d.stop();
    assert_eq!(code, 0, "{case}: {stdout}\n{stderr}");
    stdout
}

/// Runs every case of golden set `set` through rvsd wired as `wiring`, the case's frames in
/// on the outside link and nothing on the inside one, and asserts that what rvsd sent
/// matches the kernel's frames ([`Golden::assert_matches`]).
pub fn assert_set_matches(set: &str, wiring: &Wiring) {
    let golden = Golden::load(set);
    let dir = TempDir::new(&format!("pcap-{set}"));
    golden.make_inputs(&dir.0, &[]);
    let empty = dir.path("empty.pcap");
    empty_pcap(&empty);
    for run in golden.runs() {
        let rx = dir.path(&format!("{}.rx.pcap", run.case));
        let rx = rx.display().to_string();
        run_director(
            &dir,
            &golden,
            wiring,
            &run,
            (&rx, &empty.display().to_string()),
        );
    }
    golden.assert_matches(&dir.0);
}
