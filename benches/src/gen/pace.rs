//! `--rate`: a token bucket on the TSC. Tokens accrue at the rate; a burst of [`BURST`] goes
//! when that many are there, and only packets the port took spend them. The bucket holds
//! [`CATCH_UP`]'s worth of packets (two bursts at least): a generator or forwarder that lost
//! the CPU that long (this machine is shared) catches up and keeps the rate; a longer stall
//! is lost, not flooded after.

/// Packets per TX burst.
pub const BURST: usize = 32;

/// The stall the bucket makes up for, in seconds: 10 ms.
const CATCH_UP: (u64, u64) = (1, 100);

pub struct Pacer {
    /// Packets per second; 0: no pacing.
    rate: u64,
    hz: u64,
    /// Tokens × `hz` (integer arithmetic: one multiplication per poll), and their most.
    credit: u64,
    depth: u64,
    last: u64,
}

impl Pacer {
    /// A pacer at `rate` packets/s (0: as fast as the link takes) on a clock of `hz`, empty
    /// at `now`.
    pub fn new(rate: u64, hz: u64, now: u64) -> Pacer {
        let tokens = (rate * CATCH_UP.0 / CATCH_UP.1).max(2 * BURST as u64);
        Pacer {
            rate,
            hz,
            credit: 0,
            depth: tokens.saturating_mul(hz),
            last: now,
        }
    }

    /// How many packets may go at `now`: a burst, or none.
    pub fn grant(&mut self, now: u64) -> usize {
        if self.rate == 0 {
            return BURST;
        }
        let accrued = now.wrapping_sub(self.last).saturating_mul(self.rate);
        self.credit = self.credit.saturating_add(accrued).min(self.depth);
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
    fn a_short_stall_is_made_up_for() {
        let hz = 1_000_000;
        let rate = 100_000;
        let mut p = Pacer::new(rate, hz, 0);
        // 1 s polled every µs but for a 5-ms stall in the middle.
        let sent = run(&mut p, 0, hz / 2, 1) + run(&mut p, hz / 2 + 5000, hz / 2 - 5000, 1);
        assert!(sent <= rate && sent + BURST as u64 >= rate, "{sent}");
    }

    #[test]
    fn a_long_stall_is_lost_not_flooded() {
        let hz = 1_000_000;
        for (rate, depth) in [(100_000, 1000), (1000, 2 * BURST as u64)] {
            let mut p = Pacer::new(rate, hz, 0);
            p.grant(0);
            // 100 s later, polled again and again at the same instant.
            let again: u64 = (0..10_000)
                .map(|_| {
                    let n = p.grant(100 * hz);
                    p.spend(n);
                    n as u64
                })
                .sum();
            assert_eq!(again, depth / BURST as u64 * BURST as u64, "{rate}");
        }
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
