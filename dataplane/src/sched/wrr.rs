//! wrr — weighted round robin (ipvs-schedulers §2.2; kernel ip_vs_wrr.c).
//!
//! The cursor ("mark") is `cl`, the last picked dest (or the list head), and `cw`, the
//! current weight threshold. From the list come `di`, the gcd of all weights > 0 (1 if
//! none), and `mw`, the largest weight minus `di − 1` (so the last lap runs at `cw = 1` and a
//! dest whose weight was lowered below `di` is still found).
//!
//! A pick scans forward from the dest after `cl` and takes the first dest not OVERLOAD with
//! weight ≥ `cw`.
//! At the end of the list `cw` drops by `di`; below 1 it wraps to `mw` (a new cycle). So in
//! one cycle (`cw = mw, mw − di, …, ≥ 1`) a dest of weight `w` is picked `w / di` times, heavy
//! dests first. The scan gives up ("no destination available") once every dest has been
//! examined at the lowest level, including the dests before the starting position; `mw = 0`
//! (all weights 0) fails at once.
//!
//! Any list change (add, delete, every edit) resets `cl` to the head and recomputes `di` and
//! `mw`; then `cw` becomes `mw` if it is above `mw` or 0, else is realigned to the new step
//! (`(cw / di) * di + 1`) when `di > 1` (`ip_vs_wrr_dest_changed`). A service built dest by
//! dest therefore starts with `cw = 1`: its first lap picks every dest once in list order.

use super::{DestChange, DestInfo, Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wrr;

/// wrr's mark. Signed like the kernel's `int`s: `cw` goes to 0 or below before wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrrState {
    /// Last picked dest, `None` = the list head.
    pub cl: Option<usize>,
    pub cw: i64,
    pub mw: i64,
    pub di: i64,
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `ip_vs_wrr_gcd_weight`: gcd of the weights > 0, 1 if there are none.
fn gcd_weight(dests: &[DestInfo]) -> i64 {
    let g = dests
        .iter()
        .filter(|d| d.weight > 0)
        .fold(0, |g, d| gcd(i64::from(d.weight), g));
    if g == 0 {
        1
    } else {
        g
    }
}

/// `ip_vs_wrr_max_weight`, less `di − 1`.
fn level_max(dests: &[DestInfo], di: i64) -> i64 {
    let max = dests.iter().map(|d| i64::from(d.weight)).max().unwrap_or(0);
    max - (di - 1)
}

impl Scheduler for Wrr {
    fn name(&self) -> &'static str {
        "wrr"
    }

    fn init_state(&self, dests: &[DestInfo]) -> SchedState {
        let di = gcd_weight(dests);
        let mw = level_max(dests, di);
        SchedState::Wrr(WrrState {
            cl: None,
            cw: mw,
            mw,
            di,
        })
    }

    fn dests_changed(&self, state: &mut SchedState, _change: DestChange, dests: &[DestInfo]) {
        let SchedState::Wrr(m) = state else { return };
        m.cl = None;
        m.di = gcd_weight(dests);
        m.mw = level_max(dests, m.di);
        if m.cw > m.mw || m.cw == 0 {
            m.cw = m.mw;
        } else if m.di > 1 {
            m.cw = (m.cw / m.di) * m.di + 1;
        }
    }

    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedState::Wrr(m) = state else {
            return None;
        };
        match schedule(m, p) {
            Ok(found) => {
                m.cl = Some(found);
                Some(found)
            }
            Err(stopped) => {
                m.cl = stopped;
                None
            }
        }
    }
}

