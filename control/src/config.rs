//! rvsd's JSON configuration: EAL arguments, ports with their addresses and
//! static neighbours, routes, workers and their idle backoff, table sizes, the admin
//! socket, the metrics endpoint and the initial services (ipvsadm command lines).

use dataplane::idle::IdleBackoff;
use dataplane::mark::{MarkRule, Marks};
use dataplane::neigh::NeighAddr;
use dataplane::shared::Net;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_SOCKET: &str = "/run/rvs/rvs.sock";
/// The EAL argument that keeps DPDK's telemetry socket closed.
pub const NO_TELEMETRY: &str = "--no-telemetry";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Extra EAL arguments (`--no-huge`, `-m 512`, ...). rvsd adds the
    /// devices, `--lcores` (unless given here) and a unique `--file-prefix`.
    #[serde(default)]
    pub eal: Vec<String>,
    pub ports: Vec<PortSpec>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Worker lcores; each owns one RX and one TX queue of every port.
    #[serde(default = "one")]
    pub workers: u16,
    /// Whether and how idle workers pause (`dataplane::idle`): `true` (the defaults),
    /// `{"idle_us": 100, "max_pause_us": 250}` (either key may be left out), or `false`.
    /// None (busy-polling) when absent.
    #[serde(default, deserialize_with = "idle_backoff")]
    pub idle_backoff: Option<IdleBackoff>,
    /// Packet buffers in the pool shared by all ports.
    #[serde(default = "default_mbufs")]
    pub mbufs: u32,
    /// Connection-table capacity (IPv4 entries).
    #[serde(default = "default_conn_table")]
    pub conn_table_size: u32,
    /// IPv6 connection-table capacity; a quarter of `conn_table_size` when absent.
    #[serde(default)]
    pub conn_table_size_v6: Option<u32>,
    #[serde(default = "default_socket")]
    pub socket: PathBuf,
    /// Initial services, as ipvsadm command lines (`-A -t VIP:80 -s rr`).
    #[serde(default)]
    pub services: Vec<String>,
    /// Diagnostic L2 forwarding (benchmarks only): every frame received on
    /// port i leaves on port i^1 with its MAC addresses swapped.
    #[serde(default)]
    pub l2fwd: bool,
    /// Which traffic carries which firewall mark, for `-f` services (in place of the
    /// netfilter MARK rules of a Linux director); tried in order.
    #[serde(default)]
    pub marks: Vec<MarkSpec>,
    /// DPDK's telemetry socket, with rvs's `/rvs/...` commands on it. DPDK opens the socket
    /// unless told `--no-telemetry`, so on by default; `false` adds that argument.
    #[serde(default)]
    pub telemetry: Option<bool>,
    /// Where to serve Prometheus metrics over HTTP (`"127.0.0.1:9110"`, `"[::1]:9110"`):
    /// an address and a port, no name. None when absent.
    #[serde(default, deserialize_with = "metrics_address")]
    pub metrics: Option<SocketAddr>,
}

/// `{"mark": 1, "proto": "tcp", "dst": "10.0.1.100", "ports": ["80", "443", "8000-8100"]}`:
/// packets of `proto` to `dst` (an address or a prefix) on one of `ports` (all when none
/// are given) carry `mark`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkSpec {
    pub mark: u32,
    pub proto: String,
    pub dst: String,
    #[serde(default)]
    pub ports: Vec<String>,
}

impl MarkSpec {
    fn rule(&self) -> Result<MarkRule, String> {
        let bad = |what: &str| format!("mark {}: bad {what}", self.mark);
        let proto = match self.proto.as_str() {
            "tcp" => 6,
            "udp" => 17,
            _ => return Err(bad("proto (tcp or udp)")),
        };
        let (prefix, len) = match self.dst.contains('/') {
            true => parse_prefix(&self.dst)?,
            false => {
                let a: IpAddr = self.dst.parse().map_err(|_| bad("dst"))?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let ports = self
            .ports
            .iter()
            .map(|p| port_range(p).ok_or_else(|| bad("port range")))
            .collect::<Result<_, _>>()?;
        if self.mark == 0 {
            return Err(bad("mark (0 is no mark)"));
        }
        Ok(MarkRule {
            mark: self.mark,
            proto,
            prefix,
            len,
            ports,
        })
    }
}

/// `"metrics"`: serde's own message for a bad address does not name the setting.
fn metrics_address<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "metrics: {text:?} is not an address and port (127.0.0.1:9110, [::1]:9110)"
        ))
    })
}

