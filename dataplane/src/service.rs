//! The virtual services as the workers see them: an immutable snapshot the
//! control thread builds from its model and publishes with an RCU-style
//! swap. A worker loads the current snapshot once per burst; an old
//! snapshot is freed when the last worker holding it moves on.
//!
//! `arc-swap` does the swap: loads are lock-free and wait-free in the common
//! case (no reference-count traffic), and, unlike a hand-rolled epoch
//! scheme, it needs no `unsafe` outside the DPDK layer.

use crate::sched::{DestInfo, Scheduler};
use arc_swap::{ArcSwap, Guard};
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// A virtual service: protocol, address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceKey {
    pub proto: u8,
    pub addr: Ipv4Addr,
    pub port: u16,
}

/// A real server of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    pub addr: Ipv4Addr,
    pub port: u16,
    pub weight: u32,
    /// Forwarding method (`conn::FWD_*`).
    pub fwd: u8,
    /// Slot of its live counters in the [`crate::dest::DestTable`].
    pub slot: u32,
}

#[derive(Debug)]
pub struct Service {
    pub key: ServiceKey,
    pub sched: &'static dyn Scheduler,
    /// In IPVS list order (newest first).
    pub dests: Vec<Dest>,
    /// The scheduler's view of `dests`, same order.
    pub info: Vec<DestInfo>,
    /// Identifies this service's scheduler-relevant content (scheduler and
    /// destination list); unique across snapshots. A worker keeps its
    /// scheduler cursor for a service only while the version stays.
    pub version: u64,
}

impl Service {
    pub fn new(
        key: ServiceKey,
        sched: &'static dyn Scheduler,
        dests: Vec<Dest>,
        version: u64,
    ) -> Self {
        let info = dests
            .iter()
            .map(|d| DestInfo {
                weight: d.weight,
                slot: d.slot,
            })
            .collect();
        Service {
            key,
            sched,
            dests,
            info,
            version,
        }
    }
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub services: Vec<Service>,
    /// Packed keys ([`ServiceKey::packed`]) in service order: a box with a
    /// handful of services finds one by a scan of a cache line or two.
    keys: Vec<u64>,
    /// For many services: Fx hashing (SipHash cost a fifth of the NAT path
    /// in perf), safe here because the keys are the operator's: a packet's
    /// key only probes a table whose layout configured services decide.
    index: FxHashMap<u64, usize>,
    vips: Vec<Ipv4Addr>,
}

/// Up to this many services are found by a linear scan of packed keys.
const SCAN_MAX: usize = 16;

impl ServiceKey {
    /// The key as one word: one compare per candidate.
    fn packed(&self) -> u64 {
        u64::from(self.proto) << 48 | u64::from(self.port) << 32 | u64::from(u32::from(self.addr))
    }
}

impl Snapshot {
    pub fn new(services: Vec<Service>) -> Snapshot {
        let keys: Vec<u64> = services.iter().map(|s| s.key.packed()).collect();
        let index = if keys.len() > SCAN_MAX {
            keys.iter().enumerate().map(|(i, &k)| (k, i)).collect()
        } else {
            FxHashMap::default()
        };
        let mut vips: Vec<Ipv4Addr> = services.iter().map(|s| s.key.addr).collect();
        vips.sort_unstable();
        vips.dedup();
        Snapshot {
            services,
            keys,
            index,
            vips,
        }
    }

    /// The service for packets to `addr:port` over `proto`, with its index.
    pub fn find(&self, proto: u8, addr: Ipv4Addr, port: u16) -> Option<(usize, &Service)> {
        let key = ServiceKey { proto, addr, port }.packed();
        let i = if self.keys.len() > SCAN_MAX {
            *self.index.get(&key)?
        } else {
            self.keys.iter().position(|&k| k == key)?
        };
        Some((i, &self.services[i]))
    }

    /// Whether `ip` is the address of some service (rvsd answers ARP for it).
    pub fn is_vip(&self, ip: Ipv4Addr) -> bool {
        self.vips.binary_search(&ip).is_ok()
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

    fn svc(proto: u8, addr: [u8; 4], port: u16) -> Service {
        let key = ServiceKey {
            proto,
            addr: addr.into(),
            port,
        };
        let d = Dest {
            addr: [10, 0, 2, 11].into(),
            port: 80,
            weight: 2,
            fwd: 0,
            slot: 7,
        };
        Service::new(key, crate::sched::by_name("rr").unwrap(), vec![d], 1)
    }

    #[test]
    fn finds_services_by_protocol_address_and_port() {
        let s = Snapshot::new(vec![
            svc(6, [10, 0, 1, 100], 80),
            svc(17, [10, 0, 1, 100], 53),
        ]);
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        assert_eq!(s.find(6, vip, 80).map(|(i, _)| i), Some(0));
        assert_eq!(s.find(17, vip, 53).map(|(i, _)| i), Some(1));
        assert!(s.find(17, vip, 80).is_none());
        assert!(s.is_vip(vip));
        assert!(!s.is_vip(Ipv4Addr::new(10, 0, 1, 1)));
        assert_eq!(s.services[0].info, vec![DestInfo { weight: 2, slot: 7 }]);
    }

    #[test]
    fn many_services_are_found_through_the_hash_index() {
        let all: Vec<Service> = (0..100u16)
            .map(|p| svc(6 + (p % 2) as u8 * 11, [10, 0, 1, 100], p))
            .collect();
        let s = Snapshot::new(all);
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        for p in 0..100u16 {
            let proto = 6 + (p % 2) as u8 * 11;
            assert_eq!(s.find(proto, vip, p).map(|(i, _)| i), Some(usize::from(p)));
            assert!(s.find(23 - proto, vip, p).is_none());
        }
    }

    #[test]
    fn readers_see_the_new_snapshot_after_publish_and_old_ones_stay_valid() {
        let services = Services::default();
        let old = services.load();
        assert!(old.services.is_empty());
        services.publish(Snapshot::new(vec![svc(6, [10, 0, 1, 100], 80)]));
        assert!(old.services.is_empty(), "a held snapshot never changes");
        assert_eq!(services.load().services.len(), 1);
    }
}
