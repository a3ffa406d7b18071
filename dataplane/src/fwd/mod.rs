//! Forwarding: the one way every packet the balancer sends leaves the box.
//!
//! [`Forward::transmit`] runs the steps of ipvs-forwarding §3.0 in the kernel's order
//! (`__ip_vs_get_out_rt`, then the method's transmitter):
//!
//! 1. **route** towards the real server (or, for a NAT reply, the client): output port,
//!    next hop and the port address packets from the box carry;
//! 2. **TTL** −1 ([`ttl`]); at 1 the source gets ICMP Time Exceeded instead ([`icmp`]);
//! 3. **MTU**: a packet larger than the route allows (for TUN: less the encapsulation)
//!    draws ICMP Fragmentation Needed when DF is set, and is fragmented by the director
//!    otherwise ([`Verdict::TxFragmented`]);
//! 4. **the method's rewrite**, each in its own file: [`nat`] (destination or, for replies,
//!    source address and port), [`dr`] (nothing at layer 3; the next hop must be the real
//!    server), [`tun`] (encapsulation, growing the frame at the front);
//! 5. **neighbour**: the next hop's MAC on the output port, or a request (ARP, NS) within
//!    the limits of [`ask`] and a counted drop;
//! 6. **layer 2**: destination and source MAC of the output port, and its VLAN tag (inserted,
//!    rewritten or removed: [`crate::l2`]).
//!
//! TTL and MTU come before the rewrite, as in the kernel: the ICMP errors quote the packet
//! as the client sent it (to the VIP, not yet encapsulated), and TUN's outer TTL is the
//! inner one after the decrement.
//!
//! The header work of the steps serves both families: [`dnat`] and [`snat`] take either
//! address ([`nat::NatHeader`]); [`decrement_ttl`] has its IPv6 twin
//! [`decrement_hop_limit`]; [`tun::encapsulate`] and [`tun::mtu`] take the outer family as
//! a type ([`tun::Outer`]) and read the inner one from the packet; [`icmp::build_v6`]
//! builds the ICMPv6 errors.

pub mod dr;
pub mod fragment;
pub mod icmp;
pub mod nat;
pub mod nat_icmp;
pub mod ttl;
pub mod tun;

pub use nat::{dnat, snat};
pub use ttl::{decrement_hop_limit, decrement_ttl};

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::conn::Conn;
use crate::ctx::{Ctx, NeighRequests};
use crate::dest::{DestParams, Method, Tunnel};
use crate::flow::Addr;
use crate::neigh::cache::NeighCache;
use crate::neigh::Ask;
use crate::port::{Frame, PortIo};
use crate::route::NextHop;
use crate::shared::{Dataplane, Tables};
use crate::stats::DropReason;
use crate::verdict::Verdict;
use crate::wire::{ipv6, Icmpv6Message, IpProtocol, Ipv4Packet, Ipv6Packet};
pub use icmp::IcmpError;
pub use nat::NatHeader;
pub use nat_icmp::Toward;
pub use tun::Outer;

/// What the method does to the packet at layer 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite<A> {
    /// NAT request: destination → the real server's address and port ([`nat::dnat`]).
    Dnat { addr: A, port: u16 },
    /// NAT reply: source → the VIP and its port ([`nat::snat`]).
    Snat { addr: A, port: u16 },
    /// DR: nothing ([`dr`]).
    Route,
    /// TUN: encapsulation ([`tun`]).
    Tunnel(Tunnel),
    /// NAT of an ICMP error about one of our replies, on its way to the real server
    /// `addr:port` ([`nat_icmp`], §4.2).
    IcmpToServer { addr: A, port: u16 },
    /// NAT of an ICMP error about the client's packet, on its way to the client: back to the
    /// VIP `addr:port` ([`nat_icmp`], §4.4).
    IcmpToClient { addr: A, port: u16 },
    /// Nothing: an ICMP error about a DR/TUN connection routed on to the client (§4.4).
    Unchanged,
}

