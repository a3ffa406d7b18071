//! lblc — locality-based least connection (ipvs-schedulers §2.10; kernel ip_vs_lblc.c).
//!
//! Remembers, per packet destination address, the dest it last sent there
//! ([`super::locality`], one cache per worker in the cursor). A cached dest is used again
//! while it is in the service, has weight > 0 and is not [`is_overloaded`] (the OVERLOAD
//! threshold flag is not checked here); otherwise wlc picks over the whole service (OVERLOAD
//! skipped) and the entry now names that dest.

use super::load::{self, Overhead};
use super::locality::Cache;
use super::{DestInfo, Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lblc;

/// lblc's own overload test (`is_overloaded`): more active connections than its weight
/// while some dest of the service (any, itself included) is under half of its weight.
pub fn is_overloaded(p: &Pick, i: usize) -> bool {
    let active = |i: usize| u64::from(p.counts(i).0);
    active(i) > u64::from(p.dests[i].weight)
        && (0..p.dests.len()).any(|d| active(d) * 2 < u64::from(p.dests[d].weight))
}

/// The index of the dest in `slot`, if it is still in the service (AVAILABLE).
pub fn index_of(p: &Pick, slot: u32) -> Option<usize> {
    p.dests.iter().position(|d| d.slot == slot)
}

impl Scheduler for Lblc {
    fn name(&self) -> &'static str {
        "lblc"
    }

    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Lblc(Box::default())
    }

    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedState::Lblc(cache) = state else {
            return None;
        };
        pick(cache, p)
    }
}

fn pick(cache: &mut Cache<u32>, p: &Pick) -> Option<usize> {
    let daddr = p.flow.daddr();
    let cached = cache
        .get(daddr, p.now)
        .and_then(|e| index_of(p, e.value))
        .filter(|&i| p.dests[i].weight > 0 && !is_overloaded(p, i));
    if cached.is_some() {
        return cached;
    }
    let i = load::least_of_service(&Overhead, p)?;
    cache.insert(daddr, p.dests[i].slot, p.now);
    Some(i)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, picks, set};

    #[test]
    fn sticks_until_overloaded() {
        // §2.10: A w10, B w10. First packet: wlc → A, cached.
        let t = DestTable::new(2);
        let d = dests(&[10, 10]);
        let mut st = Lblc.init_state(&d);
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 1), "A");
        // A busier than B: wlc alone would pick B, the cache keeps A.
        set(&t, 0, 9, 0);
        set(&t, 1, 6, 0);
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 1), "A");
        // A 11 active (> 10) but B 6 (12 ≥ 10): nobody under half, A stays.
        set(&t, 0, 2, 0);
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 1), "A");
        // B down to 4 (8 < 10): A is overloaded → wlc → B, and the entry follows.
        for _ in 0..2 {
            t.conn_removed(1, true);
        }
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 2), "BB");
    }

    #[test]
    fn a_quiesced_cached_dest_is_replaced() {
        let t = DestTable::new(2);
        let mut d = dests(&[1, 1]);
        let mut st = Lblc.init_state(&d);
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 1), "A");
        d[0].weight = 0;
        assert_eq!(picks(&Lblc, &mut st, &d, &t, "AB", 1), "B");
    }
}
