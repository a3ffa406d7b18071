//! The EAL argument list rvsd builds from its configuration.

use crate::config::{Config, NO_TELEMETRY};

/// The configured EAL arguments plus: one `--vdev` or `-a` per port
/// (`--no-pci` when every port is a vdev, so host NICs stay untouched), a
/// `--file-prefix` unique to this process (several instances may run with
/// `--no-huge`), and `--lcores` unless the configuration chose lcores: the
/// main (control) lcore may float over every CPU, worker k is pinned; and
/// `--no-telemetry` when telemetry is switched off.
pub fn build(cfg: &Config, cpus: usize) -> Vec<String> {
    let mut args = cfg.eal.clone();
    let has = |names: &[&str]| cfg.eal.iter().any(|a| names.contains(&a.as_str()));
    for p in &cfg.ports {
        args.push(if p.is_vdev() { "--vdev" } else { "-a" }.into());
        args.push(p.device.clone());
    }
    if cfg.ports.iter().all(|p| p.is_vdev()) && !has(&["--no-pci"]) {
        args.push("--no-pci".into());
    }
    if !has(&["--file-prefix"]) {
        args.push("--file-prefix".into());
        args.push(file_prefix());
    }
    if !has(&["-l", "-c", "--lcores"]) {
        args.push("--lcores".into());
        args.push(lcores(cfg.workers, cpus));
    }
    if !cfg.telemetry() && !has(&[NO_TELEMETRY]) {
        args.push(NO_TELEMETRY.into());
    }
    args
}

/// What starts the `--file-prefix` rvsd uses when the configuration gives none.
const PREFIX: &str = "rvs-";

/// The `--file-prefix` rvsd uses when the configuration gives none: `rvs-PID`.
pub fn file_prefix() -> String {
    format!("{PREFIX}{}", std::process::id())
}

/// The process whose [`file_prefix`] `name` is, if it is one.
pub fn prefix_pid(name: &str) -> Option<u32> {
    let pid = name.strip_prefix(PREFIX)?;
    pid.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| pid.parse().ok())?
}

/// The `--file-prefix` in `args`.
pub fn given_prefix(args: &[String]) -> Option<&str> {
    let i = args.iter().position(|a| a == "--file-prefix")?;
    args.get(i + 1).map(String::as_str)
}

/// `0@(0-N),1@c1,2@c2...`: workers take the CPUs from the last one down, so
/// that on a small box the control thread and the first worker do not share
/// CPU 0, where the kernel's own work lands.
fn lcores(workers: u16, cpus: usize) -> String {
    let cpus = cpus.max(1);
    let mut s = format!("0@(0-{})", cpus - 1);
    for k in 1..=usize::from(workers) {
        let cpu = (cpus - (k % cpus)) % cpus;
        s.push_str(&format!(",{k}@{cpu}"));
    }
    s
}

#[cfg(test)]
mod test {
    use super::*;

    fn cfg(json: &str) -> Config {
        Config::parse(json).unwrap()
    }

    #[test]
    fn vdev_only_configs_get_no_pci_prefix_and_lcores() {
        let a = build(
            &cfg(r#"{"eal": ["--no-huge"], "ports": [{"device": "net_pcap0,rx_pcap=a.pcap"}]}"#),
            2,
        );
        assert_eq!(&a[..3], ["--no-huge", "--vdev", "net_pcap0,rx_pcap=a.pcap"]);
        assert!(a.contains(&"--no-pci".to_string()));
        let i = a.iter().position(|x| x == "--lcores").unwrap();
        assert_eq!(a[i + 1], "0@(0-1),1@1");
        assert!(a.iter().any(|x| x.starts_with("rvs-")));
    }

    #[test]
    fn pci_ports_are_allowed_and_explicit_choices_kept() {
        let a = build(
            &cfg(
                r#"{"eal": ["-l", "0-2", "--file-prefix", "x"], "workers": 2,
                     "ports": [{"device": "0000:01:00.0"}]}"#,
            ),
            4,
        );
        assert_eq!(a, ["-l", "0-2", "--file-prefix", "x", "-a", "0000:01:00.0"]);
    }

    #[test]
    fn prefixes_name_their_process() {
        assert_eq!(prefix_pid(&file_prefix()), Some(std::process::id()));
        assert_eq!(prefix_pid("rvs-12"), Some(12));
        for other in [
            "rvs-bench-gen",
            "rvs-",
            "rvs-+1",
            "rvs-99999999999",
            "rte",
            "x-rvs-1",
        ] {
            assert_eq!(prefix_pid(other), None, "{other}");
        }
        let args = build(&cfg(r#"{"ports": [{"device": "net_null0"}]}"#), 1);
        assert_eq!(given_prefix(&args), Some(file_prefix().as_str()));
        assert_eq!(given_prefix(&["--file-prefix".into()]), None);
    }

    #[test]
    fn telemetry_off_closes_dpdks_socket() {
        let no_telemetry = |json: &str| {
            let a = build(&cfg(json), 2);
            a.iter().filter(|x| *x == NO_TELEMETRY).count()
        };
        let port = r#""ports": [{"device": "net_null0"}]"#;
        assert_eq!(no_telemetry(&format!(r#"{{{port}}}"#)), 0);
        assert_eq!(
            no_telemetry(&format!(r#"{{{port}, "telemetry": false}}"#)),
            1
        );
        let both = format!(r#"{{{port}, "telemetry": false, "eal": ["--no-telemetry"]}}"#);
        assert_eq!(no_telemetry(&both), 1);
    }

    #[test]
    fn workers_fill_cpus_from_the_top() {
        assert_eq!(lcores(2, 2), "0@(0-1),1@1,2@0");
        assert_eq!(lcores(3, 4), "0@(0-3),1@3,2@2,3@1");
        assert_eq!(lcores(1, 1), "0@(0-0),1@0");
    }
}