/// The longest idle time before pausing `idle_backoff` takes: past a second, the backoff
/// would hardly ever start.
const MAX_IDLE_US: u64 = 1_000_000;
/// The longest pause `idle_backoff` takes: during 10 ms a 1024-descriptor RX ring overflows
/// from 100 kpps on, and the first frame after a quiet spell already waits as long as a
/// round trip across a country.
const MAX_PAUSE_US: u64 = 10_000;

/// `"idle_backoff"`'s object form, in microseconds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdleBackoffUs {
    idle_us: Option<u64>,
    max_pause_us: Option<u64>,
}

/// `"idle_backoff"`: `true`, `false` or an [`IdleBackoffUs`], with each time in its range;
/// every message names the key.
fn idle_backoff<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<IdleBackoff>, D::Error> {
    let bad = |why: String| serde::de::Error::custom(format!("idle_backoff: {why}"));
    let us = match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(on) => return Ok(on.then(IdleBackoff::default)),
        v @ serde_json::Value::Object(_) => {
            serde_json::from_value::<IdleBackoffUs>(v).map_err(|e| bad(e.to_string()))?
        }
        v => {
            let want = r#"true, false or {"idle_us": N, "max_pause_us": N}"#;
            return Err(bad(format!("{v} is not {want}")));
        }
    };
    let default = IdleBackoff::default();
    let within = |key: &str, given: Option<u64>, default: Duration, range: (u64, u64)| {
        let Some(n) = given else { return Ok(default) };
        match (range.0..=range.1).contains(&n) {
            true => Ok(Duration::from_micros(n)),
            false => Err(bad(format!(
                "{key} {n} is outside {}..={}",
                range.0, range.1
            ))),
        }
    };
    Ok(Some(IdleBackoff {
        idle: within("idle_us", us.idle_us, default.idle, (0, MAX_IDLE_US))?,
        max_pause: within(
            "max_pause_us",
            us.max_pause_us,
            default.max_pause,
            (1, MAX_PAUSE_US),
        )?,
    }))
}

