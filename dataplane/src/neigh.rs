//! The neighbour (ARP) table: IPv4 address → MAC, shared by every worker.
//!
//! Fixed capacity, open addressing with linear probing, no locks: a slot's
//! key is claimed once with a CAS and never released, its value (MAC and a
//! valid bit) is overwritten with one atomic store, so readers see either
//! the old or the new MAC, never a torn one. Entries are learned from ARP
//! (requests and replies) and seeded from the configuration.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};

const VALID: u64 = 1 << 63;
/// Marks a slot whose key is claimed (the address 0.0.0.0 is never stored).
const EMPTY: u32 = 0;
/// Slots probed before giving up.
const MAX_PROBE: usize = 32;

pub struct NeighTable {
    keys: Box<[AtomicU32]>,
    values: Box<[AtomicU64]>,
}

fn pack(mac: [u8; 6]) -> u64 {
    let mut b = [0u8; 8];
    b[2..].copy_from_slice(&mac);
    u64::from_be_bytes(b) | VALID
}

fn unpack(v: u64) -> [u8; 6] {
    let b = (v & !VALID).to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

impl NeighTable {
    /// A table for up to `capacity` neighbours (rounded up to a power of two).
    pub fn new(capacity: usize) -> NeighTable {
        let n = capacity.next_power_of_two().max(MAX_PROBE);
        NeighTable {
            keys: (0..n).map(|_| AtomicU32::new(EMPTY)).collect(),
            values: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn slots(&self, ip: u32) -> impl Iterator<Item = usize> + '_ {
        let mask = self.keys.len() - 1;
        // Fibonacci hashing spreads consecutive addresses.
        let h = (ip.wrapping_mul(0x9e37_79b9) as usize) & mask;
        (0..MAX_PROBE).map(move |i| (h + i) & mask)
    }

    /// The MAC of `ip`, if known.
    pub fn get(&self, ip: Ipv4Addr) -> Option<[u8; 6]> {
        let key = u32::from(ip);
        for s in self.slots(key) {
            match self.keys[s].load(Acquire) {
                k if k == key => {
                    let v = self.values[s].load(Acquire);
                    return (v & VALID != 0).then(|| unpack(v));
                }
                EMPTY => return None,
                _ => {}
            }
        }
        None
    }

    /// Learns or updates `ip` → `mac`. Returns false when the table is full
    /// around `ip`'s slot (the caller counts it) or `ip` is 0.0.0.0.
    pub fn learn(&self, ip: Ipv4Addr, mac: [u8; 6]) -> bool {
        let key = u32::from(ip);
        if key == EMPTY {
            return false;
        }
        for s in self.slots(key) {
            let k = match self.keys[s].compare_exchange(EMPTY, key, AcqRel, Acquire) {
                Ok(_) => key,
                Err(existing) => existing,
            };
            if k == key {
                // Skip the store when nothing changed: the line stays shared.
                if self.values[s].load(Relaxed) != pack(mac) {
                    self.values[s].store(pack(mac), Release);
                }
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn learn_update_and_miss() {
        let t = NeighTable::new(64);
        let a: Ipv4Addr = "10.0.2.11".parse().unwrap();
        assert_eq!(t.get(a), None);
        assert!(t.learn(a, [2, 0, 0, 0, 0, 0x11]));
        assert_eq!(t.get(a), Some([2, 0, 0, 0, 0, 0x11]));
        assert!(t.learn(a, [2, 0, 0, 0, 0, 0x12]));
        assert_eq!(t.get(a), Some([2, 0, 0, 0, 0, 0x12]));
        assert!(!t.learn(Ipv4Addr::UNSPECIFIED, [1; 6]));
    }

    #[test]
    fn fills_up_without_losing_entries_and_then_refuses() {
        let t = NeighTable::new(32);
        let learned: Vec<Ipv4Addr> = (1..=200u32)
            .map(Ipv4Addr::from)
            .filter(|ip| t.learn(*ip, [7; 6]))
            .collect();
        assert_eq!(learned.len(), 32);
        assert!(learned.iter().all(|ip| t.get(*ip) == Some([7; 6])));
    }

    #[test]
    fn concurrent_learners_agree() {
        let t = std::sync::Arc::new(NeighTable::new(1024));
        let hs: Vec<_> = (0..4u8)
            .map(|w| {
                let t = t.clone();
                std::thread::spawn(move || {
                    for i in 1..=500u32 {
                        assert!(t.learn(Ipv4Addr::from(i), [w, 0, 0, 0, 0, 1]));
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        for i in 1..=500u32 {
            let mac = t.get(Ipv4Addr::from(i)).unwrap();
            assert!(mac[0] < 4 && mac[5] == 1);
        }
    }
}
