//! Model → data-plane snapshot. The control thread builds a new immutable
//! snapshot after every change and swaps it in; workers pick it up at their
//! next burst.

use crate::ipvsadm::command::{
    Method, Protocol, ServiceKey as CmdKey, Tunnel, TunnelCsum, TunnelType,
};
use crate::model::{Change, Dest as ModelDest, Model, Service as ModelService};
use dataplane::dest::{self, DestParams, DestTable, TunCsum, TunKind};
use dataplane::mark::Marks;
use dataplane::persist::Engine;
use dataplane::sched::history::{Event, History};
use dataplane::sched::{DestInfo, SchedState, Scheduler};
use dataplane::service::{Dest, Persistence, Service, ServiceKey, Snapshot};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

/// Changes kept per service for workers to catch up on: far more than any worker misses
/// between two looks at the snapshot (it looks at every burst).
const KEPT_EVENTS: usize = 1024;

/// Follows each service's changes for the workers' scheduler cursors
/// (`dataplane::sched::history`), and keeps the parameters of deleted real servers while
/// connections still use them.
#[derive(Default)]
pub struct Publisher {
    /// By model service id.
    services: HashMap<u64, Track>,
    /// The configuration's mark rules, for `-f` services.
    marks: Arc<Marks>,
    /// Every real server of the last snapshot (trash included), by slot.
    published: HashMap<u32, DestParams>,
}

/// One service's history as published so far.
struct Track {
    generation: u64,
    events: VecDeque<Event>,
    /// `events` as last published (shared by snapshots until the next change).
    shared: Arc<[Event]>,
    /// The cursor after every change and no pick.
    fresh: SchedState,
    /// The real servers after the last change, as the scheduler sees them.
    list: Vec<DestInfo>,
}

impl Track {
    /// A service created by `-A` (`init_service` on an empty list).
    fn new(sched: &dyn Scheduler) -> Track {
        Track {
            generation: 0,
            events: VecDeque::new(),
            shared: Arc::from([]),
            fresh: sched.init_state(&[]),
            list: Vec::new(),
        }
    }

    /// Records `changes` as events, replayed on the fresh cursor by `sched`.
    fn record(&mut self, sched: &dyn Scheduler, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        for c in changes {
            let e = match c {
                Change::Added(d) => Event::Added(dest_info(d)),
                Change::Deleted { index } => Event::Deleted { index: *index },
                Change::Edited { index, dest } => Event::Edited {
                    index: *index,
                    dest: dest_info(dest),
                },
                Change::Rescheduled => Event::Rescheduled,
            };
            e.replay(sched, &mut self.fresh, &mut self.list);
            if self.events.len() == KEPT_EVENTS {
                self.events.pop_front();
            }
            self.events.push_back(e);
            self.generation += 1;
        }
        self.shared = self.events.iter().copied().collect();
    }

    fn history(&self) -> History {
        History {
            generation: self.generation,
            events: self.shared.clone(),
            fresh: self.fresh.clone(),
        }
    }
}

impl Publisher {
    /// A publisher whose snapshots carry the mark rules `marks`.
    pub fn new(marks: Marks) -> Publisher {
        Publisher {
            marks: Arc::new(marks),
            ..Publisher::default()
        }
    }

    /// Later snapshots carry the mark rules `marks` (a reload).
    pub fn set_marks(&mut self, marks: Marks) {
        self.marks = Arc::new(marks);
    }

    /// The snapshot for `model`'s state, taking the changes it recorded. Services the data
    /// plane cannot forward yet (SCTP) are left out with a warning: the model keeps
    /// them and listings show them. A real server gone from the model stays in the snapshot
    /// while `counters` say connections still count on it (the trash, ipvs-schedulers §8):
    /// they keep being forwarded to it.
    pub fn snapshot(&mut self, model: &mut Model, counters: &DestTable) -> Snapshot {
        let mut changes = model.take_changes();
        let mut tracks = HashMap::new();
        let services: Vec<Service> = model
            .state()
            .services
            .iter()
            .filter_map(|s| {
                let sched = dataplane::sched::by_name(&s.spec.scheduler)?;
                let mut track = self
                    .services
                    .remove(&s.id)
                    .unwrap_or_else(|| Track::new(sched));
                track.record(sched, &changes.remove(&s.id).unwrap_or_default());
                let svc = service(s, sched, counters, track.history());
                debug_assert!(svc.as_ref().is_none_or(|v| v.info == track.list));
                tracks.insert(s.id, track);
                svc
            })
            .collect();
        self.services = tracks;
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
        Snapshot::new(services, &trashed).with_marks(self.marks.clone())
    }
}

/// The data plane's service for the model's `s`, scheduled by `sched` after `history`.
fn service(
    s: &ModelService,
    sched: &'static dyn Scheduler,
    counters: &DestTable,
    history: History,
) -> Option<Service> {
    let Some(key) = key(&s.spec.key) else {
        log::warn!(
            "service {:?} is kept but not forwarded (TCP, UDP and fwmark only)",
            s.spec.key
        );
        return None;
    };
    let dests = s
        .dests
        .iter()
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
    let persistence = s
        .spec
        .persistent
        .map(|timeout| Persistence::new(timeout, netmask(key.addr, s.spec.netmask)));
    let svc = Service::new(key, sched, dests, s.id)
        .with_flags(s.spec.flags)
        .with_history(history)
        .with_persistence(persistence)
        .with_one_packet(s.spec.ops)
        .with_engine(s.spec.pe.as_deref().and_then(Engine::by_name));
    Some(svc)
}

