//! nq — never queue (ipvs-schedulers §2.6; kernel ip_vs_nq.c).
//!
//! The first eligible dest (weight > 0, not OVERLOAD) in list order with no active
//! connection is taken at once; if every one is busy, sed's choice (cost `active + 1` per
//! weight, [`super::load`]). No cursor.

use super::load::{self, ExpectedDelay};
use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nq;

impl Scheduler for Nq {
    fn name(&self) -> &'static str {
        "nq"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        let mut eligible = (0..p.dests.len()).filter(|&i| p.eligible(i));
        eligible
            .clone()
            .find(|&i| p.counts(i).0 == 0)
            .or_else(|| load::least(&ExpectedDelay, p, &mut eligible))
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::sched::test_util::pick_loaded;

    fn pick(weights: &[u32], counts: &[(u32, u32)]) -> String {
        pick_loaded(&Nq, weights, counts)
    }

    #[test]
    fn spec_examples() {
        // §2.6: A w1 idle, B w4 active 2 → A (sed would pick B).
        assert_eq!(pick(&[1, 4], &[(0, 0), (2, 0)]), "A");
        // No idle dest: as sed → B.
        assert_eq!(pick(&[1, 4], &[(1, 0), (5, 0)]), "B");
        // The idle dest must be eligible: A idle but weight 0, C idle → C.
        assert_eq!(pick(&[0, 4, 1], &[(0, 0), (5, 0), (0, 9)]), "C");
    }
}
