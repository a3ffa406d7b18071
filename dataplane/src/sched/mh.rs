//! mh — Maglev hashing (ipvs-schedulers §2.9; kernel ip_vs_mh.c).
//!
//! Per service, a lookup table of M = 4093 slots (`CONFIG_IP_VS_MH_TAB_INDEX` 12), rebuilt on
//! every list change from the dests' `last_weight` (so quiescing a dest moves no slot):
//! * `g` = gcd of the last weights > 0 (none: an empty table, every lookup fails);
//!   `rshift` = max(0, fls(max / g) − 6); a dest's turns per round = `(lw / g) >> rshift`,
//!   at least 1 unless its last weight is 0 (then it is left out);
//! * each dest has a permutation: `offset = hashkey(addr, port, K1) mod M`,
//!   `skip = hashkey(addr, port, K2) mod (M − 1) + 1`, slots offset, offset + skip, …;
//! * rounds over the list in order: each dest claims `turns` slots, each the next free one of
//!   its permutation, until all M slots are taken (`ip_vs_mh_populate`).
//!
//! `hashkey(addr, port, key, r)` = `hsiphash(r + port + fold(addr), key)` ([`super::hash`]).
//! A client goes to slot `hashkey(saddr, port, K1, 0) mod M` (port = its source port with
//! `-b mh-port`). A dest with weight 0 or OVERLOAD there means no destination, unless
//! `-b mh-fallback`: then slots `hashkey(saddr, port, K1, r) mod M` for `r = s, s + 1, …`,
//! up to an empty slot.

use std::net::IpAddr;

