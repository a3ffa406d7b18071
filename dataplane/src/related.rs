//! ICMP errors about connections (ipvs-forwarding §4): a Destination Unreachable (Frag
//! Needed among them), Source Quench or Time Exceeded whose quoted packet belongs to a
//! connection goes where IPVS sends it, so that path-MTU discovery and error reporting work
//! through the director.
//!
//! * Sent to a VIP (§4.2): a router on the client's path reports on one of our replies
//!   (quoted V:vport → C:cport). The connection is the one of C:cport → V:vport; the error
//!   goes to its real server: NAT translates it ([`fwd::nat_icmp`]), DR and TUN send it with
//!   the connection's own method, unchanged inside.
//! * Sent to one of the box's own addresses (§4.3): a router between the director and a
//!   TUN real server reports on one of our tunnel packets (quoted D → R, IPIP, GRE or GUE,
//!   with the client's packet inside). The connection is the inner packet's; the client gets
//!   a new error about its packet, from V: Fragmentation Needed with the tunnel MTU (the
//!   reported MTU, or the route's if smaller, less the encapsulation: the kernel reports the
//!   route's at first and the smaller one on the next packet, rvs at once, as the spec's rvs
//!   note allows), and nothing when the client's packet had DF clear; other errors with
//!   their type and code.
//! * Sent elsewhere (§4.4): the real server or a router behind the director reports on the
//!   client's packet as the real server got it (quoted C → R:dport for NAT, C → V for DR/TUN).
//!   The connection is found by the reverse of the quoted key (its out-key, §2.1); a NAT
//!   error is translated back to V, others go to the client unchanged.
//!
//! An error that matches no connection is dropped and counted (`icmp_unrelated`); rvs has
//! no host stack to leave it to. Connections keep their state and timers (§2.7).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::ops::Range;

use crate::classify::IpPacket;
use crate::conn::Conn;
use crate::ctx::Ctx;
use crate::dest::{DestParams, Method, TunKind, Tunnel};
use crate::flow::FlowKey;
use crate::frag::Way;
use crate::fwd::{self, tun, Forward, IcmpError, Rewrite, Target};
use crate::lb;
use crate::port::{Frame, PortIo};
use crate::service::Snapshot;
use crate::shared::Dataplane;
use crate::stats::DropReason;
use crate::verdict::Verdict;
use crate::wire::{
    icmp, ipv6, IcmpMessage, IcmpPacket, Icmpv6Message, Icmpv6Packet, IpProtocol, Ipv4Packet,
    Ipv6Packet,
};

/// ICMP Source Quench, which IPVS still relays (§4.1).
const SOURCE_QUENCH: u8 = 4;

/// What a family brings to relaying ICMP errors.
pub trait Related: Forward {
    /// Whether `p` is an ICMP error IPVS relates to connections (§4.1).
    fn is_related(frame: &[u8], p: &IpPacket<Self>) -> bool;
    /// The flow of the packet an error quotes (its start: header and ports).
    fn quoted_flow(quoted: &[u8]) -> Result<FlowKey<Self>, DropReason>;
    /// Whether the message's checksum verifies (checked for NAT errors sent to us).
    fn checksum_ok(frame: &[u8], p: &IpPacket<Self>) -> bool;
    /// An error sent to one of the box's own addresses (§4.3: about our tunnel packets).
    fn to_own_address<P: PortIo>(
        dp: &Dataplane<P>,
        ctx: &mut Ctx,
        snap: &Snapshot,
        frame: &mut P::Frame,
        p: &IpPacket<Self>,
    ) -> Verdict;
}

impl Related for Ipv4Addr {
    /// Types 3, 4 and 11.
    fn is_related(frame: &[u8], p: &IpPacket<Ipv4Addr>) -> bool {
        // A later fragment's first bytes are data, not an ICMP header.
        p.protocol == IpProtocol::Icmp
            && !p.is_later_fragment()
            && frame.get(p.l4).is_some_and(|&t| {
                matches!(
                    IcmpMessage::from(t),
                    IcmpMessage::DstUnreachable | IcmpMessage::TimeExceeded
                ) || t == SOURCE_QUENCH
            })
    }