impl<A: Copy> Rewrite<A> {
    /// The rewrite of a request to the real server `daddr:dport` by `method`, with the real
    /// server's parameters. A local real server cannot be reached: rvs has no host stack
    /// (ipvs-forwarding §3.4 rvs note).
    pub fn request(
        method: Method,
        daddr: A,
        dport: u16,
        params: Option<&DestParams>,
    ) -> Result<Rewrite<A>, DropReason> {
        match method {
            Method::Masq => Ok(Rewrite::Dnat {
                addr: daddr,
                port: dport,
            }),
            Method::Route => Ok(Rewrite::Route),
            Method::Tunnel => params
                .map(|p| Rewrite::Tunnel(p.tunnel))
                .ok_or(DropReason::NoDestination),
            Method::Local => Err(DropReason::LocalRealServer),
        }
    }
}

/// Where a packet of family `A` goes and how; `O` is the family it leaves in, the packet's
/// own but for a TUN real server of the other family (§3.3: the outer header is the real
/// server's family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<A, O = A> {
    /// The address routed to: the real server for requests, the client for NAT replies.
    pub dst: O,
    pub rewrite: Rewrite<A>,
    /// The source of ICMP errors about the packet: the VIP it was sent to for requests
    /// (§3.0), the box's address on the real servers' side for replies (the host's
    /// forwarding code answers those, §3.1).
    pub icmp_from: A,
}

/// A connection's real server: of the packet's family, or, through a tunnel only, of the
/// other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server<A: Forward> {
    Same(A),
    Other(A::Other),
}

impl<A: Forward> Server<A> {
    /// The real server at `addr` (any family) for a connection forwarded by `method`: a
    /// server of the other family is only reached by TUN (IPVS allows mixed families for
    /// tunnels only, §3.3).
    pub fn of(method: Method, addr: std::net::IpAddr) -> Result<Server<A>, DropReason> {
        match (A::from_ip(addr), A::Other::from_ip(addr)) {
            (Some(a), _) => Ok(Server::Same(a)),
            (None, Some(o)) if method == Method::Tunnel => Ok(Server::Other(o)),
            _ => Err(DropReason::NoDestination),
        }
    }

    /// Connection `c`'s real server: its `daddr`, or for a tunnel of the other family the
    /// address its parameters `params` give.
    pub fn of_conn(c: &Conn<A>, params: Option<&DestParams>) -> Result<Server<A>, DropReason> {
        Server::of(c.fwd, c.server_addr(params))
    }

    /// Sends the packet at `l3` of `frame` to this server with `rewrite` (which, for a
    /// server of the other family, can only be the tunnel).
    #[inline]
    pub fn send<P: PortIo>(
        self,
        dp: &Dataplane<P>,
        ctx: &mut Ctx,
        frame: &mut P::Frame,
        l3: usize,
        (rewrite, icmp_from): (Rewrite<A>, A),
    ) -> Verdict {
        match self {
            Server::Same(dst) => {
                let to = Target {
                    dst,
                    rewrite,
                    icmp_from,
                };
                A::transmit(dp, ctx, frame, l3, &to)
            }
            Server::Other(dst) => {
                let to = Target {
                    dst,
                    rewrite,
                    icmp_from,
                };
                A::transmit(dp, ctx, frame, l3, &to)
            }
        }
    }

    /// Whether packets can be sent to it by `method` at all ([`Forward::reachable`]).
    pub fn reachable<P: PortIo>(self, dp: &Dataplane<P>, method: Method) -> Result<(), DropReason> {
        match self {
            Server::Same(a) => A::reachable(dp, method, a),
            Server::Other(o) => A::Other::reachable(dp, method, o),
        }
    }
}