/// `80` or `8000-8100` → an inclusive range.
fn port_range(s: &str) -> Option<(u16, u16)> {
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let (lo, hi): (u16, u16) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
    (lo <= hi).then_some((lo, hi))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortSpec {
    /// A PCI address (`0000:01:00.0`) or a vdev string
    /// (`net_af_packet0,iface=veth0`).
    pub device: String,
    /// Own addresses with prefix (`10.0.1.1/24`).
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub neighbours: Vec<NeighbourSpec>,
    /// IP MTU of the link: the route MTU for the MTU checks of ipvs-forwarding §3.0.
    #[serde(default = "default_mtu")]
    pub mtu: u16,
    /// The port's 802.1Q VLAN (1..=4094): every frame in and out carries its tag. Absent:
    /// untagged, tagged frames are dropped.
    #[serde(default)]
    pub vlan: Option<u16>,
    /// Takes frames unicast to any MAC (the NIC opened promiscuous, no destination check);
    /// otherwise only its own MAC's, broadcast ARP and multicast Neighbour Discovery.
    #[serde(default)]
    pub promiscuous: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourSpec {
    pub ip: IpAddr,
    pub mac: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Destination prefix (`0.0.0.0/0` for the default route).
    pub prefix: String,
    /// Next hop; absent for a directly connected prefix.
    #[serde(default)]
    pub via: Option<IpAddr>,
}

/// The IPv4 minimum (RFC 791) and the largest jumbo frame NICs take.
const MIN_MTU: u16 = 68;
const MAX_MTU: u16 = 9702;
/// The VLAN IDs a port may have: 0 is a priority tag, 4095 reserved (IEEE 802.1Q).
const VLANS: std::ops::RangeInclusive<u16> = 1..=4094;

fn one() -> u16 {
    1
}
fn default_mbufs() -> u32 {
    8191
}
fn default_conn_table() -> u32 {
    1 << 20
}
fn default_mtu() -> u16 {
    dataplane::shared::DEFAULT_MTU
}
fn default_socket() -> PathBuf {
    PathBuf::from(DEFAULT_SOCKET)
}

/// Where rvsd's configuration comes from: its file, and the `--socket` of the command line,
/// which wins over the file's. Read at start and again by every reload.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub socket: Option<PathBuf>,
}

impl ConfigFile {
    pub fn load(&self) -> Result<Config, String> {
        let mut cfg = Config::load(&self.path)?;
        if let Some(s) = &self.socket {
            cfg.socket = s.clone();
        }
        Ok(cfg)
    }
}

impl Config {
    /// The IPv6 connection-table capacity (see `conn_table_size_v6`).
    pub fn conn_table_size_v6(&self) -> u32 {
        self.conn_table_size_v6
            .unwrap_or(self.conn_table_size / 4)
            .max(u32::from(self.workers))
    }

    /// Whether DPDK's telemetry socket is kept: the `telemetry` switch, or unless `eal`
    /// says `--no-telemetry` when the switch is absent.
    pub fn telemetry(&self) -> bool {
        self.telemetry.unwrap_or(!self.eal_says_no_telemetry())
    }

    fn eal_says_no_telemetry(&self) -> bool {
        self.eal.iter().any(|a| a == NO_TELEMETRY)
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = serde_json::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), String> {
        if self.ports.is_empty() {
            return Err("no ports configured".into());
        }
        if self.workers == 0 {
            return Err("workers must be at least 1".into());
        }
        self.validate_tables()?;
        for p in &self.ports {
            if !(MIN_MTU..=MAX_MTU).contains(&p.mtu) {
                return Err(format!(
                    "{}: mtu {} is outside {MIN_MTU}..={MAX_MTU}",
                    p.device, p.mtu
                ));
            }
            if let Some(vlan) = p.vlan.filter(|v| !VLANS.contains(v)) {
                return Err(format!(
                    "{}: vlan {vlan} is outside {}..={}",
                    p.device,
                    VLANS.start(),
                    VLANS.end()
                ));
            }
            for a in &p.addresses {
                parse_prefix(a)?;
            }
            for n in &p.neighbours {
                parse_mac(&n.mac)?;
            }
        }
        for r in &self.routes {
            parse_prefix(&r.prefix)?;
        }
        if self.telemetry == Some(true) && self.eal_says_no_telemetry() {
            return Err(format!("\"telemetry\": true, but eal has {NO_TELEMETRY}"));
        }
        Ok(())
    }
}

/// The largest connection table: 2^28 entries (20 GiB of IPv4 entries).
const MAX_CONN_TABLE: u32 = 1 << 28;

impl Config {
    /// Each worker owns a share of each connection table: at least one entry each, and a
    /// size that can be allocated.
    fn validate_tables(&self) -> Result<(), String> {
        let workers = u32::from(self.workers);
        let given = [
            ("conn_table_size", Some(self.conn_table_size)),
            ("conn_table_size_v6", self.conn_table_size_v6),
        ];
        for (key, size) in given.into_iter().filter_map(|(k, s)| Some((k, s?))) {
            if size < workers || size > MAX_CONN_TABLE {
                return Err(format!(
                    "{key} {size}: must be from the worker count ({workers}) to {MAX_CONN_TABLE}"
                ));
            }
        }
        Ok(())
    }
}

impl PortSpec {
    /// Whether the device is a vdev (`net_*`), as opposed to a PCI address.
    pub fn is_vdev(&self) -> bool {
        self.device.starts_with("net_")
    }

    /// The name EAL gives the probed port: the vdev name before its first
    /// comma, or the PCI address.
    pub fn eal_name(&self) -> &str {
        self.device.split(',').next().unwrap_or(&self.device)
    }
}

/// `a.b.c.d/len` → (address, prefix length).
pub fn parse_prefix(s: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("bad prefix {s:?} (want a.b.c.d/len or an IPv6 address/len)");
    let (addr, len) = s.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(bad());
    }
    Ok((addr, len))
}

impl Config {
    /// Everything `rvsd --check-config` checks without starting EAL: what [`Config::parse`]
    /// checks, the ports' addressing and routes, the mark rules, and the services through
    /// the service model (as at start).
    pub fn check(&self) -> Result<(), String> {
        self.nets()?;
        self.marks()?;
        crate::reload::target(&self.services, self.conn_table_size).map(drop)
    }

