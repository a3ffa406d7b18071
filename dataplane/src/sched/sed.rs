//! sed — shortest expected delay (ipvs-schedulers §2.5; kernel ip_vs_sed.c).
//!
//! wlc's scan ([`super::load`]) with the cost `active + 1`: inactive connections are
//! ignored. Weight-0 dests are never chosen; ties keep the earlier dest. No cursor.

use super::load::{self, ExpectedDelay};
use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sed;

impl Scheduler for Sed {
    fn name(&self) -> &'static str {
        "sed"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        load::least_of_service(&ExpectedDelay, p)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::sched::test_util::pick_loaded;

    fn pick(weights: &[u32], counts: &[(u32, u32)]) -> String {
        pick_loaded(&Sed, weights, counts)
    }

    #[test]
    fn spec_examples() {
        // §2.6: A w1 active 0 (1/1), B w4 active 2 (3/4) → B.
        assert_eq!(pick(&[1, 4], &[(0, 0), (2, 0)]), "B");
        // A w1 active 1 (2/1), B w4 active 5 (6/4) → B.
        assert_eq!(pick(&[1, 4], &[(1, 0), (5, 0)]), "B");
        // Inactive connections never matter: A 0/300, B 1/0 → A.
        assert_eq!(pick(&[1, 1], &[(0, 300), (1, 0)]), "A");
    }
}
