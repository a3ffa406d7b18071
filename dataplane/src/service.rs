//! The virtual services as the workers see them: an immutable snapshot the
//! control thread builds from its model and publishes with an RCU-style
//! swap. A worker loads the current snapshot once per burst; an old
//! snapshot is freed when the last worker holding it moves on.
//!
//! `arc-swap` does the swap: loads are lock-free and wait-free in the common
//! case (no reference-count traffic), and, unlike a hand-rolled epoch
//! scheme, it needs no `unsafe` outside the DPDK layer.

use crate::dest::{DestParams, DestTable, Method};
use crate::flow::{Addr, Flow};
use crate::mark::{mark_addr, Marks};
use crate::persist::Engine;
use crate::sched::history::History;
use crate::sched::{DestInfo, Pick, SchedData, SchedState, Scheduler};
use arc_swap::{ArcSwap, Guard};
use rustc_hash::FxHashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// A virtual service: protocol, address and port; a fwmark service (`-f`) is protocol 0
/// (IPPROTO_IP), the mark as its address, port 0, as IPVS keys its templates (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceKey {
    pub proto: u8,
    pub addr: IpAddr,
    pub port: u16,
}

/// The protocol number of fwmark services' keys.
pub const FWMARK_PROTO: u8 = 0;

impl ServiceKey {
    /// The key of `-f mark` (`-6`: an IPv6 one).
    pub fn fwmark(mark: u32, ipv6: bool) -> ServiceKey {
        let addr = match ipv6 {
            false => IpAddr::V4(mark_addr(mark)),
            true => IpAddr::V6(mark_addr(mark)),
        };
        ServiceKey {
            proto: FWMARK_PROTO,
            addr,
            port: 0,
        }
    }

    pub fn is_fwmark(&self) -> bool {
        self.proto == FWMARK_PROTO
    }
}

/// A real server of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    pub params: DestParams,
    pub weight: u32,
    /// The last non-zero weight, or the weight it was added with (ipvs-schedulers §1.4).
    pub last_weight: u32,
    /// Slot of its live counters in the [`crate::dest::DestTable`]; also the index of its
    /// parameters in the snapshot ([`Snapshot::dest`]).
    pub slot: u32,
}

/// `-p` and `-M`: every new connection of one client network goes to the real server its
/// template names while the template lives (ipvs-schedulers §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persistence {
    /// Template lifetime after its last new connection (`-p`), in milliseconds.
    pub timeout_ms: u32,
    /// The client network mask (`-M`; IPv6 from the prefix length) over the family's bits,
    /// as [`Addr::to_bits`] gives them.
    pub netmask: u128,
}

impl Persistence {
    /// Templates live at most this long: entry deadlines are 32-bit wrapping milliseconds,
    /// a little over 24 days ahead (`-p` goes to 31 days).
    pub const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;

    /// `-p timeout_s` with netmask `netmask`.
    pub fn new(timeout_s: u32, netmask: u128) -> Persistence {
        Persistence {
            timeout_ms: timeout_s
                .saturating_mul(1000)
                .min(Persistence::MAX_TIMEOUT_MS),
            netmask,
        }
    }

    /// The client network of `client` (`snet`, §5.2).
    pub fn network<A: Addr>(&self, client: A) -> A {
        A::from_bits(client.to_bits() & self.netmask)
    }
}

#[derive(Debug)]
pub struct Service {
    pub key: ServiceKey,
    pub sched: &'static dyn Scheduler,
    /// Scheduler flags (`-b`, [`crate::sched::flags`]).
    pub flags: u32,
    /// In IPVS list order (newest first).
    pub dests: Vec<Dest>,
    /// The scheduler's view of `dests`, same order.
    pub info: Vec<DestInfo>,
    /// What the scheduler built for this list ([`Scheduler::build`]), shared by the workers.
    pub data: SchedData,
    /// Identifies the service across snapshots, from its creation (`-A`) to its deletion: a
    /// worker's cursor for it lives as long.
    pub id: u64,
    /// Its recent changes, for the workers' cursors to follow ([`History`]).
    pub history: History,
    /// `-p`: its persistence, if it has one.
    pub persistence: Option<Persistence>,
    /// `-o`: one-packet scheduling (UDP only, ipvs-schedulers §5.7).
    pub one_packet: bool,
    /// `--pe`: its persistence engine, if it has one.
    pub engine: Option<Engine>,
}