    /// Whether `new` differs from this configuration only in what a reload applies: the
    /// services and the mark rules.
    pub fn only_reloadable_changes(&self, new: &Config) -> bool {
        let kept = Config {
            services: new.services.clone(),
            marks: new.marks.clone(),
            ..self.clone()
        };
        kept == *new
    }

    /// The mark rules, in order.
    pub fn marks(&self) -> Result<Marks, String> {
        let rules = self
            .marks
            .iter()
            .map(MarkSpec::rule)
            .collect::<Result<_, _>>()?;
        Ok(Marks::new(rules))
    }

    /// The ports' addressing, family by family: own addresses, routes and static neighbours.
    pub fn nets(&self) -> Result<(Net<Ipv4Addr>, Net<Ipv6Addr>), String> {
        Ok((self.net()?, self.net()?))
    }

    /// The addressing of family `A`; the entries of the other family are the other's.
    fn net<A: NeighAddr>(&self) -> Result<Net<A>, String> {
        let mut addrs = Vec::new();
        for p in &self.ports {
            let mut own = Vec::new();
            for a in &p.addresses {
                let (ip, len) = parse_prefix(a)?;
                own.extend(A::from_ip(ip).map(|ip| (ip, len)));
            }
            addrs.push(own);
        }
        let mut gateways = Vec::new();
        for r in &self.routes {
            let (net, len) = parse_prefix(&r.prefix)?;
            let Some(net) = A::from_ip(net) else { continue };
            match r.via.map(A::from_ip) {
                Some(Some(via)) => gateways.push((net, len, via)),
                Some(None) => return Err(format!("route {}: via of another family", r.prefix)),
                None => log::warn!(
                    "route {} without via ignored: connected prefixes come from the ports",
                    r.prefix
                ),
            }
        }
        let net = Net::new(addrs, &gateways)?;
        for (port, p) in self.ports.iter().enumerate() {
            for n in &p.neighbours {
                if let Some(ip) = A::from_ip(n.ip) {
                    let mac = parse_mac(&n.mac)?;
                    net.add_static(port, ip, mac)
                        .map_err(|e| format!("{}: {e}", p.device))?;
                }
            }
        }
        Ok(net)
    }
}

