//! The cache lblc and lblcr keep per destination address (ipvs-schedulers §2.10, §2.11):
//! address → a value (lblc: one dest, lblcr: a set of dests) and its `lastuse`.
//!
//! The kernel's is one hash table per service (1024 buckets, `hash_32(fold(daddr), 10)`),
//! grown by `kmalloc` on the packet path under `svc->sched_lock` and trimmed by a GC timer.
//! rvs keeps one per worker with the worker's cursor, so that lookups and updates take no
//! lock and write no shared line, and makes it bounded and allocation-free after creation:
//! * the same 1024 buckets, each of [`WAYS`] entries (4096 in all; the kernel's GC starts
//!   trimming above 16384 per service, here each worker sees its share of the addresses);
//! * an entry idle for the expiration time (sysctl `lblc_expiration`/`lblcr_expiration`,
//!   24 h by default) counts as gone when it is next looked up, where the kernel's GC frees
//!   it at its next full check (every 30 minutes);
//! * a new address in a full bucket takes the place of the entry idle the longest, where
//!   the kernel's GC frees entries idle for 6 minutes once the table is over its size.

use std::fmt;
use std::net::IpAddr;

use super::hash::{fold, hash_32};

/// `CONFIG_IP_VS_LBLC_TAB_BITS` (and lblcr's).
const BITS: u32 = 10;
pub const WAYS: usize = 4;
/// The sysctls' default, 24 h, in milliseconds (the worker's clock).
pub const EXPIRATION_MS: u64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry<V> {
    addr: IpAddr,
    lastuse: u64,
    pub value: V,
}

/// A bounded address → `V` map; see the module doc.
#[derive(Clone, PartialEq)]
pub struct Cache<V> {
    entries: Box<[Option<Entry<V>>]>,
}

impl<V> fmt::Debug for Cache<V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let used = self.entries.iter().flatten().count();
        write!(f, "Cache({used} of {})", self.entries.len())
    }
}

impl<V> Default for Cache<V> {
    fn default() -> Self {
        Cache {
            entries: (0..WAYS << BITS).map(|_| None).collect(),
        }
    }
}

impl<V> Cache<V> {
    /// The ways of `addr`'s bucket (`ip_vs_lblc_hashkey`).
    fn bucket(&mut self, addr: IpAddr) -> &mut [Option<Entry<V>>] {
        let b = hash_32(fold(addr), BITS) as usize * WAYS;
        &mut self.entries[b..b + WAYS]
    }

    /// The live entry for `addr`, its `lastuse` set to `now` (`ip_vs_lblc_get` and the
    /// scheduler's `en->lastuse = jiffies`).
    pub fn get(&mut self, addr: IpAddr, now: u64) -> Option<&mut Entry<V>> {
        let e = self
            .bucket(addr)
            .iter_mut()
            .flatten()
            .find(|e| e.addr == addr)?;
        if now.saturating_sub(e.lastuse) >= EXPIRATION_MS {
            return None;
        }
        e.lastuse = now;
        Some(e)
    }

    /// Makes `value` the entry for `addr` (`ip_vs_lblc_new`): replaces the address's entry,
    /// else takes a free way, else the way idle the longest.
    pub fn insert(&mut self, addr: IpAddr, value: V, now: u64) {
        let ways = self.bucket(addr);
        let at = ways
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.addr == addr))
            .or_else(|| ways.iter().position(Option::is_none))
            .unwrap_or_else(|| {
                let lastuse = |i: &usize| ways[*i].as_ref().map_or(0, |e| e.lastuse);
                (0..WAYS).min_by_key(lastuse).unwrap_or(0)
            });
        ways[at] = Some(Entry {
            addr,
            lastuse: now,
            value,
        });
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::Ipv4Addr;

    fn a(i: u32) -> IpAddr {
        Ipv4Addr::from(0x0a00_0000 + i).into()
    }

    #[test]
    fn entries_expire_after_the_expiration_time() {
        let mut c = Cache::default();
        c.insert(a(1), 7u32, 1000);
        assert_eq!(c.get(a(1), 2000).map(|e| e.value), Some(7));
        assert!(c.get(a(2), 2000).is_none());
        // Each use moves lastuse: idle is counted from the last use.
        assert!(c.get(a(1), 2000 + EXPIRATION_MS - 1).is_some());
        assert!(c.get(a(1), 2000 + 2 * EXPIRATION_MS).is_none());
    }

    #[test]
    fn a_full_bucket_gives_up_its_least_recently_used_way() {
        let mut c = Cache::default();
        // Addresses of one bucket.
        let b = |x: IpAddr| hash_32(fold(x), BITS);
        let same: Vec<IpAddr> = (0..100_000)
            .map(a)
            .filter(|&x| b(x) == b(a(0)))
            .take(WAYS + 1)
            .collect();
        for (t, &x) in same[..WAYS].iter().enumerate() {
            c.insert(x, t as u32, t as u64);
        }
        c.get(same[0], 10); // the oldest is used again
        c.insert(same[WAYS], 99, 11);
        assert!(c.get(same[1], 12).is_none(), "idle the longest: replaced");
        assert!(c.get(same[0], 12).is_some());
        assert_eq!(c.get(same[WAYS], 12).map(|e| e.value), Some(99));
    }
}