impl Service {
    /// Service `id`, initialised by `sched` on `dests` (generation 0 of its history).
    pub fn new(key: ServiceKey, sched: &'static dyn Scheduler, dests: Vec<Dest>, id: u64) -> Self {
        let info: Vec<DestInfo> = dests
            .iter()
            .map(|d| DestInfo {
                weight: d.weight,
                last_weight: d.last_weight,
                slot: d.slot,
                addr: d.params.addr,
                port: d.params.port,
            })
            .collect();
        Service {
            key,
            sched,
            flags: 0,
            data: sched.build(&info),
            history: History::new(sched, &info),
            persistence: None,
            one_packet: false,
            engine: None,
            dests,
            info,
            id,
        }
    }

    /// The same service with one-packet scheduling on or off (`-o`).
    pub fn with_one_packet(self, one_packet: bool) -> Self {
        Service { one_packet, ..self }
    }

    /// The same service with persistence engine `engine`.
    pub fn with_engine(self, engine: Option<Engine>) -> Self {
        Service { engine, ..self }
    }

    /// The same service, persistent as `persistence` says.
    pub fn with_persistence(self, persistence: Option<Persistence>) -> Self {
        Service {
            persistence,
            ..self
        }
    }

    /// The same service with scheduler flags `flags` (`-b`).
    pub fn with_flags(self, flags: u32) -> Self {
        Service { flags, ..self }
    }

    /// The same service having gone through `history`.
    pub fn with_history(self, history: History) -> Self {
        Service { history, ..self }
    }

    /// The index in [`Service::dests`] of the real server for a new connection of `flow`,
    /// with this worker's `cursor` for the service; `now` in milliseconds.
    pub fn pick(
        &self,
        cursor: &mut SchedState,
        counters: &DestTable,
        flow: &Flow,
        now: u64,
    ) -> Option<usize> {
        let p = Pick {
            dests: &self.info,
            data: &self.data,
            flags: self.flags,
            counters,
            flow,
            now,
        };
        self.sched.pick(cursor, &p)
    }
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub services: Vec<Service>,
    /// Packed keys ([`packed_v4`]) of the IPv4 services with their index: a box with a
    /// handful of services finds one by a scan of a cache line or two.
    keys_v4: Vec<(u64, usize)>,
    /// For many IPv4 services: Fx hashing (SipHash cost a fifth of the NAT path
    /// in perf), safe here because the keys are the operator's: a packet's
    /// key only probes a table whose layout configured services decide.
    index_v4: FxHashMap<u64, usize>,
    index_v6: FxHashMap<(u8, Ipv6Addr, u16), usize>,
    vips: Vec<IpAddr>,
    /// Whether some service has port 0 (all ports, ipvs-schedulers §5.2): only then does a
    /// missed lookup try port 0 too.
    any_port: bool,
    /// The configuration's mark rules, for `-f` services (shared by every snapshot).
    marks: Arc<Marks>,
    /// Whether some service's persistence engine lets its real servers start flows (the
    /// kernel's `conn_out_counter`): only then does a server's packet with no connection
    /// look for one ([`Snapshot::started_by`]).
    servers_start: bool,
    /// Every real server a connection may still use, by slot: the services' and those
    /// deleted but still in the trash (ipvs-schedulers §8).
    dests: Vec<Option<DestParams>>,
    /// By slot: a real server of a service now (a slot is one server of one service), not
    /// one in the trash (IPVS's `IP_VS_DEST_F_AVAILABLE`, ipvs-forwarding §2.6).
    available: Vec<bool>,
}

