//! One worker's scheduler cursors, one per service of the snapshot it currently uses.
//! When a new snapshot arrives, a service's cursor carries over and replays the changes the
//! service went through meanwhile (its [`crate::sched::history::History`]), as the kernel's
//! hooks change its one scheduler state; a service new to the worker (or changed more than
//! its history keeps) takes the history's fresh cursor. Refreshing allocates, but only when
//! the configuration changed, never per packet.

use super::SchedState;
use crate::service::Snapshot;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Cursors {
    /// The snapshot the cursors belong to (compared by address).
    seen: Option<Arc<Snapshot>>,
    /// One per service of `seen`, same order.
    states: Vec<SchedState>,
}

impl Cursors {
    /// Makes the cursors match `snap`; true when `snap` is new to them.
    pub fn refresh(&mut self, snap: &Arc<Snapshot>) -> bool {
        if self.seen.as_ref().is_some_and(|s| Arc::ptr_eq(s, snap)) {
            return false;
        }
        let old_snap = self.seen.take();
        let old_services = old_snap.as_deref().map_or(&[][..], |s| &s.services[..]);
        let mut old: HashMap<u64, (usize, SchedState)> = old_services
            .iter()
            .map(|s| s.id)
            .zip(self.states.drain(..).enumerate())
            .collect();
        self.states = snap
            .services
            .iter()
            .map(|s| {
                old.remove(&s.id)
                    .and_then(|(i, mut state)| {
                        let was = &old_services[i];
                        let from = was.history.generation;
                        s.history
                            .catch_up(s.sched, &mut state, from, &was.info)
                            .then_some(state)
                    })
                    .unwrap_or_else(|| s.history.fresh.clone())
            })
            .collect();
        self.seen = Some(snap.clone());
        true
    }

    /// The cursor of service `i` of the current snapshot.
    pub fn get(&mut self, i: usize) -> &mut SchedState {
        &mut self.states[i]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::dest::{DestParams, Method, Tunnel};
    use crate::flow::{Flow, FlowKey};
    use crate::sched::by_name;
    use crate::service::{Dest, Service, ServiceKey};

    /// Service `id` (rr over `n` real servers) at generation 0.
    fn snap(id: u64, n: u32) -> Arc<Snapshot> {
        let key = ServiceKey {
            proto: 6,
            addr: [10, 0, 1, 100].into(),
            port: 80,
        };
        let dests = (0..n)
            .map(|i| Dest {
                params: DestParams {
                    addr: [10, 0, 2, 11 + i as u8].into(),
                    port: 80,
                    method: Method::Masq,
                    tunnel: Tunnel::default(),
                },
                weight: 1,
                last_weight: 1,
                slot: i,
            })
            .collect();
        Arc::new(Snapshot::new(
            vec![Service::new(key, by_name("rr").unwrap(), dests, id)],
            &[],
        ))
    }

    fn pick(c: &mut Cursors, s: &Snapshot, table: &DestTable) -> usize {
        let flow = Flow::V4(FlowKey {
            proto: 6,
            saddr: [1, 1, 1, 1].into(),
            sport: 1,
            daddr: [10, 0, 1, 100].into(),
            dport: 80,
        });
        s.services[0].pick(c.get(0), table, &flow, 0).unwrap()
    }

    #[test]
    fn cursors_survive_an_unrelated_snapshot_and_restart_with_a_new_service() {
        let table = DestTable::new(8);
        let mut c = Cursors::default();
        let s1 = snap(1, 3);
        c.refresh(&s1);
        let first = pick(&mut c, &s1, &table);
        // The same service unchanged in a new snapshot: rr carries on where it was.
        let s2 = snap(1, 3);
        assert!(c.refresh(&s2));
        assert_ne!(pick(&mut c, &s2, &table), first);
        // Another service (deleted and created again): a fresh cursor starts anew.
        let s3 = snap(2, 3);
        c.refresh(&s3);
        assert_eq!(pick(&mut c, &s3, &table), first);
    }
}
