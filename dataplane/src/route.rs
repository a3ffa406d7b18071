//! A route table of one IP family: connected prefixes from the ports'
//! addresses plus configured routes; longest prefix wins. Built by the
//! control thread at start, read by the workers (a handful of routes: a
//! linear scan over a list sorted by prefix length is as fast as a trie
//! here).

use crate::flow::Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<A> {
    pub net: A,
    pub len: u8,
    /// Gateway; `None` for a connected prefix (the destination itself is
    /// the next hop).
    pub via: Option<A>,
    pub port: usize,
    /// The port's own address packets sent by this route come from (a tunnel's outer
    /// source, ipvs-forwarding §3.3.1): the address of the connected prefix (for a gateway
    /// route, of the prefix the gateway is on).
    pub src: A,
    /// `len`'s mask, computed once here rather than for every packet looked up.
    mask: u128,
}

impl<A: Addr> Route<A> {
    /// The route to `net/len` (its host bits cleared).
    fn new(net: A, len: u8, via: Option<A>, port: usize, src: A) -> Route<A> {
        let mask = mask::<A>(len);
        Route {
            net: A::from_bits(net.to_bits() & mask),
            len,
            via,
            port,
            src,
            mask,
        }
    }

    /// Whether `ip` is in the route's prefix ([`contains`] with the mask at hand).
    fn contains(&self, ip: A) -> bool {
        matches(self.net, self.mask, ip)
    }
}

/// Where a packet goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHop<A> {
    pub port: usize,
    pub ip: A,
    /// The source address for packets the box originates on this route.
    pub src: A,
    /// The destination is on a connected prefix (the next hop is the destination itself).
    pub connected: bool,
}

#[derive(Debug, Clone)]
pub struct RouteTable<A> {
    /// Longest prefix first.
    routes: Vec<Route<A>>,
}

impl<A> Default for RouteTable<A> {
    fn default() -> Self {
        RouteTable { routes: Vec::new() }
    }
}

/// The first `len` bits of an address of `A::BITS` bits, as the low bits of a u128.
fn mask<A: Addr>(len: u8) -> u128 {
    let all = u128::MAX >> (128 - A::BITS);
    match u32::from(len) {
        0 => 0,
        n if n >= A::BITS => all,
        n => all & !(all >> n),
    }
}

/// Whether `ip` is in `net/len`.
pub fn contains<A: Addr>(net: A, len: u8, ip: A) -> bool {
    matches(net, mask::<A>(len), ip)
}

/// Whether `ip` and `net` agree on the bits of `mask`.
fn matches<A: Addr>(net: A, mask: u128, ip: A) -> bool {
    (net.to_bits() ^ ip.to_bits()) & mask == 0
}

/// Whether `ip` is the broadcast address of the IPv4 prefix `net/len`: in it, every host bit
/// set, and the prefix shorter than /31 (RFC 3021: /31 and /32 have none). IPv6 has no
/// broadcast.
pub fn is_broadcast<A: Addr>(net: A, len: u8, ip: A) -> bool {
    let host = !mask::<A>(len) & (u128::MAX >> (128 - A::BITS));
    A::BITS == 32 && len < 31 && contains(net, len, ip) && ip.to_bits() & host == host
}

impl<A: Addr> RouteTable<A> {
    /// Builds the table from each port's `(address, prefix)` list and the
    /// gateway routes `(net, len, via)`. A gateway must be inside a
    /// connected prefix; the error names the one that is not.
    pub fn build(
        connected: &[Vec<(A, u8)>],
        gateways: &[(A, u8, A)],
    ) -> Result<RouteTable<A>, String> {
        let mut routes: Vec<Route<A>> = Vec::new();
        for (port, addrs) in connected.iter().enumerate() {
            for &(a, len) in addrs {
                routes.push(Route::new(a, len, None, port, a));
            }
        }
        let mut table = RouteTable { routes };
        table.sort();
        for &(net, len, via) in gateways {
            let hop = table.lookup(via).filter(|h| h.ip == via).ok_or_else(|| {
                let (via, net) = (via.into(), net.into());
                format!("gateway {via} of {net}/{len} is not on a connected prefix")
            })?;
            let route = Route::new(net, len, Some(via), hop.port, hop.src);
            table.routes.push(route);
            table.sort();
        }
        Ok(table)
    }

    fn sort(&mut self) {
        self.routes.sort_by_key(|r| std::cmp::Reverse(r.len));
    }

