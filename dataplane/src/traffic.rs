//! Per-real-server traffic counters (ipvs-schedulers §6): Conns, InPkts, OutPkts, InBytes,
//! OutBytes, counted by each worker in its own [`Traffic`] so no line is written by two
//! cores, read and summed by the control thread (which derives the service and global
//! totals and the rates from them).
//!
//! Like [`crate::stats::Counters`], each worker is the only writer of its counters: a
//! `Relaxed` load and store, no locked read-modify-write; the control thread may read at any
//! time. A slot's counters only grow: the control thread takes a new server's starting values
//! as its zero (slots are reused).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What is counted, in ipvsadm's `--stats` order.
pub const CONNS: usize = 0;
pub const IN_PKTS: usize = 1;
pub const OUT_PKTS: usize = 2;
pub const IN_BYTES: usize = 3;
pub const OUT_BYTES: usize = 4;

/// One worker's counters, one set per real-server slot.
pub struct Traffic {
    slots: Box<[[AtomicU64; 5]]>,
}

fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

impl Traffic {
    /// Counters for `slots` real-server slots, all zero.
    pub fn new(slots: usize) -> Traffic {
        Traffic {
            slots: (0..slots).map(|_| Default::default()).collect(),
        }
    }

    fn at(&self, slot: u32) -> Option<&[AtomicU64; 5]> {
        self.slots.get(slot as usize)
    }

    /// A connection was made on the real server in `slot` (not a template).
    pub fn conn(&self, slot: u32) {
        if let Some(c) = self.at(slot) {
            bump(&c[CONNS], 1);
        }
    }

    /// A packet of `bytes` (its IP length) went from a client towards `slot`: one packet
    /// unless it is a later fragment (`packets` 0), as the kernel counts a datagram it has
    /// reassembled.
    pub fn inbound(&self, slot: u32, packets: u64, bytes: u64) {
        if let Some(c) = self.at(slot) {
            bump(&c[IN_PKTS], packets);
            bump(&c[IN_BYTES], bytes);
        }
    }

    /// A reply of `bytes` from `slot` went towards its client (see [`Traffic::inbound`]).
    pub fn outbound(&self, slot: u32, packets: u64, bytes: u64) {
        if let Some(c) = self.at(slot) {
            bump(&c[OUT_PKTS], packets);
            bump(&c[OUT_BYTES], bytes);
        }
    }

    /// Every connection this worker made, whatever the slot: the sum of the slots' Conns,
    /// which only grow (a reused slot's count goes on from its former server's), so the sum
    /// only grows too. A walk over every slot, for the control thread.
    pub fn conns_made(&self) -> u64 {
        let each = self.slots.iter().map(|c| c[CONNS].load(Relaxed));
        each.fold(0, u64::wrapping_add)
    }

    /// The counters of `slot` as they are now.
    pub fn read(&self, slot: u32) -> [u64; 5] {
        self.at(slot)
            .map_or([0; 5], |c| std::array::from_fn(|i| c[i].load(Relaxed)))
    }
}

/// The counters of `slot` summed over every worker's `traffic`.
pub fn sum(traffic: &[Traffic], slot: u32) -> [u64; 5] {
    traffic.iter().fold([0; 5], |mut acc, t| {
        for (a, v) in acc.iter_mut().zip(t.read(slot)) {
            *a = a.wrapping_add(v);
        }
        acc
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn counts_per_slot_and_sums_workers() {
        let workers = [Traffic::new(8), Traffic::new(8)];
        workers[0].conn(3);
        workers[0].inbound(3, 1, 60);
        workers[1].inbound(3, 1, 52);
        workers[1].outbound(3, 1, 60);
        // A later fragment: its bytes, no packet.
        workers[1].inbound(3, 0, 1480);
        workers[0].conn(99); // beyond the table: ignored
        assert_eq!(sum(&workers, 3), [1, 2, 1, 1592, 60]);
        assert_eq!(sum(&workers, 4), [0; 5]);
        workers[0].conn(7);
        workers[1].conn(7);
        workers[1].conn(0);
        assert_eq!(workers.each_ref().map(Traffic::conns_made), [2, 2]);
    }
}
