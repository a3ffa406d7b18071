//! rr — round robin (ipvs-schedulers §2.1; kernel ip_vs_rr.c).
//!
//! The cursor is a position in the destination list, initially the list head ("before the
//! first dest"). A pick scans forward from the dest after the position to the end of the
//! list and takes the first dest with weight > 0 and not OVERLOAD; if there is none and the position was not
//! the head, it scans again from the first dest up to and including the positioned one (so
//! the last pick can be repeated when it is the only eligible dest). The winner becomes the
//! position; when nothing is eligible the position does not move.
//!
//! List changes: a dest added at the head is reached after the scan wraps (the position
//! keeps pointing at the same dest, one index further); deleting the positioned dest moves
//! the position to its predecessor (or the head), so the next pick is the dest that
//! followed it (`ip_vs_rr_del_dest`); edits change nothing.

use super::{DestChange, DestInfo, Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rr;

/// rr's cursor: index of the last pick, `None` = the list head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RrState {
    pub pos: Option<usize>,
}

impl Scheduler for Rr {
    fn name(&self) -> &'static str {
        "rr"
    }

    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Rr(RrState::default())
    }

    fn dests_changed(&self, state: &mut SchedState, change: DestChange, _dests: &[DestInfo]) {
        let SchedState::Rr(st) = state else { return };
        st.pos = match (change, st.pos) {
            (_, None) | (DestChange::Edited { .. }, _) => st.pos,
            (DestChange::Added, Some(p)) => Some(p + 1),
            (DestChange::Deleted { index }, Some(p)) if p == index => index.checked_sub(1),
            (DestChange::Deleted { index }, Some(p)) if p > index => Some(p - 1),
            (DestChange::Deleted { .. }, Some(p)) => Some(p),
        };
    }

    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedState::Rr(st) = state else {
            return None;
        };
        // A position past the end (a stale cursor) counts as the head.
        let pos = st.pos.filter(|&i| i < p.dests.len());
        let after = pos.map_or(0, |i| i + 1);
        let found = (after..p.dests.len())
            .chain(pos.map_or(0..0, |i| 0..i + 1))
            .find(|&i| p.eligible(i))?;
        st.pos = Some(found);
        Some(found)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, picks, set};

    fn setup(weights: &[u32]) -> (Vec<DestInfo>, SchedState, DestTable) {
        let d = dests(weights);
        let st = Rr.init_state(&d);
        (d, st, DestTable::new(8))
    }

    #[test]
    fn add_order_is_reversed() {
        // -a A, -a B, -a C → list C, B, A (§2.1 example).
        let (d, mut st, t) = setup(&[1, 1, 1]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "CBA", 7), "CBACBAC");
    }

    #[test]
    fn add_after_two_picks() {
        let (d, mut st, t) = setup(&[1, 1, 1]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "CBA", 2), "CB");
        let d = dests(&[1, 1, 1, 1]);
        Rr.dests_changed(&mut st, DestChange::Added, &d);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "DCBA", 5), "ADCBA");
    }

    #[test]
    fn delete_positioned_dest() {
        let (d, mut st, t) = setup(&[1, 1, 1]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "CBA", 2), "CB");
        let d = dests(&[1, 1]); // C, A
        Rr.dests_changed(&mut st, DestChange::Deleted { index: 1 }, &d);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "CA", 4), "ACAC");
    }

    #[test]
    fn weight_zero_is_skipped() {
        let (d, mut st, t) = setup(&[1, 0, 1]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "CBA", 4), "CACA");
        let (d, mut st, t) = setup(&[0, 0]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "AB", 2), "--");
        assert_eq!(st, SchedState::Rr(RrState { pos: None }));
        // The only eligible dest is picked again and again.
        let (d, mut st, t) = setup(&[0, 3, 0]);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "ABC", 3), "BBB");
    }

    #[test]
    fn overloaded_dests_are_skipped_until_cleared() {
        // §3 measured: rr over A (-x 4) and B, connections never closing:
        // A B A B A B A B B B; A's connections expiring to total 2 brings it back.
        let t = DestTable::new(2);
        t.set_thresholds(0, 4, 0);
        let (d, mut st, _) = setup(&[1, 1]);
        let mut got = String::new();
        for _ in 0..10 {
            let s = picks(&Rr, &mut st, &d, &t, "AB", 1);
            set(&t, u32::from(s.as_bytes()[0] - b'A'), 0, 1);
            got += &s;
        }
        assert_eq!(got, "ABABABABBB");
        t.conn_removed(0, false);
        assert_eq!(
            picks(&Rr, &mut st, &d, &t, "AB", 1),
            "B",
            "total 3: 12 < 12 is false"
        );
        t.conn_removed(0, false);
        assert_eq!(picks(&Rr, &mut st, &d, &t, "AB", 1), "A");
    }
}