/// `aa:bb:cc:dd:ee:ff` → bytes.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || format!("bad MAC address {s:?}");
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut mac {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != 2 {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(mac)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn parses_a_full_config_with_defaults() {
        let cfg = Config::parse(
            r#"{"eal": ["--no-huge"], "ports": [
                {"device": "net_af_packet0,iface=v0", "addresses": ["10.0.1.1/24"],
                 "neighbours": [{"ip": "10.0.1.2", "mac": "02:00:00:00:00:02"}]},
                {"device": "0000:01:00.0"}],
               "routes": [{"prefix": "0.0.0.0/0", "via": "10.0.1.254"}]}"#,
        )
        .unwrap();
        assert_eq!(cfg.workers, 1);
        assert_eq!(cfg.conn_table_size, 1 << 20);
        assert_eq!(cfg.socket, PathBuf::from(DEFAULT_SOCKET));
        assert!(cfg.ports[0].is_vdev());
        assert_eq!(cfg.ports[0].eal_name(), "net_af_packet0");
        assert!(!cfg.ports[1].is_vdev());
        assert_eq!(cfg.ports[1].eal_name(), "0000:01:00.0");
    }

    #[test]
    fn ports_are_untagged_and_not_promiscuous_unless_told() {
        let ports = |json: &str| {
            let cfg = Config::parse(&format!(r#"{{"ports": [{json}]}}"#))?;
            let p = &cfg.ports[0];
            Ok::<_, String>((p.vlan, p.promiscuous))
        };
        assert_eq!(ports(r#"{"device": "net_null0"}"#), Ok((None, false)));
        assert_eq!(
            ports(r#"{"device": "net_null0", "vlan": 4094, "promiscuous": true}"#),
            Ok((Some(4094), true))
        );
        let vlan = |v: &str| ports(&format!(r#"{{"device": "net_null0", "vlan": {v}}}"#));
        for reserved in ["0", "4095"] {
            let err = vlan(reserved).unwrap_err();
            let want = format!("net_null0: vlan {reserved} is outside 1..=4094");
            assert_eq!(err, want);
        }
        for bad in ["-1", "65536", "\"100\""] {
            assert!(vlan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            r#"{"ports": []}"#,
            r#"{"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}]}"#,
            r#"{"ports": [{"device": "net_null0", "addresses": ["10.0.0.1/33"]}]}"#,
            r#"{"ports": [{"device": "net_null0", "neighbours": [{"ip": "1.2.3.4", "mac": "02:00"}]}]}"#,
            r#"{"ports": [{"device": "net_null0"}], "workers": 0}"#,
            r#"{"ports": [{"device": "net_null0"}], "unknown": 1}"#,
            r#"{"ports": [{"device": "net_null0"}], "telemetry": true, "eal": ["--no-telemetry"]}"#,
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    fn with(extra: &str) -> Result<Config, String> {
        Config::parse(&format!(
            r#"{{"ports": [{{"device": "net_null0", "addresses": ["10.0.0.1/24"]}}] {extra}}}"#
        ))
    }

    /// A table every worker has a share of, and one that can be allocated; checked when the
    /// file is read, before EAL or any port starts.
    #[test]
    fn connection_tables_are_checked_before_anything_starts() {
        for bad in [
            r#", "conn_table_size": 0"#,
            r#", "workers": 4, "conn_table_size": 3"#,
            r#", "workers": 4, "conn_table_size": 64, "conn_table_size_v6": 2"#,
            r#", "conn_table_size": 4294967295"#,
        ] {
            let err = with(bad).unwrap_err();
            assert!(err.starts_with("conn_table_size"), "{bad}: {err}");
        }
        assert!(with(r#", "workers": 2, "conn_table_size": 8"#).is_ok());
    }

    #[test]
    fn check_takes_routes_marks_and_services_through_their_code() {
        let good = r#", "services": ["-A -f 1 -s rr", "-a -f 1 -r 10.0.0.2 -m"],
            "marks": [{"mark": 1, "proto": "tcp", "dst": "10.0.0.100", "ports": ["80"]}]"#;
        assert_eq!(with(good).unwrap().check(), Ok(()));
        for (bad, why) in [
            (
                r#", "services": ["-A -t 10.0.0.100:80 -s nosuch"]"#,
                "not found",
            ),
            (
                r#", "services": ["-a -t 10.0.0.100:80 -r 10.0.0.2"]"#,
                "line 1 failed",
            ),
            (
                r#", "marks": [{"mark": 1, "proto": "icmp", "dst": "10.0.0.1"}]"#,
                "proto",
            ),
            (
                r#", "routes": [{"prefix": "0.0.0.0/0", "via": "2001:db8::1"}]"#,
                "family",
            ),
        ] {
            let err = with(bad).unwrap().check().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    /// A static neighbour belongs to its port: off the port's prefixes, or more than its
    /// table holds, the configuration is refused (never silently dropped).
    #[test]
    fn static_neighbours_must_be_on_their_port_and_fit() {
        let neighbours = |ips: &mut dyn Iterator<Item = String>| {
            let list: Vec<String> = ips
                .map(|ip| format!(r#"{{"ip": "{ip}", "mac": "02:00:00:00:00:02"}}"#))
                .collect();
            format!(
                r#"{{"ports": [{{"device": "net_null0", "addresses": ["10.0.0.1/16"],
                    "neighbours": [{}]}}]}}"#,
                list.join(", ")
            )
        };
        let one = |ip: &str| Config::parse(&neighbours(&mut std::iter::once(ip.into())));
        assert_eq!(one("10.0.200.2").unwrap().check(), Ok(()));
        let err = one("10.1.0.2").unwrap().check().unwrap_err();
        assert!(
            err.contains("10.1.0.2 of port 0 is not on one of its prefixes"),
            "{err}"
        );
        let many = (0..5000u32).map(|i| format!("10.0.{}.{}", 100 + i / 250, 1 + i % 250));
        let err = Config::parse(&neighbours(&mut many.into_iter()))
            .unwrap()
            .check()
            .unwrap_err();
        assert!(err.contains("does not fit in its table"), "{err}");
    }

    #[test]
    fn only_services_and_marks_are_reloadable() {
        let cfg = with("").unwrap();
        let marks = r#", "marks": [{"mark": 2, "proto": "udp", "dst": "10.0.0.0/24"}]"#;
        let services = r#", "services": ["-A -t 10.0.0.100:80"]"#;
        for new in [services, marks] {
            assert!(cfg.only_reloadable_changes(&with(new).unwrap()), "{new}");
        }
        for new in [
            r#", "workers": 2"#,
            r#", "idle_backoff": true"#,
            r#", "routes": [{"prefix": "10.9.0.0/16", "via": "10.0.0.254"}]"#,
        ] {
            assert!(!cfg.only_reloadable_changes(&with(new).unwrap()), "{new}");
        }
    }

    #[test]
    fn telemetry_follows_dpdk_unless_switched() {
        let telemetry = |extra: &str| {
            let json = format!(r#"{{"ports": [{{"device": "net_null0"}}]{extra}}}"#);
            Config::parse(&json).unwrap().telemetry()
        };
        assert!(telemetry(""));
        assert!(!telemetry(r#", "eal": ["--no-telemetry"]"#));
        assert!(!telemetry(r#", "telemetry": false"#));
        assert!(telemetry(r#", "telemetry": true"#));
    }

    #[test]
    fn metrics_is_off_unless_given_an_address_and_port() {
        assert_eq!(with("").unwrap().metrics, None);
        let addr = |a: &str| with(&format!(r#", "metrics": "{a}""#)).map(|c| c.metrics);
        assert_eq!(
            addr("127.0.0.1:9110"),
            Ok(Some("127.0.0.1:9110".parse().unwrap()))
        );
        assert_eq!(addr("[::1]:9110"), Ok(Some("[::1]:9110".parse().unwrap())));
        for bad in ["localhost:9110", "127.0.0.1", "127.0.0.1:99999", ""] {
            let err = addr(bad).unwrap_err();
            assert!(err.contains("is not an address and port"), "{bad}: {err}");
        }
    }

    /// Off unless asked; `true` takes the defaults, an object sets either time; each time
    /// checked against its range and every mistake named, before anything starts.
    #[test]
    fn idle_backoff_is_off_unless_asked_and_its_times_are_checked() {
        let backoff = |v: &str| with(&format!(r#", "idle_backoff": {v}"#)).map(|c| c.idle_backoff);
        let us = Duration::from_micros;
        assert_eq!(with("").unwrap().idle_backoff, None);
        assert_eq!(backoff("false"), Ok(None));
        assert_eq!(backoff("true"), Ok(Some(IdleBackoff::default())));
        assert_eq!(
            backoff(r#"{"idle_us": 0, "max_pause_us": 10000}"#),
            Ok(Some(IdleBackoff {
                idle: us(0),
                max_pause: us(10_000)
            }))
        );
        assert_eq!(
            backoff(r#"{"max_pause_us": 1}"#),
            Ok(Some(IdleBackoff {
                idle: IdleBackoff::default().idle,
                max_pause: us(1)
            }))
        );
        for (bad, why) in [
            (
                r#"{"max_pause_us": 0}"#,
                "max_pause_us 0 is outside 1..=10000",
            ),
            (
                r#"{"max_pause_us": 10001}"#,
                "max_pause_us 10001 is outside",
            ),
            (
                r#"{"idle_us": 1000001}"#,
                "idle_us 1000001 is outside 0..=1000000",
            ),
            (r#"{"idle_us": -1}"#, "invalid value"),
            (r#"{"pause_us": 5}"#, "unknown field `pause_us`"),
            ("1", "1 is not true, false or"),
            (r#""on""#, r#""on" is not true, false or"#),
        ] {
            let err = backoff(bad).unwrap_err();
            assert!(
                err.contains(&format!("idle_backoff: {why}")),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn mac_and_prefix_parsing() {
        assert_eq!(
            parse_mac("02:0a:ff:00:00:01").unwrap(),
            [2, 10, 255, 0, 0, 1]
        );
        assert!(parse_mac("02:0a:ff:00:00:01:07").is_err());
        assert!(parse_mac("2:0a:ff:00:00:01").is_err());
        assert_eq!(
            parse_prefix("0.0.0.0/0").unwrap(),
            (Ipv4Addr::UNSPECIFIED.into(), 0)
        );
        assert_eq!(
            parse_prefix("2001:db8:a::1/64").unwrap(),
            ("2001:db8:a::1".parse().unwrap(), 64)
        );
        assert!(parse_prefix("2001:db8::/129").is_err());
        assert!(parse_prefix("10.0.0.0/33").is_err());
    }
}
