//! A log-linear histogram of latencies in ns: values below 64 exactly, above that 32 buckets
//! per power of two (a bucket is at most 1/32 of its values wide). Fixed size, allocated
//! once: recording is an index computation and an increment.

/// Buckets per power of two: 2^SUB_BITS.
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Values below 2 · SUB are their own buckets (two rows of SUB); each power of two from
/// 2^(SUB_BITS + 1) to 2^63 has a row of SUB buckets.
const BUCKETS: usize = (65 - SUB_BITS as usize) * SUB;

pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

/// The bucket of `v`.
fn index(v: u64) -> usize {
    if v < 2 * SUB as u64 {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - SUB_BITS;
    // (v >> shift) is in [SUB, 2·SUB): the top SUB_BITS bits below the leading one.
    (shift as usize + 1) * SUB + (v >> shift) as usize - SUB
}

/// The smallest and largest value of bucket `i`.
fn bounds(i: usize) -> (u64, u64) {
    if i < 2 * SUB {
        return (i as u64, i as u64);
    }
    let shift = (i / SUB - 1) as u32;
    let low = ((i % SUB + SUB) as u64) << shift;
    (low, low + ((1 << shift) - 1))
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.total += 1;
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0 < q ≤ 1): the middle of the bucket holding the
    /// ⌈q · count⌉-th smallest value; `None` when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total.max(1));
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank && c > 0 {
                let (low, high) = bounds(i);
                return Some(low + (high - low) / 2);
            }
        }
        None
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn buckets_tile_the_range() {
        let mut next = 0;
        for i in 0..BUCKETS {
            let (low, high) = bounds(i);
            assert_eq!(low, next, "bucket {i}");
            assert!(high >= low);
            assert_eq!((index(low), index(high)), (i, i));
            next = high.wrapping_add(1);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn empty_has_no_quantiles() {
        let h = Histogram::default();
        assert_eq!((h.count(), h.quantile(0.5)), (0, None));
    }

    #[test]
    fn quantiles_of_a_known_set() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        assert_eq!(h.count(), 1000);
        let near = |got: Option<u64>, want: u64| {
            let got = got.unwrap();
            assert!(got.abs_diff(want) <= want / 32, "{got} vs {want}");
        };
        near(h.quantile(0.5), 500_000);
        near(h.quantile(0.99), 990_000);
        near(h.quantile(1.0), 1_000_000);
        let mut small = Histogram::default();
        [5, 5, 7].iter().for_each(|&v| small.record(v));
        assert_eq!(
            (small.quantile(0.5), small.quantile(0.99)),
            (Some(5), Some(7))
        );
    }

    proptest! {
        #[test]
        fn a_bucket_is_within_a_32nd_of_its_values(v in any::<u64>()) {
            let (low, high) = bounds(index(v));
            prop_assert!(low <= v && v <= high);
            prop_assert!(high - low <= low / 32);
        }
    }
}
