//! One worker's private state: what `process` may change without locks.

use crate::conn::ConnOwner;
use crate::sched::cursors::Cursors;
use crate::stats::Counters;
use std::net::Ipv4Addr;

/// ARP requests a burst asks for, sent by the worker after the burst.
/// Bounded, and each address is asked at most once per [`ARP_RETRY_MS`].
const PENDING: usize = 8;
const RECENT: usize = 16;
pub const ARP_RETRY_MS: u64 = 200;

pub struct Ctx<'a> {
    pub queue: u16,
    pub counters: &'a Counters,
    /// This worker's share of the connection table.
    pub conns: ConnOwner,
    pub cursors: Cursors,
    /// Milliseconds since the data plane started, read once per burst.
    pub now: u64,
    pub arp: ArpRequests,
}

pub struct ArpRequests {
    pending: [(usize, Ipv4Addr); PENDING],
    n: usize,
    recent: [(Ipv4Addr, u64); RECENT],
    next: usize,
}

impl Default for ArpRequests {
    fn default() -> Self {
        let none = Ipv4Addr::UNSPECIFIED;
        ArpRequests {
            pending: [(0, none); PENDING],
            n: 0,
            recent: [(none, 0); RECENT],
            next: 0,
        }
    }
}

impl ArpRequests {
    /// Asks for `ip`'s MAC on `port`, unless it was asked recently or the
    /// burst's list is full (the next packet to `ip` asks again).
    pub fn request(&mut self, port: usize, ip: Ipv4Addr, now: u64) {
        let asked = self
            .recent
            .iter()
            .any(|&(a, t)| a == ip && now < t + ARP_RETRY_MS);
        if asked || self.n == PENDING {
            return;
        }
        self.pending[self.n] = (port, ip);
        self.n += 1;
        self.recent[self.next] = (ip, now);
        self.next = (self.next + 1) % RECENT;
    }

    /// Takes the requests gathered so far.
    pub fn drain(&mut self) -> impl Iterator<Item = (usize, Ipv4Addr)> + '_ {
        let n = std::mem::take(&mut self.n);
        self.pending[..n].iter().copied()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn asks_once_per_retry_period_and_bounds_the_burst() {
        let mut a = ArpRequests::default();
        let ip = Ipv4Addr::new(10, 0, 2, 11);
        a.request(1, ip, 1000);
        a.request(1, ip, 1100);
        assert_eq!(a.drain().collect::<Vec<_>>(), vec![(1, ip)]);
        a.request(1, ip, 1000 + ARP_RETRY_MS);
        assert_eq!(a.drain().count(), 1);
        for i in 0..20u32 {
            a.request(0, Ipv4Addr::from(i + 1), 5000);
        }
        assert_eq!(a.drain().count(), PENDING);
        assert_eq!(a.drain().count(), 0);
    }
}
