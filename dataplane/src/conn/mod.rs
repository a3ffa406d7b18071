//! The connection table, shared by every worker (ipvs-forwarding §2).
//!
//! # Contract
//! * Fixed capacity, allocated once by [`ConnTable::new`]; nothing on the packet path
//!   allocates. When a worker's share is used up, or both candidate buckets of a key are
//!   full, [`ConnOwner::insert`] refuses with [`InsertError::Full`] (the caller counts
//!   `TableFull`); established connections are never evicted for newcomers.
//! * Both directions of a connection find the same entry: [`ConnTable::lookup_in`] with the
//!   client → VIP tuple, [`ConnTable::lookup_out`] with the real server → client tuple (for
//!   non-NAT entries the "server" side is the VIP, as in the kernel's `ip_vs_conn_out_get`).
//! * Lookups, state updates and inserts take no lock and use no `unsafe`.
//! * Time is the caller's `now` in milliseconds from any fixed origin; deadlines are kept as
//!   wrapping 32-bit milliseconds, so every live entry must be visited by
//!   [`ConnOwner::expire_step`] at least once every 24 days (in practice: every second).
//!
//! # Design
//! * The table is generic over the address family ([`Packed`]): one table per family, so
//!   an IPv4 entry stays 32 bytes while an IPv6 one takes 72. Entries (`entry.rs`) are
//!   atomics, type-stable and reused in place; a
//!   generation number in the control word makes a stale reader or a stale [`ConnHit`]
//!   detect reuse (seqlock), so a reader never sees a connection under the wrong key.
//! * Two hash indexes (`index.rs`): one on the in-key, one on the out-key, each slot a tag
//!   and an entry number, two candidate buckets per key.
//! * Entry numbers are split into one partition per worker. A worker allocates from and
//!   expires only its own partition through its [`ConnOwner`] (a plain free list, no
//!   contention); every worker reads every entry and moves its state by CAS, so exactly one
//!   thread applies each transition and adjusts the destination's active/inactive counters.
//! * Expiry is a bounded scan ([`ConnOwner::expire_step`]): an entry whose deadline has
//!   passed is unlinked and its slot reused. An entry past its deadline but not yet scanned
//!   is still found and a packet revives it, as when a kernel timer races a packet.
//!
//! # Use
//! ```
//! use std::net::Ipv4Addr;
//! use std::sync::Arc;
//! use dataplane::conn::{state, Conn, ConnTable, Dir};
//! use dataplane::dest::{DestTable, Method};
//! use dataplane::flow::FlowKey;
//!
//! let dests = Arc::new(DestTable::new(16));
//! let (table, mut owners) =
//!     ConnTable::<Ipv4Addr>::new(1024, 2, dests.clone(), Arc::default());
//! let (c, v, r) = (Ipv4Addr::new(203, 0, 113, 10), Ipv4Addr::new(198, 51, 100, 1),
//!                  Ipv4Addr::new(10, 0, 0, 11));
//! let now = 0;
//!
//! // Worker 0 gets a SYN from c:40000 to v:80: no entry, the scheduler picks dest slot 3.
//! let syn = FlowKey { proto: state::PROTO_TCP, saddr: c, sport: 40000, daddr: v, dport: 80 };
//! assert!(table.lookup_in(&syn).is_none());
//! let conn = Conn { proto: state::PROTO_TCP, caddr: c, cport: 40000, vaddr: v, vport: 80,
//!                   daddr: r, dport: 8080, fwd: Method::Masq, dest: 3 };
//! let hit = owners[0].insert(&conn, now).expect("room");
//! table.update(&hit, Dir::Input, state::TCP_SYN, now).unwrap();
//! assert_eq!(dests.counts(3), (1, 0)); // SYN_RECV counts as active
//!
//! // Worker 1 gets the SYN+ACK from r:8080 to c:40000 and finds the same entry.
//! let syn_ack = FlowKey { proto: state::PROTO_TCP, saddr: r, sport: 8080, daddr: c, dport: 40000 };
//! let back = table.lookup_out(&syn_ack).unwrap();
//! assert_eq!(back.conn, conn);
//! table.update(&back, Dir::Output, state::TCP_SYN | state::TCP_ACK, now + 1).unwrap();
//!
//! // Nobody talks for a minute: worker 0's expiry scan removes it.
//! assert_eq!(owners[0].expire_step(now + 1 + 60_000, 64), 1);
//! assert_eq!(dests.counts(3), (0, 0));
//! ```
//!
//! # Memory
//! [`bytes_per_entry`]: the entry (32 bytes IPv4, 72 IPv6), 4 bytes of free list, 12 of
//! persistence-template links (a template's controlled count, a connection's template), and
//! two indexes sized at twice the capacity (load ≤ 50 %), 2 × 2 × 8 = 32 bytes: 80 bytes per
//! IPv4 connection and 120 per IPv6 one when the capacity is a power of two.
//! 16M IPv4 connections take 1.25 GiB.

