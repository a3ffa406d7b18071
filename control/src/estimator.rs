//! IPVS's rate estimator (ipvs-schedulers §7): every 2 s, each of the five rates moves a
//! quarter of the way towards the last interval's rate, in the kernel's fixed-point
//! integers, so `--rate` shows the same numbers with the same lag.

/// Seconds between two updates (`IPVS_EST_TICK` × 50 ticks, or the old 2 s timer).
pub const PERIOD_SECS: u64 = 2;

/// Scaled rates: conns, inpkts, outpkts ×1024 per second; inbytes, outbytes ×32 per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimator {
    /// The counters at the last update (`last_*`).
    last: [u64; 5],
    scaled: [i64; 5],
}

/// `<< 9` gives Δ·1024/2 for the three event counts, `<< 4` gives Δ·32/2 for the bytes.
const SHIFT_IN: [u32; 5] = [9, 9, 9, 4, 4];
/// Decoding for display: `(scaled + round) >> shift` (`ip_vs_read_estimator`).
const SHIFT_OUT: [u32; 5] = [10, 10, 10, 5, 5];

impl Estimator {
    /// An estimator whose counters stand at `now` (`ip_vs_start_estimator`, `-Z`): rates 0.
    pub fn starting_at(now: [u64; 5]) -> Estimator {
        Estimator {
            last: now,
            scaled: [0; 5],
        }
    }

    /// One 2-s update with the counters at `now` (`ip_vs_chain_estimation`).
    pub fn update(&mut self, now: [u64; 5]) {
        for i in 0..5 {
            let delta = now[i].wrapping_sub(self.last[i]);
            let target = (delta << SHIFT_IN[i]) as i64;
            // Signed difference, arithmetic shift: the kernel's floor.
            self.scaled[i] += (target - self.scaled[i]) >> 2;
        }
        self.last = now;
    }

    /// The rates as ipvsadm shows them: CPS, InPPS, OutPPS, InBPS, OutBPS.
    pub fn rates(&self) -> [u64; 5] {
        std::array::from_fn(|i| {
            let round = (1i64 << (SHIFT_OUT[i] - 1)) - 1;
            ((self.scaled[i] + round) >> SHIFT_OUT[i]).max(0) as u64
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Drives one counter (index `i`) by `deltas`, one per update; the shown rates.
    fn series(i: usize, deltas: &[u64]) -> Vec<u64> {
        let mut e = Estimator::starting_at([0; 5]);
        let mut now = [0u64; 5];
        deltas
            .iter()
            .map(|d| {
                now[i] += d;
                e.update(now);
                e.rates()[i]
            })
            .collect()
    }

    /// ipvs-schedulers §7.1's worked examples.
    #[test]
    fn steady_rates_approach_the_rate() {
        let cps = series(0, &[2000; 10]);
        assert_eq!(cps, [250, 437, 578, 684, 763, 822, 867, 900, 925, 944]);
        let bps = series(3, &[2_000_000; 5]);
        assert_eq!(bps, [250000, 437500, 578125, 683594, 762695]);
        assert_eq!(series(1, &[2, 2, 2, 2]), [0, 0, 1, 1]);
    }

    /// The oracle's burst of 2000 30-byte datagrams in one interval, then nothing (Linux
    /// 6.12 and 6.1 showed exactly these), and one 29-byte datagram a second.
    #[test]
    fn a_burst_decays_as_on_the_kernel() {
        let mut burst = vec![2000];
        burst.resize(21, 0);
        let pps = [
            250, 187, 141, 105, 79, 59, 44, 33, 25, 19, 14, 11, 8, 6, 4, 3, 3, 2, 1, 1, 1,
        ];
        assert_eq!(series(1, &burst), pps);
        let bytes: Vec<u64> = burst.iter().map(|n| n * 30).collect();
        let bps = [
            7500, 5625, 4219, 3164, 2373, 1780, 1335, 1001, 751, 563, 422, 317, 238, 178, 134, 100,
            75, 56, 42, 32, 24,
        ];
        assert_eq!(series(3, &bytes), bps);
        assert_eq!(series(1, &[1, 2, 2]), [0, 0, 1]);
        assert_eq!(series(3, &[29, 58, 58, 58]), [4, 10, 15, 18]);
    }

    #[test]
    fn counters_that_wrap_still_give_the_interval() {
        let mut e = Estimator::starting_at([u64::MAX - 999, 0, 0, 0, 0]);
        e.update([1000, 0, 0, 0, 0]);
        assert_eq!(e.rates()[0], 250);
    }
}
