//! ICMP errors about connections (ipvs-forwarding §4): a Destination Unreachable (Frag
//! Needed among them), Source Quench or Time Exceeded whose quoted packet belongs to a
//! connection goes where IPVS sends it, so that path-MTU discovery and error reporting work
//! through the director.
//!
//! * Sent to a VIP (§4.2): a router on the client's path reports on one of our replies
//!   (quoted V:vport → C:cport). The connection is the one of C:cport → V:vport; the error
//!   goes to its real server: NAT translates it ([`fwd::nat_icmp`]), DR and TUN send it with
//!   the connection's own method, unchanged inside.
//! * Sent elsewhere (§4.4): the real server or a router behind the director reports on the
//!   client's packet as the real server got it (quoted C → R:dport for NAT, C → V for DR/TUN).
//!   The connection is found by the reverse of the quoted key (its out-key, §2.1); a NAT
//!   error is translated back to V, others go to the client unchanged.
//!
//! An error that matches no connection is dropped and counted (`icmp_unrelated`); rvs has
//! no host stack to leave it to. Connections keep their state and timers (§2.7).

use core::net::Ipv4Addr;

use crate::classify::IpPacket;
use crate::conn::Conn;
use crate::ctx::Ctx;
use crate::dest::Method;
use crate::flow::FlowKey;
use crate::fwd::{self, Forward, Rewrite, Target};
use crate::port::{Frame, PortIo};
use crate::service::Snapshot;
use crate::shared::Dataplane;
use crate::stats::DropReason;
use crate::verdict::Verdict;
use crate::wire::{icmp, IcmpMessage, IcmpPacket, IpProtocol, Ipv4Packet};

/// ICMP Source Quench, which IPVS still relays (§4.1).
const SOURCE_QUENCH: u8 = 4;

/// Whether `p` is an ICMP message IPVS relates to connections (§4.1: types 3, 4 and 11).
pub fn is_related(frame: &[u8], p: &IpPacket<Ipv4Addr>) -> bool {
    p.protocol == IpProtocol::Icmp
        && frame.get(p.l4).is_some_and(|&t| {
            matches!(
                IcmpMessage::from(t),
                IcmpMessage::DstUnreachable | IcmpMessage::TimeExceeded
            ) || t == SOURCE_QUENCH
        })
}

/// Sends the related ICMP error `p` where its connection's packets go (module doc).
pub fn forward<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
    p: &IpPacket<Ipv4Addr>,
) -> Verdict {
    let quoted = match quoted_key(frame.data(), p) {
        Ok(k) => k,
        Err(reason) => return Verdict::Drop(reason),
    };
    let table = &dp.conns.v4;
    let to = if snap.is_vip(p.key.daddr) {
        table
            .lookup_in(&quoted.reversed())
            .map(|hit| to_server(frame.data(), snap, p, &hit.conn))
    } else {
        table
            .lookup_out(&quoted.reversed())
            .map(|hit| Ok(to_client(dp, in_port, &hit.conn)))
    };
    match to {
        Some(Ok(to)) => Ipv4Addr::transmit(dp, ctx, frame, p.l3, &to),
        Some(Err(reason)) => Verdict::Drop(reason),
        None => Verdict::Drop(DropReason::IcmpUnrelated),
    }
}

/// §4.2: to the real server of `c`. A NAT error is checked first, being addressed to us.
fn to_server(
    frame: &[u8],
    snap: &Snapshot,
    p: &IpPacket<Ipv4Addr>,
    c: &Conn<Ipv4Addr>,
) -> Result<Target<Ipv4Addr>, DropReason> {
    let rewrite = match c.fwd {
        Method::Masq => {
            let message = IcmpPacket::new_unchecked(&frame[p.l4..p.end]);
            if !message.verify_checksum() {
                return Err(DropReason::IcmpBadChecksum);
            }
            Rewrite::IcmpToServer {
                addr: c.daddr,
                port: c.dport,
            }
        }
        m => Rewrite::request(m, c.daddr, c.dport, snap.dest(c.dest))?,
    };
    Ok(Target {
        dst: c.daddr,
        rewrite,
        icmp_from: p.key.daddr,
    })
}

/// §4.4: to the client of `c`, translated back to the VIP for NAT.
fn to_client<P: PortIo>(dp: &Dataplane<P>, in_port: usize, c: &Conn<Ipv4Addr>) -> Target<Ipv4Addr> {
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
        icmp_from: Ipv4Addr::port_addr(dp, in_port).unwrap_or(c.vaddr),
    }
}

/// The flow key of the packet the error quotes: an IPv4 TCP or UDP header with its ports,
/// not a later fragment (§4.1).
fn quoted_key(frame: &[u8], p: &IpPacket<Ipv4Addr>) -> Result<FlowKey<Ipv4Addr>, DropReason> {
    let quoted = frame
        .get(p.l4 + icmp::HEADER_LEN..p.end)
        .ok_or(DropReason::IcmpQuoteInvalid)?;
    let ihl = fwd::nat_icmp::quoted_header_len(quoted)?;
    let q = Ipv4Packet::new_unchecked(quoted);
    if q.frag_offset() != 0 {
        return Err(DropReason::IcmpQuoteInvalid);
    }
    let proto = q.protocol();
    if !matches!(proto, IpProtocol::Tcp | IpProtocol::Udp) {
        return Err(DropReason::IcmpUnrelated);
    }
    let port = |at: usize| u16::from_be_bytes([quoted[at], quoted[at + 1]]);
    Ok(FlowKey {
        proto: proto.into(),
        saddr: q.src_addr(),
        sport: port(ihl),
        daddr: q.dst_addr(),
        dport: port(ihl + 2),
    })
}