/// Up to this many services are found by a linear scan of packed keys.
const SCAN_MAX: usize = 16;

/// An IPv4 service key as one word: one compare per candidate.
fn packed_v4(proto: u8, addr: u32, port: u16) -> u64 {
    u64::from(proto) << 48 | u64::from(port) << 32 | u64::from(addr)
}

impl Snapshot {
    /// The snapshot of `services`; `trashed` are deleted real servers whose
    /// connections still run.
    pub fn new(services: Vec<Service>, trashed: &[(u32, DestParams)]) -> Snapshot {
        let mut keys_v4 = Vec::new();
        let mut index_v6 = FxHashMap::default();
        for (i, s) in services.iter().enumerate() {
            match s.key.addr {
                IpAddr::V4(a) => keys_v4.push((packed_v4(s.key.proto, a.into(), s.key.port), i)),
                IpAddr::V6(a) => {
                    index_v6.insert((s.key.proto, a, s.key.port), i);
                }
            }
        }
        let index_v4 = if keys_v4.len() > SCAN_MAX {
            keys_v4.iter().copied().collect()
        } else {
            FxHashMap::default()
        };
        let mut vips: Vec<IpAddr> = services
            .iter()
            .filter(|s| !s.key.is_fwmark())
            .map(|s| s.key.addr)
            .collect();
        vips.sort_unstable();
        vips.dedup();
        let live = services
            .iter()
            .flat_map(|s| &s.dests)
            .map(|d| (d.slot, d.params));
        let all: Vec<(u32, DestParams)> = trashed.iter().copied().chain(live).collect();
        let len = all
            .iter()
            .map(|&(slot, _)| slot as usize + 1)
            .max()
            .unwrap_or(0);
        let mut dests = vec![None; len];
        for (slot, p) in all {
            dests[slot as usize] = Some(p);
        }
        let mut available = vec![false; len];
        for d in services.iter().flat_map(|s| &s.dests) {
            available[d.slot as usize] = true;
        }
        Snapshot {
            any_port: services
                .iter()
                .any(|s| s.key.port == 0 && !s.key.is_fwmark()),
            servers_start: services.iter().any(|s| s.engine.is_some()),
            marks: Arc::default(),
            services,
            keys_v4,
            index_v4,
            index_v6,
            vips,
            dests,
            available,
        }
    }

    /// The same snapshot with the configuration's mark rules.
    pub fn with_marks(self, marks: Arc<Marks>) -> Snapshot {
        Snapshot { marks, ..self }
    }

    /// The service for packets to `addr:port` over `proto`, with its index, as
    /// `ip_vs_service_find` looks them up: the `-f` service of the packet's mark, if it has
    /// one and the service exists; else the one on that port; else one on port 0 (all ports).
    #[inline]
    pub fn find<A: Addr>(&self, proto: u8, addr: A, port: u16) -> Option<(usize, &Service)> {
        if let Some(found) = self.find_marked(proto, addr, port) {
            return Some(found);
        }
        match self.find_port(proto, addr, port) {
            None if self.any_port && port != 0 => self.find_port(proto, addr, 0),
            found => found,
        }
    }

    fn find_marked<A: Addr>(&self, proto: u8, addr: A, port: u16) -> Option<(usize, &Service)> {
        if self.marks.is_empty() {
            return None;
        }
        let mark = self.marks.mark(proto, addr, port)?;
        self.find_port(FWMARK_PROTO, mark_addr::<A>(mark), 0)
    }

    fn find_port<A: Addr>(&self, proto: u8, addr: A, port: u16) -> Option<(usize, &Service)> {
        // One arm survives monomorphisation.
        let i = match addr.into() {
            IpAddr::V4(a) => {
                let key = packed_v4(proto, a.into(), port);
                if self.keys_v4.len() > SCAN_MAX {
                    *self.index_v4.get(&key)?
                } else {
                    self.keys_v4.iter().find(|&&(k, _)| k == key)?.1
                }
            }
            IpAddr::V6(a) => *self.index_v6.get(&(proto, a, port))?,
        };
        Some((i, &self.services[i]))
    }