    /// The next hop towards `dst`, or `None` when no route matches.
    pub fn lookup(&self, dst: A) -> Option<NextHop<A>> {
        let r = self.routes.iter().find(|r| r.contains(dst))?;
        Some(NextHop {
            port: r.port,
            ip: r.via.unwrap_or(dst),
            src: r.src,
            connected: r.via.is_none(),
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn ip6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_prefixes_match_by_their_length() {
        let t = RouteTable::build(
            &[
                vec![(ip6("2001:db8:a::1"), 64)],
                vec![(ip6("2001:db8:c::1"), 64)],
            ],
            &[
                (ip6("::"), 0, ip6("2001:db8:c::fe")),
                (ip6("2001:db8:b::"), 48, ip6("2001:db8:a::fe")),
            ],
        )
        .unwrap();
        let hop = |s| t.lookup(ip6(s)).map(|h| (h.port, h.ip, h.connected));
        assert_eq!(
            hop("2001:db8:a::11"),
            Some((0, ip6("2001:db8:a::11"), true))
        );
        assert_eq!(
            hop("2001:db8:b:7::31"),
            Some((0, ip6("2001:db8:a::fe"), false))
        );
        assert_eq!(
            hop("2001:db8:f::1"),
            Some((1, ip6("2001:db8:c::fe"), false))
        );
        assert_eq!(
            t.lookup(ip6("2001:db8:a::11")).unwrap().src,
            ip6("2001:db8:a::1")
        );
        assert_eq!(mask::<Ipv6Addr>(128), u128::MAX);
        assert_eq!(mask::<Ipv4Addr>(32), u128::from(u32::MAX));
        assert_eq!(mask::<Ipv4Addr>(24), u128::from(0xffff_ff00u32));
    }

    #[test]
    fn longest_prefix_wins_and_gateways_resolve_to_their_port() {
        let t = RouteTable::build(
            &[vec![(ip("10.0.1.1"), 24)], vec![(ip("10.0.2.1"), 24)]],
            &[
                (ip("0.0.0.0"), 0, ip("10.0.1.254")),
                (ip("192.0.2.0"), 24, ip("10.0.2.254")),
            ],
        )
        .unwrap();
        assert_eq!(
            t.lookup(ip("10.0.2.11")),
            Some(NextHop {
                port: 1,
                ip: ip("10.0.2.11"),
                src: ip("10.0.2.1"),
                connected: true
            })
        );
        assert_eq!(
            t.lookup(ip("10.0.1.7")),
            Some(NextHop {
                port: 0,
                ip: ip("10.0.1.7"),
                src: ip("10.0.1.1"),
                connected: true
            })
        );
        assert_eq!(
            t.lookup(ip("192.0.2.31")),
            Some(NextHop {
                port: 1,
                ip: ip("10.0.2.254"),
                src: ip("10.0.2.1"),
                connected: false
            })
        );
        assert_eq!(
            t.lookup(ip("8.8.8.8")),
            Some(NextHop {
                port: 0,
                ip: ip("10.0.1.254"),
                src: ip("10.0.1.1"),
                connected: false
            })
        );
    }

    #[test]
    fn broadcast_is_all_host_bits_of_a_prefix_shorter_than_31() {
        let at = |ip_: &str, len| is_broadcast(ip("10.0.1.1"), len, ip(ip_));
        assert!(at("10.0.1.255", 24) && at("10.0.1.3", 30) && at("10.255.255.255", 8));
        assert!(!at("10.0.1.254", 24) && !at("10.0.2.255", 24) && !at("10.0.1.0", 24));
        assert!(!at("10.0.1.1", 31) && !at("10.0.1.1", 32));
        let v6 = |len| is_broadcast(ip6("2001:db8::1"), len, ip6("2001:db8::ffff"));
        assert!(!v6(112));
    }

    #[test]
    fn no_default_route_means_no_hop_and_bad_gateways_are_refused() {
        let t = RouteTable::build(&[vec![(ip("10.0.1.1"), 24)]], &[]).unwrap();
        assert_eq!(t.lookup(ip("10.9.9.9")), None);
        let err = RouteTable::build(
            &[vec![(ip("10.0.1.1"), 24)]],
            &[(ip("0.0.0.0"), 0, ip("10.5.0.1"))],
        );
        assert!(err.unwrap_err().contains("10.5.0.1"));
    }
}
