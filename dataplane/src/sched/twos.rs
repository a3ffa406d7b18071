//! twos — power of two choices (ipvs-schedulers §2.14; kernel ip_vs_twos.c).
//!
//! 1. W = the sum of the weights of the eligible dests (weight > 0, not OVERLOAD); none →
//!    no destination.
//! 2. Two independent draws r1, r2 uniform in [0, W] (W + 1 values,
//!    `get_random_u32_below(W + 1)`).
//! 3. Walking the eligible dests in list order and subtracting each weight, choice k is the
//!    first dest at which rk ≤ 0 (so the first dest has W's extra value: (w1 + 1)/(W + 1)).
//! 4. choice2 if it is strictly less loaded per weight (wlc's comparison,
//!    [`super::load`]), else choice1.
//!
//! The kernel draws from its CRNG; each worker's cursor holds its own generator instead
//! (xorshift64*, seeded from the standard library's per-process random keys), so a pick
//! takes no lock and shares no line.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use super::load::{self, Overhead};
use super::{DestInfo, Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twos;

/// A worker's random generator (xorshift64*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (0 is replaced: xorshift would stay at 0).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, n)` by multiply-shift; the bias is at most n / 2^64.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

impl Scheduler for Twos {
    fn name(&self) -> &'static str {
        "twos"
    }

    fn init_state(&self, _dests: &[DestInfo]) -> SchedState {
        SchedState::Twos(Rng::new(RandomState::new().hash_one(0u8)))
    }

    fn pick(&self, state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedState::Twos(rng) = state else {
            return None;
        };
        let eligible = || (0..p.dests.len()).filter(|&i| p.eligible(i));
        let total: u64 = eligible().map(|i| u64::from(p.dests[i].weight)).sum();
        if total == 0 {
            return None;
        }
        let (r1, r2) = (rng.below(total + 1), rng.below(total + 1));
        let choice = |r: u64| {
            let mut left = r;
            eligible().find(|&i| {
                let w = u64::from(p.dests[i].weight);
                let hit = left <= w;
                left = left.saturating_sub(w);
                hit
            })
        };
        let (c1, c2) = (choice(r1)?, choice(r2)?);
        Some(if load::heavier(&Overhead, p, c1, c2) {
            c2
        } else {
            c1
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow, set};
    use crate::sched::SchedData;

    /// How often each dest is picked in `n` picks.
    fn shares(weights: &[u32], t: &DestTable, n: usize) -> Vec<f64> {
        let d = dests(weights);
        let mut st = SchedState::Twos(Rng::new(0x1234_5678));
        let f = flow();
        let p = Pick {
            dests: &d,
            data: &SchedData::None,
            flags: 0,
            counters: t,
            flow: &f,
            now: 0,
        };
        let mut hits = vec![0usize; d.len()];
        for _ in 0..n {
            hits[Twos.pick(&mut st, &p).unwrap()] += 1;
        }
        hits.iter().map(|&h| h as f64 / n as f64).collect()
    }

    fn near(got: f64, want: f64) -> bool {
        (got - want).abs() < 0.01
    }

    #[test]
    fn equal_load_returns_the_first_draw() {
        // §2.14: A=1, B=1 draw A with p = 2/3; equal load → choice1.
        let s = shares(&[1, 1], &DestTable::new(2), 100_000);
        assert!(near(s[0], 2.0 / 3.0), "{s:?}");
        // 3:2:1 → 4/7, 2/7, 1/7.
        let s = shares(&[3, 2, 1], &DestTable::new(3), 100_000);
        assert!(near(s[0], 4.0 / 7.0) && near(s[1], 2.0 / 7.0), "{s:?}");
    }

    #[test]
    fn the_less_loaded_of_two_draws_wins() {
        // §2.14: B less loaded → returned with p = 1 − (2/3)² = 5/9.
        let t = DestTable::new(2);
        set(&t, 0, 1, 0);
        let s = shares(&[1, 1], &t, 100_000);
        assert!(near(s[1], 5.0 / 9.0), "{s:?}");
    }

    #[test]
    fn nothing_eligible() {
        let d = dests(&[0, 0]);
        let t = DestTable::new(2);
        let mut st = Twos.init_state(&d);
        let got = crate::sched::test_util::pick_for(&Twos, &mut st, &d, &t, 0, &flow());
        assert_eq!(got, None);
    }
}