/// `-M` over the family's bits: IPv4's mask as it is, IPv6's prefix length as a mask.
fn netmask(family: IpAddr, netmask: u32) -> u128 {
    match family {
        IpAddr::V4(_) => u128::from(netmask),
        IpAddr::V6(_) => u128::MAX.checked_shl(128 - netmask.min(128)).unwrap_or(0),
    }
}

/// The scheduler's view of a model real server.
fn dest_info(d: &ModelDest) -> DestInfo {
    DestInfo {
        weight: d.spec.weight,
        last_weight: d.last_weight,
        slot: d.slot,
        addr: d.spec.addr,
        port: d.spec.port,
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
        CmdKey::Fwmark { mark, ipv6 } => Some(ServiceKey::fwmark(mark, ipv6)),
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
        let s1 = p.snapshot(&mut m, &counters);
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
        let udp = s1.find(17, v4([10, 0, 1, 100]), 53).unwrap().1;
        assert_eq!((tcp.history.generation, udp.history.generation), (1, 0));

        run(&mut m, "-e -t 10.0.1.100:80 -r 10.0.2.11:8080 -m -w 1");
        run(&mut m, "-E -u 10.0.1.100:53 -s wrr");
        let s2 = p.snapshot(&mut m, &counters);
        let (_, tcp2) = s2.find(6, v4([10, 0, 1, 100]), 80).unwrap();
        assert_eq!(tcp2.dests[0].weight, 1);
        assert_eq!(tcp2.id, tcp.id);
        assert_eq!(tcp2.history.generation, 2, "the edit is a change");
        assert_eq!(
            tcp2.history.events.last(),
            Some(&Event::Edited {
                index: 0,
                dest: tcp2.info[0]
            })
        );
        let udp2 = s2.find(17, v4([10, 0, 1, 100]), 53).unwrap().1;
        assert_eq!(
            udp2.history.generation, 0,
            "-E with the same scheduler changes nothing (§1.3)"
        );
        run(&mut m, "-D -u 10.0.1.100:53");
        run(&mut m, "-A -u 10.0.1.100:53 -s rr");
        let s3 = p.snapshot(&mut m, &counters);
        assert_ne!(s3.find(17, v4([10, 0, 1, 100]), 53).unwrap().1.id, udp.id);
    }

    /// A wrr service built by `-a` lines in one `-R`: its fresh cursor has replayed every
    /// add, so a worker starts the first lap at cw = 1 (ipvs-schedulers §2.2, row 2), where
    /// initialising on the full list would start at cw = mw.
    #[test]
    fn a_service_restored_dest_by_dest_starts_as_the_kernel_does() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        let counters = DestTable::new(16);
        let lines: Vec<String> = [
            "-A -t 10.0.1.100:80 -s wrr",
            "-a -t 10.0.1.100:80 -r 10.0.2.1 -g -w 3",
            "-a -t 10.0.1.100:80 -r 10.0.2.2 -g -w 2",
            "-a -t 10.0.1.100:80 -r 10.0.2.3 -g -w 1",
        ]
        .map(String::from)
        .to_vec();
        let out = crate::ipvsadm::execute_restore("rvsadm", &lines, &mut m, &Idle);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let s = p.snapshot(&mut m, &counters);
        let svc = &s.services[0];
        let mut cursor = svc.history.fresh.clone();
        let flow = dataplane::flow::Flow::V4(dataplane::flow::FlowKey {
            proto: 6,
            saddr: v4([10, 0, 1, 2]),
            sport: 1,
            daddr: v4([10, 0, 1, 100]),
            dport: 80,
        });
        let picks: String = (0..12)
            .map(|_| {
                let i = svc.pick(&mut cursor, &counters, &flow, 0).unwrap();
                char::from_digit(svc.dests[i].weight, 10).unwrap()
            })
            .collect();
        // By weight: C=1, B=2, A=3 in list order, C B A A B A C B A A B A.
        assert_eq!(picks, "123323123323");
    }

    #[test]
    fn default_scheduler_flags_and_thresholds_reach_the_data_plane() {
        let mut m = Model::new(4096);
        let mut p = Publisher::default();
        let counters = DestTable::new(16);
        run(&mut m, "-A -t 10.0.0.10:80");
        run(&mut m, "-A -t 10.0.0.11:80 -s sh -b sh-port,sh-fallback");
        run(&mut m, "-a -t 10.0.0.11:80 -r 10.0.2.11 -g -x 2 -y 1");
        let s = p.snapshot(&mut m, &counters);
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
        p.snapshot(&mut m, &counters);
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
        let s = p.snapshot(&mut m, &counters);
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
        let s = p.snapshot(&mut m, &counters);
        assert_eq!(s.services[0].dests.len(), 1);
        assert_eq!(s.dest(0).map(|d| d.method), Some(dest::Method::Tunnel));
        counters.conn_removed(0, false);
        let s = p.snapshot(&mut m, &counters);
        assert_eq!(s.dest(0), None, "gone with its last connection");
    }
}
