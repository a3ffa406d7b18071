//! The IPv4 route table: connected prefixes from the ports' addresses plus
//! configured routes; longest prefix wins. Built by the control thread at
//! start, read by the workers (a handful of routes: a linear scan over a
//! list sorted by prefix length is as fast as a trie here).

use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub net: Ipv4Addr,
    pub len: u8,
    /// Gateway; `None` for a connected prefix (the destination itself is
    /// the next hop).
    pub via: Option<Ipv4Addr>,
    pub port: usize,
    /// The port's own address packets sent by this route come from (a tunnel's outer
    /// source, ipvs-forwarding §3.3.1): the address of the connected prefix (for a gateway
    /// route, of the prefix the gateway is on).
    pub src: Ipv4Addr,
}

/// Where a packet goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHop {
    pub port: usize,
    pub ip: Ipv4Addr,
    /// The source address for packets the box originates on this route.
    pub src: Ipv4Addr,
    /// The destination is on a connected prefix (the next hop is the destination itself).
    pub connected: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Longest prefix first.
    routes: Vec<Route>,
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn contains(net: Ipv4Addr, len: u8, ip: Ipv4Addr) -> bool {
    (u32::from(net) ^ u32::from(ip)) & mask(len) == 0
}

impl RouteTable {
    /// Builds the table from each port's `(address, prefix)` list and the
    /// gateway routes `(net, len, via)`. A gateway must be inside a
    /// connected prefix; the error names the one that is not.
    pub fn build(
        connected: &[Vec<(Ipv4Addr, u8)>],
        gateways: &[(Ipv4Addr, u8, Ipv4Addr)],
    ) -> Result<RouteTable, String> {
        let mut routes: Vec<Route> = Vec::new();
        for (port, addrs) in connected.iter().enumerate() {
            for &(a, len) in addrs {
                let net = Ipv4Addr::from(u32::from(a) & mask(len));
                routes.push(Route {
                    net,
                    len,
                    via: None,
                    port,
                    src: a,
                });
            }
        }
        let mut table = RouteTable { routes };
        table.sort();
        for &(net, len, via) in gateways {
            let hop = table.lookup(via).filter(|h| h.ip == via).ok_or_else(|| {
                format!("gateway {via} of {net}/{len} is not on a connected prefix")
            })?;
            let net = Ipv4Addr::from(u32::from(net) & mask(len));
            table.routes.push(Route {
                net,
                len,
                via: Some(via),
                port: hop.port,
                src: hop.src,
            });
            table.sort();
        }
        Ok(table)
    }

    fn sort(&mut self) {
        self.routes.sort_by_key(|r| std::cmp::Reverse(r.len));
    }

    /// The next hop towards `dst`, or `None` when no route matches.
    pub fn lookup(&self, dst: Ipv4Addr) -> Option<NextHop> {
        let r = self.routes.iter().find(|r| contains(r.net, r.len, dst))?;
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

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
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
