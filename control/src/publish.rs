//! Model → data-plane snapshot. The control thread builds a new immutable
//! snapshot after every change and swaps it in; workers pick it up at their
//! next burst.

use crate::ipvsadm::command::{
    Method, Protocol, ServiceKey as CmdKey, Tunnel, TunnelCsum, TunnelType,
};
use crate::model::{Service as ModelService, State};
use dataplane::dest::{self, DestParams, DestTable, TunCsum, TunKind};
use dataplane::service::{Dest, Service, ServiceKey, Snapshot};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Gives each service content a version, so that workers keep scheduler
/// cursors of services that did not change (see `sched::cursors`), and keeps
/// the parameters of deleted real servers while connections still use them.
#[derive(Default)]
pub struct Publisher {
    versions: HashMap<ServiceKey, (u64, u64)>,
    next: u64,
    /// Every real server of the last snapshot (trash included), by slot.
    published: HashMap<u32, DestParams>,
}

impl Publisher {
    /// The snapshot for `state`. Services the data plane cannot forward yet
    /// (fwmark, SCTP) are left out with a warning: the model keeps them and
    /// listings show them. A real server gone from the model stays in the
    /// snapshot while `counters` say connections still count on it (the
    /// trash, ipvs-schedulers §8): they keep being forwarded to it.
    pub fn snapshot(&mut self, state: &State, counters: &DestTable) -> Snapshot {
        let mut versions = HashMap::new();
        let services: Vec<Service> = state
            .services
            .iter()
            .filter_map(|s| {
                let svc = self.service(s, counters)?;
                versions.insert(svc.key, (content_hash(&svc), svc.version));
                Some(svc)
            })
            .collect();
        self.versions = versions;
        let live: HashMap<u32, DestParams> = services
            .iter()
            .flat_map(|s| &s.dests)
            .map(|d| (d.slot, d.params))
            .collect();
        let trashed: Vec<(u32, DestParams)> = self
            .published
            .iter()
            .filter(|&(slot, _)| !live.contains_key(slot) && !counters.reclaimable(*slot))
            .map(|(&slot, &p)| (slot, p))
            .collect();
        self.published = live;
        self.published.extend(trashed.iter().copied());
        Snapshot::new(services, &trashed)
    }

    fn service(&mut self, s: &ModelService, counters: &DestTable) -> Option<Service> {
        let Some(key) = key(&s.spec.key) else {
            log::warn!(
                "service {:?} is kept but not forwarded (TCP/UDP only)",
                s.spec.key
            );
            return None;
        };
        let sched = dataplane::sched::by_name(&s.spec.scheduler)?;
        let dests = s
            .dests
            .iter()
            // IPVS mixes families for tunnels only (the model refuses others).
            .filter(|d| {
                d.spec.addr.is_ipv4() == key.addr.is_ipv4() || d.spec.method == Method::Tunnel
            })
            .map(|d| {
                // -x/-y: the data plane sets and clears OVERLOAD (ipvs-schedulers §3).
                counters.set_thresholds(d.slot, d.spec.u_threshold, d.spec.l_threshold);
                Dest {
                    params: DestParams {
                        addr: d.spec.addr,
                        port: d.spec.port,
                        method: method(d.spec.method),
                        tunnel: tunnel(&d.spec.tunnel),
                    },
                    weight: d.spec.weight,
                    last_weight: d.last_weight,
                    slot: d.slot,
                }
            })
            .collect();
        let mut svc = Service::new(key, sched, dests, 0).with_flags(s.spec.flags);
        let hash = content_hash(&svc);
        svc.version = match self.versions.get(&key) {
            Some(&(h, v)) if h == hash => v,
            _ => {
                self.next += 1;
                self.next
            }
        };
        Some(svc)
    }
}

fn key(k: &CmdKey) -> Option<ServiceKey> {
    match *k {
        CmdKey::Addr { proto, addr, port } => {
            let proto = match proto {
                Protocol::Tcp => 6,
                Protocol::Udp => 17,
                _ => return None,
            };
            Some(ServiceKey { proto, addr, port })
        }
        CmdKey::Fwmark { .. } => None,
    }
}

fn method(m: Method) -> dest::Method {
    match m {
        Method::Masq => dest::Method::Masq,
        Method::Local => dest::Method::Local,
        Method::Tunnel => dest::Method::Tunnel,
        Method::Route => dest::Method::Route,
    }
}

fn tunnel(t: &Tunnel) -> dest::Tunnel {
    dest::Tunnel {
        kind: match t.kind {
            TunnelType::Ipip => TunKind::Ipip,
            TunnelType::Gue => TunKind::Gue,
            TunnelType::Gre => TunKind::Gre,
        },
        port: t.port,
        csum: match t.csum {
            TunnelCsum::NoCsum => TunCsum::None,
            TunnelCsum::Csum => TunCsum::Csum,
            TunnelCsum::RemCsum => TunCsum::Remcsum,
        },
    }
}

