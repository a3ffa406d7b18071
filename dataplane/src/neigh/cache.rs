//! A worker's private copies of its next hops' neighbour entries, so that a packet to a
//! next hop whose entry needs nothing (STATIC, or REACHABLE until its deadline) costs no
//! window scan of the shared [`NeighTable`]. An answer that may ask or age without a write
//! (STALE, INCOMPLETE, FAILED, no entry) is never kept: every packet to such a next hop
//! looks at the table and asks as before.
//!
//! A copy holds while its table's [generation](NeighTable::generation), bumped after every
//! write to any of the table's slots, is the one it was read under, and while the clock is
//! before the entry's deadline: the two ways its state changes.

use super::{Lookup, NeighAddr, NeighTable};
use crate::wire::MacAddr;

/// Copies kept, direct-mapped by port and address (a power of two): a worker's busy next
/// hops are few (gateways, DR/NAT real servers on connected prefixes).
const SIZE: usize = 32;

/// One next hop's usable entry.
#[derive(Debug, Clone, Copy)]
struct Kept<A> {
    port: usize,
    ip: A,
    mac: MacAddr,
    /// Usable until then (ms): a REACHABLE entry's deadline, or forever (static).
    until: u64,
    /// The table's generation loaded before the entry was read.
    generation: u64,
}

/// One family's copies (worker-private: no atomics but the tables' generations).
pub struct NeighCache<A> {
    kept: [Kept<A>; SIZE],
}

impl<A: NeighAddr> Default for NeighCache<A> {
    fn default() -> Self {
        let unused = Kept {
            port: 0,
            ip: A::from_bits(0),
            mac: [0; 6],
            // Never usable: no clock is before 0.
            until: 0,
            generation: 0,
        };
        NeighCache {
            kept: [unused; SIZE],
        }
    }
}

impl<A: NeighAddr> NeighCache<A> {
    /// The next hop `ip` on `port` (whose table is `tables[port]`) at `now`: what
    /// [`NeighTable::lookup`] says, from the copy when it holds.
    #[inline]
    pub fn lookup(&mut self, tables: &[NeighTable<A>], port: usize, ip: A, now: u64) -> Lookup {
        let table = &tables[port];
        let k = &mut self.kept[index(port, ip)];
        if k.ip == ip && k.port == port && now < k.until && k.generation == table.generation() {
            return Lookup {
                mac: Some(k.mac),
                ask: false,
            };
        }
        // The generation before the slot: a writer writes the slot, then bumps. If the read
        // below missed a write, that write's bump comes after the load here, so the copy's
        // generation is out of date and the next packet looks again; a read under the
        // bumped generation sees the write (Acquire on the load, Release on the bump).
        let generation = table.generation();
        let (found, until) = table.lookup_until(ip, now);
        if let (Some(mac), Some(until)) = (found.mac, until) {
            *k = Kept {
                port,
                ip,
                mac,
                until,
                generation,
            };
        }
        found
    }
}

/// The place of `(port, ip)`: the top bits of a Fibonacci hash.
fn index<A: NeighAddr>(port: usize, ip: A) -> usize {
    let h = (ip.fold() ^ port as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - SIZE.trailing_zeros())) as usize
}

#[cfg(test)]
mod test;
