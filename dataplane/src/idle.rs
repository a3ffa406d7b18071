//! Idle backoff: a worker that has received nothing for a while pauses briefly between
//! polls, so that an idle rvsd leaves the cores to others (a laptop VM, the test suite, two
//! rvsd on one machine). Off unless configured: a dedicated box busy-polls.
//!
//! Only the policy is here: after each poll, [`Backoff::after_poll`] says whether to pause
//! and for how long, from the clock it is handed (tests hand it a made-up one);
//! [`crate::worker::run`] sleeps. The busy path pays one counter compare per poll that found
//! nothing: the clock is read only every [`CHECK_EVERY`] such polls in a row, and the
//! sleep (a syscall) comes only once the worker has been idle for [`IdleBackoff::idle`].
//! Pauses start short and double up to [`IdleBackoff::max_pause`]: frames that come after a
//! short gap meet a short pause, a worker idle for long sleeps the longest. Any frame
//! received ends the backoff at once. Between pauses the worker still polls in full, so
//! its timers (expiry, neighbour requests, held fragments, link checks) keep running.

use std::time::{Duration, Instant};

/// Polls in a row that received nothing between two readings of the clock, before the
/// worker pauses.
pub const CHECK_EVERY: u32 = 32;
/// The first pause of an idle spell (or the longest pause, if that is shorter).
const FIRST_PAUSE: Duration = Duration::from_micros(16);

/// When and how long an idle worker pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleBackoff {
    /// How long the worker receives nothing before it pauses.
    pub idle: Duration,
    /// The longest pause: the most latency an idle worker adds to the first frame that
    /// comes (plus the kernel's timer slack, 50 µs by default), and what the port's RX ring
    /// must hold meanwhile.
    pub max_pause: Duration,
}

impl Default for IdleBackoff {
    /// Pauses after 100 µs without a frame (traffic with shorter gaps never meets a pause),
    /// at most 250 µs: a worker idle for long then wakes some 3000 times a second, 4–5 % of
    /// a core here against a whole one (docs/performance.md, "Idle backoff"), the first
    /// frame after a quiet spell waits about 0.1 ms more, and a burst that starts during a
    /// pause fits a 1024-descriptor RX ring up to about 3 Mpps.
    fn default() -> Self {
        IdleBackoff {
            idle: Duration::from_micros(100),
            max_pause: Duration::from_micros(250),
        }
    }
}

/// One worker's backoff state.
#[derive(Debug, Clone)]
pub struct Backoff {
    cfg: IdleBackoff,
    /// Polls in a row that received nothing, since the last reading of the clock.
    empty: u32,
    /// When a reading of the clock first found the worker idle in this spell.
    since: Option<Instant>,
    /// The next pause; zero until the worker has been idle for `cfg.idle`.
    pause: Duration,
}

impl Backoff {
    pub fn new(cfg: IdleBackoff) -> Backoff {
        Backoff {
            cfg,
            empty: 0,
            since: None,
            pause: Duration::ZERO,
        }
    }

    /// After a poll that received something (`busy`) or nothing: how long to pause, if at
    /// all. `now` is called only every [`CHECK_EVERY`] empty polls before the first pause.
    pub fn after_poll(&mut self, busy: bool, now: impl FnOnce() -> Instant) -> Option<Duration> {
        if busy {
            *self = Backoff::new(self.cfg);
            return None;
        }
        if !self.pause.is_zero() {
            return Some(self.next_pause());
        }
        self.empty += 1;
        if self.empty < CHECK_EVERY {
            return None;
        }
        self.empty = 0;
        let now = now();
        let since = *self.since.get_or_insert(now);
        if now.duration_since(since) < self.cfg.idle {
            return None;
        }
        self.pause = FIRST_PAUSE.min(self.cfg.max_pause);
        Some(self.next_pause())
    }

