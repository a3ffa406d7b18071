//! sh — source hashing (ipvs-schedulers §2.7; kernel ip_vs_sh.c).
//!
//! Per service, a table of 256 buckets (`CONFIG_IP_VS_SH_TAB_BITS` 8) filled by walking the
//! buckets while walking the dest list cyclically: each dest takes `max(weight, 1)`
//! consecutive buckets (`ip_vs_sh_reassign`; a weight-0 dest still owns buckets, which then
//! resolve to "unavailable"). Rebuilt on every list change, so it lives in the snapshot.
//!
//! A client goes to bucket `hash_32(fold(saddr) + port, 8)`, port = its source port with
//! `-b sh-port`, else 0. A dest with weight 0 or OVERLOAD there means no destination, unless
//! `-b sh-fallback`: then buckets `(r + h0) & 255` for `r = h0, h0 + 1, …` are probed (the
//! probe starts at 2·h0, as the kernel's does), and an empty bucket ends the search.

use super::hash::{client_port, fold, hash_32};
use super::table::Table;
use super::{flags, DestInfo, Pick, SchedData, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sh;

const BITS: u32 = 8;
const SIZE: usize = 1 << BITS;

/// `ip_vs_sh_reassign`.
fn fill(dests: &[DestInfo]) -> Table {
    let mut t = Table::empty(SIZE);
    if dests.is_empty() {
        return t;
    }
    let owners = dests
        .iter()
        .enumerate()
        .flat_map(|(i, d)| std::iter::repeat_n(i, d.weight.max(1) as usize))
        .cycle();
    for (bucket, i) in owners.take(SIZE).enumerate() {
        t.set(bucket, i);
    }
    t
}

impl Scheduler for Sh {
    fn name(&self) -> &'static str {
        "sh"
    }

    fn flag_names(&self) -> &'static [(u32, &'static str)] {
        &[(flags::SCHED1, "sh-fallback"), (flags::SCHED2, "sh-port")]
    }

    fn build(&self, dests: &[DestInfo]) -> SchedData {
        SchedData::Table(fill(dests))
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedData::Table(t) = p.data else {
            return None;
        };
        let port = client_port(p.flow, p.flag(flags::SCHED2));
        let h0 = hash_32(fold(p.flow.saddr()).wrapping_add(u32::from(port)), BITS) as usize;
        t.lookup(p, h0, p.flag(flags::SCHED1), |r| (r + h0) % SIZE)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow_from, pick_for};
    use std::net::Ipv4Addr;

    fn owners(weights: &[u32]) -> Vec<usize> {
        let t = fill(&dests(weights));
        (0..SIZE).map(|b| t.get(b).unwrap()).collect()
    }

    fn count(o: &[usize], d: usize) -> usize {
        o.iter().filter(|&&x| x == d).count()
    }

    #[test]
    fn table_fill() {
        // §2.7: 3:2:1 → AAABBC repeated, 129/85/42; 1:0:1 → ABC…; 200:100 → 200/56; 300:1.
        let o = owners(&[3, 2, 1]);
        assert_eq!(&o[..7], &[0, 0, 0, 1, 1, 2, 0]);
        assert_eq!((count(&o, 0), count(&o, 1), count(&o, 2)), (129, 85, 42));
        assert_eq!(&owners(&[1, 0, 1])[..4], &[0, 1, 2, 0]);
        let o = owners(&[200, 100]);
        assert_eq!((o[199], o[200], count(&o, 1)), (0, 1, 56));
        assert_eq!(count(&owners(&[300, 1]), 0), 256);
        assert!(fill(&[]).get(0).is_none());
    }

    fn sh(weights: &[u32], flags: u32, client: [u8; 4], port: u16) -> Option<usize> {
        let d = dests(weights);
        let t = DestTable::new(4);
        let f = flow_from(Ipv4Addr::from(client), port);
        pick_for(&Sh, &mut Sh.init_state(&d), &d, &t, flags, &f)
    }

    #[test]
    fn spec_lookups() {
        // §2.7 with the 3:2:1 table: 192.168.1.10 → 248 → A; 10.0.0.1 → 39 → B;
        // 10.0.0.2 → 137 → C; the source port is ignored without sh-port.
        assert_eq!(sh(&[3, 2, 1], 0, [192, 168, 1, 10], 1), Some(0));
        assert_eq!(sh(&[3, 2, 1], 0, [10, 0, 0, 1], 2), Some(1));
        assert_eq!(sh(&[3, 2, 1], 0, [10, 0, 0, 2], 3), Some(2));
        // 200:100: bucket 248 is B's.
        assert_eq!(sh(&[200, 100], 0, [192, 168, 1, 10], 1), Some(1));
    }

    #[test]
    fn sh_port_mixes_the_source_port() {
        // §2.7: 192.168.1.10 ports 40000–40011 → A A A A A A B A B A A B.
        let got: String = (40000..40012)
            .map(|port| sh(&[3, 2, 1], flags::SCHED2, [192, 168, 1, 10], port))
            .map(|i| char::from(b'A' + i.unwrap() as u8))
            .collect();
        assert_eq!(got, "AAAAAABABAAB");
    }

    #[test]
    fn fallback_probes_from_twice_the_bucket() {
        // §2.7: 2:0:1 → AABC…; 192.168.2.4 lands on B (weight 0): nothing without
        // sh-fallback, A with it (an h0 + 1 probe would give C).
        assert_eq!(sh(&[2, 0, 1], 0, [192, 168, 2, 4], 0), None);
        assert_eq!(sh(&[2, 0, 1], flags::SCHED1, [192, 168, 2, 4], 0), Some(0));
    }
}
