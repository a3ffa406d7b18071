//! Everything the workers share, built once by the control thread: the
//! ports, their link layers, addresses and MTUs, the route table, the neighbour table and
//! the connection tables (one per IP family).

use crate::conn::{ConnOwner, ConnTable, Packed, Timeouts};
use crate::ctx::Frags;
use crate::dest::DestTable;
use crate::frag::FragTable;
use crate::l2::PortL2;
use crate::neigh::{NeighAddr, NeighTable, RequestLimit};
use crate::port::PortIo;
use crate::route::{self, RouteTable};
use crate::service::Services;
use crate::traffic::Traffic;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
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

/// Neighbours each port's table holds (per family).
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

    /// The `--set` timeouts, one set for both families (one per namespace in IPVS,
    /// ipvs-forwarding §1.7): both tables hold the same [`Timeouts`].
    pub fn timeouts(&self) -> &Timeouts {
        self.v4.timeouts()
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
pub trait Tables: Packed + NeighAddr {
    fn table(c: &Conns) -> &ConnTable<Self>;
    fn owner(o: &mut Owners) -> &mut ConnOwner<Self>;
    fn frags(f: &mut Frags) -> &mut FragTable<Self>;
    fn net<P>(dp: &Dataplane<P>) -> &Net<Self>;
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
    fn net<P>(dp: &Dataplane<P>) -> &Net<Self> {
        &dp.v4
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
    fn net<P>(dp: &Dataplane<P>) -> &Net<Self> {
        &dp.v6
    }
}

/// One IP family's side of the box: each port's own addresses (with prefix length), the
/// routes (connected prefixes and the configured gateways) and each port's neighbours.
pub struct Net<A: NeighAddr> {
    pub addrs: Vec<Vec<(A, u8)>>,
    pub routes: RouteTable<A>,
    /// By port: a neighbour is learned, and used, on the port it was heard on.
    pub neigh: Vec<NeighTable<A>>,
}

impl<A: NeighAddr> Net<A> {
    /// `addrs[i]` are port i's addresses; `gateways` are `(net, len, via)`.
    pub fn new(addrs: Vec<Vec<(A, u8)>>, gateways: &[(A, u8, A)]) -> Result<Self, String> {
        Ok(Net {
            routes: RouteTable::build(&addrs, gateways)?,
            neigh: addrs.iter().map(|_| NeighTable::new(NEIGHBOURS)).collect(),
            addrs,
        })
    }

    /// Whether `ip` is on one of port `port`'s connected prefixes.
    pub fn on_link(&self, port: usize, ip: A) -> bool {
        let prefixes = self.addrs.get(port).map_or(&[][..], Vec::as_slice);
        prefixes.iter().any(|&(a, len)| route::contains(a, len, ip))
    }

    /// Stores the static neighbour `ip` → `mac` of port `port`: never learned over, never
    /// aged. An error if `ip` is not on the port's prefixes or does not fit its table.
    pub fn add_static(&self, port: usize, ip: A, mac: [u8; 6]) -> Result<(), String> {
        let ip_text = Into::<std::net::IpAddr>::into(ip);
        if !self.on_link(port, ip) {
            return Err(format!(
                "neighbour {ip_text} of port {port} is not on one of its prefixes"
            ));
        }
        if !self.neigh[port].add_static(ip, mac) {
            return Err(format!(
                "neighbour {ip_text} of port {port} does not fit in its table"
            ));
        }
        Ok(())
    }

    /// Whether `ip` is one of the box's own addresses of this family.
    pub fn is_own(&self, ip: A) -> bool {
        self.addrs.iter().flatten().any(|&(a, _)| a == ip)
    }

    /// Whether `ip` is one of the box's own addresses or the broadcast address of one of its
    /// prefixes (IPv4 only): one pass over the prefixes, for every new connection's source.
    pub fn is_own_or_broadcast(&self, ip: A) -> bool {
        let mut prefixes = self.addrs.iter().flatten();
        prefixes.any(|&(a, len)| a == ip || route::is_broadcast(a, len, ip))
    }

    /// Port `port`'s first address of this family.
    pub fn port_addr(&self, port: usize) -> Option<A> {
        self.addrs.get(port)?.first().map(|&(a, _)| a)
    }
}

pub struct Dataplane<P> {
    pub ports: Vec<P>,
    /// Each port's link layer: MAC, VLAN, promiscuity (what it admits, how frames leave it).
    pub l2: Vec<PortL2>,
    /// Each port's IP MTU (the route MTU of routes through it).
    pub mtu: Vec<u16>,
    pub v4: Net<Ipv4Addr>,
    pub v6: Net<Ipv6Addr>,
    pub mode: Mode,
    /// The virtual services, as published by the control thread.
    pub services: Services,
    /// Connections; each worker inserts through its own [`Owners`].
    pub conns: Conns,
    /// Each worker's per-real-server traffic counters, by queue.
    pub traffic: Vec<Traffic>,
    /// The neighbour requests (ARP, NS) every worker together may send.
    pub requests: RequestLimit,
    /// Start of the data plane's millisecond clock.
    epoch: Instant,
    /// Milliseconds the clock was moved forward ([`Dataplane::advance_clock`]).
    skew: AtomicU64,
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
    /// The data plane on `ports` with IPv4 addressing `v4` (IPv6 has none until
    /// [`Dataplane::set_v6`]). Returns it and each worker's connection-table shares. Every
    /// port's MTU is [`DEFAULT_MTU`] until the caller sets `mtu`; every port is untagged and
    /// not promiscuous until the caller sets `l2`.
    pub fn new(
        ports: Vec<P>,
        v4: Net<Ipv4Addr>,
        mode: Mode,
        sizes: Sizes,
    ) -> Result<(Self, Vec<Owners>), String> {
        let dests = Arc::new(DestTable::new(DEST_SLOTS));
        let timeouts = Arc::new(Timeouts::default());
        let (c4, owners4) =
            ConnTable::new(sizes.conns, sizes.workers, dests.clone(), timeouts.clone());
        let (c6, owners6) = ConnTable::new(sizes.conns_v6, sizes.workers, dests, timeouts);
        let owners = owners4
            .into_iter()
            .zip(owners6)
            .map(|(v4, v6)| Owners { v4, v6 })
            .collect();
        let dp = Dataplane {
            mtu: vec![DEFAULT_MTU; ports.len()],
            l2: ports.iter().map(|p| PortL2::new(p.mac())).collect(),
            v6: Net::new(vec![Vec::new(); ports.len()], &[])?,
            ports,
            v4,
            mode,
            services: Services::default(),
            traffic: (0..sizes.workers)
                .map(|_| Traffic::new(DEST_SLOTS))
                .collect(),
            conns: Conns { v4: c4, v6: c6 },
            requests: RequestLimit::default(),
            epoch: Instant::now(),
            skew: AtomicU64::new(0),
        };
        Ok((dp, owners))
    }

    /// Gives the ports IPv6 addressing.
    pub fn set_v6(&mut self, v6: Net<Ipv6Addr>) {
        self.v6 = v6;
    }

    /// The traffic counters worker `queue` writes.
    pub fn traffic(&self, queue: u16) -> &Traffic {
        &self.traffic[usize::from(queue)]
    }

    /// Milliseconds since the data plane started (the clock of connections and neighbours).
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + self.skew.load(Relaxed)
    }

    /// Moves the clock `ms` forward: what ages (neighbours, connections) ages as if that
    /// much time had passed. For tests of ageing that cannot wait for it.
    pub fn advance_clock(&self, ms: u64) {
        self.skew.fetch_add(ms, Relaxed);
    }
}