    fn quoted_flow(quoted: &[u8]) -> Result<FlowKey<Ipv4Addr>, DropReason> {
        flow_of(quoted)
    }

    fn checksum_ok(frame: &[u8], p: &IpPacket<Ipv4Addr>) -> bool {
        IcmpPacket::new_unchecked(&frame[p.l4..p.end]).verify_checksum()
    }

    fn to_own_address<P: PortIo>(
        dp: &Dataplane<P>,
        ctx: &mut Ctx,
        snap: &Snapshot,
        frame: &mut P::Frame,
        p: &IpPacket<Ipv4Addr>,
    ) -> Verdict {
        about_tunnel(dp, ctx, snap, frame, p)
    }
}

impl Related for Ipv6Addr {
    /// Every error message (type < 128).
    fn is_related(frame: &[u8], p: &IpPacket<Ipv6Addr>) -> bool {
        p.protocol == IpProtocol::Icmpv6
            && !p.is_later_fragment()
            && frame
                .get(p.l4)
                .is_some_and(|&t| Icmpv6Message::from(t).is_error())
    }

    /// A fixed IPv6 header with TCP or UDP right behind it (a quote with extension headers
    /// is not followed).
    fn quoted_flow(quoted: &[u8]) -> Result<FlowKey<Ipv6Addr>, DropReason> {
        if quoted.len() < ipv6::HEADER_LEN + 4 || quoted[0] >> 4 != 6 {
            return Err(DropReason::IcmpQuoteInvalid);
        }
        let q = Ipv6Packet::new_unchecked(quoted);
        let addrs = (q.src_addr(), q.dst_addr());
        quoted_key(q.next_header(), addrs, &quoted[ipv6::HEADER_LEN..])
    }

    fn checksum_ok(frame: &[u8], p: &IpPacket<Ipv6Addr>) -> bool {
        let message = Icmpv6Packet::new_unchecked(&frame[p.l4..p.end]);
        message.verify_checksum(p.key.saddr, p.key.daddr)
    }

    /// §4.3 is IPv4's only.
    fn to_own_address<P: PortIo>(
        _dp: &Dataplane<P>,
        _ctx: &mut Ctx,
        _snap: &Snapshot,
        _frame: &mut P::Frame,
        _p: &IpPacket<Ipv6Addr>,
    ) -> Verdict {
        Verdict::Drop(DropReason::IcmpUnrelated)
    }
}

/// Sends the related ICMP error `p` where its connection's packets go (module doc).
pub fn forward<P: PortIo, A: Related>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
) -> Verdict {
    if A::net(dp).is_own(p.key.daddr) {
        return A::to_own_address(dp, ctx, snap, frame, p);
    }
    let quoted = match quote(frame.data(), p).and_then(A::quoted_flow) {
        Ok(k) => k,
        Err(reason) => return Verdict::Drop(reason),
    };
    let table = A::table(&dp.conns);
    if snap.is_vip(p.key.daddr) {
        match table.lookup_in(&quoted.reversed()) {
            Some(hit) => {
                lb::count(dp, ctx, snap, hit.conn.dest, Way::In, p);
                to_server(dp, ctx, snap, frame, p, &hit.conn)
            }
            None => Verdict::Drop(DropReason::IcmpUnrelated),
        }
    } else {
        match table.lookup_out(&quoted.reversed()) {
            Some(hit) => {
                lb::count(dp, ctx, snap, hit.conn.dest, Way::Out, p);
                A::transmit(dp, ctx, frame, p.l3, &to_client(dp, in_port, &hit.conn))
            }
            None => Verdict::Drop(DropReason::IcmpUnrelated),
        }
    }
}

