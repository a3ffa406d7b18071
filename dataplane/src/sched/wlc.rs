//! wlc — weighted least connection, ipvsadm's default (ipvs-schedulers §2.4; kernel
//! ip_vs_wlc.c).
//!
//! The least `overhead / weight` (overhead = `active * 256 + inactive`) over the dests that
//! are not OVERLOAD; weight-0 dests are never chosen, ties keep the earlier dest in list
//! order. The scan is [`super::load`]'s, shared with sed, nq, lblc, lblcr and twos. No cursor.

use super::load::{self, Overhead};
use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wlc;

impl Scheduler for Wlc {
    fn name(&self) -> &'static str {
        "wlc"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        load::least_of_service(&Overhead, p)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::sched::test_util::pick_loaded;

    fn pick(weights: &[u32], counts: &[(u32, u32)]) -> String {
        pick_loaded(&Wlc, weights, counts)
    }

    #[test]
    fn least_overhead_per_weight() {
        // §2.4: A w1 512, B w3 1290, C w2 868 → B (430 per unit vs 434 for C).
        assert_eq!(pick(&[1, 3, 2], &[(2, 0), (5, 10), (3, 100)]), "B");
        // Tie: A w2 512, B w1 256 → A stays.
        assert_eq!(pick(&[2, 1], &[(2, 0), (1, 0)]), "A");
        // §2.6: inactive connections count for wlc: A 0/300, B 1/0 → B.
        assert_eq!(pick(&[1, 1], &[(0, 300), (1, 0)]), "B");
    }

    #[test]
    fn weight_zero_never_chosen() {
        assert_eq!(pick(&[0, 1], &[(0, 0), (50, 0)]), "B");
        assert_eq!(pick(&[0, 0], &[]), "-");
    }
}
