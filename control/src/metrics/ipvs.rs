//! The IPVS series: node_exporter's (`collector/ipvs_linux.go`), named, labelled and valued
//! as it derives them from `/proc/net/ip_vs_stats` and `/proc/net/ip_vs`, so that dashboards
//! built on it work unchanged; and rvs's per-service and per-real-server counters with the
//! same labels (`rvs_ipvs_service_*`, `rvs_ipvs_backend_*`). The values are the listings'
//! (`--stats`, `-Ln`): the totals lag by up to one estimation period, as Linux's do.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::family::Family;
use crate::ipvsadm::command::ServiceKey;
use crate::ipvsadm::{Counters, LiveCounters};
use crate::model::Service;

/// The five totals in `Counters` order: each series' name after its prefix, and node_exporter's
/// help.
const TOTALS: [(&str, &str); 5] = [
    ("connections_total", "The total number of connections made"),
    (
        "incoming_packets_total",
        "The total number of incoming packets",
    ),
    (
        "outgoing_packets_total",
        "The total number of outgoing packets",
    ),
    ("incoming_bytes_total", "The total amount of incoming data"),
    ("outgoing_bytes_total", "The total amount of outgoing data"),
];

/// A virtual service as node_exporter labels it: procfs reads `/proc/net/ip_vs`, where a
/// fwmark service is `FWM  %08X` (no address: Go's nil address prints as "", port 0).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Local {
    address: String,
    port: String,
    proto: &'static str,
    mark: String,
}

impl Local {
    fn of(key: &ServiceKey) -> Local {
        match *key {
            ServiceKey::Addr { proto, addr, port } => Local {
                address: address(addr),
                port: port.to_string(),
                proto: proto.list_name(),
                mark: String::new(),
            },
            ServiceKey::Fwmark { mark, .. } => Local {
                address: String::new(),
                port: "0".into(),
                proto: "FWM",
                mark: format!("{mark:08X}"),
            },
        }
    }

    fn labels(&self) -> [(&str, &str); 4] {
        [
            ("local_address", &self.address),
            ("local_port", &self.port),
            ("proto", self.proto),
            ("local_mark", &self.mark),
        ]
    }
}

/// A real server of a service, labelled as node_exporter's backends, in its label order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Backend {
    local: Local,
    address: String,
    port: String,
}

impl Backend {
    fn labels(&self) -> [(&str, &str); 6] {
        let l = &self.local;
        [
            ("local_address", &l.address),
            ("local_port", &l.port),
            ("remote_address", &self.address),
            ("remote_port", &self.port),
            ("proto", l.proto),
            ("local_mark", &l.mark),
        ]
    }
}

/// As Go's `net.IP.String()`: an IPv4-mapped IPv6 address in its IPv4 form.
fn address(a: IpAddr) -> String {
    a.to_canonical().to_string()
}

#[derive(Default)]
struct BackendValues {
    active: u64,
    inactive: u64,
    weight: u64,
    counters: [u64; 5],
}

/// Every IPVS series of `services` (the model's, read through `live`), with `total` the
/// counters of everything ever served (`Stats::total_counters`). Objects whose labels
/// coincide (an IPv4 and an IPv6 fwmark service of one mark sharing a real server) are
/// summed, as node_exporter sums them.
pub fn families(services: &[Service], live: &dyn LiveCounters, total: Counters) -> Vec<Family> {
    let mut by_service: BTreeMap<Local, [u64; 5]> = BTreeMap::new();
    let mut by_backend: BTreeMap<Backend, BackendValues> = BTreeMap::new();
    for svc in services {
        let local = Local::of(&svc.spec.key);
        add(
            by_service.entry(local.clone()).or_default(),
            live.service_stats(svc.id),
        );
        for d in &svc.dests {
            let key = Backend {
                local: local.clone(),
                address: address(d.spec.addr),
                port: d.spec.port.to_string(),
            };
            let v = by_backend.entry(key).or_default();
            let (active, inactive) = live.conns(d.slot);
            v.active += u64::from(active);
            v.inactive += u64::from(inactive);
            v.weight += u64::from(d.spec.weight);
            add(&mut v.counters, live.dest_stats(d.slot));
        }
    }
    let mut out: Vec<Family> = TOTALS
        .iter()
        .zip(total.0)
        .map(|(&(name, help), n)| {
            Family::counter(&format!("node_ipvs_{name}"), &format!("{help}.")).single(n)
        })
        .collect();
    out.extend(backend_gauges(&by_backend));
    out.extend(TOTALS.iter().enumerate().map(|(i, &(name, help))| {
        let mut f = Family::counter(
            &format!("rvs_ipvs_service_{name}"),
            &format!("{help}, by virtual service."),
        );
        by_service
            .iter()
            .for_each(|(l, c)| f.sample(&l.labels(), c[i]));
        f
    }));
    out.extend(TOTALS.iter().enumerate().map(|(i, &(name, help))| {
        let mut f = Family::counter(
            &format!("rvs_ipvs_backend_{name}"),
            &format!("{help}, by local and remote address."),
        );
        by_backend
            .iter()
            .for_each(|(b, v)| f.sample(&b.labels(), v.counters[i]));
        f
    }));
    out
}

