//! Destination slots for the model, backed by the data plane's live
//! counters: a deleted real server's slot stays in the trash until no
//! connection counts on it (ipvs-schedulers §8), then it is reused.
//!
//! Every released slot waits in the trash at least [`GRACE`], idle or not: the model
//! releases a slot before the snapshot without its server is published, and a worker may
//! still pick the server from the snapshot it holds (one burst) and bind a new connection
//! to the slot. Reused at once, the slot could already be another server's.

use crate::model::SlotAllocator;
use dataplane::dest::{DestTable, ReleaseError, SlotAllocator as Slots};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a released slot stays out of use: far longer than a worker holds a snapshot
/// (one burst, microseconds).
pub const GRACE: Duration = Duration::from_secs(1);

pub struct DestSlots {
    slots: Slots,
    table: Arc<DestTable>,
    /// Released slots and when.
    trash: Vec<(u32, Instant)>,
    grace: Duration,
}

impl DestSlots {
    pub fn new(table: Arc<DestTable>) -> DestSlots {
        DestSlots::with_grace(table, GRACE)
    }

    /// The same with another grace period (tests).
    pub fn with_grace(table: Arc<DestTable>, grace: Duration) -> DestSlots {
        DestSlots {
            slots: Slots::new(table.capacity()),
            table,
            trash: Vec::new(),
            grace,
        }
    }

    /// Frees trashed slots past their grace whose connections are all gone.
    pub fn collect(&mut self) {
        let (slots, table, grace) = (&mut self.slots, &self.table, self.grace);
        self.trash.retain(|&(s, at)| {
            at.elapsed() < grace
                || matches!(slots.release(table, s), Err(ReleaseError::Busy { .. }))
        });
    }
}

impl SlotAllocator for DestSlots {
    fn alloc(&mut self) -> Option<u32> {
        self.collect();
        self.slots.alloc()
    }

    fn release(&mut self, slot: u32) {
        self.trash.push((slot, Instant::now()));
    }

    fn revive(&mut self, slot: u32) -> bool {
        let found = self.trash.iter().position(|&(s, _)| s == slot);
        found.map(|k| self.trash.swap_remove(k)).is_some()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A slot released with no connection is still not handed out within its grace: a
    /// worker may be binding one to it from the snapshot before.
    #[test]
    fn a_released_slot_waits_out_its_grace() {
        let table = Arc::new(DestTable::new(1));
        let grace = Duration::from_millis(100);
        let mut s = DestSlots::with_grace(table.clone(), grace);
        let a = s.alloc().unwrap();
        s.release(a);
        assert_eq!(s.alloc(), None, "{a} reused within its grace");
        std::thread::sleep(grace);
        assert_eq!(s.alloc(), Some(a));
    }

    #[test]
    fn a_busy_slot_waits_in_the_trash() {
        let table = Arc::new(DestTable::new(2));
        let mut s = DestSlots::with_grace(table.clone(), Duration::ZERO);
        let (a, b) = (s.alloc().unwrap(), s.alloc().unwrap());
        assert_eq!(s.alloc(), None);
        table.conn_created(a);
        s.release(a);
        assert_eq!(s.alloc(), None, "a connection still counts on {a}");
        table.conn_removed(a, false);
        assert_eq!(s.alloc(), Some(a));
        s.release(b);
        assert_eq!(s.alloc(), Some(b));
    }

    #[test]
    fn only_a_slot_still_in_the_trash_is_revived() {
        let table = Arc::new(DestTable::new(2));
        let mut s = DestSlots::with_grace(table.clone(), Duration::ZERO);
        let (a, b) = (s.alloc().unwrap(), s.alloc().unwrap());
        table.conn_created(a);
        s.release(a);
        s.release(b);
        // Past its (zero) grace, idle b is freed at the next collection; busy a is not.
        s.collect();
        assert!(
            s.revive(a),
            "a connection counts on {a}: it waits in the trash"
        );
        assert!(!s.revive(a), "taken back once");
        assert!(
            !s.revive(b),
            "nothing counted on {b}: free, not in the trash"
        );
    }
}
