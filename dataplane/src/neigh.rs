//! The neighbour tables: IP address → MAC, one per family (ARP for IPv4, Neighbor Discovery
//! for IPv6), shared by every worker.
//!
//! Fixed capacity, open addressing with linear probing, no locks and no `unsafe`. A slot is
//! claimed once and never released; its MAC is one atomic word overwritten with one store,
//! so a reader sees the old or the new MAC, never a torn one. Entries are learned from ARP and
//! ND and seeded from the configuration.
//!
//! # Keys wider than a word
//! An IPv6 address cannot be claimed with one compare-and-swap. So each slot has a *state*
//! word, `tag << 2 | phase`, and the key words of its family ([`NeighAddr::Key`]):
//! * the tag is the address folded to 62 bits ([`Addr::fold`]). For IPv4 that is the
//!   address itself: the tag is the key and there are no key words. For IPv6 it only
//!   filters, and the two key words (the address's halves) decide;
//! * the phase goes EMPTY → BUSY → READY, once. The learner whose CAS EMPTY → BUSY wins owns
//!   the slot: it writes the key words and the MAC, then publishes READY with a Release store.
//!   The key words are never written again, so a reader that loads READY with Acquire and
//!   then reads them sees the final address. No seqlock retry is needed because nothing a
//!   reader compares is ever overwritten;
//! * readers skip BUSY slots: an address being published is not in the table yet, as if the
//!   read came first. A learner that passes a BUSY slot with its own tag may be racing
//!   another learner of the same address, so it does not claim a slot after it (that would
//!   store the address twice): it updates the address if it finds it READY further on, else
//!   gives up and returns false. It never waits, so no thread blocks another.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering::*};

use crate::flow::Addr;
use crate::wire::MacAddr;

/// Slots probed before giving up.
const MAX_PROBE: usize = 32;
const TAG_BITS: u32 = 62;
const EMPTY: u64 = 0;
const BUSY: u64 = 1;
const READY: u64 = 2;

/// How a family's address is kept in a slot beyond its tag.
pub trait NeighAddr: Addr {
    /// Atomic words for what the tag cannot hold: nothing for IPv4, both halves for IPv6.
    type Key: Default + Send + Sync;
    /// Writes the key words of a slot this thread has claimed.
    fn store_key(self, key: &Self::Key);
    /// Whether a published slot's key words hold `self`.
    fn key_is(self, key: &Self::Key) -> bool;
}

impl NeighAddr for Ipv4Addr {
    type Key = ();
    fn store_key(self, _: &()) {}
    fn key_is(self, _: &()) -> bool {
        true
    }
}

impl NeighAddr for Ipv6Addr {
    type Key = [AtomicU64; 2];
    fn store_key(self, key: &[AtomicU64; 2]) {
        let v = u128::from(self);
        key[0].store((v >> 64) as u64, Relaxed);
        key[1].store(v as u64, Relaxed);
    }
    fn key_is(self, key: &[AtomicU64; 2]) -> bool {
        let v = u128::from(self);
        key[0].load(Relaxed) == (v >> 64) as u64 && key[1].load(Relaxed) == v as u64
    }
}

struct Slot<A: NeighAddr> {
    state: AtomicU64,
    key: A::Key,
    mac: AtomicU64,
}

impl<A: NeighAddr> Default for Slot<A> {
    fn default() -> Self {
        Slot {
            state: AtomicU64::new(EMPTY),
            key: A::Key::default(),
            mac: AtomicU64::new(0),
        }
    }
}

impl<A: NeighAddr> Slot<A> {
    /// Skips the store when nothing changed: the line stays shared.
    fn set_mac(&self, mac: MacAddr) {
        if self.mac.load(Relaxed) != pack(mac) {
            self.mac.store(pack(mac), Relaxed);
        }
    }
}

fn pack(mac: MacAddr) -> u64 {
    let mut b = [0u8; 8];
    b[2..].copy_from_slice(&mac);
    u64::from_be_bytes(b)
}