/// What an IP family brings to the forwarding steps (its TTL, MTU rule, ICMP errors and
/// neighbour protocol); the steps themselves are written once, as the provided methods.
pub trait Forward: Tables + NatHeader + Outer {
    /// The other IP family (a tunnel's outer header may be of it).
    type Other: Forward;

    /// TTL / hop limit −1 (§3.0 step 3); an error when it would reach 0.
    fn decrement(ip_packet: &mut [u8]) -> Result<(), DropReason>;

    /// Whether the packet would die here of its TTL / hop limit.
    fn expires_at(ip_packet: &[u8]) -> bool;

    /// The MTU step (§3.0 step 5) for the packet against `mtu`.
    fn size(ip_packet: &[u8], mtu: u16) -> Result<Size, DropReason>;

    /// Whether the packet is an ICMP error itself (never answered with another).
    fn is_icmp_error(ip_packet: &[u8]) -> bool;

    /// Builds `err` about the packet at `l3` in place, from `from`; returns its destination.
    fn build_error<F: Frame>(
        ctx: &mut Ctx,
        frame: &mut F,
        l3: usize,
        err: IcmpError,
        from: Self,
    ) -> Result<Self, DropReason>;

    /// NAT of an ICMP error about a connection (§4.2, §4.4), `toward` its receiver.
    fn translate_error(
        ip_packet: &mut [u8],
        toward: Toward,
        addr: Self,
        port: u16,
    ) -> Result<(), DropReason>;

    /// This worker's pending neighbour requests of the family (ARP, Neighbor Solicitation).
    fn requests<'c>(ctx: &'c mut Ctx) -> &'c mut NeighRequests<Self>;

    /// This worker's copies of usable neighbour entries of the family.
    fn neigh_cache<'c>(ctx: &'c mut Ctx) -> &'c mut NeighCache<Self>;

    /// Sends the packet at `l3` of `frame` to `to`, leaving in family `O` (the module doc
    /// lists the steps): route and link are `O`'s, TTL, MTU rule and ICMP errors the
    /// packet's own.
    #[inline]
    fn transmit<P: PortIo, O: Forward>(
        dp: &Dataplane<P>,
        ctx: &mut Ctx,
        frame: &mut P::Frame,
        l3: usize,
        to: &Target<Self, O>,
    ) -> Verdict {
        let hop = match route(dp, to) {
            Ok(hop) => hop,
            Err(reason) => return Verdict::Drop(reason),
        };
        if Self::decrement(&mut frame.data_mut()[l3..]).is_err() {
            return Self::icmp_error(dp, ctx, frame, l3, IcmpError::TtlExceeded, to.icmp_from);
        }
        let route_mtu = dp.mtu[hop.port];
        let mtu = match to.rewrite {
            Rewrite::Tunnel(t) => tun::mtu::<O>(&t, route_mtu),
            _ => Some(route_mtu),
        };
        let Some(mtu) = mtu else {
            return Verdict::Drop(DropReason::TunMtuTooSmall);
        };
        let fragment = match Self::size(&frame.data()[l3..], mtu) {
            Ok(Size::Fits) => false,
            Ok(Size::Fragment) => true,
            Ok(Size::TooBig(mtu)) => {
                let err = IcmpError::FragNeeded { mtu };
                return Self::icmp_error(dp, ctx, frame, l3, err, to.icmp_from);
            }
            Err(reason) => return Verdict::Drop(reason),
        };
        if let Err(reason) = rewrite(ctx, frame, l3, to, &hop) {
            return Verdict::Drop(reason);
        }
        match link(dp, ctx, frame, l3, &hop) {
            Verdict::Tx { port } if fragment => Verdict::TxFragmented {
                port,
                l3: dp.l2[port].header_len(),
                mtu: route_mtu,
                id: u32::from(ctx.next_ip_id()),
            },
            v => v,
        }
    }

    /// Whether the packet at `l3` would die here of its TTL / hop limit.
    fn expires(frame: &[u8], l3: usize) -> bool {
        frame.get(l3..).is_some_and(Self::expires_at)
    }

    /// Replaces the packet at `l3` by the ICMP error `err` from `from` and sends that back to
    /// the packet's source; the packet itself counts as dropped for `err`'s reason, whether
    /// or not the error can be sent: never about another error (RFC 1122 §3.2.2, RFC 4443
    /// §2.4 (e)), and at a limited rate.
    fn icmp_error<P: PortIo>(
        dp: &Dataplane<P>,
        ctx: &mut Ctx,
        frame: &mut P::Frame,
        l3: usize,
        err: IcmpError,
        from: Self,
    ) -> Verdict {
        if let Some(reason) = err.reason() {
            ctx.counters.add_drop(reason);
        }
        if frame.data().get(l3..).is_some_and(Self::is_icmp_error) {
            return Verdict::Consumed;
        }
        if !ctx.icmp_limit.allow(ctx.now) {
            ctx.counters.add_icmp_error_limited();
            return Verdict::Consumed;
        }
        let to = match Self::build_error(ctx, frame, l3, err, from) {
            Ok(to) => to,
            Err(reason) => return Verdict::Drop(reason),
        };
        let Some(hop) = Self::net(dp).routes.lookup(to) else {
            return Verdict::Drop(DropReason::NoRoute);
        };
        let v = link(dp, ctx, frame, l3, &hop);
        if matches!(v, Verdict::Tx { .. }) {
            ctx.counters.add_icmp_error_sent();
        }
        v
    }

    /// The box's first address of this family on `port`.
    fn port_addr<P: PortIo>(dp: &Dataplane<P>, port: usize) -> Option<Self> {
        Self::net(dp).port_addr(port)
    }

    /// Whether a real server at `daddr` can be sent to by `method` at all: it is not the
    /// box itself, a route leads to it, and a DR server is on a connected prefix.
    fn reachable<P: PortIo>(
        dp: &Dataplane<P>,
        method: Method,
        daddr: Self,
    ) -> Result<(), DropReason> {
        if method == Method::Local {
            return Err(DropReason::LocalRealServer);
        }
        let hop = Self::net(dp)
            .routes
            .lookup(daddr)
            .ok_or(DropReason::NoRoute)?;
        if method == Method::Route {
            dr::check_next_hop(&hop)?;
        }
        Ok(())
    }
}