/// What the scheduler's cursor depends on: the scheduler, its flags and the dests.
fn content_hash(s: &Service) -> u64 {
    let mut h = DefaultHasher::new();
    (s.sched.name(), s.flags).hash(&mut h);
    for d in &s.dests {
        (d.params, d.weight, d.last_weight, d.slot).hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::{execute, LiveCounters};
    use crate::model::Model;

    struct Idle;
    impl LiveCounters for Idle {
        fn conns(&self, _: u32) -> (u32, u32) {
            (0, 0)
        }
        fn table_size(&self) -> u32 {
            4096
        }
    }

    fn run(model: &mut Model, line: &str) {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        let out = execute("rvsadm", &args, model, &Idle);
        assert_eq!(out.code, 0, "{line}: {}", out.stderr);
    }

    fn v4(a: [u8; 4]) -> std::net::Ipv4Addr {
        a.into()
    }

    #[test]
    fn snapshots_follow_the_model_and_keep_versions_of_unchanged_services() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        let counters = DestTable::new(16);
        run(&mut m, "-A -t 10.0.1.100:80 -s rr");
        run(&mut m, "-a -t 10.0.1.100:80 -r 10.0.2.11:8080 -m -w 3");
        run(&mut m, "-A -u 10.0.1.100:53 -s wrr");
        run(&mut m, "-A -t [2001:db8::1]:80 -s rr");
        let s1 = p.snapshot(m.state(), &counters);
        assert_eq!(s1.services.len(), 3);
        let v6: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(s1.find(6, v6, 80).is_some(), "IPv6 services are forwarded");
        let (_, tcp) = s1.find(6, v4([10, 0, 1, 100]), 80).unwrap();
        assert_eq!(tcp.sched.name(), "rr");
        assert_eq!(
            tcp.dests,
            vec![Dest {
                params: DestParams {
                    addr: v4([10, 0, 2, 11]).into(),
                    port: 8080,
                    method: dest::Method::Masq,
                    tunnel: dest::Tunnel::default(),
                },
                weight: 3,
                last_weight: 3,
                slot: 0
            }]
        );
        let udp_version = s1.find(17, v4([10, 0, 1, 100]), 53).unwrap().1.version;

        run(&mut m, "-e -t 10.0.1.100:80 -r 10.0.2.11:8080 -m -w 1");
        let s2 = p.snapshot(m.state(), &counters);
        let (_, tcp2) = s2.find(6, v4([10, 0, 1, 100]), 80).unwrap();
        assert_eq!(tcp2.dests[0].weight, 1);
        assert_ne!(tcp2.version, tcp.version, "changed service, new version");
        assert_eq!(
            s2.find(17, v4([10, 0, 1, 100]), 53).unwrap().1.version,
            udp_version
        );
    }

    #[test]
    fn default_scheduler_flags_and_thresholds_reach_the_data_plane() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        let counters = DestTable::new(16);
        run(&mut m, "-A -t 10.0.0.10:80");
        run(&mut m, "-A -t 10.0.0.11:80 -s sh -b sh-port,sh-fallback");
        run(&mut m, "-a -t 10.0.0.11:80 -r 10.0.2.11 -g -x 2 -y 1");
        let s = p.snapshot(m.state(), &counters);
        let (_, wlc) = s.find(6, v4([10, 0, 0, 10]), 80).unwrap();
        assert_eq!(wlc.sched.name(), "wlc", "ipvsadm's default scheduler");
        let (_, sh) = s.find(6, v4([10, 0, 0, 11]), 80).unwrap();
        assert_eq!(sh.flags, 0x18);
        assert!(matches!(sh.data, dataplane::sched::SchedData::Table(_)));
        // -x 2: the second connection sets OVERLOAD; -e raising -x clears it (§3).
        counters.conn_created(0);
        counters.conn_created(0);
        assert!(counters.overloaded(0));
        run(&mut m, "-e -t 10.0.0.11:80 -r 10.0.2.11 -g -x 5");
        p.snapshot(m.state(), &counters);
        assert!(!counters.overloaded(0));
    }

    #[test]
    fn tunnel_parameters_are_published_and_a_busy_deleted_server_stays() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        let counters = DestTable::new(16);
        run(&mut m, "-A -t 10.0.1.100:80 -s rr");
        run(
            &mut m,
            "-a -t 10.0.1.100:80 -r 10.0.2.11 -i --tun-type gue --tun-port 6080 --tun-csum",
        );
        run(&mut m, "-a -t 10.0.1.100:80 -r 10.0.2.12:8080 -g");
        let s = p.snapshot(m.state(), &counters);
        let gue = s.dest(0).unwrap();
        assert_eq!(gue.method, dest::Method::Tunnel);
        assert_eq!(
            gue.tunnel,
            dest::Tunnel {
                kind: TunKind::Gue,
                port: 6080,
                csum: TunCsum::Csum
            }
        );
        let dr = s.dest(1).unwrap();
        assert_eq!(
            (dr.method, dr.port),
            (dest::Method::Route, 80),
            "DR keeps the service port"
        );
        // The GUE server is deleted while a connection still counts on it.
        counters.conn_created(0);
        run(&mut m, "-d -t 10.0.1.100:80 -r 10.0.2.11");
        let s = p.snapshot(m.state(), &counters);
        assert_eq!(s.services[0].dests.len(), 1);
        assert_eq!(s.dest(0).map(|d| d.method), Some(dest::Method::Tunnel));
        counters.conn_removed(0, false);
        let s = p.snapshot(m.state(), &counters);
        assert_eq!(s.dest(0), None, "gone with its last connection");
    }
}
