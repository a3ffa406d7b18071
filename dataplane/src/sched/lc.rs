//! lc — least connection (ipvs-schedulers §2.3; kernel ip_vs_lc.c).
//!
//! Scans the whole list and picks the dest with the smallest overhead
//! `active * 256 + inactive` (`ip_vs_dest_conn_overhead`; the kernel comment says `<< 5`,
//! the code uses 256), skipping OVERLOAD and weight-0 dests. Weight is otherwise ignored:
//! the shared scan of [`super::load`] with every weight 1. Ties go to the first dest in list
//! order (strict `<`). No cursor.

use super::load::{self, Load};
use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lc;

/// Overhead, unweighted.
struct Connections;

impl Load for Connections {
    fn cost(&self, p: &Pick, i: usize) -> u64 {
        p.overhead(i)
    }
    fn weight(&self, _: &Pick, _: usize) -> u64 {
        1
    }
}

impl Scheduler for Lc {
    fn name(&self) -> &'static str {
        "lc"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        load::least_of_service(&Connections, p)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow, pick_for, picks, set};

    #[test]
    fn least_overhead_first_on_ties() {
        // §2.3: A 10/5 → 2565, B 9/300 → 2604, C 9/260 → 2564 → C.
        let t = DestTable::new(3);
        set(&t, 0, 10, 5);
        set(&t, 1, 9, 300);
        set(&t, 2, 9, 260);
        let d = dests(&[1, 1, 1]);
        let mut st = Lc.init_state(&d);
        assert_eq!(picks(&Lc, &mut st, &d, &t, "ABC", 1), "C");
        // C at 2565 ties with A: the first in list order wins.
        set(&t, 2, 0, 1);
        assert_eq!(picks(&Lc, &mut st, &d, &t, "ABC", 1), "A");
    }

    #[test]
    fn weight_is_a_switch() {
        let t = DestTable::new(3);
        set(&t, 1, 5, 0);
        // A idle but quiesced; B busy; C a little less busy with a tiny weight.
        set(&t, 2, 4, 0);
        let d = dests(&[0, 100, 1]);
        let mut st = Lc.init_state(&d);
        assert_eq!(picks(&Lc, &mut st, &d, &t, "ABC", 1), "C");
        let d = dests(&[0, 0]);
        assert_eq!(picks(&Lc, &mut st, &d, &t, "AB", 1), "-");
    }

    #[test]
    fn follows_the_counters() {
        // All idle, equal: A; each pick then counts a new (inactive) connection.
        let t = DestTable::new(3);
        let d = dests(&[1, 1, 1]);
        let mut st = Lc.init_state(&d);
        let mut got = String::new();
        for _ in 0..6 {
            let i = pick_for(&Lc, &mut st, &d, &t, 0, &flow()).unwrap();
            t.conn_created(d[i].slot);
            got.push(char::from(b'A' + i as u8));
        }
        assert_eq!(got, "ABCABC");
    }

    #[test]
    fn skips_overloaded() {
        // §3: an OVERLOAD dest is skipped even when it is the least loaded.
        let t = DestTable::new(3);
        t.set_thresholds(0, 1, 0);
        set(&t, 0, 0, 1); // total 1 ≥ u_threshold 1: OVERLOAD
        set(&t, 1, 1, 0);
        let d = dests(&[1, 1]);
        let mut st = Lc.init_state(&d);
        assert_eq!(picks(&Lc, &mut st, &d, &t, "AB", 1), "B");
    }
}