    /// Whether `ip` is the address of some service, or in a mark rule's prefix of an existing
    /// `-f` service (rvsd answers ARP and ND for it).
    pub fn is_vip<A: Addr>(&self, ip: A) -> bool {
        self.vips.binary_search(&ip.into()).is_ok()
            || self.marks.covers(ip, |mark| {
                self.find_port(FWMARK_PROTO, mark_addr::<A>(mark), 0)
                    .is_some()
            })
    }

    /// Whether the real server in `slot` is in its service now, not in the trash.
    #[inline]
    /// The service and slot of NAT real server `addr:port` whose persistence engine lets it
    /// start a `proto` flow (`__ip_vs_rs_conn_out`: UDP only), if one does.
    pub fn started_by<A: Addr>(
        &self,
        proto: u8,
        addr: A,
        port: u16,
    ) -> Option<(usize, &Service, u32)> {
        if !self.servers_start || proto != crate::conn::state::PROTO_UDP {
            return None;
        }
        let addr: IpAddr = addr.into();
        self.services.iter().enumerate().find_map(|(i, s)| {
            let d = s.dests.iter().find(|d| {
                d.params.addr == addr && d.params.port == port && d.params.method == Method::Masq
            })?;
            let ok = s.engine.is_some() && s.key.proto == proto;
            ok.then_some((i, s, d.slot))
        })
    }

    pub fn is_available(&self, slot: u32) -> bool {
        self.available.get(slot as usize).copied().unwrap_or(false)
    }

    /// The parameters of the real server in `slot`, if it exists or is in the trash.
    #[inline]
    pub fn dest(&self, slot: u32) -> Option<&DestParams> {
        self.dests.get(slot as usize)?.as_ref()
    }
}

/// The published snapshot.
pub struct Services {
    current: ArcSwap<Snapshot>,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            current: ArcSwap::from_pointee(Snapshot::default()),
        }
    }
}

