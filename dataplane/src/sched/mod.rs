//! Schedulers: which real server gets a new connection (ipvs-schedulers §1, §2).
//!
//! The seam follows the kernel's `struct ip_vs_scheduler`, split by who writes what:
//! * a [`Scheduler`] is a stateless algorithm, found by name in [`SCHEDULERS`], the one list
//!   of names that rvsd, rvsadm's parser and listings and the data plane share;
//! * [`SchedData`] is what the kernel rebuilds in `init_service`/`add_dest`/`del_dest`/
//!   `upd_dest` for a whole service (sh/dh buckets, mh's lookup table): built by
//!   [`Scheduler::build`] when control publishes a snapshot, then read-only and shared by
//!   every worker ([`crate::service::Service::data`]);
//! * [`SchedState`] is what changes at each pick (rr's position, wrr's mark, lblc/lblcr's
//!   caches, twos's random generator): one cursor per worker per service, so picking takes no
//!   lock and writes no line another core writes (docs/architecture.md, "Scheduling with
//!   several workers": each worker follows IPVS's exact sequence on its share);
//! * the live per-dest counters and the OVERLOAD flag of the thresholds (§3) are read from
//!   the shared [`DestTable`] through [`Pick`], with the service's `-b` flags and the packet.
//!
//! The service's destinations are passed as a slice in IPVS list order (a newly added dest
//! goes to the **head**, ipvs-schedulers §0). When the list changes, the worker tells the
//! cursor with [`Scheduler::dests_changed`] (the kernel's add_dest/del_dest/upd_dest hooks,
//! §1.3), replaying the changes the service's [`history::History`] carries; that,
//! [`Scheduler::build`] and [`Scheduler::init_state`] may allocate, [`Scheduler::pick`]
//! never does.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use dataplane::dest::DestTable;
//! use dataplane::flow::{Flow, FlowKey};
//! use dataplane::sched::{by_name, DestChange, DestInfo, Pick, SchedData};
//!
//! let counters = DestTable::new(8);
//! // ipvsadm -A -t V:80 -s wrr; -a ... -w 1 (slot 5); -a ... -w 2 (slot 6): list order 6, 5.
//! let wrr = by_name("wrr").unwrap();
//! let mut dests = Vec::new();
//! let mut cursor = wrr.init_state(&dests); // one per worker per service
//! for (slot, weight) in [(5, 1), (6, 2)] {
//!     let addr = Ipv4Addr::new(10, 0, 2, slot as u8).into();
//!     // New dests go to the head; last_weight is the weight they were added with (§1.4).
//!     dests.insert(0, DestInfo { weight, last_weight: weight, slot, addr, port: 80 });
//!     wrr.dests_changed(&mut cursor, DestChange::Added, &dests);
//! }
//! let flow = Flow::V4(FlowKey { proto: 6, saddr: Ipv4Addr::new(203, 0, 113, 10), sport: 40000,
//!                               daddr: Ipv4Addr::new(198, 51, 100, 1), dport: 80 });
//! let data = wrr.build(&dests); // SchedData::None: wrr keeps everything in its cursor
//! let p = Pick { dests: &dests, data: &data, flags: 0, counters: &counters, flow: &flow, now: 0 };
//! let slots: Vec<u32> = (0..5).map(|_| dests[wrr.pick(&mut cursor, &p).unwrap()].slot).collect();
//! assert_eq!(slots, [6, 5, 6, 6, 5]); // first lap at cw = 1, then 2:1 (§2.2)
//! ```
//!
//! Adding a scheduler is one file with its algorithm explained on top and one line in
//! [`SCHEDULERS`]; if it keeps a cursor, one [`SchedState`] variant, if it builds a table,
//! it returns a [`SchedData`].

use std::fmt::Debug;
use std::net::IpAddr;

use crate::dest::DestTable;
pub use crate::flow::Flow;

pub mod cursors;
pub mod dh;
pub mod fo;
pub mod hash;
pub mod history;
pub mod lblc;
pub mod lblcr;
pub mod lc;
pub mod load;
pub mod locality;
pub mod mh;
pub mod none;
pub mod nq;
pub mod ovf;
pub mod rr;
pub mod sed;
pub mod sh;
pub mod table;
pub mod twos;
pub mod wlc;
pub mod wrr;

