//! Everything the workers share, built once by the control thread: the
//! ports, their addresses, the route table and the neighbour table.

use crate::conn::{ConnOwner, ConnTable, Timeouts};
use crate::dest::DestTable;
use crate::neigh::NeighTable;
use crate::port::PortIo;
use crate::route::RouteTable;
use crate::service::Services;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Instant;

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
/// Real servers (live counter slots) the box can have at once.
pub const DEST_SLOTS: usize = 1 << 16;

pub struct Dataplane<P> {
    pub ports: Vec<P>,
    /// Each port's own addresses with prefix length.
    pub addrs: Vec<Vec<(Ipv4Addr, u8)>>,
    pub routes: RouteTable,
    pub neigh: NeighTable,
    pub mode: Mode,
    /// The virtual services, as published by the control thread.
    pub services: Services,
    /// Connections; each worker inserts through its own [`ConnOwner`].
    pub conns: Arc<ConnTable>,
    /// Start of the data plane's millisecond clock.
    epoch: Instant,
}

/// Sizes fixed at start.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub workers: usize,
    pub conns: usize,
}

impl<P: PortIo> Dataplane<P> {
    /// `addrs[i]` are port i's addresses; `gateways` are `(net, len, via)`.
    /// Returns the data plane and one connection-table owner per worker.
    pub fn new(
        ports: Vec<P>,
        addrs: Vec<Vec<(Ipv4Addr, u8)>>,
        gateways: &[(Ipv4Addr, u8, Ipv4Addr)],
        mode: Mode,
        sizes: Sizes,
    ) -> Result<(Self, Vec<ConnOwner>), String> {
        let routes = RouteTable::build(&addrs, gateways)?;
        let dests = Arc::new(DestTable::new(DEST_SLOTS));
        let (conns, owners) = ConnTable::new(
            sizes.conns,
            sizes.workers,
            dests,
            Arc::new(Timeouts::default()),
        );
        let dp = Dataplane {
            ports,
            addrs,
            routes,
            neigh: NeighTable::new(NEIGHBOURS),
            mode,
            services: Services::default(),
            conns,
            epoch: Instant::now(),
        };
        Ok((dp, owners))
    }

    /// Milliseconds since the data plane started (the connection clock).
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Whether `ip` is one of port `port`'s own addresses.
    pub fn is_local(&self, port: usize, ip: Ipv4Addr) -> bool {
        self.addrs[port].iter().any(|&(a, _)| a == ip)
    }
}
