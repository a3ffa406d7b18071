//! Everything the workers share, built once by the control thread: the
//! ports, their addresses and MTUs, the route table, the neighbour table and
//! the connection tables (one per IP family).

use crate::conn::{ConnOwner, ConnTable, Packed, Timeouts};
use crate::ctx::Frags;
use crate::dest::DestTable;
use crate::frag::FragTable;
use crate::neigh::NeighTable;
use crate::port::PortIo;
use crate::route::RouteTable;
use crate::service::Services;
use std::net::{Ipv4Addr, Ipv6Addr};
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
/// A port's IP MTU unless the configuration says otherwise.
pub const DEFAULT_MTU: u16 = 1500;

/// The connection tables, one per family: an IPv4 entry stays 32 bytes.
pub struct Conns {
    pub v4: Arc<ConnTable<Ipv4Addr>>,
    pub v6: Arc<ConnTable<Ipv6Addr>>,
}

/// One worker's shares of the connection tables.
pub struct Owners {
    pub v4: ConnOwner<Ipv4Addr>,
    pub v6: ConnOwner<Ipv6Addr>,
}

impl Conns {
    /// The live counters of the real servers (both tables share them).
    pub fn dests(&self) -> &Arc<DestTable> {
        self.v4.dests()
    }

    /// Connections in both tables.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Owners {
    /// Runs expiry over both shares (see [`ConnOwner::expire_step`]): `elapsed_ms` worth
    /// of a sweep that visits each whole share once per `sweep_ms`.
    pub fn expire_paced(&mut self, now: u64, elapsed_ms: u64, sweep_ms: u64) {
        let due = |len: usize| (len as u64 * elapsed_ms / sweep_ms).max(1) as usize;
        let (n4, n6) = (self.v4.partition_len(), self.v6.partition_len());
        self.v4.expire_step(now, due(n4));
        self.v6.expire_step(now, due(n6));
    }
}

/// Picks a family's table out of [`Conns`] and [`Owners`], so that code generic over the
/// family reaches the right one without a branch.
pub trait Tables: Packed {
    fn table(c: &Conns) -> &ConnTable<Self>;
    fn owner(o: &mut Owners) -> &mut ConnOwner<Self>;
    fn frags(f: &mut Frags) -> &mut FragTable<Self>;
}

impl Tables for Ipv4Addr {
    fn table(c: &Conns) -> &ConnTable<Self> {
        &c.v4
    }
    fn owner(o: &mut Owners) -> &mut ConnOwner<Self> {
        &mut o.v4
    }
    fn frags(f: &mut Frags) -> &mut FragTable<Self> {
        &mut f.v4
    }
}

impl Tables for Ipv6Addr {
    fn table(c: &Conns) -> &ConnTable<Self> {
        &c.v6
    }
    fn owner(o: &mut Owners) -> &mut ConnOwner<Self> {
        &mut o.v6
    }
    fn frags(f: &mut Frags) -> &mut FragTable<Self> {
        &mut f.v6
    }
}

pub struct Dataplane<P> {
    pub ports: Vec<P>,
    /// Each port's own addresses with prefix length.
    pub addrs: Vec<Vec<(Ipv4Addr, u8)>>,
    /// Each port's IP MTU (the route MTU of routes through it).
    pub mtu: Vec<u16>,
    pub routes: RouteTable<Ipv4Addr>,
    pub neigh: NeighTable,
    pub mode: Mode,
    /// The virtual services, as published by the control thread.
    pub services: Services,
    /// Connections; each worker inserts through its own [`Owners`].
    pub conns: Conns,
    /// Start of the data plane's millisecond clock.
    epoch: Instant,
}

/// Sizes fixed at start.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub workers: usize,
    /// IPv4 connections.
    pub conns: usize,
    /// IPv6 connections.
    pub conns_v6: usize,
}

impl<P: PortIo> Dataplane<P> {
    /// `addrs[i]` are port i's addresses; `gateways` are `(net, len, via)`.
    /// Returns the data plane and each worker's connection-table shares. Every port's MTU
    /// is [`DEFAULT_MTU`] until the caller sets `mtu`.
    pub fn new(
        ports: Vec<P>,
        addrs: Vec<Vec<(Ipv4Addr, u8)>>,
        gateways: &[(Ipv4Addr, u8, Ipv4Addr)],
        mode: Mode,
        sizes: Sizes,
    ) -> Result<(Self, Vec<Owners>), String> {
        let routes = RouteTable::build(&addrs, gateways)?;
        let dests = Arc::new(DestTable::new(DEST_SLOTS));
        let timeouts = Arc::new(Timeouts::default());
        let (v4, owners4) =
            ConnTable::new(sizes.conns, sizes.workers, dests.clone(), timeouts.clone());
        let (v6, owners6) = ConnTable::new(sizes.conns_v6, sizes.workers, dests, timeouts);
        let owners = owners4
            .into_iter()
            .zip(owners6)
            .map(|(v4, v6)| Owners { v4, v6 })
            .collect();
        let dp = Dataplane {
            mtu: vec![DEFAULT_MTU; ports.len()],
            ports,
            addrs,
            routes,
            neigh: NeighTable::new(NEIGHBOURS),
            mode,
            services: Services::default(),
            conns: Conns { v4, v6 },
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
