//! Everything the workers share, built once by the control thread: the
//! ports, their addresses, the route table and the neighbour table.

use crate::neigh::NeighTable;
use crate::port::PortIo;
use crate::route::RouteTable;
use std::net::Ipv4Addr;

/// What the workers do with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The product: answer for own addresses, balance virtual services.
    Balance,
    /// Diagnostic L2 forwarding for benchmarks: a frame received on port i
    /// leaves on port i^1 with its MAC addresses swapped (as testpmd's
    /// macswap; a port without a pair sends back out of itself), and nothing
    /// else is looked at.
    L2Fwd,
}

/// Neighbours the table holds: far more than any directly attached LAN here.
const NEIGHBOURS: usize = 4096;

pub struct Dataplane<P> {
    pub ports: Vec<P>,
    /// Each port's own addresses with prefix length.
    pub addrs: Vec<Vec<(Ipv4Addr, u8)>>,
    pub routes: RouteTable,
    pub neigh: NeighTable,
    pub mode: Mode,
}

impl<P: PortIo> Dataplane<P> {
    /// `addrs[i]` are port i's addresses; `gateways` are `(net, len, via)`.
    pub fn new(
        ports: Vec<P>,
        addrs: Vec<Vec<(Ipv4Addr, u8)>>,
        gateways: &[(Ipv4Addr, u8, Ipv4Addr)],
        mode: Mode,
    ) -> Result<Self, String> {
        let routes = RouteTable::build(&addrs, gateways)?;
        Ok(Dataplane {
            ports,
            addrs,
            routes,
            neigh: NeighTable::new(NEIGHBOURS),
            mode,
        })
    }

    /// Whether `ip` is one of port `port`'s own addresses.
    pub fn is_local(&self, port: usize, ip: Ipv4Addr) -> bool {
        self.addrs[port].iter().any(|&(a, _)| a == ip)
    }
}
