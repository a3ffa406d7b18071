//! What rvs-gen prints: a line per second, and the run's summary as one JSON line.

use super::hist::Histogram;
use serde::Serialize;

/// Per-second packet counts, and their medians after the warm-up.
pub struct Meter {
    /// (TX, RX) of each second so far.
    seconds: Vec<(u64, u64)>,
    /// The totals at the last second's end.
    last: (u64, u64),
    warmup: usize,
}

impl Meter {
    /// A meter whose first `warmup` seconds do not count in the medians, with room for
    /// `expected` seconds.
    pub fn new(warmup: usize, expected: usize) -> Meter {
        Meter {
            seconds: Vec::with_capacity(expected),
            last: (0, 0),
            warmup,
        }
    }

    /// Closes a second at totals `tx` and `rx`; returns that second's counts.
    pub fn tick(&mut self, tx: u64, rx: u64) -> (u64, u64) {
        let second = (tx - self.last.0, rx - self.last.1);
        self.last = (tx, rx);
        self.seconds.push(second);
        second
    }

    /// Seconds closed.
    pub fn seconds(&self) -> usize {
        self.seconds.len()
    }

    /// The median TX and RX rates of the seconds after the warm-up (0 before there is one).
    pub fn medians(&self) -> (u64, u64) {
        let after = self.seconds.get(self.warmup..).unwrap_or_default();
        let mut tx: Vec<u64> = after.iter().map(|s| s.0).collect();
        let mut rx: Vec<u64> = after.iter().map(|s| s.1).collect();
        (median(&mut tx), median(&mut rx))
    }
}

/// The median of `v` (the mean of the middle two for an even count, rounded down); 0 for
/// none. A second disturbed by the rest of the machine does not move it.
pub fn median(v: &mut [u64]) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2
}

/// The final JSON line; the latency fields are null when nothing came back.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub tx: u64,
    pub rx: u64,
    pub tx_pps: u64,
    pub rx_pps: u64,
    pub flows: u64,
    pub lat_p50_ns: Option<u64>,
    pub lat_p99_ns: Option<u64>,
    pub lat_samples: Option<u64>,
}

impl Summary {
    /// Totals `tx`, `rx` and `flows`, the rates of `meter`, the latencies of `hist`.
    pub fn new(tx: u64, rx: u64, flows: u64, meter: &Meter, hist: &Histogram) -> Summary {
        let (tx_pps, rx_pps) = meter.medians();
        let samples = (hist.count() > 0).then_some(hist.count());
        Summary {
            tx,
            rx,
            tx_pps,
            rx_pps,
            flows,
            lat_p50_ns: hist.quantile(0.5),
            lat_p99_ns: hist.quantile(0.99),
            lat_samples: samples,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn medians_skip_the_warmup() {
        let mut m = Meter::new(2, 8);
        let (mut tx, mut rx) = (0, 0);
        for (t, r) in [
            (5, 1),
            (900, 800),
            (100, 90),
            (300, 250),
            (200, 180),
            (100_000, 0),
        ] {
            tx += t;
            rx += r;
            assert_eq!(m.tick(tx, rx), (t, r));
        }
        assert_eq!(m.seconds(), 6);
        // After the warm-up: 100 200 300 100000 and 0 90 180 250.
        assert_eq!(m.medians(), (250, 135));
    }

    #[test]
    fn no_seconds_after_the_warmup() {
        let mut m = Meter::new(3, 3);
        m.tick(10, 10);
        assert_eq!(m.medians(), (0, 0));
        assert_eq!(median(&mut []), 0);
        assert_eq!(median(&mut [3, 1, 2]), 2);
    }

    #[test]
    fn summary_json() {
        let mut m = Meter::new(0, 1);
        m.tick(1000, 990);
        let mut h = Histogram::default();
        let s = Summary::new(1000, 990, 256, &m, &h);
        let none = r#""lat_p50_ns":null,"lat_p99_ns":null,"lat_samples":null}"#;
        let head = r#"{"tx":1000,"rx":990,"tx_pps":1000,"rx_pps":990,"flows":256,"#;
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("{head}{none}"));
        h.record(40);
        let s = Summary::new(1000, 990, 256, &m, &h);
        let some = r#""lat_p50_ns":40,"lat_p99_ns":40,"lat_samples":1}"#;
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("{head}{some}"));
    }
}
