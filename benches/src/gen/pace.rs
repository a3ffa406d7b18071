//! `--rate`: a token bucket on the TSC. Tokens accrue at the rate; a burst of [`BURST`] goes
//! when that many are there; the bucket holds two bursts, so a loop that came late catches up
//! a little but never floods.

/// Packets per TX burst.
pub const BURST: usize = 32;

pub struct Pacer {
    /// Packets per second; 0: no pacing.
    rate: u64,
    hz: u64,
    /// Tokens × `hz` (integer arithmetic: one multiplication per poll).
    credit: u64,
    last: u64,
}

impl Pacer {
    /// A pacer at `rate` packets/s (0: as fast as the link takes) on a clock of `hz`, empty
    /// at `now`.
    pub fn new(rate: u64, hz: u64, now: u64) -> Pacer {
        Pacer {
            rate,
            hz,
            credit: 0,
            last: now,
        }
    }

    /// How many packets may go at `now`: a burst, or none.
    pub fn grant(&mut self, now: u64) -> usize {
        if self.rate == 0 {
            return BURST;
        }
        let full = 2 * BURST as u64 * self.hz;
        let accrued = now.wrapping_sub(self.last).saturating_mul(self.rate);
        self.credit = self.credit.saturating_add(accrued).min(full);
        self.last = now;
        if self.credit >= BURST as u64 * self.hz {
            BURST
        } else {
            0
        }
    }

    /// `n` packets went.
    pub fn spend(&mut self, n: usize) {
        self.credit = self.credit.saturating_sub(n as u64 * self.hz);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Packets sent polling every `step` ticks of a `hz` clock for `ticks`, every grant used.
    fn run(p: &mut Pacer, from: u64, ticks: u64, step: u64) -> u64 {
        let mut sent = 0;
        for now in (from..from + ticks).step_by(step as usize) {
            let n = p.grant(now);
            p.spend(n);
            sent += n as u64;
        }
        sent
    }

    #[test]
    fn keeps_the_rate() {
        let hz = 1_000_000;
        for (rate, step) in [(1000, 1), (50_000, 7), (300_000, 100)] {
            let mut p = Pacer::new(rate, hz, 0);
            let sent = run(&mut p, 0, 10 * hz, step);
            assert!(
                sent <= 10 * rate && sent + 2 * BURST as u64 >= 10 * rate,
                "{rate}: {sent}"
            );
        }
    }

    #[test]
    fn catches_up_two_bursts_at_most() {
        let hz = 1000;
        let mut p = Pacer::new(100, hz, 0);
        p.grant(0);
        // 100 s later, polled repeatedly at the same instant.
        assert_eq!(run(&mut p, 100 * hz, 1, 1), BURST as u64);
        let again: usize = (0..5)
            .map(|_| {
                let n = p.grant(100 * hz);
                p.spend(n);
                n
            })
            .sum();
        assert_eq!(again, BURST);
    }

    #[test]
    fn unpaced_always_grants_a_burst() {
        let mut p = Pacer::new(0, 1000, 0);
        assert_eq!(p.grant(0), BURST);
        p.spend(BURST);
        assert_eq!(p.grant(0), BURST);
    }

    #[test]
    fn unsent_packets_keep_their_tokens() {
        let hz = 1000;
        let mut p = Pacer::new(BURST as u64, hz, 0);
        assert_eq!(p.grant(hz), BURST);
        p.spend(10);
        // 22 tokens left: another 10 make a burst again.
        assert_eq!(p.grant(hz + 300), 0);
        assert_eq!(p.grant(hz + 320), BURST);
    }
}