impl Forward for Ipv4Addr {
    type Other = Ipv6Addr;

    #[inline]
    fn decrement(ip_packet: &mut [u8]) -> Result<(), DropReason> {
        decrement_ttl(ip_packet)
    }

    fn expires_at(ip_packet: &[u8]) -> bool {
        ttl::expires(ip_packet)
    }

    /// DF set: ICMP Fragmentation Needed; DF clear: the director fragments. An ICMP error
    /// being relayed is never refused for its size.
    fn size(ip_packet: &[u8], mtu: u16) -> Result<Size, DropReason> {
        let ip = Ipv4Packet::new_checked(ip_packet)?;
        Ok(match ip.total_len() {
            len if len <= mtu => Size::Fits,
            _ if ip.dont_frag() && !icmp::is_error(&ip) => Size::TooBig(mtu),
            _ => Size::Fragment,
        })
    }

    fn is_icmp_error(ip_packet: &[u8]) -> bool {
        Ipv4Packet::new_checked(ip_packet).is_ok_and(|ip| icmp::is_error(&ip))
    }

    fn build_error<F: Frame>(
        ctx: &mut Ctx,
        frame: &mut F,
        l3: usize,
        err: IcmpError,
        from: Ipv4Addr,
    ) -> Result<Ipv4Addr, DropReason> {
        let id = ctx.next_ip_id();
        icmp::build(frame, l3, err, from, id)
    }

    fn translate_error(
        ip_packet: &mut [u8],
        toward: Toward,
        addr: Ipv4Addr,
        port: u16,
    ) -> Result<(), DropReason> {
        nat_icmp::translate(ip_packet, toward, addr, port)
    }

