//! The flow key: protocol, source and destination address and port of one
//! packet, generic over the IP family.
//!
//! [`classify`](crate::classify) builds it once per packet; the burst
//! prefetch, the connection lookups ([`crate::conn`]), the schedulers
//! ([`crate::sched`]) and persistence take it unchanged. Code that must not
//! care about the family is generic over [`Addr`] (monomorphised: the IPv4
//! path pays nothing for IPv6 existing); only `wire/` and the forwarding
//! methods know the headers.

use std::fmt::Debug;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP address of one family: `Ipv4Addr` or `Ipv6Addr` (the kernel's
/// `union nf_inet_addr` with its `af`, made a type).
pub trait Addr: Copy + Eq + Ord + Hash + Debug + Send + Sync + Into<IpAddr> + 'static {
    /// Bits in an address of the family.
    const BITS: u32;
    /// The address folded into 64 bits, for hashing.
    fn fold(self) -> u64;
    /// The address as the low `BITS` bits of a u128 (prefix arithmetic).
    fn to_bits(self) -> u128;
    fn from_bits(bits: u128) -> Self;
    /// `ip` if it is of this family.
    fn from_ip(ip: IpAddr) -> Option<Self>;
    /// The key as the family-erased [`Flow`] the schedulers take.
    fn erase(key: FlowKey<Self>) -> Flow;
    /// A source no client can have (RFC 1122 §3.2.1.3, RFC 4291): unspecified, loopback,
    /// multicast, broadcast and IPv4's reserved 240/4; IPv6 also IPv4-mapped.
    fn is_martian(self) -> bool;
}

impl Addr for Ipv4Addr {
    const BITS: u32 = 32;
    fn to_bits(self) -> u128 {
        u128::from(u32::from(self))
    }
    fn from_bits(bits: u128) -> Self {
        Ipv4Addr::from(bits as u32)
    }
    #[inline(always)]
    fn fold(self) -> u64 {
        u64::from(u32::from(self))
    }
    fn from_ip(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) => None,
        }
    }
    fn erase(key: FlowKey<Self>) -> Flow {
        Flow::V4(key)
    }
    fn is_martian(self) -> bool {
        let first = self.octets()[0];
        // 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved and broadcast.
        first == 0 || first == 127 || first >= 224
    }
}

impl Addr for Ipv6Addr {
    const BITS: u32 = 128;
    fn to_bits(self) -> u128 {
        u128::from(self)
    }
    fn from_bits(bits: u128) -> Self {
        Ipv6Addr::from(bits)
    }
    #[inline(always)]
    fn fold(self) -> u64 {
        let v = u128::from(self);
        (v as u64) ^ ((v >> 64) as u64).rotate_left(29)
    }
    fn from_ip(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V6(a) => Some(a),
            IpAddr::V4(_) => None,
        }
    }
    fn erase(key: FlowKey<Self>) -> Flow {
        Flow::V6(key)
    }
    fn is_martian(self) -> bool {
        self.is_unspecified()
            || self.is_loopback()
            || self.is_multicast()
            || self.to_ipv4_mapped().is_some()
    }
}

/// One packet's 5-tuple: `saddr:sport → daddr:dport` over `proto`
/// (ports 0 for protocols without them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey<A> {
    /// IP protocol number (6 TCP, 17 UDP, ...).
    pub proto: u8,
    pub saddr: A,
    pub sport: u16,
    pub daddr: A,
    pub dport: u16,
}

impl<A: Addr> FlowKey<A> {
    /// The key of the same flow's packets in the other direction.
    pub fn reversed(&self) -> FlowKey<A> {
        FlowKey {
            proto: self.proto,
            saddr: self.daddr,
            sport: self.dport,
            daddr: self.saddr,
            dport: self.sport,
        }
    }
}

/// A flow key of either family, for code behind a trait object (the
/// schedulers are found by name at run time, so they cannot be generic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    V4(FlowKey<Ipv4Addr>),
    V6(FlowKey<Ipv6Addr>),
}

impl Flow {
    pub fn proto(&self) -> u8 {
        match self {
            Flow::V4(k) => k.proto,
            Flow::V6(k) => k.proto,
        }
    }

    pub fn saddr(&self) -> IpAddr {
        match self {
            Flow::V4(k) => k.saddr.into(),
            Flow::V6(k) => k.saddr.into(),
        }
    }

    pub fn daddr(&self) -> IpAddr {
        match self {
            Flow::V4(k) => k.daddr.into(),
            Flow::V6(k) => k.daddr.into(),
        }
    }

    pub fn sport(&self) -> u16 {
        match self {
            Flow::V4(k) => k.sport,
            Flow::V6(k) => k.sport,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reversed_swaps_the_ends_and_erasing_keeps_them() {
        let k = FlowKey {
            proto: 6,
            saddr: Ipv4Addr::new(203, 0, 113, 10),
            sport: 40000,
            daddr: Ipv4Addr::new(198, 51, 100, 1),
            dport: 80,
        };
        let r = k.reversed();
        assert_eq!(
            (r.saddr, r.sport, r.daddr, r.dport),
            (k.daddr, 80, k.saddr, 40000)
        );
        assert_eq!(r.reversed(), k);
        let f = Ipv4Addr::erase(k);
        assert_eq!(f.saddr(), IpAddr::V4(k.saddr));
        assert_eq!(f.proto(), 6);
        let v6: Ipv6Addr = "2001:db8:c::10".parse().unwrap();
        assert_eq!(Ipv6Addr::from_ip(IpAddr::V6(v6)), Some(v6));
        assert_eq!(Ipv4Addr::from_ip(IpAddr::V6(v6)), None);
        assert_ne!(
            v6.fold(),
            "2001:db8:c::11".parse::<Ipv6Addr>().unwrap().fold()
        );
    }

    #[test]
    fn martian_sources() {
        let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap().is_martian();
        for m in ["::", "::1", "ff02::1", "::ffff:10.0.0.1"] {
            assert!(v6(m), "{m}");
        }
        for ok in ["2001:db8::1", "fe80::1", "64:ff9b::a00:1"] {
            assert!(!v6(ok), "{ok}");
        }
        let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap().is_martian();
        for m in [
            "0.0.0.0",
            "127.1.2.3",
            "239.1.1.1",
            "255.255.255.255",
            "240.0.0.1",
        ] {
            assert!(v4(m), "{m}");
        }
        for ok in ["10.0.0.1", "169.254.1.1", "223.255.255.255", "100.64.0.1"] {
            assert!(!v4(ok), "{ok}");
        }
    }
}
