//! The lookup table the hashing schedulers build per service (sh and dh: 256 buckets, mh:
//! 4093 slots): each entry names a dest of the list, or none. Built when the snapshot is
//! published, read by every worker.

use super::Pick;

/// Slot → index in the service's dest list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    slots: Box<[u32]>,
}

const EMPTY: u32 = u32::MAX;

impl Table {
    /// A table of `size` empty entries.
    pub fn empty(size: usize) -> Table {
        Table {
            slots: vec![EMPTY; size].into_boxed_slice(),
        }
    }

    /// The dest index in entry `i`.
    pub fn get(&self, i: usize) -> Option<usize> {
        Some(self.slots[i])
            .filter(|&d| d != EMPTY)
            .map(|d| d as usize)
    }

    pub fn is_set(&self, i: usize) -> bool {
        self.slots[i] != EMPTY
    }

    pub fn set(&mut self, i: usize, dest: usize) {
        self.slots[i] = dest as u32;
    }

    /// The dest of entry `first` if it is usable (weight > 0, not OVERLOAD); else, with
    /// `fallback`, the first usable dest of the entries `probe(r)` for `r = first, first + 1,
    /// …` (mod the size), stopping at an empty entry (kernel `ip_vs_sh_get_fallback`,
    /// `ip_vs_mh_get_fallback`, §2.7, §2.9). An empty `first` entry fails at once.
    pub fn lookup(
        &self,
        p: &Pick,
        first: usize,
        fallback: bool,
        probe: impl Fn(usize) -> usize,
    ) -> Option<usize> {
        let d = self.get(first)?;
        if p.eligible(d) {
            return Some(d);
        }
        if !fallback {
            return None;
        }
        let size = self.slots.len();
        (0..size)
            .map(|k| self.get(probe((k + first) % size)))
            .take_while(Option::is_some)
            .flatten()
            .find(|&d| p.eligible(d))
    }
}
