//! ovf — overflow (ipvs-schedulers §2.13; kernel ip_vs_ovf.c).
//!
//! fo's choice (the highest weight, first on ties, [`super::fo::heaviest`]) among the dests
//! that also have no more active connections than their weight. No cursor.

use super::fo::heaviest;
use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ovf;

impl Scheduler for Ovf {
    fn name(&self) -> &'static str {
        "ovf"
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        heaviest(p, |i| p.counts(i).0 <= p.dests[i].weight)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow, pick_for};

    #[test]
    fn overflows_to_the_next_weight() {
        // §2.13: A w3, B w2, connections never closing → A A A A B B B, then none.
        let t = DestTable::new(2);
        let d = dests(&[3, 2]);
        let mut st = Ovf.init_state(&d);
        let mut got = String::new();
        for _ in 0..8 {
            match pick_for(&Ovf, &mut st, &d, &t, 0, &flow()) {
                Some(i) => {
                    t.conn_created(d[i].slot);
                    t.conn_activated(d[i].slot);
                    got.push(char::from(b'A' + i as u8));
                }
                None => got.push('-'),
            }
        }
        assert_eq!(got, "AAAABBB-");
    }
}
