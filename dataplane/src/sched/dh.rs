//! dh — destination hashing (ipvs-schedulers §2.8; kernel ip_vs_dh.c).
//!
//! Per service, 256 buckets; bucket `i` belongs to dest `i mod n` in list order (weights are
//! not used for the fill, `ip_vs_dh_reassign`). A packet goes to bucket
//! `hash_32(fold(daddr), 8)`; a dest with weight 0 or OVERLOAD there means no destination
//! (no fallback). Meant for fwmark and transparent-cache services: a plain VIP service sends
//! everything to one dest.

use super::hash::{fold, hash_32};
use super::table::Table;
use super::{DestInfo, Pick, SchedData, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dh;

const BITS: u32 = 8;
const SIZE: usize = 1 << BITS;

impl Scheduler for Dh {
    fn name(&self) -> &'static str {
        "dh"
    }

    fn build(&self, dests: &[DestInfo]) -> SchedData {
        let mut t = Table::empty(SIZE);
        for (bucket, i) in (0..dests.len()).cycle().take(SIZE).enumerate() {
            t.set(bucket, i);
        }
        SchedData::Table(t)
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedData::Table(t) = p.data else {
            return None;
        };
        let bucket = hash_32(fold(p.flow.daddr()), BITS) as usize;
        t.lookup(p, bucket, false, |r| r)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::flow::{Flow, FlowKey};
    use crate::sched::test_util::{dests, pick_for};
    use std::net::Ipv4Addr;

    fn dh(weights: &[u32], daddr: [u8; 4]) -> Option<usize> {
        let d = dests(weights);
        let f = Flow::V4(FlowKey {
            proto: 6,
            saddr: Ipv4Addr::new(192, 168, 1, 1),
            sport: 1234,
            daddr: daddr.into(),
            dport: 80,
        });
        pick_for(&Dh, &mut Dh.init_state(&d), &d, &DestTable::new(4), 0, &f)
    }

    #[test]
    fn spec_example() {
        // §2.8: 203.0.113.7 → bucket 124; 124 mod 3 = 1 → the second dest, whatever the weights.
        assert_eq!(dh(&[1, 1, 1], [203, 0, 113, 7]), Some(1));
        assert_eq!(dh(&[5, 1, 9], [203, 0, 113, 7]), Some(1));
        assert_eq!(
            dh(&[1, 0, 1], [203, 0, 113, 7]),
            None,
            "weight 0: unavailable"
        );
        assert_eq!(dh(&[], [203, 0, 113, 7]), None);
    }
}