impl Services {
    /// The current snapshot; hold it for one burst at most.
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Replaces the snapshot; workers see it from their next burst on.
    pub fn publish(&self, snap: Snapshot) {
        self.current.store(Arc::new(snap));
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::{Method, Tunnel};
    use std::net::Ipv4Addr;

    fn params(addr: [u8; 4], method: Method) -> DestParams {
        DestParams {
            addr: Ipv4Addr::from(addr).into(),
            port: 80,
            method,
            tunnel: Tunnel::default(),
        }
    }

    fn svc(proto: u8, addr: IpAddr, port: u16) -> Service {
        let key = ServiceKey { proto, addr, port };
        let d = Dest {
            params: params([10, 0, 2, 11], Method::Masq),
            weight: 2,
            last_weight: 2,
            slot: 7,
        };
        Service::new(key, crate::sched::by_name("rr").unwrap(), vec![d], 1)
    }

    fn v4(a: [u8; 4]) -> IpAddr {
        Ipv4Addr::from(a).into()
    }

    #[test]
    fn finds_services_by_protocol_address_and_port() {
        let v6: Ipv6Addr = "2001:db8:f::1".parse().unwrap();
        let s = Snapshot::new(
            vec![
                svc(6, v4([10, 0, 1, 100]), 80),
                svc(17, v4([10, 0, 1, 100]), 53),
                svc(6, v6.into(), 80),
            ],
            &[],
        );
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        assert_eq!(s.find(6, vip, 80).map(|(i, _)| i), Some(0));
        assert_eq!(s.find(17, vip, 53).map(|(i, _)| i), Some(1));
        assert_eq!(s.find(6, v6, 80).map(|(i, _)| i), Some(2));
        assert!(s.find(17, vip, 80).is_none());
        assert!(s.find(17, v6, 80).is_none());
        assert!(s.is_vip(vip) && s.is_vip(v6));
        assert!(!s.is_vip(Ipv4Addr::new(10, 0, 1, 1)));
        let info = s.services[0].info[0];
        assert_eq!((info.weight, info.slot, info.port), (2, 7, 80));
    }

    #[test]
    fn many_services_are_found_through_the_hash_index() {
        let all: Vec<Service> = (1..=100u16)
            .map(|p| svc(6 + (p % 2) as u8 * 11, v4([10, 0, 1, 100]), p))
            .collect();
        let s = Snapshot::new(all, &[]);
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        for p in 1..=100u16 {
            let proto = 6 + (p % 2) as u8 * 11;
            assert_eq!(
                s.find(proto, vip, p).map(|(i, _)| i),
                Some(usize::from(p - 1))
            );
            assert!(s.find(23 - proto, vip, p).is_none());
        }
    }

    /// A packet a mark rule marks goes to the `-f` service of its mark before any other; the
    /// rule's addresses answer as VIPs while that service exists (§5.2).
    #[test]
    fn marked_packets_find_their_fwmark_service_first() {
        use crate::mark::{MarkRule, Marks};
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        let rule = MarkRule {
            mark: 1,
            proto: 6,
            prefix: vip.into(),
            len: 32,
            ports: vec![(80, 80), (443, 443)],
        };
        let fwm = Service::new(
            ServiceKey::fwmark(1, false),
            crate::sched::by_name("rr").unwrap(),
            vec![],
            1,
        );
        let marks = Arc::new(Marks::new(vec![rule]));
        let s = Snapshot::new(vec![svc(6, vip.into(), 80), fwm], &[]).with_marks(marks.clone());
        assert_eq!(s.find(6, vip, 80).map(|(i, _)| i), Some(1));
        assert_eq!(s.find(6, vip, 443).map(|(i, _)| i), Some(1));
        assert!(s.find(6, vip, 22).is_none());
        assert!(s.is_vip(vip));
        assert!(!s.is_vip(Ipv4Addr::new(0, 0, 0, 1)), "a mark is no address");
        // Without its -f service a rule marks for nothing.
        let s = Snapshot::new(vec![svc(6, vip.into(), 80)], &[]).with_marks(marks);
        assert_eq!(s.find(6, vip, 80).map(|(i, _)| i), Some(0));
        assert!(s.find(6, vip, 443).is_none());
    }

    /// A port-0 service takes the ports no service of their own takes (§5.2).
    #[test]
    fn a_port_0_service_takes_every_other_port() {
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        let s = Snapshot::new(vec![svc(6, vip.into(), 0), svc(6, vip.into(), 443)], &[]);
        assert_eq!(s.find(6, vip, 443).map(|(i, _)| i), Some(1));
        assert_eq!(s.find(6, vip, 80).map(|(i, _)| i), Some(0));
        assert_eq!(s.find(6, vip, 0).map(|(i, _)| i), Some(0));
        assert!(s.find(17, vip, 80).is_none());
    }

    #[test]
    fn real_servers_are_found_by_slot_including_the_trash() {
        let gone = params([10, 0, 2, 12], Method::Route);
        let s = Snapshot::new(vec![svc(6, v4([10, 0, 1, 100]), 80)], &[(2, gone)]);
        assert_eq!(s.dest(7).map(|p| p.addr), Some(v4([10, 0, 2, 11])));
        assert_eq!(s.dest(2), Some(&gone));
        assert_eq!(s.dest(3), None);
        assert_eq!(s.dest(70_000), None);
        // The trash is still reachable but no longer available (ipvs-forwarding §2.6).
        assert!(s.is_available(7));
        assert!(!s.is_available(2));
        assert!(!s.is_available(3));
        assert!(!s.is_available(70_000));
    }

    #[test]
    fn readers_see_the_new_snapshot_after_publish_and_old_ones_stay_valid() {
        let services = Services::default();
        let old = services.load();
        assert!(old.services.is_empty());
        services.publish(Snapshot::new(vec![svc(6, v4([10, 0, 1, 100]), 80)], &[]));
        assert!(old.services.is_empty(), "a held snapshot never changes");
        assert_eq!(services.load().services.len(), 1);
    }
}
