//! A lock-free hash index from a key hash to entry numbers.
//!
//! Buckets are one cache line of eight `AtomicU64` slots; a slot is 0 (empty) or
//! `tag << 32 | (entry + 1)`, the tag being the high half of the key's hash so that most
//! non-matching entries are skipped without touching them. A key may live in either of two
//! buckets; insert takes the emptier one ("two choices" keeps the longest bucket short: the
//! first full bucket pair comes at about 80 % of the slots, where one bucket per key would
//! overflow near 50 %). The table sizes each index at twice its capacity, so it never runs
//! above 50 %. A slot is
//! filled by CAS from 0 and emptied by CAS from its exact value, only ever by the worker that
//! owns the entry, so there is no ABA on a slot.

use std::sync::atomic::Ordering::*;

use crate::dpdk::huge::HugeSlice;
use crate::sync::AtomicU64;

const SLOTS: usize = 8;

#[derive(Default)]
#[repr(align(64))]
struct Bucket([AtomicU64; SLOTS]);

pub(crate) struct Index {
    buckets: HugeSlice<Bucket>,
    mask: usize,
}

pub(crate) fn mix(mut x: u64) -> u64 {
    // murmur3's fmix64: every input bit affects every output bit.
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn word(h: u64, entry: u32) -> u64 {
    (h & 0xffff_ffff_0000_0000) | (u64::from(entry) + 1)
}

fn free(b: &Bucket) -> usize {
    b.0.iter().filter(|s| s.load(Relaxed) == 0).count()
}

/// Whether every slot of `b` is free: one OR over the slots, far cheaper than [`free`]'s
/// count (no popcnt in the build target) in a table that runs at most half full.
fn is_empty(b: &Bucket) -> bool {
    b.0.iter().fold(0, |any, s| any | s.load(Relaxed)) == 0
}

impl Index {
    /// An index with room for at least `slots` slots (rounded up to a power of two buckets).
    pub(crate) fn new(slots: usize) -> Self {
        let n = slots.div_ceil(SLOTS).next_power_of_two().max(2);
        let buckets = HugeSlice::new(n, |_| Bucket::default());
        Index {
            buckets,
            mask: n - 1,
        }
    }

    pub(crate) fn slots(&self) -> usize {
        self.buckets.len() * SLOTS
    }

    fn candidates(&self, h: u64) -> [&Bucket; 2] {
        [self.first(h), self.second(h)]
    }

    fn first(&self, h: u64) -> &Bucket {
        &self.buckets[h as usize & self.mask]
    }

    fn second(&self, h: u64) -> &Bucket {
        &self.buckets[mix(h ^ 0x9e37_79b9_7f4a_7c15) as usize & self.mask]
    }

    /// The candidate bucket of `h` with more free slots (the first on a tie), none if both
    /// are full. An empty first bucket wins whatever the second holds, so the second is
    /// read, and its hash computed, only when it could matter.
    fn emptier(&self, h: u64) -> Option<&Bucket> {
        let a = self.first(h);
        if is_empty(a) {
            return Some(a);
        }
        self.emptier_of_both(a, h)
    }

    /// [`Index::emptier`] when its first bucket `a` is not empty. Out of line: inlined, the
    /// second bucket's hash was computed ahead of the empty check, and the counting's
    /// registers were saved and restored on every insert.
    #[inline(never)]
    fn emptier_of_both<'b>(&'b self, a: &'b Bucket, h: u64) -> Option<&'b Bucket> {
        let b = self.second(h);
        match (free(a), free(b)) {
            (0, 0) => None,
            (fa, fb) if fa >= fb => Some(a),
            _ => Some(b),
        }
    }

    /// Starts loading the bucket `find(h, ..)` looks at first.
    pub(crate) fn prefetch(&self, h: u64) {
        crate::dpdk::prefetch(self.first(h));
    }

    /// Calls `f` with every entry whose slot tag matches `h`, until `f` returns `Some`.
    /// Inlined for the same reason as the lookups that call it (`table.rs`).
    #[inline(always)]
    pub(crate) fn find<R>(&self, h: u64, mut f: impl FnMut(u32) -> Option<R>) -> Option<R> {
        let tag = h >> 32;
        for b in self.candidates(h) {
            for s in &b.0 {
                let w = s.load(Acquire);
                if w != 0 && w >> 32 == tag {
                    if let Some(r) = f((w as u32).wrapping_sub(1)) {
                        return Some(r);
                    }
                }
            }
        }
        None
    }

    /// Links `entry` under `h`; false if both candidate buckets are full.
    pub(crate) fn insert(&self, h: u64, entry: u32) -> bool {
        let w = word(h, entry);
        loop {
            let Some(target) = self.emptier(h) else {
                return false;
            };
            // SeqCst: the duplicate check after insert relies on a total order of links.
            // Slots seen taken are skipped: a failed locked CAS costs as much as a success.
            for s in &target.0 {
                if s.load(Relaxed) == 0 && s.compare_exchange(0, w, SeqCst, Relaxed).is_ok() {
                    return true;
                }
            }
            // Another worker took the last free slot meanwhile: count again.
        }
    }

    /// Unlinks `entry` from under `h`; false if it was not linked.
    pub(crate) fn remove(&self, h: u64, entry: u32) -> bool {
        let w = word(h, entry);
        self.candidates(h)
            .iter()
            .flat_map(|b| b.0.iter())
            .any(|s| s.compare_exchange(w, 0, AcqRel, Relaxed).is_ok())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn insert_find_remove() {
        let ix = Index::new(64);
        assert_eq!(ix.slots(), 64);
        let h = mix(42);
        assert!(ix.insert(h, 7));
        assert!(ix.insert(h, 9));
        let mut seen = vec![];
        ix.find(h, |e| {
            seen.push(e);
            None::<()>
        });
        seen.sort();
        assert_eq!(seen, [7, 9]);
        assert!(ix.remove(h, 7));
        assert!(!ix.remove(h, 7));
        assert_eq!(ix.find(h, Some), Some(9));
    }

    /// One key's pair of buckets: each link goes to the emptier (the first on a tie), every
    /// slot of both fills, and the link after that is refused.
    #[test]
    fn a_bucket_pair_fills_evenly_then_refuses() {
        let ix = Index::new(1 << 10);
        let h = (0..).map(mix).find(|&h| {
            let [a, b] = ix.candidates(h);
            !std::ptr::eq(a, b)
        });
        let h = h.unwrap();
        let [a, b] = ix.candidates(h);
        for n in 1..=2 * SLOTS {
            assert!(ix.insert(h, n as u32));
            assert_eq!((free(a), free(b)), (SLOTS - n.div_ceil(2), SLOTS - n / 2));
        }
        assert!(!ix.insert(h, 99));
        assert_eq!((free(a), free(b)), (0, 0));
        assert!(ix.remove(h, 4));
        assert!(
            ix.insert(h, 99),
            "a slot freed in either bucket is taken again"
        );
    }

    #[test]
    fn two_choices_fill_most_slots() {
        let ix = Index::new(1 << 14);
        let mut n = 0u32;
        while ix.insert(mix(u64::from(n)), n) {
            n += 1;
        }
        // Two buckets of 8: the first pair overflows at about 80 % (measured 79.7 %), far
        // above the 50 % the table runs at.
        assert!(n as usize > ix.slots() * 3 / 4, "{n} of {}", ix.slots());
    }
}
