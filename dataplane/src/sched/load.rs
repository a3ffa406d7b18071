//! The "least loaded per unit of weight" scan that lc, wlc, sed, nq, lblc, lblcr and twos
//! share (ipvs-schedulers §2.3–§2.6, §2.10, §2.11, §2.14).
//!
//! The kernel writes it once per file with the same shape: the first eligible dest (weight > 0,
//! not OVERLOAD) is the candidate; each later non-OVERLOAD dest replaces it iff
//! `cost(cand) · w(d) > cost(d) · w(cand)`, so ties keep the earlier dest and a weight-0 dest
//! never wins. lc is the same scan with every weight taken as 1.

use super::Pick;

/// A connection cost of dest `i` and the weight it is divided by.
pub trait Load {
    fn cost(&self, p: &Pick, i: usize) -> u64;
    fn weight(&self, p: &Pick, i: usize) -> u64 {
        u64::from(p.dests[i].weight)
    }
}

/// wlc's cost: `ip_vs_dest_conn_overhead`.
pub struct Overhead;

impl Load for Overhead {
    fn cost(&self, p: &Pick, i: usize) -> u64 {
        p.overhead(i)
    }
}

/// sed's and nq's cost: `activeconns + 1` (inactive connections do not count).
pub struct ExpectedDelay;

impl Load for ExpectedDelay {
    fn cost(&self, p: &Pick, i: usize) -> u64 {
        u64::from(p.counts(i).0) + 1
    }
}

/// `cost(a) / w(a) > cost(b) / w(b)`, compared as the kernel does, by cross products
/// (widened: a 2^40 overhead times a 2^31 weight does not fit 64 bits).
pub fn heavier(load: &impl Load, p: &Pick, a: usize, b: usize) -> bool {
    let (ca, wa) = (u128::from(load.cost(p, a)), u128::from(load.weight(p, a)));
    let (cb, wb) = (u128::from(load.cost(p, b)), u128::from(load.weight(p, b)));
    ca * wb > cb * wa
}

/// The least loaded of `candidates` (indexes in list order, already eligible), the earliest
/// on ties.
pub fn least(load: &impl Load, p: &Pick, candidates: impl Iterator<Item = usize>) -> Option<usize> {
    candidates.reduce(
        |least, d| {
            if heavier(load, p, least, d) {
                d
            } else {
                least
            }
        },
    )
}

/// The least loaded eligible dest of the service (the body of `ip_vs_wlc_schedule` and its
/// copies).
pub fn least_of_service(load: &impl Load, p: &Pick) -> Option<usize> {
    least(load, p, (0..p.dests.len()).filter(|&i| p.eligible(i)))
}
