//! Model → data-plane snapshot. The control thread builds a new immutable
//! snapshot after every change and swaps it in; workers pick it up at their
//! next burst.

use crate::ipvsadm::command::{Method, Protocol, ServiceKey as CmdKey};
use crate::model::{Service as ModelService, State};
use dataplane::conn::{FWD_LOCAL, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL};
use dataplane::service::{Dest, Service, ServiceKey, Snapshot};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Gives each service content a version, so that workers keep scheduler
/// cursors of services that did not change (see `sched::cursors`).
#[derive(Default)]
pub struct Publisher {
    versions: HashMap<ServiceKey, (u64, u64)>,
    next: u64,
}

impl Publisher {
    /// The snapshot for `state`. Services the data plane cannot forward yet
    /// (IPv6, fwmark, SCTP) are left out with a warning: the model keeps them
    /// and listings show them.
    pub fn snapshot(&mut self, state: &State) -> Snapshot {
        let mut versions = HashMap::new();
        let services = state
            .services
            .iter()
            .filter_map(|s| {
                let svc = self.service(s)?;
                versions.insert(svc.key, (content_hash(&svc), svc.version));
                Some(svc)
            })
            .collect();
        self.versions = versions;
        Snapshot::new(services)
    }

    fn service(&mut self, s: &ModelService) -> Option<Service> {
        let Some(key) = key(&s.spec.key) else {
            log::warn!(
                "service {:?} is kept but not forwarded (IPv4 TCP/UDP only)",
                s.spec.key
            );
            return None;
        };
        let sched = dataplane::sched::by_name(&s.spec.scheduler)?;
        let dests = s
            .dests
            .iter()
            .filter_map(|d| {
                let IpAddr::V4(addr) = d.spec.addr else {
                    return None;
                };
                Some(Dest {
                    addr,
                    port: d.spec.port,
                    weight: d.spec.weight,
                    fwd: fwd(d.spec.method),
                    slot: d.slot,
                })
            })
            .collect();
        let mut svc = Service::new(key, sched, dests, 0);
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
        CmdKey::Addr {
            proto,
            addr: IpAddr::V4(addr),
            port,
        } => {
            let proto = match proto {
                Protocol::Tcp => 6,
                Protocol::Udp => 17,
                _ => return None,
            };
            Some(ServiceKey { proto, addr, port })
        }
        _ => None,
    }
}

fn fwd(m: Method) -> u8 {
    match m {
        Method::Masq => FWD_MASQ,
        Method::Local => FWD_LOCAL,
        Method::Tunnel => FWD_TUNNEL,
        Method::Route => FWD_ROUTE,
    }
}

/// What the scheduler's cursor depends on: the scheduler and the dests.
fn content_hash(s: &Service) -> u64 {
    let mut h = DefaultHasher::new();
    s.sched.name().hash(&mut h);
    for d in &s.dests {
        (d.addr, d.port, d.weight, d.fwd, d.slot).hash(&mut h);
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

    #[test]
    fn snapshots_follow_the_model_and_keep_versions_of_unchanged_services() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        run(&mut m, "-A -t 10.0.1.100:80 -s rr");
        run(&mut m, "-a -t 10.0.1.100:80 -r 10.0.2.11:8080 -m -w 3");
        run(&mut m, "-A -u 10.0.1.100:53 -s wrr");
        run(&mut m, "-A -t [2001:db8::1]:80 -s rr");
        let s1 = p.snapshot(m.state());
        assert_eq!(
            s1.services.len(),
            2,
            "the IPv6 service is not forwarded yet"
        );
        let (_, tcp) = s1.find(6, [10, 0, 1, 100].into(), 80).unwrap();
        assert_eq!(tcp.sched.name(), "rr");
        assert_eq!(
            tcp.dests,
            vec![Dest {
                addr: [10, 0, 2, 11].into(),
                port: 8080,
                weight: 3,
                fwd: FWD_MASQ,
                slot: 0
            }]
        );
        let udp_version = s1.find(17, [10, 0, 1, 100].into(), 53).unwrap().1.version;

        run(&mut m, "-e -t 10.0.1.100:80 -r 10.0.2.11:8080 -m -w 1");
        let s2 = p.snapshot(m.state());
        let (_, tcp2) = s2.find(6, [10, 0, 1, 100].into(), 80).unwrap();
        assert_eq!(tcp2.dests[0].weight, 1);
        assert_ne!(tcp2.version, tcp.version, "changed service, new version");
        assert_eq!(
            s2.find(17, [10, 0, 1, 100].into(), 53).unwrap().1.version,
            udp_version
        );
    }
}
