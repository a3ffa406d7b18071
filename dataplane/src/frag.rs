//! Fragments: which connection the fragments of one datagram follow.
//!
//! IPVS sees whole datagrams: the host reassembles them first and IPVS re-fragments on the
//! way out (ipvs-forwarding §5). rvs keeps the fragments of a datagram together without
//! reassembling them: the first fragment carries the ports, so it alone is balanced like an
//! unfragmented packet (it may create the connection); the connection and direction it took
//! are remembered under the datagram's identity (source, destination, protocol, ID), and
//! every later fragment with that identity follows it, rewritten at layer 3 only (its bytes
//! carry no L4 header). No buffer holds a whole datagram, nothing waits for the last
//! fragment, and fragment boundaries are kept (each may still be fragmented again on a
//! smaller egress MTU). A later fragment that arrives before its first is held by the
//! worker for a moment ([`HOLD_MS`]) and dropped (`fragment_timeout`) if its first never
//! comes; a later fragment never creates a connection.
//!
//! The table is the worker's own, fixed in size: a new datagram takes the slot its identity
//! hashes to, replacing an older one (whose later fragments then find nothing).

use crate::conn::ConnHit;
use crate::flow::Addr;

/// Datagrams in flight per worker.
const SLOTS: usize = 4096;
/// How long a datagram's first fragment stays valid for its later ones (Linux's
/// `ipfrag_time` is 30 s; fragments of one datagram come within milliseconds).
const LIFETIME_MS: u64 = 5_000;
/// How long a later fragment waits for its first.
pub const HOLD_MS: u64 = 500;

/// A datagram's identity (RFC 791: source, destination, protocol and identification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragKey<A> {
    pub saddr: A,
    pub daddr: A,
    pub proto: u8,
    pub id: u32,
}

/// Which way the datagram's first fragment went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Client → VIP, towards the connection's real server.
    In,
    /// NAT real server → client.
    Out,
}

#[derive(Clone, Copy)]
struct Slot<A> {
    key: FragKey<A>,
    hit: ConnHit<A>,
    way: Way,
    until: u64,
}

/// The datagrams whose first fragment this worker has forwarded.
pub struct FragTable<A> {
    slots: Box<[Option<Slot<A>>]>,
}

impl<A: Addr> Default for FragTable<A> {
    fn default() -> Self {
        FragTable {
            slots: vec![None; SLOTS].into_boxed_slice(),
        }
    }
}

impl<A: Addr> FragTable<A> {
    fn index(key: &FragKey<A>) -> usize {
        let x = key.saddr.fold() ^ key.daddr.fold().rotate_left(17);
        let h = crate::conn::mix(x ^ u64::from(key.id) << 8 ^ u64::from(key.proto));
        h as usize % SLOTS
    }

    /// Remembers that the datagram `key`'s first fragment went `way` on connection `hit`.
    pub fn remember(&mut self, key: FragKey<A>, hit: ConnHit<A>, way: Way, now: u64) {
        self.slots[Self::index(&key)] = Some(Slot {
            key,
            hit,
            way,
            until: now + LIFETIME_MS,
        });
    }

    /// The connection and way of datagram `key`, if its first fragment came lately.
    pub fn find(&self, key: &FragKey<A>, now: u64) -> Option<(ConnHit<A>, Way)> {
        let s = self.slots[Self::index(key)]?;
        (s.key == *key && now < s.until).then_some((s.hit, s.way))
    }
}
