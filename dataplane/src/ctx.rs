//! One worker's private state: what `process` may change without locks.

use crate::flow::Addr;
use crate::frag::FragTable;
use crate::neigh::cache::NeighCache;
use crate::sched::cursors::Cursors;
use crate::shared::Owners;
use crate::stats::Counters;
use crate::wire::MacAddr;
use std::net::Ipv4Addr;
use std::net::Ipv6Addr;

/// Neighbour requests (ARP, IPv6 Neighbor Solicitation) a burst may gather for the worker
/// to send after it. Which are due, and how many, the neighbour tables and the data plane's
/// [`RequestLimit`](crate::neigh::RequestLimit) decide (`fwd::ask`).
const PENDING: usize = 64;

pub struct Ctx<'a> {
    pub queue: u16,
    pub counters: &'a Counters,
    /// This worker's shares of the connection tables.
    pub conns: Owners,
    pub cursors: Cursors,
    /// Milliseconds since the data plane started, read once per burst.
    pub now: u64,
    /// IPv4 next hops to resolve by ARP.
    pub arp: NeighRequests<Ipv4Addr>,
    /// IPv6 next hops to resolve by Neighbor Solicitation.
    pub nd: NeighRequests<Ipv6Addr>,
    /// IPv4 next hops this worker may send to without a look at the neighbour tables.
    pub arp_cache: NeighCache<Ipv4Addr>,
    /// IPv6 next hops this worker may send to without a look at the neighbour tables.
    pub nd_cache: NeighCache<Ipv6Addr>,
    /// IPv4 IDs of packets this worker originates (ICMP errors, tunnel headers without DF).
    pub ip_id: u16,
    pub icmp_limit: IcmpLimit,
    /// Where the fragmented datagrams this worker saw went, per family.
    pub frags: Frags,
}

/// A worker's fragment tables, one per family.
#[derive(Default)]
pub struct Frags {
    pub v4: FragTable<Ipv4Addr>,
    pub v6: FragTable<Ipv6Addr>,
    /// Bumped for every first fragment remembered: held later fragments are worth another
    /// look only then.
    pub firsts: u64,
}

impl Ctx<'_> {
    /// A worker's state at `now`, with its connection-table shares.
    pub fn new(queue: u16, counters: &Counters, conns: Owners, now: u64) -> Ctx<'_> {
        Ctx {
            queue,
            counters,
            conns,
            cursors: Cursors::default(),
            now,
            arp: NeighRequests::default(),
            nd: NeighRequests::default(),
            arp_cache: NeighCache::default(),
            nd_cache: NeighCache::default(),
            // Workers start apart, so their IDs rarely meet.
            ip_id: queue.wrapping_mul(0x9e37),
            icmp_limit: IcmpLimit::default(),
            frags: Frags::default(),
        }
    }

    /// The next IPv4 ID, never 0 (0 means "DF set" in a tunnel header, §3.3.1).
    pub fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1).max(1);
        self.ip_id
    }
}

/// ICMP errors a worker may send: a token bucket, as Linux limits `icmp_send`
/// (`icmp_msgs_per_sec` 1000, `icmp_msgs_burst` 50), so a flood of dying packets cannot
/// make the box a flood of ICMP (ipvs-forwarding §4.5 rvs note).
pub struct IcmpLimit {
    tokens: u32,
    last: u64,
}

const ICMP_PER_SEC: u64 = 1000;
const ICMP_BURST: u32 = 50;

impl Default for IcmpLimit {
    fn default() -> Self {
        IcmpLimit {
            tokens: ICMP_BURST,
            last: 0,
        }
    }
}

impl IcmpLimit {
    /// Takes a token if one is left at `now` (ms).
    pub fn allow(&mut self, now: u64) -> bool {
        let earned = now.saturating_sub(self.last) * ICMP_PER_SEC / 1000;
        if earned > 0 {
            self.tokens = (u64::from(self.tokens) + earned).min(u64::from(ICMP_BURST)) as u32;
            self.last = now;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

/// The requests of one family gathered since the last send: `(port, address, MAC)`, the
/// MAC for a unicast probe of a STALE entry, none for a broadcast (ARP) or multicast (NS).
pub struct NeighRequests<A> {
    pending: [(usize, A, Option<MacAddr>); PENDING],
    n: usize,
}

impl<A: Addr> Default for NeighRequests<A> {
    fn default() -> Self {
        NeighRequests {
            pending: [(0, A::from_bits(0), None); PENDING],
            n: 0,
        }
    }
}

impl<A: Addr> NeighRequests<A> {
    pub fn is_full(&self) -> bool {
        self.n == PENDING
    }

    /// Adds a request (dropped if [full](Self::is_full): the caller checks first).
    pub fn push(&mut self, port: usize, ip: A, to: Option<MacAddr>) {
        if let Some(slot) = self.pending.get_mut(self.n) {
            *slot = (port, ip, to);
            self.n += 1;
        }
    }

    /// Takes the requests gathered so far.
    pub fn drain(&mut self) -> impl Iterator<Item = (usize, A, Option<MacAddr>)> + '_ {
        let n = std::mem::take(&mut self.n);
        self.pending[..n].iter().copied()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn icmp_limit_allows_a_burst_then_the_rate() {
        let mut l = IcmpLimit::default();
        assert_eq!((0..100).filter(|_| l.allow(0)).count(), ICMP_BURST as usize);
        assert!(!l.allow(0));
        assert_eq!((0..100).filter(|_| l.allow(10)).count(), 10, "1 per ms");
        assert_eq!(
            (0..100).filter(|_| l.allow(10_000)).count(),
            ICMP_BURST as usize
        );
    }

    #[test]
    fn requests_are_bounded_and_drained_once() {
        let mut a = NeighRequests::<Ipv4Addr>::default();
        for i in 0..PENDING as u32 + 5 {
            a.push(1, Ipv4Addr::from(i), None);
        }
        assert!(a.is_full());
        assert_eq!(a.drain().count(), PENDING);
        assert_eq!(a.drain().count(), 0);
    }
}