/// §4.2: to the real server of `c` (through its tunnel, of either family, for TUN). A NAT
/// error is checked first, being addressed to us.
fn to_server<P: PortIo, A: Related>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
    c: &Conn<A>,
) -> Verdict {
    let checksum_ok = c.fwd != Method::Masq || A::checksum_ok(frame.data(), p);
    let rewrite = |params: Option<&DestParams>| match c.fwd {
        Method::Masq if !checksum_ok => Err(DropReason::IcmpBadChecksum),
        Method::Masq => Ok(Rewrite::IcmpToServer {
            addr: c.daddr,
            port: c.dport,
        }),
        m => Rewrite::request(m, c.daddr, c.dport, params),
    };
    lb::to_server_with(dp, ctx, snap, frame, p, c, rewrite)
}

/// §4.4: to the client of `c`, translated back to the VIP for NAT.
fn to_client<P: PortIo, A: Related>(dp: &Dataplane<P>, in_port: usize, c: &Conn<A>) -> Target<A> {
    let rewrite = match c.fwd {
        Method::Masq => Rewrite::IcmpToClient {
            addr: c.vaddr,
            port: c.vport,
        },
        _ => Rewrite::Unchanged,
    };
    Target {
        dst: c.caddr,
        rewrite,
        icmp_from: A::port_addr(dp, in_port).unwrap_or(c.vaddr),
    }
}

/// §4.3: an error about one of our tunnel packets becomes an error to the client.
fn about_tunnel<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    frame: &mut P::Frame,
    p: &IpPacket<Ipv4Addr>,
) -> Verdict {
    let t = match quote(frame.data(), p).and_then(tunnelled) {
        Ok(t) => t,
        Err(reason) => return Verdict::Drop(reason),
    };
    let conn = dp.conns.v4.lookup_in(&t.key).map(|hit| hit.conn);
    let tunnel = conn.and_then(|c| {
        let d = snap.dest(c.dest).filter(|d| d.method == Method::Tunnel)?;
        (d.addr == IpAddr::V4(t.outer_dst) && d.tunnel.kind == t.kind).then_some((c, d.tunnel))
    });
    let Some((c, tunnel)) = tunnel else {
        return Verdict::Drop(DropReason::IcmpUnrelated);
    };
    let icmp = IcmpPacket::new_unchecked(&frame.data()[p.l4..p.end]);
    let err = match (icmp.msg_type(), icmp.msg_code()) {
        // The client sent it without DF: the director fragments, the client need not know.
        (IcmpMessage::DstUnreachable, 4) if !t.inner_df => return Verdict::Consumed,
        (msg @ IcmpMessage::DstUnreachable, code @ 4) => IcmpError::Relayed {
            msg,
            code,
            mtu: tunnel_mtu(dp, c.daddr, &tunnel, icmp.next_hop_mtu()),
        },
        (msg, code) => IcmpError::Relayed { msg, code, mtu: 0 },
    };
    // The client's packet, as far as it was quoted, replaces the message; the error about
    // it is built around it.
    let at = p.l4 + icmp::HEADER_LEN;
    let inner = at + t.inner.start..at + t.inner.end;
    let len = inner.len();
    frame.data_mut().copy_within(inner, p.l3);
    frame.truncate(p.l3 + len);
    Ipv4Addr::icmp_error(dp, ctx, frame, p.l3, err, c.vaddr)
}

/// The MTU to report for a tunnel: the smaller of the reported and the route's, less the
/// encapsulation while that stays above IPv4's minimum (§4.3).
fn tunnel_mtu<P: PortIo>(dp: &Dataplane<P>, r: Ipv4Addr, t: &Tunnel, reported: u16) -> u16 {
    let route = dp.v4.routes.lookup(r).map(|h| dp.mtu[h.port]);
    let mtu = match (route, reported) {
        (Some(route), 0) => route,
        (Some(route), reported) => route.min(reported),
        (None, reported) => reported,
    };
    let overhead = tun::overhead::<Ipv4Addr>(t) as u16;
    if mtu >= MIN_MTU + overhead {
        mtu - overhead
    } else {
        mtu
    }
}

/// The IPv4 minimum MTU (RFC 791).
const MIN_MTU: u16 = 68;

