//! Firewall marks: rvs has no netfilter in front of it, so the configuration says which
//! traffic carries which mark (`iptables -t mangle ... -j MARK` on a Linux director), and
//! `-f MARK` services take the marked traffic (ipvs-schedulers §5.2: one persistent service
//! for ports 80 and 443 is the usual use).
//!
//! A rule marks packets of one protocol to one prefix, on some ports (all when none are
//! given). Rules are tried in order, the first match wins, as iptables rules do.

use std::net::IpAddr;

use crate::flow::Addr;

/// Packets of `proto` to `prefix`/`len`, destination port in one of `ports` (inclusive
/// ranges; empty: every port), carry `mark`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRule {
    pub mark: u32,
    pub proto: u8,
    pub prefix: IpAddr,
    pub len: u8,
    pub ports: Vec<(u16, u16)>,
}

impl MarkRule {
    fn matches<A: Addr>(&self, proto: u8, addr: A, port: u16) -> bool {
        proto == self.proto
            && self.covers(addr)
            && (self.ports.is_empty()
                || self.ports.iter().any(|&(lo, hi)| (lo..=hi).contains(&port)))
    }

    /// Whether `addr` is in the rule's prefix (of the same family).
    fn covers<A: Addr>(&self, addr: A) -> bool {
        let Some(prefix) = A::from_ip(self.prefix) else {
            return false;
        };
        let shift = A::BITS.saturating_sub(u32::from(self.len));
        let mask = u128::MAX.checked_shl(shift).unwrap_or(0) & (u128::MAX >> (128 - A::BITS));
        addr.to_bits() & mask == prefix.to_bits() & mask
    }
}

/// The configured rules, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    rules: Vec<MarkRule>,
}

impl Marks {
    pub fn new(rules: Vec<MarkRule>) -> Marks {
        Marks { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The mark of a packet of `proto` to `addr:port`, if a rule gives it one.
    pub fn mark<A: Addr>(&self, proto: u8, addr: A, port: u16) -> Option<u32> {
        self.rules
            .iter()
            .find(|r| r.matches(proto, addr, port))
            .map(|r| r.mark)
    }

    /// Whether some rule giving one of `marks` covers `addr` (the box answers ARP and ND
    /// for it, as for a VIP).
    pub fn covers<A: Addr>(&self, addr: A, marks: impl Fn(u32) -> bool) -> bool {
        self.rules.iter().any(|r| marks(r.mark) && r.covers(addr))
    }
}

/// The key address of a fwmark service: the mark as an address of the family, as IPVS
/// lists it (`0.0.0.1` for mark 1) and keys its persistence templates (§5.2).
pub fn mark_addr<A: Addr>(mark: u32) -> A {
    A::from_bits(u128::from(mark))
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn web() -> Marks {
        Marks::new(vec![
            MarkRule {
                mark: 1,
                proto: 6,
                prefix: Ipv4Addr::new(10, 0, 1, 100).into(),
                len: 32,
                ports: vec![(80, 80), (443, 443)],
            },
            MarkRule {
                mark: 2,
                proto: 17,
                prefix: "2001:db8:1::".parse::<Ipv6Addr>().unwrap().into(),
                len: 64,
                ports: vec![],
            },
        ])
    }

    #[test]
    fn first_matching_rule_marks() {
        let m = web();
        let vip = Ipv4Addr::new(10, 0, 1, 100);
        assert_eq!(m.mark(6, vip, 80), Some(1));
        assert_eq!(m.mark(6, vip, 443), Some(1));
        assert_eq!(m.mark(6, vip, 22), None);
        assert_eq!(m.mark(17, vip, 80), None);
        assert_eq!(m.mark(6, Ipv4Addr::new(10, 0, 1, 101), 80), None);
        let v6: Ipv6Addr = "2001:db8:1::7".parse().unwrap();
        assert_eq!(m.mark(17, v6, 5060), Some(2));
        assert_eq!(
            m.mark(17, "2001:db8:2::7".parse::<Ipv6Addr>().unwrap(), 5060),
            None
        );
        assert!(m.covers(vip, |k| k == 1) && !m.covers(vip, |k| k == 2));
        assert_eq!(mark_addr::<Ipv4Addr>(1), Ipv4Addr::new(0, 0, 0, 1));
    }
}