fn unpack(v: u64) -> MacAddr {
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn tag<A: Addr>(ip: A) -> u64 {
    ip.fold() & ((1 << TAG_BITS) - 1)
}

/// The neighbours of family `A` (IPv4 unless said otherwise).
pub struct NeighTable<A: NeighAddr = Ipv4Addr> {
    slots: Box<[Slot<A>]>,
    /// 64 − log2(slots), for Fibonacci hashing.
    shift: u32,
}

impl<A: NeighAddr> NeighTable<A> {
    /// A table for up to `capacity` neighbours (rounded up to a power of two).
    pub fn new(capacity: usize) -> Self {
        let n = capacity.next_power_of_two().max(MAX_PROBE);
        NeighTable {
            slots: (0..n).map(|_| Slot::default()).collect(),
            shift: 64 - n.trailing_zeros(),
        }
    }

    fn probe(&self, tag: u64) -> impl Iterator<Item = &Slot<A>> + '_ {
        let mask = self.slots.len() - 1;
        // Fibonacci hashing: the top bits of the product spread consecutive addresses.
        let h = (tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize;
        (0..MAX_PROBE).map(move |i| &self.slots[(h + i) & mask])
    }

    fn find(&self, ip: A) -> Option<&Slot<A>> {
        let ready = tag(ip) << 2 | READY;
        for slot in self.probe(tag(ip)) {
            match slot.state.load(Acquire) {
                s if s == ready && ip.key_is(&slot.key) => return Some(slot),
                EMPTY => return None,
                _ => {}
            }
        }
        None
    }

    /// The MAC of `ip`, if known.
    pub fn get(&self, ip: A) -> Option<MacAddr> {
        self.find(ip).map(|slot| unpack(slot.mac.load(Relaxed)))
    }

    /// Replaces the MAC of `ip` if it is known; false (and nothing stored) if not.
    pub fn update(&self, ip: A, mac: MacAddr) -> bool {
        let Some(slot) = self.find(ip) else {
            return false;
        };
        slot.set_mac(mac);
        true
    }

    /// Learns or updates `ip` → `mac`. Returns false when `ip` is unspecified, when the table
    /// is full around `ip`'s slot (the caller counts it), or when another thread is storing
    /// `ip` at this moment (see the module doc).
    pub fn learn(&self, ip: A, mac: MacAddr) -> bool {
        if Into::<IpAddr>::into(ip).is_unspecified() {
            return false;
        }
        let (busy, ready) = (tag(ip) << 2 | BUSY, tag(ip) << 2 | READY);
        let mut contended = false;
        for slot in self.probe(tag(ip)) {
            let mut state = slot.state.load(Acquire);
            if state == EMPTY && !contended {
                match slot.state.compare_exchange(EMPTY, busy, Acquire, Acquire) {
                    Ok(_) => {
                        ip.store_key(&slot.key);
                        slot.mac.store(pack(mac), Relaxed);
                        slot.state.store(ready, Release);
                        return true;
                    }
                    Err(now) => state = now,
                }
            }
            if state == ready && ip.key_is(&slot.key) {
                slot.set_mac(mac);
                return true;
            }
            contended |= state == busy;
            if state == EMPTY {
                return false;
            }
        }
        false
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::sync::Arc;

    /// Runs `f` for both families, with addresses made from numbers.
    fn both(f: impl Fn(&dyn Fn(u32) -> IpAddr)) {
        f(&|i| IpAddr::V4(Ipv4Addr::from(i)));
        f(&|i| IpAddr::V6(Ipv6Addr::from(0x2001_0db8_000a_u128 << 80 | u128::from(i))));
    }

    fn learn(t4: &NeighTable, t6: &NeighTable<Ipv6Addr>, ip: IpAddr, mac: MacAddr) -> bool {
        match ip {
            IpAddr::V4(a) => t4.learn(a, mac),
            IpAddr::V6(a) => t6.learn(a, mac),
        }
    }

    fn get(t4: &NeighTable, t6: &NeighTable<Ipv6Addr>, ip: IpAddr) -> Option<MacAddr> {
        match ip {
            IpAddr::V4(a) => t4.get(a),
            IpAddr::V6(a) => t6.get(a),
        }
    }

    #[test]
    fn learn_update_and_miss() {
        both(|addr| {
            let (t4, t6) = (NeighTable::new(64), NeighTable::new(64));
            let a = addr(0x0a00_020b);
            assert_eq!(get(&t4, &t6, a), None);
            assert!(learn(&t4, &t6, a, [2, 0, 0, 0, 0, 0x11]));
            assert_eq!(get(&t4, &t6, a), Some([2, 0, 0, 0, 0, 0x11]));
            assert!(learn(&t4, &t6, a, [2, 0, 0, 0, 0, 0x12]));
            assert_eq!(get(&t4, &t6, a), Some([2, 0, 0, 0, 0, 0x12]));
            assert_eq!(get(&t4, &t6, addr(0x0a00_020c)), None);
        });
        let (t4, t6) = (NeighTable::new(64), NeighTable::<Ipv6Addr>::new(64));
        assert!(!t4.learn(Ipv4Addr::UNSPECIFIED, [1; 6]));
        assert!(!t6.learn(Ipv6Addr::UNSPECIFIED, [1; 6]));
    }

    #[test]
    fn update_only_replaces() {
        let t = NeighTable::<Ipv6Addr>::new(64);
        let a: Ipv6Addr = "2001:db8:a::11".parse().unwrap();
        assert!(!t.update(a, [2; 6]));
        assert_eq!(t.get(a), None);
        assert!(t.learn(a, [2; 6]));
        assert!(t.update(a, [4; 6]));
        assert_eq!(t.get(a), Some([4; 6]));
    }

    #[test]
    fn fills_up_without_losing_entries_and_then_refuses() {
        both(|addr| {
            let (t4, t6) = (NeighTable::new(32), NeighTable::new(32));
            let learned: Vec<IpAddr> = (1..=200u32)
                .map(addr)
                .filter(|&ip| learn(&t4, &t6, ip, [7; 6]))
                .collect();
            assert_eq!(learned.len(), 32);
            assert!(learned.iter().all(|&ip| get(&t4, &t6, ip) == Some([7; 6])));
        });
    }

    /// Two IPv6 addresses with the same tag, hence the same first slot: `b`'s low half is
    /// chosen so that `fold` (low ^ high rotated by 29) comes out equal.
    fn same_tag_pair(i: u64) -> (Ipv6Addr, Ipv6Addr) {
        let (hi_a, hi_b, lo_a) = (0x2001_0db8_000a_0000_u64, 0x2001_0db8_000b_0000_u64, i);
        let lo_b = lo_a ^ hi_a.rotate_left(29) ^ hi_b.rotate_left(29);
        let addr = |hi: u64, lo: u64| Ipv6Addr::from(u128::from(hi) << 64 | u128::from(lo));
        (addr(hi_a, lo_a), addr(hi_b, lo_b))
    }

    #[test]
    fn equal_tags_are_told_apart_by_the_key_words() {
        let (a, b) = same_tag_pair(0x11);
        assert_ne!(a, b);
        assert_eq!(tag(a), tag(b));
        let t = NeighTable::<Ipv6Addr>::new(64);
        assert!(t.learn(a, [0xa; 6]));
        assert_eq!(t.get(b), None);
        assert!(!t.update(b, [0xb; 6]));
        assert!(t.learn(b, [0xb; 6]));
        assert_eq!((t.get(a), t.get(b)), (Some([0xa; 6]), Some([0xb; 6])));
    }

    /// How many published slots hold `ip`.
    fn copies(t: &NeighTable<Ipv6Addr>, ip: Ipv6Addr) -> usize {
        let ready = tag(ip) << 2 | READY;
        let published = |s: &&Slot<Ipv6Addr>| s.state.load(Acquire) == ready;
        t.slots
            .iter()
            .filter(published)
            .filter(|s| ip.key_is(&s.key))
            .count()
    }

    #[test]
    fn concurrent_learners_agree_and_never_store_twice() {
        let t4 = Arc::new(NeighTable::<Ipv4Addr>::new(1024));
        let t6 = Arc::new(NeighTable::<Ipv6Addr>::new(1024));
        let hs: Vec<_> = (0..4u8)
            .map(|w| {
                let (t4, t6) = (t4.clone(), t6.clone());
                std::thread::spawn(move || {
                    for i in 1..=250u64 {
                        assert!(t4.learn(Ipv4Addr::from(i as u32), [w, 0, 0, 0, 0, 1]));
                        // Racing learners of one address may give up, but one of them wins.
                        let (a, b) = same_tag_pair(i);
                        t6.learn(a, [w, 0, 0, 0, 0, 1]);
                        t6.learn(b, [w, 0, 0, 0, 0, 2]);
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        for i in 1..=250u64 {
            let mac = t4.get(Ipv4Addr::from(i as u32)).unwrap();
            assert!(mac[0] < 4 && mac[5] == 1);
            let (a, b) = same_tag_pair(i);
            assert!(matches!(t6.get(a), Some([w, 0, 0, 0, 0, 1]) if w < 4));
            assert!(matches!(t6.get(b), Some([w, 0, 0, 0, 0, 2]) if w < 4));
            assert_eq!((copies(&t6, a), copies(&t6, b)), (1, 1));
        }
    }

    #[test]
    fn concurrent_readers_see_nothing_or_a_learned_mac() {
        const N: u64 = 600;
        let t = Arc::new(NeighTable::<Ipv6Addr>::new(4 * N as usize));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let start = Arc::new(std::sync::Barrier::new(3));
        // The MAC names its address (pair member m, number i) and the round that stored it:
        // a reader that matched the wrong key words, or saw a torn MAC, would see another.
        let mac = |i: u64, m: u8, round: u8| [2, m, round, 0, (i >> 8) as u8, i as u8];
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (t, done, start) = (t.clone(), done.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut seen = vec![false; 2 * N as usize];
                    start.wait();
                    while !done.load(Acquire) {
                        for i in 1..=N {
                            let (a, b) = same_tag_pair(i);
                            for (k, ip, m) in [(2 * i - 2, a, 1), (2 * i - 1, b, 2)] {
                                let got = t.get(ip);
                                // Once there, always there.
                                assert!(got.is_some() || !seen[k as usize]);
                                let ok = |g: MacAddr| g == mac(i, m, g[2]) && g[2] < 3;
                                assert!(got.is_none_or(ok), "{ip}: {got:?}");
                                seen[k as usize] |= got.is_some();
                            }
                        }
                    }
                })
            })
            .collect();
        start.wait();
        for round in 0..3 {
            for i in 1..=N {
                let (a, b) = same_tag_pair(i);
                assert!(t.learn(a, mac(i, 1, round)) && t.learn(b, mac(i, 2, round)));
            }
        }
        done.store(true, Release);
        readers.into_iter().for_each(|h| h.join().unwrap());
    }
}