/// What an error about one of our tunnel packets quotes.
struct Tunnelled {
    kind: TunKind,
    /// The real server the tunnel packet was for.
    outer_dst: Ipv4Addr,
    /// The client's packet, within the quote.
    inner: Range<usize>,
    key: FlowKey<Ipv4Addr>,
    inner_df: bool,
}

/// Parses the quote of an error about a tunnel packet: outer IPv4 header, IPIP, GRE (no
/// flags but C, IPv4 inside) or UDP + GUE (version 0, data, IPv4 inside), then the client's
/// packet with its ports (§4.3).
fn tunnelled(quoted: &[u8]) -> Result<Tunnelled, DropReason> {
    let hlen = fwd::nat_icmp::quoted_header_len(quoted)?;
    let outer = Ipv4Packet::new_unchecked(quoted);
    let rest = &quoted[hlen..];
    let (kind, encap) = match u8::from(outer.protocol()) {
        4 => (TunKind::Ipip, 0),
        47 => (TunKind::Gre, gre_len(rest)?),
        17 => (TunKind::Gue, gue_len(rest)?),
        _ => return Err(DropReason::IcmpUnrelated),
    };
    let start = hlen + encap;
    let inner = quoted.get(start..).ok_or(DropReason::IcmpQuoteInvalid)?;
    Ok(Tunnelled {
        kind,
        outer_dst: outer.dst_addr(),
        inner: start..quoted.len(),
        key: flow_of(inner)?,
        inner_df: Ipv4Packet::new_unchecked(inner).dont_frag(),
    })
}

fn gre_len(gre: &[u8]) -> Result<usize, DropReason> {
    let h = gre.get(..4).ok_or(DropReason::IcmpQuoteInvalid)?;
    let flags = u16::from_be_bytes([h[0], h[1]]);
    if flags & !0x8000 != 0 || u16::from_be_bytes([h[2], h[3]]) != 0x0800 {
        return Err(DropReason::IcmpUnrelated);
    }
    Ok(if flags == 0 { 4 } else { 8 })
}

fn gue_len(udp: &[u8]) -> Result<usize, DropReason> {
    let g = udp.get(8..12).ok_or(DropReason::IcmpQuoteInvalid)?;
    // Version 0, a data message (C clear), IPv4 inside.
    if g[0] & 0xe0 != 0 || g[1] != 4 {
        return Err(DropReason::IcmpUnrelated);
    }
    Ok(8 + 4 + usize::from(g[0] & 0x1f) * 4)
}

/// The bytes an ICMP error quotes (ICMP and ICMPv6 headers are both 8 bytes).
fn quote<'a, A>(frame: &'a [u8], p: &IpPacket<A>) -> Result<&'a [u8], DropReason> {
    frame
        .get(p.l4 + icmp::HEADER_LEN..p.end)
        .ok_or(DropReason::IcmpQuoteInvalid)
}

/// The flow key of a quoted packet: an IPv4 TCP or UDP header with its ports, not a later
/// fragment (§4.1).
fn flow_of(quoted: &[u8]) -> Result<FlowKey<Ipv4Addr>, DropReason> {
    let ihl = fwd::nat_icmp::quoted_header_len(quoted)?;
    let q = Ipv4Packet::new_unchecked(quoted);
    if q.frag_offset() != 0 {
        return Err(DropReason::IcmpQuoteInvalid);
    }
    quoted_key(q.protocol(), (q.src_addr(), q.dst_addr()), &quoted[ihl..])
}

/// The key of a quoted TCP or UDP packet between `saddr` and `daddr` whose L4 header (its
/// ports, at least) is `l4`.
fn quoted_key<A>(
    proto: IpProtocol,
    (saddr, daddr): (A, A),
    l4: &[u8],
) -> Result<FlowKey<A>, DropReason> {
    if !matches!(proto, IpProtocol::Tcp | IpProtocol::Udp) {
        return Err(DropReason::IcmpUnrelated);
    }
    let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
    Ok(FlowKey {
        proto: proto.into(),
        saddr,
        sport: port(0),
        daddr,
        dport: port(2),
    })
}