use super::hash::{client_port, fold, hsiphash};
use super::table::Table;
use super::{flags, DestInfo, Pick, SchedData, SchedState, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mh;

/// Table size: `primes[CONFIG_IP_VS_MH_TAB_INDEX − 8]`, index 12 by default.
pub const M: usize = 4093;
/// `IP_VS_MH_TAB_BITS` = index / 2: the bits a weight keeps after the gcd.
const TAB_BITS: u32 = 6;
/// The fixed keys of `generate_hash_secret` (not random).
const K1: u64 = 2_654_435_761;
const K2: u64 = 2_654_446_892;

/// `ip_vs_mh_hashkey`.
fn hashkey(addr: IpAddr, port: u16, key: u64, offset: u32) -> u32 {
    let v = offset
        .wrapping_add(u32::from(port))
        .wrapping_add(fold(addr));
    hsiphash(v, key)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A dest's place in the fill: its permutation position and step, and turns per round.
struct Setup {
    perm: usize,
    skip: usize,
    turns: u32,
}

/// `ip_vs_mh_permutate` with `ip_vs_mh_gcd_weight` and `ip_vs_mh_shift_weight`.
fn setups(dests: &[DestInfo]) -> Option<Vec<Setup>> {
    let g = dests
        .iter()
        .map(|d| d.last_weight)
        .filter(|&w| w > 0)
        .reduce(gcd)?;
    let max = dests.iter().map(|d| d.last_weight).max().unwrap_or(0);
    let fls = u32::BITS - (max / g).leading_zeros();
    let rshift = fls.saturating_sub(TAB_BITS);
    let setup = |d: &DestInfo| Setup {
        perm: hashkey(d.addr, d.port, K1, 0) as usize % M,
        skip: hashkey(d.addr, d.port, K2, 0) as usize % (M - 1) + 1,
        turns: match (d.last_weight / g) >> rshift {
            0 => u32::from(d.last_weight != 0),
            t => t,
        },
    };
    Some(dests.iter().map(setup).collect())
}

/// `ip_vs_mh_populate`. Empty when no dest has a last weight, or when there are more dests
/// than slots (the kernel refuses that list; rvs's table then finds nobody).
fn populate(dests: &[DestInfo]) -> Table {
    let mut t = Table::empty(M);
    let Some(mut setups) = setups(dests).filter(|_| dests.len() <= M) else {
        return t;
    };
    let mut filled = 0;
    loop {
        for (i, s) in setups.iter_mut().enumerate() {
            for _ in 0..s.turns {
                while t.is_set(s.perm) {
                    s.perm = (s.perm + s.skip) % M;
                }
                t.set(s.perm, i);
                filled += 1;
                if filled == M {
                    return t;
                }
            }
        }
    }
}

impl Scheduler for Mh {
    fn name(&self) -> &'static str {
        "mh"
    }

    fn flag_names(&self) -> &'static [(u32, &'static str)] {
        &[(flags::SCHED1, "mh-fallback"), (flags::SCHED2, "mh-port")]
    }

    fn build(&self, dests: &[DestInfo]) -> SchedData {
        SchedData::Table(populate(dests))
    }

    fn pick(&self, _state: &mut SchedState, p: &Pick) -> Option<usize> {
        let SchedData::Table(t) = p.data else {
            return None;
        };
        let (addr, port) = (p.flow.saddr(), client_port(p.flow, p.flag(flags::SCHED2)));
        let slot = |r: usize| hashkey(addr, port, K1, r as u32) as usize % M;
        t.lookup(p, slot(0), p.flag(flags::SCHED1), slot)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::dest::DestTable;
    use crate::sched::test_util::{dests, flow_from, pick_for};
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn counts(t: &Table, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        (0..M).for_each(|s| c[t.get(s).unwrap()] += 1);
        c
    }

    #[test]
    fn permutation_of_the_worked_example() {
        // §2.9: A, B, C = 10.0.0.1..3:80.
        let s = setups(&dests(&[1, 1, 1])).unwrap();
        let got: Vec<(usize, usize)> = s.iter().map(|s| (s.perm, s.skip)).collect();
        assert_eq!(got, [(3167, 700), (1231, 3544), (1631, 3453)]);
    }

    #[test]
    fn fill_of_the_worked_example() {
        // §2.9: first placements A→3167, B→1231, C→1631, A→3867, B→682, C→991, A→474.
        let t = populate(&dests(&[1, 1, 1]));
        for (slot, d) in [
            (3167, 0),
            (1231, 1),
            (1631, 2),
            (3867, 0),
            (682, 1),
            (991, 2),
        ] {
            assert_eq!(t.get(slot), Some(d), "slot {slot}");
        }
        assert_eq!(t.get(474), Some(0));
        assert_eq!(counts(&t, 3), [1365, 1364, 1364]);
        assert_eq!(counts(&populate(&dests(&[2, 1, 1])), 3), [2047, 1023, 1023]);
        // 100:1:1: rshift 1, turns 50, 1, 1.
        assert_eq!(counts(&populate(&dests(&[100, 1, 1])), 3), [3937, 78, 78]);
    }

    #[test]
    fn no_last_weight_no_table() {
        let t = populate(&dests(&[0, 0]));
        assert!((0..M).all(|s| t.get(s).is_none()));
    }

    fn mh(d: &[DestInfo], flags: u32, client: [u8; 4]) -> Option<usize> {
        let t = DestTable::new(4);
        let f = flow_from(Ipv4Addr::from(client), 40000);
        pick_for(&Mh, &mut Mh.init_state(d), d, &t, flags, &f)
    }

    #[test]
    fn spec_lookups_and_fallback() {
        // §2.9: 192.168.1.10 → slot 3323 → A; 192.168.1.12 → 3491 → C.
        let mut d = dests(&[1, 1, 1]);
        assert_eq!(mh(&d, 0, [192, 168, 1, 10]), Some(0));
        assert_eq!(mh(&d, 0, [192, 168, 1, 12]), Some(2));
        // C quiesced: its slots stay (last_weight), 192.168.1.12 gets nothing, or A with
        // mh-fallback (probe hits slot 669).
        d[2].weight = 0;
        assert_eq!(mh(&d, 0, [192, 168, 1, 12]), None);
        assert_eq!(mh(&d, flags::SCHED1, [192, 168, 1, 12]), Some(0));
    }

    /// The dests of a table, by address, so tables of different lists compare.
    fn by_addr(d: &[DestInfo]) -> Vec<IpAddr> {
        let t = populate(d);
        (0..M).map(|s| d[t.get(s).unwrap()].addr).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Maglev's disruption bound: removing one of N equal dests remaps about 1/N of the
        /// slots: the removed dest's share and little more (§2.9: 1366 of 4093 for C of 3).
        #[test]
        fn removing_one_dest_remaps_about_its_share(n in 3usize..12, gone in 0usize..12) {
            let gone = gone % n;
            let all = dests(&vec![1; n]);
            let mut rest = all.clone();
            rest.remove(gone);
            let (before, after) = (by_addr(&all), by_addr(&rest));
            let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            let share = M / n;
            prop_assert!(moved >= share - share / 10, "moved {moved} of share {share}");
            prop_assert!(moved <= share + M / 50, "moved {moved}, share {share}");
        }
    }

    #[test]
    fn removing_c_changes_1366_slots() {
        // §2.9 (computed, not run on the oracle): removing C from the 3-dest table.
        let all = dests(&[1, 1, 1]);
        let moved = by_addr(&all)
            .iter()
            .zip(by_addr(&all[..2]))
            .filter(|(a, b)| **a != *b)
            .count();
        assert_eq!(moved, 1366);
    }
}
