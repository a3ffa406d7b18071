//! Golden frames from the real kernel (`tests/golden/<set>/`): the cases its
//! oracle command file ran, what the kernel sent, and the comparison of what
//! rvsd sent with it (`tests/py/golden_cmp.py`, scapy as the judge).

use super::{py, Rvsd, TempDir, EAL_TEST_ARGS};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

    /// `(case, real-server options)` from the oracle's command file, so the
    /// cases and their `-a` options have one source.
    pub fn runs(&self) -> Vec<(String, String)> {
        let cmd = std::fs::read_to_string(self.dir.join("oracle.cmd")).unwrap();
        let runs: Vec<(String, String)> = cmd
            .lines()
            .filter_map(|l| l.strip_prefix("run_case "))
            .map(|rest| {
                let (name, opts) = rest.split_once(' ').unwrap();
                (name.to_string(), opts.to_string())
            })
            .collect();
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

/// The frames in a classic pcap file (what net_pcap writes, as it writes).
pub fn pcap_frames(path: &Path) -> usize {
    let Ok(b) = std::fs::read(path) else {
        return 0;
    };
    let mut n = 0;
    let mut off = 24;
    while off + 16 <= b.len() {
        let len = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        if off + 16 + len > b.len() {
            break;
        }
        off += 16 + len;
        n += 1;
    }
    n
}

/// Runs rvsd wired as the oracle's §7.0 director, on net_pcap, for golden `case` with the
/// real server `dest` (`-a` options): it reads the outside and inside links' frames from
/// the pcaps `rx` and writes what it sends to DIR/CASE.{outside,inside}.pcap. Stops once
/// the kernel's number of frames is out on both links (and a moment more, for anything
/// extra); returns what rvsd printed at the stop.
pub fn run_director(
    dir: &TempDir,
    golden: &Golden,
    case: &str,
    dest: &str,
    rx: (&str, &str),
) -> String {
    let out = |side: &str| dir.path(&format!("{case}.{side}.pcap"));
    let (outside, inside) = (out("outside"), out("inside"));
    let (rx_out, rx_in) = rx;
    let cfg = format!(
        r#"{{"eal": [{EAL_TEST_ARGS}], "mbufs": 2047, "conn_table_size": 4096,
            "ports": [
              {{"device": "net_pcap0,rx_pcap={rx_out},tx_pcap={}", "addresses": ["198.51.100.2/24"],
                "neighbours": [{{"ip": "198.51.100.254", "mac": "02:00:00:00:00:fe"}}]}},
              {{"device": "net_pcap1,rx_pcap={rx_in},tx_pcap={}", "addresses": ["10.0.0.1/24"],
                "neighbours": [{{"ip": "10.0.0.11", "mac": "02:00:00:00:00:11"}},
                               {{"ip": "10.0.0.21", "mac": "02:00:00:00:00:21"}},
                               {{"ip": "10.0.0.254", "mac": "02:00:00:00:00:54"}}]}}],
            "routes": [{{"prefix": "0.0.0.0/0", "via": "198.51.100.254"}},
                       {{"prefix": "192.0.2.31/32", "via": "10.0.0.254"}}],
            "services": ["-A -t 198.51.100.1:80 -s rr",
                         "-a -t 198.51.100.1:80 -r {dest}"]}}"#,
        outside.display(),
        inside.display(),
    );
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
