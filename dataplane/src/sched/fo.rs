//! fo — weighted failover (ipvs-schedulers §2.12; kernel ip_vs_fo.c).
//!
//! The eligible dest (not OVERLOAD) with the highest weight, strictly greater than the best
//! so far starting from 0: ties go to the first in list order and weight 0 is never chosen.
//! Connection counts are not read; only the thresholds (OVERLOAD) make it fail over. ovf is
//! the same scan with one more filter ([`heaviest`]). No cursor.

use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fo;

/// The dest with the highest weight among the non-OVERLOAD dests with weight > 0 that `keep`
/// accepts; the first on ties.
pub fn heaviest(p: &Pick, keep: impl Fn(usize) -> bool) -> Option<usize> {
    (0..p.dests.len())
        .filter(|&i| p.eligible(i) && keep(i))
        .reduce(|h, i| {
            if p.dests[i].weight > p.dests[h].weight {
                i
            } else {
                h
            }
        })
}

impl Scheduler for Fo {
    fn name(&self) -> &'static str {
        "fo"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        heaviest(p, |_| true)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, picks};

    #[test]
    fn fails_over_on_the_upper_threshold() {
        // §2.12: A w100 -x 2, B w100, C w50 → A A B B …, A again once below its threshold.
        let t = DestTable::new(3);
        t.set_thresholds(0, 2, 0);
        let d = dests(&[100, 100, 50]);
        let mut st = Fo.init_state(&d);
        let mut got = String::new();
        for _ in 0..4 {
            got += &picks(&Fo, &mut st, &d, &t, "ABC", 1);
            let i = got.len() - 1;
            t.conn_created(u32::from(got.as_bytes()[i] - b'A'));
        }
        assert_eq!(got, "AABB");
        // One of A's connections ends: total 1, 1·4 < 2·3 clears OVERLOAD (§3).
        t.conn_removed(0, false);
        assert_eq!(picks(&Fo, &mut st, &d, &t, "ABC", 1), "A");
    }

    #[test]
    fn weight_zero_never() {
        let t = DestTable::new(4);
        let d = dests(&[0, 0]);
        assert_eq!(picks(&Fo, &mut Fo.init_state(&d), &d, &t, "AB", 1), "-");
        let d = dests(&[0, 3, 5, 5]);
        assert_eq!(picks(&Fo, &mut Fo.init_state(&d), &d, &t, "ABCD", 1), "C");
    }
}
