//! A service's configuration changes as the scheduler hooks see them, so that every cursor
//! follows the kernel's change rules (ipvs-schedulers §1.3) however the service changed.
//!
//! The kernel calls a hook at each change (`add_dest`, `del_dest`, `upd_dest`, a new
//! scheduler's `init_service`), on the one live scheduler state. rvs's cursors are the
//! workers' own and the control thread publishes whole snapshots, possibly after many
//! changes (a `-R` of a hundred lines is one snapshot). So each published service carries its
//! recent [`Event`]s, numbered by a generation that counts every change of the service since
//! it was created, and the cursor a worker would have had without ever picking
//! ([`History::fresh`], built by the control thread by replaying every event since the
//! service's creation on `init_service`'s empty list). A worker whose cursor stands at an
//! older generation replays the events it missed on it ([`History::catch_up`]), exactly as
//! the kernel applies them to its state between picks; a worker with no cursor for the
//! service (it is new, or the worker fell behind the kept events) starts from `fresh`.

use std::sync::Arc;

use super::{DestChange, DestInfo, SchedState, Scheduler};

/// One change of a service, in the kernel's order of hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A real server inserted at the head of the list (`-a`, or back from the trash).
    Added(DestInfo),
    /// The real server at `index` removed (`-d`).
    Deleted { index: usize },
    /// The real server at `index` now reads `dest` (`-e`, even with unchanged values).
    Edited { index: usize, dest: DestInfo },
    /// `-E` to another scheduler: the new one's `init_service` on the list as it is.
    Rescheduled,
}

impl Event {
    /// Applies the event to `dests` (IPVS list order); returns the hook it calls, if any.
    pub fn apply(&self, dests: &mut Vec<DestInfo>) -> Option<DestChange> {
        match *self {
            Event::Added(d) => {
                dests.insert(0, d);
                Some(DestChange::Added)
            }
            Event::Deleted { index } if index < dests.len() => {
                dests.remove(index);
                Some(DestChange::Deleted { index })
            }
            Event::Edited { index, dest } if index < dests.len() => {
                dests[index] = dest;
                Some(DestChange::Edited { index })
            }
            Event::Deleted { .. } | Event::Edited { .. } | Event::Rescheduled => None,
        }
    }

    /// Applies the event to `dests` and `state` as the kernel does with `sched`.
    pub fn replay(&self, sched: &dyn Scheduler, state: &mut SchedState, dests: &mut Vec<DestInfo>) {
        match self.apply(dests) {
            Some(change) => sched.dests_changed(state, change, dests),
            None if *self == Event::Rescheduled => *state = sched.init_state(dests),
            None => {}
        }
    }
}

/// The recent changes of a service and the cursor they lead to.
#[derive(Debug, Clone)]
pub struct History {
    /// How many changes the service has seen since it was created.
    pub generation: u64,
    /// The last changes, the final one being number `generation`.
    pub events: Arc<[Event]>,
    /// The cursor after every change since creation, and no pick.
    pub fresh: SchedState,
}

impl History {
    /// The history of a service just initialised on `dests` by `sched` (generation 0).
    pub fn new(sched: &dyn Scheduler, dests: &[DestInfo]) -> History {
        History {
            generation: 0,
            events: Arc::from([]),
            fresh: sched.init_state(dests),
        }
    }