/// `ip_vs_wrr_schedule` step by step. `Ok(i)`: picked `i`. `Err(at)`: nothing eligible,
/// the mark stays at `at` (`None` = the head).
fn schedule(m: &mut WrrState, p: &Pick) -> Result<usize, Option<usize>> {
    let mut dest = m.cl.filter(|&i| i < p.dests.len());
    if m.mw == 0 {
        return Err(dest);
    }
    let last = dest;
    let (mut stop, mut last_pass, mut restarted) = (None, false, false);
    loop {
        for (i, d) in p.dests.iter().enumerate().skip(dest.map_or(0, |i| i + 1)) {
            if i64::from(d.weight) >= m.cw && !p.overloaded(i) {
                return Ok(i);
            }
            if stop == Some(i) {
                return Err(Some(i));
            }
        }
        dest = None; // the scan reached the list head
        m.cw -= m.di;
        if m.cw <= 0 {
            m.cw = m.mw;
            if last_pass || last.is_none() {
                return Err(None);
            }
            restarted = true;
        }
        last_pass = m.cw <= m.di;
        if last_pass && restarted && last.is_some() {
            // The first lap at the lowest level only saw the dests after `last`; now look at
            // those up to and including it.
            stop = last;
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, picks};

    /// A service created with `-A`, then filled with `-a` in the reverse of list order (each
    /// add goes to the head), as §2.2's examples are.
    fn built(weights: &[u32]) -> (Vec<DestInfo>, SchedState) {
        let mut st = Wrr.init_state(&[]);
        let mut d = Vec::new();
        for &w in weights.iter().rev() {
            d.insert(0, dests(&[w])[0]);
            Wrr.dests_changed(&mut st, DestChange::Added, &d);
        }
        (dests(weights), st)
    }

    fn seq(weights: &[u32], names: &str, n: usize) -> String {
        let (d, mut st) = built(weights);
        picks(&Wrr, &mut st, &d, &DestTable::new(4), names, n)
    }

    #[test]
    fn built_dest_by_dest_starts_at_cw_1() {
        assert_eq!(seq(&[3, 2, 1], "ABC", 12), "ABCAABABCAAB");
        assert_eq!(seq(&[1, 2, 3], "CBA", 12), "CBAABACBAABA");
        assert_eq!(seq(&[4, 3, 2], "ABC", 21), "ABCAABABCABCAABABCABC");
        assert_eq!(seq(&[6, 4, 2], "ABC", 15), "ABCAABABCAABABC");
        assert_eq!(seq(&[4, 2], "AB", 8), "ABAABAAB");
        assert_eq!(seq(&[3, 2, 0], "ABC", 10), "ABAABABAAB");
    }

    #[test]
    fn weight_zero_first_add_leaves_cw_zero() {
        // C (w 0) added first: mw = 0, cw = 0; then B=2: di 2, mw 1, cw 1 (§2.2).
        let (_, st) = built(&[0]);
        let SchedState::Wrr(m) = st else { panic!() };
        assert_eq!((m.di, m.mw, m.cw), (1, 0, 0));
        let (_, st) = built(&[2, 0]);
        let SchedState::Wrr(m) = st else { panic!() };
        assert_eq!((m.di, m.mw, m.cw), (2, 1, 1));
    }

    #[test]
    fn init_on_full_list_starts_at_cw_mw() {
        let d = dests(&[3, 2, 1]);
        let mut st = Wrr.init_state(&d);
        let t = DestTable::new(4);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "ABC", 12), "AABABCAABABC");
    }

    fn edit(st: &mut SchedState, weights: &[u32], index: usize) -> Vec<DestInfo> {
        let d = dests(weights);
        Wrr.dests_changed(st, DestChange::Edited { index }, &d);
        d
    }

    #[test]
    fn weight_changes() {
        let t = DestTable::new(4);
        let (d, mut st) = built(&[3, 2, 1]);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "ABC", 4), "ABCA");
        let d = edit(&mut st, &[3, 2, 2], 2);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "ABC", 12), "AABCABCAABCA");

        let (d, mut st) = built(&[6, 4, 2]);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "ABC", 2), "AB");
        let d = edit(&mut st, &[3, 4, 2], 0);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "ABC", 12), "ABCBABABCABC");

        let (d, mut st) = built(&[4, 2]);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "AB", 1), "A");
        edit(&mut st, &[6, 2], 0);
        let d = edit(&mut st, &[6, 4], 1);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "AB", 12), "ABAABABAABAB");
    }

    #[test]
    fn all_weights_zero_fail() {
        assert_eq!(seq(&[0, 0], "AB", 3), "---");
        let t = DestTable::new(4);
        let (_, mut st) = built(&[2, 1]);
        let d = edit(&mut st, &[0, 0], 0);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "AB", 2), "--");
        // Back to non-zero weights: scheduling resumes.
        let d = edit(&mut st, &[1, 1], 0);
        assert_eq!(picks(&Wrr, &mut st, &d, &t, "AB", 4), "ABAB");
    }
}