/// Every scheduler, found by name: `ipvsadm -s`'s names (ipvs-schedulers §9) and `none`.
pub static SCHEDULERS: &[&dyn Scheduler] = &[
    &rr::Rr,
    &wrr::Wrr,
    &lc::Lc,
    &wlc::Wlc,
    &sed::Sed,
    &nq::Nq,
    &sh::Sh,
    &dh::Dh,
    &mh::Mh,
    &lblc::Lblc,
    &lblcr::Lblcr,
    &fo::Fo,
    &ovf::Ovf,
    &twos::Twos,
    &none::NoneSched,
];

/// The scheduler called `name` (`ipvsadm -s name`).
pub fn by_name(name: &str) -> Option<&'static dyn Scheduler> {
    SCHEDULERS.iter().copied().find(|s| s.name() == name)
}

/// Scheduler flag bits of a service (`-b`; uapi `IP_VS_SVC_F_SCHED1..3`, ipvs-schedulers §9).
pub mod flags {
    /// `flag-1`: sh-fallback, mh-fallback.
    pub const SCHED1: u32 = 0x08;
    /// `flag-2`: sh-port, mh-port.
    pub const SCHED2: u32 = 0x10;
    /// `flag-3`: no scheduler uses it.
    pub const SCHED3: u32 = 0x20;
    pub const ALL: u32 = SCHED1 | SCHED2 | SCHED3;
    /// ipvsadm's names of the bits for a scheduler that has none of its own.
    pub const GENERIC_NAMES: &[(u32, &str)] =
        &[(SCHED1, "flag-1"), (SCHED2, "flag-2"), (SCHED3, "flag-3")];
}

/// One destination of a service, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestInfo {
    /// Current weight; 0 = quiesced, never picked for a new connection (§1.4).
    pub weight: u32,
    /// The last non-zero weight (the weight it was added with, even 0): mh builds its table
    /// from it, so quiescing a dest does not move slots (§1.4, §2.9).
    pub last_weight: u32,
    /// Slot of its live counters in the [`DestTable`].
    pub slot: u32,
    /// Address and port, hashed by mh for the dest's permutation (§2.9).
    pub addr: IpAddr,
    pub port: u16,
}

/// How a service's destination list changed (IPVS list order, before → after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestChange {
    /// A dest was inserted at the head (new, or back from the trash, §8).
    Added,
    /// The dest at `index` of the old list was removed.
    Deleted { index: usize },
    /// The dest at `index` was edited (`-e`, even with unchanged values).
    Edited { index: usize },
}

/// Per-service data built at publish time, shared read-only by the workers.
#[derive(Debug, Default)]
pub enum SchedData {
    /// The scheduler reads only the list and the counters.
    #[default]
    None,
    /// sh, dh, mh: slot → dest index.
    Table(table::Table),
}

/// A worker's cursor for one service.
#[derive(Debug, Clone, PartialEq)]
pub enum SchedState {
    /// Schedulers that keep nothing (lc, wlc, sh, ...).
    Stateless,
    Rr(rr::RrState),
    Wrr(wrr::WrrState),
    Lblc(Box<locality::Cache<u32>>),
    Lblcr(Box<locality::Cache<lblcr::DestSet>>),
    Twos(twos::Rng),
}

/// What one pick reads: the service's list, data and flags, the live counters, the packet.
#[derive(Clone, Copy)]
pub struct Pick<'a> {
    /// In IPVS list order.
    pub dests: &'a [DestInfo],
    pub data: &'a SchedData,
    /// The service's `-b` bits ([`flags`]).
    pub flags: u32,
    pub counters: &'a DestTable,
    /// The packet that creates the connection.
    pub flow: &'a Flow,
    /// Milliseconds, the worker's clock (lblc/lblcr's `lastuse`).
    pub now: u64,
}

impl Pick<'_> {
    /// `(active, inactive)` of dest `i`.
    pub fn counts(&self, i: usize) -> (u32, u32) {
        self.counters.counts(self.dests[i].slot)
    }

    /// `ip_vs_dest_conn_overhead` of dest `i` (§0).
    pub fn overhead(&self, i: usize) -> u64 {
        self.counters.overhead(self.dests[i].slot)
    }

    /// The OVERLOAD flag of dest `i`, from its thresholds (§3).
    pub fn overloaded(&self, i: usize) -> bool {
        self.counters.overloaded(self.dests[i].slot)
    }

    /// The test most schedulers share: weight > 0 and not OVERLOAD (§1.5).
    pub fn eligible(&self, i: usize) -> bool {
        self.dests[i].weight > 0 && !self.overloaded(i)
    }

    /// Whether flag bit `bit` ([`flags`]) is set on the service.
    pub fn flag(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }
}

