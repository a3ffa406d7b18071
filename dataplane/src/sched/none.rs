//! none — the scheduler that never picks (ipvsadm-spec §6.3: kernels 6.1
//! and 6.12 accept `-s none`; a new connection to such a service gets no
//! real server). Useful to hold a VIP while its real servers are prepared.

use super::{Pick, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoneSched;

impl Scheduler for NoneSched {
    fn name(&self) -> &'static str {
        "none"
    }

    fn pick(&self, _: &mut SchedState, _: &Pick) -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow, pick_for};

    #[test]
    fn never_picks() {
        let d = dests(&[1, 1]);
        let t = DestTable::new(4);
        let mut st = NoneSched.init_state(&d);
        assert_eq!(pick_for(&NoneSched, &mut st, &d, &t, 0, &flow()), None);
    }
}