mod entry;
mod index;
mod pe_data;
pub(crate) use index::mix;
pub mod state;
mod table;

#[cfg(test)]
mod test;
#[cfg(test)]
mod test_concurrent;
#[cfg(all(test, loom))]
mod test_loom;

pub use entry::{Packed, Words};
pub use pe_data::Pe;
pub use state::{Dir, TcpState, Timeouts};
pub use table::{ConnOwner, ConnTable, KeyHash, PartitionFill};

use std::net::IpAddr;

use crate::dest::{DestParams, Method};
use crate::flow::{Addr, FlowKey};
use crate::persist::Engine;

/// Default table capacity.
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// Bytes per connection of family `A` at a power-of-two capacity (see the module doc).
pub const fn bytes_per_entry<A: Packed>() -> usize {
    std::mem::size_of::<entry::Entry<A>>() + 4 + 4 + 8 + 2 * 2 * 8
}

/// What a connection is: its three address pairs, how it is forwarded and to which
/// destination slot it is bound. `A` is the family of the client and the service; the real
/// server's address is of the same family (mixed families are TUN-only and carried by the
/// destination's parameters, not by the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conn<A> {
    /// IP protocol number (6 TCP, 17 UDP).
    pub proto: u8,
    /// Client address and port (`caddr:cport`).
    pub caddr: A,
    pub cport: u16,
    /// Virtual service address and port (`vaddr:vport`).
    pub vaddr: A,
    pub vport: u16,
    /// Real server address and port (`daddr:dport`); for a TUN real server of the other
    /// family the unspecified address (its address is its slot's, `fwd::Server::of_conn`).
    pub daddr: A,
    pub dport: u16,
    /// Forwarding method, chosen when the connection is created (`ip_vs_bind_xmit`).
    pub fwd: Method,
    /// Destination slot in the [`crate::dest::DestTable`].
    pub dest: u32,
}

impl<A: Addr> Conn<A> {
    /// The real server's address: `daddr`, but for a tunnel the address of its slot's
    /// parameters `params`, which may be of the other family (`fwd::Server`).
    pub fn server_addr(&self, params: Option<&DestParams>) -> IpAddr {
        match params {
            Some(d) if self.fwd == Method::Tunnel => d.addr,
            _ => self.daddr.into(),
        }
    }

    /// Source address and port of this connection's replies as the director sees them:
    /// the real server for NAT, the VIP otherwise (`ip_vs_conn_out_get`, §2.1).
    pub fn reply_src(&self) -> (A, u16) {
        if self.fwd == Method::Masq {
            (self.daddr, self.dport)
        } else {
            (self.vaddr, self.vport)
        }
    }

    /// The key of the client's packets: `caddr:cport → vaddr:vport`.
    pub fn in_key(&self) -> FlowKey<A> {
        FlowKey {
            proto: self.proto,
            saddr: self.caddr,
            sport: self.cport,
            daddr: self.vaddr,
            dport: self.vport,
        }
    }

    /// The key of the replies as the director sees them: `reply_src → caddr:cport`.
    pub fn out_key(&self) -> FlowKey<A> {
        let (saddr, sport) = self.reply_src();
        FlowKey {
            proto: self.proto,
            saddr,
            sport,
            daddr: self.caddr,
            dport: self.cport,
        }
    }
}

/// A lookup result: a copy of the entry, read consistently, and a handle for updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnHit<A> {
    pub conn: Conn<A>,
    /// State number at lookup time (see [`state::state_name`]).
    pub state: u8,
    /// DR/TUN entry that has not seen a reply (ipvs-forwarding §1.3).
    pub no_output: bool,
    idx: u32,
    gen: u32,
}

impl<A> ConnHit<A> {
    /// Entry number (stable while the connection lives; for diagnostics and tests).
    pub fn index(&self) -> u32 {
        self.idx
    }
}

/// Result of applying one packet to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub old: u8,
    pub new: u8,
}

/// The entry went away (expired, reused) between the lookup and the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale;

/// Why an insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertError {
    /// No room: the worker's share is used up or the key's buckets are full (`TableFull`).
    Full,
    /// Another worker inserted the same in-key at the same moment and won; look it up.
    Exists,
}

/// One live entry as `ipvsadm -Lc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnView<A> {
    pub conn: Conn<A>,
    pub state: u8,
    /// As printed: `ESTABLISHED`, `UDP`, ...
    pub state_name: &'static str,
    /// Milliseconds until expiry, 0 when already due.
    pub expires_ms: u32,
    pub no_output: bool,
    /// A persistence template (client port 0), not a connection.
    pub template: bool,
    /// A template's persistence engine and what it read (the SIP Call-ID).
    pub pe_data: Option<(Engine, Box<[u8]>)>,
}