    fn requests<'c>(ctx: &'c mut Ctx) -> &'c mut NeighRequests<Self> {
        &mut ctx.arp
    }

    fn neigh_cache<'c>(ctx: &'c mut Ctx) -> &'c mut NeighCache<Self> {
        &mut ctx.arp_cache
    }
}

impl Forward for Ipv6Addr {
    type Other = Ipv4Addr;

    fn decrement(ip_packet: &mut [u8]) -> Result<(), DropReason> {
        decrement_hop_limit(ip_packet)
    }

    fn expires_at(ip_packet: &[u8]) -> bool {
        ttl::hop_limit_expires(ip_packet)
    }

    /// IPv6 is never fragmented on the way: too big is Packet Too Big (§3.0 step 5), but for
    /// an ICMPv6 error being relayed.
    fn size(ip_packet: &[u8], mtu: u16) -> Result<Size, DropReason> {
        let ip = Ipv6Packet::new_checked(ip_packet)?;
        let len = usize::from(ip.payload_len()) + ipv6::HEADER_LEN;
        Ok(
            match len <= usize::from(mtu) || Self::is_icmp_error(ip_packet) {
                true => Size::Fits,
                false => Size::TooBig(mtu),
            },
        )
    }

    fn is_icmp_error(ip_packet: &[u8]) -> bool {
        let Ok(ip) = Ipv6Packet::new_checked(ip_packet) else {
            return false;
        };
        ip.chain().is_ok_and(|c| {
            c.protocol == IpProtocol::Icmpv6
                && c.fragment.is_none_or(|f| f.offset == 0)
                && ip_packet
                    .get(c.l4)
                    .is_some_and(|&t| Icmpv6Message::from(t).is_error())
        })
    }

    fn build_error<F: Frame>(
        _ctx: &mut Ctx,
        frame: &mut F,
        l3: usize,
        err: IcmpError,
        from: Ipv6Addr,
    ) -> Result<Ipv6Addr, DropReason> {
        icmp::build_v6(frame, l3, err, from)
    }

    fn translate_error(
        ip_packet: &mut [u8],
        toward: Toward,
        addr: Ipv6Addr,
        port: u16,
    ) -> Result<(), DropReason> {
        nat_icmp::translate_v6(ip_packet, toward, addr, port)
    }

    fn requests<'c>(ctx: &'c mut Ctx) -> &'c mut NeighRequests<Self> {
        &mut ctx.nd
    }

    fn neigh_cache<'c>(ctx: &'c mut Ctx) -> &'c mut NeighCache<Self> {
        &mut ctx.nd_cache
    }
}

/// The route step: the next hop towards `to.dst`; for DR it must be the real server.
#[inline]
fn route<P: PortIo, A: Forward, O: Forward>(
    dp: &Dataplane<P>,
    to: &Target<A, O>,
) -> Result<NextHop<O>, DropReason> {
    let hop = O::net(dp)
        .routes
        .lookup(to.dst)
        .ok_or(DropReason::NoRoute)?;
    if to.rewrite == Rewrite::Route {
        dr::check_next_hop(&hop)?;
    }
    Ok(hop)
}