    /// The pause due now; the one after is twice as long, up to the longest.
    fn next_pause(&mut self) -> Duration {
        let pause = self.pause;
        self.pause = (pause * 2).min(self.cfg.max_pause);
        pause
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Empty polls of 1 µs before the first pause with an idle time of 100 µs: the spell is
    /// first seen at the 32nd, and the clock read every 32 polls passes 100 µs at 128.
    const POLLS_BEFORE_PAUSE: u32 = 32 * 5 - 1;

    /// The backoff driven by a made-up clock, which each poll moves by its step and its pause.
    struct Run {
        backoff: Backoff,
        t0: Instant,
        now: Duration,
        reads: u32,
    }

    impl Run {
        fn new(idle: u64, max_pause: u64) -> Run {
            Run {
                backoff: Backoff::new(IdleBackoff {
                    idle: us(idle),
                    max_pause: us(max_pause),
                }),
                t0: Instant::now(),
                now: Duration::ZERO,
                reads: 0,
            }
        }

        /// One poll `step` after the last, or after the last pause; the pause it asks for.
        fn poll(&mut self, busy: bool, step: Duration) -> Option<Duration> {
            self.now += step;
            let (t0, now, reads) = (self.t0, self.now, &mut self.reads);
            let pause = self.backoff.after_poll(busy, || {
                *reads += 1;
                t0 + now
            });
            self.now += pause.unwrap_or_default();
            pause
        }

        /// Empty polls `step` apart until the first pause; how many there were before it,
        /// and the pause.
        fn until_pause(&mut self, step: Duration) -> (u32, Duration) {
            for n in 0..1_000_000 {
                if let Some(p) = self.poll(false, step) {
                    return (n, p);
                }
            }
            panic!("never paused");
        }
    }

    #[test]
    fn pauses_once_idle_for_the_idle_time_then_doubles_up_to_the_longest() {
        let mut r = Run::new(100, 250);
        let (polls, first) = r.until_pause(us(1));
        assert_eq!(polls, POLLS_BEFORE_PAUSE);
        assert_eq!(first, FIRST_PAUSE);
        assert!(r.now >= us(100 + 32), "{:?}", r.now);
        let pauses: Vec<Duration> = (0..6).filter_map(|_| r.poll(false, us(1))).collect();
        assert_eq!(pauses, [us(32), us(64), us(128), us(250), us(250), us(250)]);
    }

    #[test]
    fn any_frame_ends_the_backoff_at_once() {
        let mut r = Run::new(100, 250);
        r.until_pause(us(1));
        for _ in 0..5 {
            r.poll(false, us(1)).unwrap();
        }
        assert_eq!(r.poll(true, us(1)), None);
        // Back to busy polling: no pause until the worker is idle again for the idle time,
        // then the short pause first.
        let before = r.now;
        let (polls, first) = r.until_pause(us(1));
        assert_eq!((polls, first), (POLLS_BEFORE_PAUSE, FIRST_PAUSE));
        assert!(r.now - before >= us(100), "{:?}", r.now - before);
    }

    #[test]
    fn gaps_shorter_than_the_idle_time_never_pause() {
        let mut r = Run::new(100, 250);
        for _ in 0..100 {
            // 90 empty polls of 1 µs, then a frame.
            for _ in 0..90 {
                assert_eq!(r.poll(false, us(1)), None);
            }
            assert_eq!(r.poll(true, us(1)), None);
        }
    }

    #[test]
    fn the_clock_is_read_once_per_32_empty_polls_and_never_when_busy() {
        let mut r = Run::new(1_000, 250);
        for _ in 0..10_000 {
            r.poll(true, us(1));
        }
        assert_eq!(r.reads, 0);
        for _ in 0..320 {
            assert_eq!(r.poll(false, Duration::from_nanos(100)), None);
        }
        assert_eq!(r.reads, 10);
    }

    #[test]
    fn a_short_longest_pause_caps_the_first_and_a_zero_idle_pauses_at_the_first_check() {
        let mut r = Run::new(0, 10);
        assert_eq!(r.until_pause(us(1)), (CHECK_EVERY - 1, us(10)));
        assert_eq!(r.poll(false, us(1)), Some(us(10)));
    }

    #[test]
    fn the_defaults_pause_after_100us_for_at_most_250us() {
        let d = IdleBackoff::default();
        assert_eq!((d.idle, d.max_pause), (us(100), us(250)));
    }
}
