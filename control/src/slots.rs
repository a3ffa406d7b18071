//! Destination slots for the model, backed by the data plane's live
//! counters: a deleted real server's slot stays in the trash until no
//! connection counts on it (ipvs-schedulers §8), then it is reused.

use crate::model::SlotAllocator;
use dataplane::dest::{DestTable, ReleaseError, SlotAllocator as Slots};
use std::sync::Arc;

pub struct DestSlots {
    slots: Slots,
    table: Arc<DestTable>,
    trash: Vec<u32>,
}

impl DestSlots {
    pub fn new(table: Arc<DestTable>) -> DestSlots {
        DestSlots {
            slots: Slots::new(table.capacity()),
            table,
            trash: Vec::new(),
        }
    }

    /// Frees trashed slots whose connections are all gone.
    pub fn collect(&mut self) {
        let (slots, table) = (&mut self.slots, &self.table);
        self.trash
            .retain(|&s| matches!(slots.release(table, s), Err(ReleaseError::Busy { .. })));
    }
}

impl SlotAllocator for DestSlots {
    fn alloc(&mut self) -> Option<u32> {
        self.collect();
        self.slots.alloc()
    }

    fn release(&mut self, slot: u32) {
        if let Err(ReleaseError::Busy { .. }) = self.slots.release(&self.table, slot) {
            self.trash.push(slot);
        }
    }

    fn revive(&mut self, slot: u32) -> bool {
        let found = self.trash.iter().position(|&s| s == slot);
        found.map(|k| self.trash.swap_remove(k)).is_some()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_busy_slot_waits_in_the_trash() {
        let table = Arc::new(DestTable::new(2));
        let mut s = DestSlots::new(table.clone());
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
        let mut s = DestSlots::new(table.clone());
        let (a, b) = (s.alloc().unwrap(), s.alloc().unwrap());
        table.conn_created(a);
        s.release(a);
        s.release(b);
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