/// The method's rewrite of the packet at `l3`, leaving through `hop`. Always inlined into
/// `transmit`: left to itself the compiler kept it a function of its own, whose call
/// (arguments, saved registers) cost every packet more than inlining it (scripts/per_packet.sh).
#[inline(always)]
fn rewrite<F: Frame, A: Forward, O: Forward>(
    ctx: &mut Ctx,
    frame: &mut F,
    l3: usize,
    to: &Target<A, O>,
    hop: &NextHop<O>,
) -> Result<(), DropReason> {
    match to.rewrite {
        Rewrite::Dnat { addr, port } => dnat(&mut frame.data_mut()[l3..], addr, port),
        Rewrite::Snat { addr, port } => snat(&mut frame.data_mut()[l3..], addr, port),
        Rewrite::Route | Rewrite::Unchanged => Ok(()),
        Rewrite::Tunnel(t) => tun::encapsulate(frame, l3, &t, hop.src, to.dst, ctx.next_ip_id()),
        Rewrite::IcmpToServer { addr, port } => {
            A::translate_error(&mut frame.data_mut()[l3..], Toward::Server, addr, port)
        }
        Rewrite::IcmpToClient { addr, port } => {
            A::translate_error(&mut frame.data_mut()[l3..], Toward::Client, addr, port)
        }
    }
}

/// What the MTU step decided.
pub enum Size {
    Fits,
    /// Too big and may not be fragmented: ICMP Fragmentation Needed / Packet Too Big with
    /// this MTU.
    TooBig(u16),
    /// Too big, DF clear: the (outer) packet leaves in fragments.
    Fragment,
}

/// Makes room for `headers` new bytes in front of the packet at `l3` of `frame`, of which
/// `keep` bytes stay: the frame grows at the front, its L2 header moves to the new front, and
/// what follows the kept bytes (padding, the tail of a cut quote) is cut. The new bytes are
/// the caller's to write ([`tun`] encapsulation, [`icmp`] errors).
fn grow_front<F: Frame>(
    frame: &mut F,
    l3: usize,
    headers: usize,
    keep: usize,
) -> Result<(), DropReason> {
    if !frame.prepend(headers) {
        return Err(DropReason::NoHeadroom);
    }
    frame.data_mut().copy_within(headers..headers + l3, 0);
    frame.truncate(l3 + headers + keep);
    Ok(())
}

/// Neighbour and layer 2: the frame, its Ethernet header `l3` bytes long (the one it came
/// with, tagged or not), leaves on `hop.port` to the next hop's MAC (a STALE one too, while
/// it is probed) with the port's header (`l2`: its MAC, its VLAN tag or none). An
/// unresolved next hop drops the packet and asks for its MAC (the sender retransmits).
/// The worker's copy of a usable entry spares most packets the table's search.
#[inline]
fn link<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    frame: &mut P::Frame,
    l3: usize,
    hop: &NextHop<A>,
) -> Verdict {
    let now = ctx.now;
    let found = A::neigh_cache(ctx).lookup(&A::net(dp).neigh, hop.port, hop.ip, now);
    if found.ask {
        ask(dp, ctx, hop.port, hop.ip);
    }
    let Some(mac) = found.mac else {
        return Verdict::Drop(DropReason::NoNeighbour);
    };
    match dp.l2[hop.port].address(frame, l3, mac) {
        Ok(()) => Verdict::Tx { port: hop.port },
        Err(reason) => Verdict::Drop(reason),
    }
}

/// Asks for next hop `ip`'s MAC on `port`, a request the neighbour table found due, within
/// the limits: the table lets one request per address go per `neigh::RETRANS_MS` (it
/// remembers the INCOMPLETE address or the probe), the data plane's token bucket
/// [`RequestLimit`](crate::neigh::RequestLimit) so many in all. The worker sends it after
/// the burst; one refused by the limits is counted.
pub fn ask<P: PortIo, A: Forward>(dp: &Dataplane<P>, ctx: &mut Ctx, port: usize, ip: A) {
    let (now, counters) = (ctx.now, ctx.counters);
    let requests = A::requests(ctx);
    if requests.is_full() || !dp.requests.allow(now) {
        counters.add_neigh_request_limited();
        return;
    }
    match A::net(dp).neigh[port].ask(ip, now) {
        Ask::Resolve => requests.push(port, ip, None),
        Ask::Probe(mac) => requests.push(port, ip, Some(mac)),
        Ask::NotDue => {}
        Ask::Full => counters.add_neigh_table_full(),
    }
}