fn add(sum: &mut [u64; 5], Counters(c): Counters) {
    sum.iter_mut()
        .zip(c)
        .for_each(|(s, n)| *s = s.wrapping_add(n));
}

/// node_exporter's three gauges per real server.
fn backend_gauges(backends: &BTreeMap<Backend, BackendValues>) -> [Family; 3] {
    let mut active = Family::gauge(
        "node_ipvs_backend_connections_active",
        "The current active connections by local and remote address.",
    );
    let mut inactive = Family::gauge(
        "node_ipvs_backend_connections_inactive",
        "The current inactive connections by local and remote address.",
    );
    let mut weight = Family::gauge(
        "node_ipvs_backend_weight",
        "The current backend weight by local and remote address.",
    );
    for (b, v) in backends {
        let labels = b.labels();
        active.sample(&labels, v.active);
        inactive.sample(&labels, v.inactive);
        weight.sample(&labels, v.weight);
    }
    [active, inactive, weight]
}

#[cfg(test)]
mod test {
    use super::super::family::encode;
    use super::*;
    use crate::ipvsadm::parse::parse;
    use crate::model::Model;

    /// Slot `s` has s+1 active and 2s inactive connections and made s+1 connections; service
    /// `id` made 10·id.
    struct Fake;

    impl LiveCounters for Fake {
        fn conns(&self, slot: u32) -> (u32, u32) {
            (slot + 1, 2 * slot)
        }
        fn table_size(&self) -> u32 {
            4096
        }
        fn dest_stats(&self, slot: u32) -> Counters {
            Counters([u64::from(slot) + 1, 5, 4, 300, 200])
        }
        fn service_stats(&self, id: u64) -> Counters {
            Counters([10 * id, 50, 40, 3000, 2000])
        }
    }

    fn scrape(lines: &[&str]) -> String {
        let mut model = Model::new(4096);
        for line in lines {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            model.apply(&parse("ipvsadm", &words).unwrap()).unwrap();
        }
        encode(families(model.services(), &Fake, Counters([1, 2, 3, 4, 5])))
    }

    /// Labels and values as node_exporter renders `/proc/net/ip_vs`: protocol names in
    /// capitals, decimal ports, a fwmark service as FWM with its mark in 8 hex digits and no
    /// address, Go's address forms.
    #[test]
    fn labels_follow_node_exporter() {
        let text = scrape(&[
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3",
            "-A -f 42 -s rr",
            "-a -f 42 -r 10.0.1.2 -m",
            "-A -u [2001:db8::1]:53 -s rr",
            "-a -u [2001:db8::1]:53 -r [2001:db8:1::1]:53 -m",
        ]);
        let tcp = r#"{local_address="10.0.0.1",local_port="80",remote_address="10.0.1.1",remote_port="8080",proto="TCP",local_mark=""}"#;
        let fwm = r#"{local_address="",local_port="0",remote_address="10.0.1.2",remote_port="0",proto="FWM",local_mark="0000002A"}"#;
        let udp6 = r#"{local_address="2001:db8::1",local_port="53",remote_address="2001:db8:1::1",remote_port="53",proto="UDP",local_mark=""}"#;
        for want in [
            "# HELP node_ipvs_connections_total The total number of connections made.".to_string(),
            "# TYPE node_ipvs_connections_total counter".into(),
            "node_ipvs_connections_total 1".into(),
            "node_ipvs_outgoing_bytes_total 5".into(),
            "# TYPE node_ipvs_backend_weight gauge".into(),
            format!("node_ipvs_backend_weight{tcp} 3"),
            format!("node_ipvs_backend_connections_active{tcp} 1"),
            format!("node_ipvs_backend_connections_inactive{fwm} 2"),
            format!("node_ipvs_backend_connections_active{udp6} 3"),
            format!("rvs_ipvs_backend_connections_total{fwm} 2"),
            format!("rvs_ipvs_backend_incoming_bytes_total{udp6} 300"),
            r#"rvs_ipvs_service_connections_total{local_address="",local_port="0",proto="FWM",local_mark="0000002A"} 20"#.into(),
            r#"rvs_ipvs_service_outgoing_packets_total{local_address="10.0.0.1",local_port="80",proto="TCP",local_mark=""} 40"#.into(),
        ] {
            assert!(text.lines().any(|l| l == want), "{want}\n{text}");
        }
    }

    #[test]
    fn no_service_leaves_the_totals_alone() {
        let text = scrape(&[]);
        let names: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            names,
            TOTALS.map(|(n, _)| format!("node_ipvs_{n}")),
            "{text}"
        );
    }
}
