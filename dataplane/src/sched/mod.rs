//! Schedulers: which real server gets a new connection (ipvs-schedulers §1, §2).
//!
//! A [`Scheduler`] is a stateless algorithm found by name ([`by_name`]). What it remembers
//! between picks (rr's position, wrr's weight mark) is a [`SchedState`] cursor that each
//! worker owns for each service, so picking takes no lock and touches no shared cache line
//! except the destinations' live counters (design.md, "Scheduling with several workers":
//! each worker follows IPVS's exact sequence on its share of the new connections).
//!
//! The service's destinations are passed as a slice in IPVS list order (a newly added dest
//! goes to the **head**, ipvs-schedulers §0), read from the immutable service snapshot.
//! When the list changes, the worker tells the cursor with [`Scheduler::dests_changed`] (the
//! kernel's add_dest/del_dest/upd_dest hooks, §1.3); that and [`Scheduler::init_state`] may
//! allocate, [`Scheduler::pick`] never does.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use dataplane::dest::DestTable;
//! use dataplane::flow::{Flow, FlowKey};
//! use dataplane::sched::{by_name, DestChange, DestInfo};
//!
//! let counters = DestTable::new(8);
//! // ipvsadm -A -t V:80 -s wrr; -a ... -w 1 (slot 5); -a ... -w 2 (slot 6): list order 6, 5.
//! let wrr = by_name("wrr").unwrap();
//! let mut dests = Vec::new();
//! let mut cursor = wrr.init_state(&dests); // one per worker per service
//! for (slot, weight) in [(5, 1), (6, 2)] {
//!     dests.insert(0, DestInfo { weight, slot }); // new dests go to the head
//!     wrr.dests_changed(&mut cursor, DestChange::Added, &dests);
//! }
//! let flow = Flow::V4(FlowKey { proto: 6, saddr: Ipv4Addr::new(203, 0, 113, 10), sport: 40000,
//!                               daddr: Ipv4Addr::new(198, 51, 100, 1), dport: 80 });
//! let slots: Vec<u32> = (0..5)
//!     .map(|_| dests[wrr.pick(&mut cursor, &dests, &counters, &flow).unwrap()].slot)
//!     .collect();
//! assert_eq!(slots, [6, 5, 6, 6, 5]); // first lap at cw = 1, then 2:1 (§2.2)
//! ```
//!
//! Adding a scheduler is one file with its algorithm explained on top, one line in
//! [`SCHEDULERS`], and, only if it keeps a cursor, one [`SchedState`] variant.
//! Destination thresholds (OVERLOAD, §3) are not modelled yet.

use std::fmt::Debug;

use crate::dest::DestTable;
pub use crate::flow::Flow;

pub mod cursors;
pub mod lc;
pub mod none;
pub mod rr;
pub mod wrr;

/// One destination of a service, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestInfo {
    /// Current weight; 0 = quiesced, never picked for a new connection (§1.4).
    pub weight: u32,
    /// Slot of its live counters in the [`DestTable`].
    pub slot: u32,
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

/// A worker's cursor for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedState {
    /// Schedulers that keep nothing (lc, ...).
    Stateless,
    Rr(rr::RrState),
    Wrr(wrr::WrrState),
}

/// A scheduling algorithm.
pub trait Scheduler: Debug + Send + Sync {
    /// The name `ipvsadm -s` takes.
    fn name(&self) -> &'static str;

    /// A fresh cursor for a service with these destinations (`init_service`).
    fn init_state(&self, dests: &[DestInfo]) -> SchedState;

    /// Adjusts the cursor after `change`; `dests` is the new list.
    fn dests_changed(&self, _state: &mut SchedState, _change: DestChange, _dests: &[DestInfo]) {}

    /// Index in `dests` of the destination for a new connection, or `None`
    /// ("no destination available", §1.2). Reads live counters from `counters`; `flow` is
    /// the packet that creates the connection (for the hashing schedulers).
    fn pick(
        &self,
        state: &mut SchedState,
        dests: &[DestInfo],
        counters: &DestTable,
        flow: &Flow,
    ) -> Option<usize>;
}

/// Every scheduler, found by name.
pub static SCHEDULERS: &[&dyn Scheduler] = &[&rr::Rr, &wrr::Wrr, &lc::Lc, &none::NoneSched];

/// The scheduler called `name` (`ipvsadm -s name`).
pub fn by_name(name: &str) -> Option<&'static dyn Scheduler> {
    SCHEDULERS.iter().copied().find(|s| s.name() == name)
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Dests with these weights, slots 0, 1, 2... in list order.
    pub fn dests(weights: &[u32]) -> Vec<DestInfo> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| DestInfo {
                weight,
                slot: i as u32,
            })
            .collect()
    }

    pub fn flow() -> Flow {
        Flow::V4(crate::flow::FlowKey {
            proto: 6,
            saddr: std::net::Ipv4Addr::new(203, 0, 113, 10),
            sport: 40000,
            daddr: std::net::Ipv4Addr::new(198, 51, 100, 1),
            dport: 80,
        })
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
            .map(|_| match s.pick(st, d, counters, &flow()) {
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
    fn found_by_name() {
        for name in ["rr", "wrr", "lc"] {
            assert_eq!(by_name(name).map(|s| s.name()), Some(name));
        }
        assert!(by_name("wlcx").is_none());
    }
}
