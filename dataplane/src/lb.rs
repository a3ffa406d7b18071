//! Load balancing of one TCP or UDP packet: to a virtual service it goes
//! in (client → VIP: find or create the connection, rewrite towards the real
//! server), from a real server it goes out (find the NAT connection,
//! rewrite the source back to the VIP). Both directions find the same
//! connection entry (ipvs-forwarding §2).

use crate::classify::Class;
use crate::conn::state::reuse_on_syn;
use crate::conn::{Conn, ConnHit, Dir, InsertError, FWD_MASQ};
use crate::ctx::Ctx;
use crate::fwd::{self, dnat, snat};
use crate::port::PortIo;
use crate::process::Verdict;
use crate::sched::Flow;
use crate::service::{Service, Snapshot};
use crate::shared::Dataplane;
use crate::stats::DropReason;
use crate::wire::tcp::flags;
use crate::wire::IpProtocol;
use std::net::Ipv4Addr;

/// The fields of a classified TCP/UDP packet the balancer needs.
#[derive(Debug, Clone, Copy)]
pub struct L4Packet {
    pub l3: usize,
    pub l4: usize,
    pub proto: u8,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub sport: u16,
    pub dport: u16,
}

impl L4Packet {
    /// The TCP or UDP packet `class` describes, if it is one.
    pub fn of(class: &Class) -> Option<L4Packet> {
        match *class {
            Class::Ipv4 {
                l3_offset,
                l4_offset,
                protocol: protocol @ (IpProtocol::Tcp | IpProtocol::Udp),
                src,
                dst,
                src_port,
                dst_port,
                ..
            } => Some(L4Packet {
                l3: l3_offset,
                l4: l4_offset,
                proto: protocol.into(),
                src,
                dst,
                sport: src_port,
                dport: dst_port,
            }),
            _ => None,
        }
    }
}

/// Starts loading the connection-index bucket [`balance`] will read for
/// `p`: the in-key for a packet to a service, the out-key otherwise.
pub fn prefetch<P: PortIo>(dp: &Dataplane<P>, snap: &Snapshot, p: &L4Packet) {
    if snap.find(p.proto, p.dst, p.dport).is_some() {
        dp.conns
            .prefetch_in(p.proto, p.src, p.sport, p.dst, p.dport);
    } else {
        dp.conns
            .prefetch_out(p.proto, p.src, p.sport, p.dst, p.dport);
    }
}

/// `conn_reuse_mode` as the kernel sets it by default (ipvs-forwarding §2.5).
const CONN_REUSE_MODE: u8 = 1;
const PROTO_TCP: u8 = 6;

pub fn balance<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    frame: &mut [u8],
    p: &L4Packet,
) -> Verdict {
    if let Some((i, svc)) = snap.find(p.proto, p.dst, p.dport) {
        return inbound(dp, ctx, i, svc, frame, p);
    }
    match dp.conns.lookup_out(p.proto, p.src, p.sport, p.dst, p.dport) {
        Some(hit) => outbound(dp, ctx, &hit, frame, p),
        None if snap.is_vip(p.dst) => Verdict::Drop(DropReason::NoService),
        None => Verdict::Drop(DropReason::NotForUs),
    }
}

fn tcp_flags(frame: &[u8], p: &L4Packet) -> u8 {
    if p.proto == PROTO_TCP {
        // classify checked that the TCP header is in the frame.
        frame[p.l4 + 13]
    } else {
        0
    }
}

fn is_syn(proto: u8, tcp_flags: u8) -> bool {
    proto == PROTO_TCP && tcp_flags & (flags::SYN | flags::ACK | flags::RST) == flags::SYN
}

/// Client → VIP.
fn inbound<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    svc_index: usize,
    svc: &Service,
    frame: &mut [u8],
    p: &L4Packet,
) -> Verdict {
    let table = &dp.conns;
    let tcp_flags = tcp_flags(frame, p);
    let mut hit = table.lookup_in(p.proto, p.src, p.sport, p.dst, p.dport);
    if let Some(h) = hit.filter(|h| {
        is_syn(p.proto, tcp_flags) && reuse_on_syn(p.proto, h.state, h.no_output, CONN_REUSE_MODE)
    }) {
        // A new SYN on a closing connection: schedule afresh (§2.5).
        table.expire_now(&h);
        hit = None;
    }
    let hit = match hit {
        Some(h) => h,
        None => match new_conn(dp, ctx, svc_index, svc, p, tcp_flags) {
            Ok(h) => h,
            Err(reason) => return Verdict::Drop(reason),
        },
    };
    // A stale entry expired between lookup and update: this packet still
    // follows it; the next one schedules anew.
    let _ = table.update(&hit, Dir::Input, tcp_flags, ctx.now);
    let c = hit.conn;
    if c.fwd != FWD_MASQ {
        return Verdict::Drop(DropReason::UnsupportedProtocol);
    }
    if let Err(reason) = dnat(&mut frame[p.l3..], c.daddr, c.dport) {
        return Verdict::Drop(reason);
    }
    fwd::route_out(dp, ctx, frame, p.l3, c.daddr)
}

/// Real server → client, for a NAT connection.
fn outbound<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    hit: &ConnHit,
    frame: &mut [u8],
    p: &L4Packet,
) -> Verdict {
    let tcp_flags = tcp_flags(frame, p);
    let _ = dp.conns.update(hit, Dir::Output, tcp_flags, ctx.now);
    let c = hit.conn;
    if let Err(reason) = snat(&mut frame[p.l3..], c.vaddr, c.vport) {
        return Verdict::Drop(reason);
    }
    fwd::route_out(dp, ctx, frame, p.l3, c.caddr)
}

/// Schedules a new connection and enters it in the table. Only a SYN
/// opens a TCP connection (ipvs-forwarding §2.2, sloppy_tcp off).
fn new_conn<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    svc_index: usize,
    svc: &Service,
    p: &L4Packet,
    tcp_flags: u8,
) -> Result<ConnHit, DropReason> {
    if p.proto == PROTO_TCP && !is_syn(p.proto, tcp_flags) {
        return Err(DropReason::NoConnection);
    }
    let flow = Flow {
        proto: p.proto,
        saddr: p.src,
        sport: p.sport,
        daddr: p.dst,
        dport: p.dport,
    };
    let cursor = ctx.cursors.get(svc_index);
    let d = svc
        .sched
        .pick(cursor, &svc.info, dp.conns.dests(), &flow)
        .map(|i| svc.dests[i])
        .ok_or(DropReason::NoDestination)?;
    let conn = Conn {
        proto: p.proto,
        caddr: p.src,
        cport: p.sport,
        vaddr: p.dst,
        vport: p.dport,
        daddr: d.addr,
        dport: d.port,
        fwd: d.fwd,
        dest: d.slot,
    };
    match ctx.conns.insert(&conn, ctx.now) {
        Ok(h) => Ok(h),
        Err(InsertError::Full) => Err(DropReason::TableFull),
        // Another worker created it this instant: use theirs.
        Err(InsertError::Exists) => dp
            .conns
            .lookup_in(p.proto, p.src, p.sport, p.dst, p.dport)
            .ok_or(DropReason::TableFull),
    }
}
