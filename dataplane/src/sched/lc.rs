//! lc — least connection (ipvs-schedulers §2.3; kernel ip_vs_lc.c).
//!
//! Scans the whole list and picks the dest with the smallest overhead
//! `active * 256 + inactive` (`ip_vs_dest_conn_overhead`; the kernel comment says `<< 5`,
//! the code uses 256). Weight is only a switch: weight-0 dests are skipped. Ties go to the
//! first dest in list order (strict `<`). No cursor.

use super::{DestInfo, Flow, SchedState, Scheduler};
use crate::dest::DestTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lc;

impl Scheduler for Lc {
    fn name(&self) -> &'static str {
        "lc"
    }

    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Stateless
    }

    fn pick(
        &self,
        _state: &mut SchedState,
        dests: &[DestInfo],
        counters: &DestTable,
        _flow: &Flow,
    ) -> Option<usize> {
        let mut least: Option<(usize, u64)> = None;
        for (i, d) in dests.iter().enumerate().filter(|(_, d)| d.weight > 0) {
            let doh = counters.overhead(d.slot);
            if least.is_none_or(|(_, loh)| doh < loh) {
                least = Some((i, doh));
            }
        }
        least.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::sched::test_util::{dests, picks};

    fn set(t: &DestTable, slot: u32, active: u32, inactive: u32) {
        for _ in 0..active {
            t.conn_created(slot);
            t.conn_activated(slot);
        }
        for _ in 0..inactive {
            t.conn_created(slot);
        }
    }

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
            let i = Lc
                .pick(&mut st, &d, &t, &crate::sched::test_util::flow())
                .unwrap();
            t.conn_created(d[i].slot);
            got.push(char::from(b'A' + i as u8));
        }
        assert_eq!(got, "ABCABC");
    }
}