    /// Brings `state`, a cursor at generation `from` for the list `dests` of that generation,
    /// to this history's generation with `sched`, the service's scheduler now. False, and
    /// `state` untouched, when the kept events do not reach back to `from`.
    pub fn catch_up(
        &self,
        sched: &dyn Scheduler,
        state: &mut SchedState,
        from: u64,
        dests: &[DestInfo],
    ) -> bool {
        let kept = self.events.len() as u64;
        let Some(missed) = self.generation.checked_sub(from).filter(|&m| m <= kept) else {
            return false;
        };
        let mut list = dests.to_vec();
        let mut cursor = state.clone();
        for e in &self.events[(kept - missed) as usize..] {
            e.replay(sched, &mut cursor, &mut list);
        }
        *state = cursor;
        true
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::by_name;
    use crate::sched::test_util::{dests, picks};

    fn history(sched: &dyn Scheduler, events: &[Event]) -> History {
        let mut list = Vec::new();
        let mut fresh = sched.init_state(&list);
        for e in events {
            e.replay(sched, &mut fresh, &mut list);
        }
        History {
            generation: events.len() as u64,
            events: Arc::from(events),
            fresh,
        }
    }

    /// ipvs-schedulers §2.2: `-a A -w 3`, `-a B -w 2`, `-a C -w 1` on an empty wrr service
    /// starts at cw = 1: C B A, then A B A C B A ...
    #[test]
    fn a_service_built_dest_by_dest_starts_its_first_lap_at_cw_1() {
        let wrr = by_name("wrr").unwrap();
        let d = dests(&[1, 2, 3]);
        let adds: Vec<Event> = d.iter().rev().map(|&x| Event::Added(x)).collect();
        let h = history(wrr, &adds);
        let mut cursor = h.fresh.clone();
        let seq = picks(wrr, &mut cursor, &d, &DestTable::new(8), "CBA", 12);
        assert_eq!(seq, "CBAABACBAABA");
    }

    /// §2.1: rr over C, B, A at position B; D added: A D C B A (no hook, the position stays);
    /// instead B deleted at position B: A C A C (the position moves to its predecessor).
    #[test]
    fn a_worker_cursor_catches_up_on_adds_and_deletes_as_the_kernel_does() {
        let rr = by_name("rr").unwrap();
        let t = DestTable::new(8);
        let cba = dests(&[1, 1, 1]);
        let base = history(
            rr,
            &cba.iter()
                .rev()
                .map(|&x| Event::Added(x))
                .collect::<Vec<_>>(),
        );
        let mut cursor = base.fresh.clone();
        assert_eq!(picks(rr, &mut cursor, &cba, &t, "CBA", 2), "CB");

        let d = crate::sched::DestInfo { slot: 3, ..cba[0] };
        let mut events = base.events.to_vec();
        events.push(Event::Added(d));
        let added = history(rr, &events);
        let mut c1 = cursor.clone();
        assert!(added.catch_up(rr, &mut c1, base.generation, &cba));
        let dcba = [vec![d], cba.clone()].concat();
        assert_eq!(picks(rr, &mut c1, &dcba, &t, "DCBA", 5), "ADCBA");

        let mut events = base.events.to_vec();
        events.push(Event::Deleted { index: 1 });
        let deleted = history(rr, &events);
        let mut c2 = cursor.clone();
        assert!(deleted.catch_up(rr, &mut c2, base.generation, &cba));
        let ca = vec![cba[0], cba[2]];
        assert_eq!(picks(rr, &mut c2, &ca, &t, "CA", 4), "ACAC");
    }

    /// A worker behind the kept events cannot catch up: its cursor stays as it was.
    #[test]
    fn a_cursor_older_than_the_kept_events_is_left_alone() {
        let rr = by_name("rr").unwrap();
        let d = dests(&[1]);
        let h = History {
            generation: 5,
            events: Arc::from([Event::Added(d[0])]),
            fresh: rr.init_state(&d),
        };
        let mut state = rr.init_state(&[]);
        let before = state.clone();
        assert!(!h.catch_up(rr, &mut state, 3, &[]));
        assert_eq!(state, before);
        assert!(h.catch_up(rr, &mut state, 4, &[]));
    }

    /// `-E` to wrr from another scheduler initialises on the full list: cw = mw (§2.2's
    /// last row), A A B A B C.
    #[test]
    fn rescheduling_initialises_the_new_scheduler_on_the_full_list() {
        let wrr = by_name("wrr").unwrap();
        let d = dests(&[3, 2, 1]);
        let mut events: Vec<Event> = d.iter().rev().map(|&x| Event::Added(x)).collect();
        events.push(Event::Rescheduled);
        let h = history(wrr, &events);
        let mut cursor = h.fresh.clone();
        let seq = picks(wrr, &mut cursor, &d, &DestTable::new(8), "ABC", 6);
        assert_eq!(seq, "AABABC");
    }
}