/// A scheduling algorithm.
pub trait Scheduler: Debug + Send + Sync {
    /// The name `ipvsadm -s` takes.
    fn name(&self) -> &'static str;

    /// Its own names for `-b` bits (ipvsadm `parse_sched_flags`); none: `flag-1..3`.
    fn flag_names(&self) -> &'static [(u32, &'static str)] {
        &[]
    }

    /// The per-service data for this list (the kernel's table rebuild on every list change).
    fn build(&self, _dests: &[DestInfo]) -> SchedData {
        SchedData::None
    }

    /// A fresh cursor for a service with these destinations (`init_service`).
    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Stateless
    }

    /// Adjusts the cursor after `change`; `dests` is the new list.
    fn dests_changed(&self, _state: &mut SchedState, _change: DestChange, _dests: &[DestInfo]) {}

    /// Index in `p.dests` of the destination for a new connection, or `None`
    /// ("no destination available", §1.2).
    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize>;
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use std::net::Ipv4Addr;

    /// Dests with these weights, slots 0, 1, 2... and addresses 10.0.0.1, .2, ... port 80 in
    /// list order.
    pub fn dests(weights: &[u32]) -> Vec<DestInfo> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| DestInfo {
                weight,
                last_weight: weight,
                slot: i as u32,
                addr: Ipv4Addr::new(10, 0, 0, 1 + i as u8).into(),
                port: 80,
            })
            .collect()
    }

    pub fn flow() -> Flow {
        flow_from(Ipv4Addr::new(203, 0, 113, 10), 40000)
    }

    pub fn flow_from(saddr: Ipv4Addr, sport: u16) -> Flow {
        Flow::V4(crate::flow::FlowKey {
            proto: 6,
            saddr,
            sport,
            daddr: Ipv4Addr::new(198, 51, 100, 1),
            dport: 80,
        })
    }

    /// `(active, inactive)` connections counted on `slot`.
    pub fn set(t: &DestTable, slot: u32, active: u32, inactive: u32) {
        for _ in 0..active {
            t.conn_created(slot);
            t.conn_activated(slot);
        }
        for _ in 0..inactive {
            t.conn_created(slot);
        }
    }

    /// The name (A, B, ...) of the dest `s` picks first among dests of `weights` holding
    /// `counts` (active, inactive) connections, `-` for none.
    pub fn pick_loaded(s: &dyn Scheduler, weights: &[u32], counts: &[(u32, u32)]) -> String {
        let t = DestTable::new(8);
        for (slot, &(a, i)) in counts.iter().enumerate() {
            set(&t, slot as u32, a, i);
        }
        let d = dests(weights);
        picks(s, &mut s.init_state(&d), &d, &t, "ABCDEFGH", 1)
    }

    /// One pick of `s` for `flow`, with the data `s` builds for `d`.
    pub fn pick_for(
        s: &dyn Scheduler,
        st: &mut SchedState,
        d: &[DestInfo],
        counters: &DestTable,
        flags: u32,
        flow: &Flow,
    ) -> Option<usize> {
        let data = s.build(d);
        let p = Pick {
            dests: d,
            data: &data,
            flags,
            counters,
            flow,
            now: 0,
        };
        s.pick(st, &p)
    }

    /// `n` picks, each shown as the name (`names`, one letter per list position) of the
    /// picked dest, `-` for none.
    pub fn picks(
        s: &dyn Scheduler,
        st: &mut SchedState,
        d: &[DestInfo],
        counters: &DestTable,
        names: &str,
        n: usize,
    ) -> String {
        let names: Vec<char> = names.chars().collect();
        (0..n)
            .map(|_| match pick_for(s, st, d, counters, 0, &flow()) {
                Some(i) => names[i],
                None => '-',
            })
            .collect()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_ipvs_scheduler_is_found_by_name() {
        // ipvs-schedulers §9: the kernel's names, plus `none`.
        let names = "rr wrr lc wlc sed nq sh dh mh lblc lblcr fo ovf twos none";
        for name in names.split(' ') {
            assert_eq!(by_name(name).map(|s| s.name()), Some(name));
        }
        assert_eq!(SCHEDULERS.len(), 15);
        assert!(by_name("wlcx").is_none());
    }
}
