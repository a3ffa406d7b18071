//! lblcr — locality-based least connection with replication (ipvs-schedulers §2.11; kernel
//! ip_vs_lblcr.c).
//!
//! Like lblc ([`super::lblc`]) but each destination address has a *set* of dests (newest
//! member first):
//! 1. the set's weighted least loaded member (`ip_vs_dest_set_min`, wlc over the members
//!    still in the service) is the candidate;
//! 2. if the set has more than one member and was not changed for the expiration time, its
//!    weighted most loaded member (`ip_vs_dest_set_max`) leaves it;
//! 3. the candidate is used unless lblc's [`is_overloaded`] says otherwise; then wlc over
//!    the service picks, and the winner joins the set.
//!
//! An address without an entry gets wlc's pick in a new one-member set. The set is bounded
//! ([`SET_MAX`] members, allocation-free): a member joining a full set pushes out the oldest.

use super::lblc::{index_of, is_overloaded};
use super::load::{self, Overhead};
use super::locality::{Cache, EXPIRATION_MS};
use super::{DestInfo, Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lblcr;

/// Members a set holds at most.
pub const SET_MAX: usize = 8;

/// The dests (by slot) serving one address, newest first, and when the set last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestSet {
    slots: [u32; SET_MAX],
    len: usize,
    lastmod: u64,
}

impl DestSet {
    fn of(slot: u32, now: u64) -> DestSet {
        let mut s = DestSet {
            slots: [0; SET_MAX],
            len: 0,
            lastmod: now,
        };
        s.insert(slot, now);
        s
    }

    fn members(&self) -> &[u32] {
        &self.slots[..self.len]
    }

    /// The members' indexes in the service, in set order (members gone from the service are
    /// not AVAILABLE: skipped).
    fn present<'a>(&'a self, p: &'a Pick) -> impl Iterator<Item = usize> + 'a {
        self.members().iter().filter_map(|&s| index_of(p, s))
    }

    /// `ip_vs_dest_set_insert` (checked): a new member goes to the head.
    fn insert(&mut self, slot: u32, now: u64) {
        if self.members().contains(&slot) {
            return;
        }
        self.len = (self.len + 1).min(SET_MAX);
        self.slots.copy_within(0..self.len - 1, 1);
        self.slots[0] = slot;
        self.lastmod = now;
    }

    /// `ip_vs_dest_set_erase`.
    fn erase(&mut self, slot: u32, now: u64) {
        if let Some(at) = self.members().iter().position(|&s| s == slot) {
            self.slots.copy_within(at + 1..self.len, at);
            self.len -= 1;
            self.lastmod = now;
        }
    }

    /// `ip_vs_dest_set_min`.
    fn least(&self, p: &Pick) -> Option<usize> {
        load::least(&Overhead, p, self.present(p).filter(|&i| p.eligible(i)))
    }

    /// `ip_vs_dest_set_max`: among members with weight > 0 (OVERLOAD or not), the first of
    /// the most loaded per weight.
    fn most(&self, p: &Pick) -> Option<usize> {
        self.present(p)
            .filter(|&i| p.dests[i].weight > 0)
            .reduce(|m, d| {
                if load::heavier(&Overhead, p, d, m) {
                    d
                } else {
                    m
                }
            })
    }
}

impl Scheduler for Lblcr {
    fn name(&self) -> &'static str {
        "lblcr"
    }

    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Lblcr(Box::default())
    }

    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedState::Lblcr(cache) = state else {
            return None;
        };
        pick(cache, p)
    }
}

fn pick(cache: &mut Cache<DestSet>, p: &Pick) -> Option<usize> {
    let daddr = p.flow.daddr();
    let Some(entry) = cache.get(daddr, p.now) else {
        let i = load::least_of_service(&Overhead, p)?;
        cache.insert(daddr, DestSet::of(p.dests[i].slot, p.now), p.now);
        return Some(i);
    };
    let set = &mut entry.value;
    let least = set.least(p);
    if set.len > 1 && p.now > set.lastmod + EXPIRATION_MS {
        if let Some(m) = set.most(p) {
            set.erase(p.dests[m].slot, p.now);
        }
    }
    if let Some(i) = least.filter(|&i| !is_overloaded(p, i)) {
        return Some(i);
    }
    let i = load::least_of_service(&Overhead, p)?;
    set.insert(p.dests[i].slot, p.now);
    Some(i)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow, set};

    fn go(cache: &mut Cache<DestSet>, d: &[DestInfo], t: &DestTable, now: u64) -> Option<usize> {
        let data = Default::default();
        let f = flow();
        let p = Pick {
            dests: d,
            data: &data,
            flags: 0,
            counters: t,
            flow: &f,
            now,
        };
        pick(cache, &p)
    }

    fn members(cache: &mut Cache<DestSet>) -> Vec<u32> {
        let e = cache.get(flow().daddr(), 0).unwrap();
        e.value.members().to_vec()
    }

    #[test]
    fn the_set_grows_under_overload_and_shrinks_when_stale() {
        let t = DestTable::new(3);
        let d = dests(&[4, 4, 4]);
        let mut c = Cache::default();
        // No entry: wlc → A; set {A}.
        assert_eq!(go(&mut c, &d, &t, 0), Some(0));
        // A over its weight while B is under half of its: wlc → B joins at the head.
        set(&t, 0, 5, 0);
        set(&t, 1, 1, 0);
        set(&t, 2, 2, 0);
        assert_eq!(go(&mut c, &d, &t, 1), Some(1));
        assert_eq!(members(&mut c), [1, 0]);
        // The least loaded member, B, serves while it is not overloaded.
        assert_eq!(go(&mut c, &d, &t, 2), Some(1));
        // Unchanged for the expiration time: the most loaded member (A) leaves.
        assert_eq!(go(&mut c, &d, &t, 3 + EXPIRATION_MS), Some(1));
        assert_eq!(members(&mut c), [1]);
    }

    #[test]
    fn sets_are_bounded_newest_first() {
        let mut s = DestSet::of(0, 0);
        for slot in 1..=SET_MAX as u32 {
            s.insert(slot, 0);
        }
        assert_eq!(s.members(), [8, 7, 6, 5, 4, 3, 2, 1]);
        s.insert(5, 0);
        assert_eq!(s.len, SET_MAX, "a member is not inserted twice");
        s.erase(5, 0);
        assert_eq!(s.members(), [8, 7, 6, 4, 3, 2, 1]);
    }
}
