//! Load balancing of one TCP or UDP packet, for either IP family: to a virtual service it
//! goes in (client → VIP: find or create the connection, send it to the real server by the
//! connection's method), from a NAT real server it goes out (find the connection, rewrite
//! the source back to the VIP). Both directions find the same connection entry
//! (ipvs-forwarding §2). A fragment after the first follows its datagram's first
//! ([`crate::frag`]). Every packet leaves through [`Forward::transmit`].

use crate::classify::IpPacket;
use crate::conn::state::{reuse_on_syn, PROTO_TCP, PROTO_UDP};
use crate::conn::{Conn, ConnHit, Dir, InsertError, KeyHash, Pe};
use crate::ctx::Ctx;
use crate::dest::{DestParams, Method};
use crate::flow::{Addr, FlowKey};
use crate::frag::{FragKey, Way};
use crate::fwd::{Forward, IcmpError, Rewrite, Server, Target};
use crate::persist;
use crate::port::{Frame, PortIo};
use crate::service::{Service, Snapshot};
use crate::shared::{Dataplane, Tables};
use crate::stats::DropReason;
use crate::verdict::Verdict;
use crate::wire::tcp::flags;

/// What the first look at a TCP/UDP packet found ([`look`]), carried to [`balance`] so that
/// neither lookup is made twice: the virtual service the packet is addressed to, if any, and
/// its key's hash. One hash serves either index: the packet's key is a connection's in-key
/// when it goes to a service, its out-key otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    service: Option<usize>,
    hash: KeyHash,
}

/// Looks `p` up ([`Look`]) and starts loading the connection-index bucket [`balance`] will
/// read: the worker looks at a whole burst before processing it, so that the buckets load
/// while earlier frames are processed.
#[inline(always)]
pub fn look<P: PortIo, A: Tables>(dp: &Dataplane<P>, snap: &Snapshot, p: &IpPacket<A>) -> Look {
    let table = A::table(&dp.conns);
    let hash = table.hash(&p.key);
    let service = snap
        .find(p.key.proto, p.key.daddr, p.key.dport)
        .map(|(i, _)| i);
    match service {
        Some(_) => table.prefetch_in(hash),
        None => table.prefetch_out(hash),
    }
    Look { service, hash }
}

/// `conn_reuse_mode` as the kernel sets it by default (ipvs-forwarding §2.5).
const CONN_REUSE_MODE: u8 = 1;

/// Balances the TCP/UDP packet `p` that arrived on `in_port`, which [`look`] found as
/// `look` in the same snapshot (looked up here when the caller has not).
pub fn balance<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
    (p, look): (&IpPacket<A>, Option<Look>),
) -> Verdict {
    if p.is_later_fragment() {
        return later_fragment(dp, ctx, snap, in_port, frame, p);
    }
    let look = look.unwrap_or_else(|| self::look(dp, snap, p));
    if let Some(i) = look.service {
        return inbound(dp, ctx, snap, (i, &snap.services[i]), frame, (p, look.hash));
    }
    if let Some(hit) = A::table(&dp.conns).lookup_out_hashed(&p.key, look.hash) {
        return outbound(dp, ctx, snap, in_port, &hit, frame, p);
    }
    match snap.started_by(p.key.proto, p.key.saddr, p.key.sport) {
        Some(found) => server_started(dp, ctx, snap, in_port, found, frame, p),
        None if snap.is_vip(p.key.daddr) => Verdict::Drop(DropReason::NoService),
        None => Verdict::Drop(DropReason::NotForUs),
    }
}

fn tcp_flags<A>(frame: &[u8], p: &IpPacket<A>) -> u8 {
    if p.key.proto == PROTO_TCP {
        // classify checked that the TCP header is in the frame.
        frame[p.l4 + 13]
    } else {
        0
    }
}

/// A segment that starts a new connection: SYN set, whatever else is (`is_new_conn`, §2.5).
fn is_syn(proto: u8, tcp_flags: u8) -> bool {
    proto == PROTO_TCP && tcp_flags & flags::SYN != 0
}

/// Whether a packet with no entry may create one (§2.2, sloppy_tcp off): any UDP datagram;
/// a TCP segment with SYN and without RST (so SYN+ACK and SYN+FIN do, `tcp_conn_schedule`).
fn creates(proto: u8, tcp_flags: u8) -> bool {
    proto != PROTO_TCP || tcp_flags & (flags::SYN | flags::RST) == flags::SYN
}

/// Client → VIP.
fn inbound<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc_index, svc): (usize, &Service),
    frame: &mut P::Frame,
    (p, hash): (&IpPacket<A>, KeyHash),
) -> Verdict {
    if svc.one_packet && p.key.proto == PROTO_UDP {
        return one_packet(dp, ctx, snap, (svc_index, svc), frame, p);
    }
    let table = A::table(&dp.conns);
    let tcp_flags = tcp_flags(frame.data(), p);
    let mut hit = table.lookup_in_hashed(&p.key, hash);
    if let Some(h) = hit.filter(|h| {
        is_syn(p.key.proto, tcp_flags)
            && reuse_on_syn(p.key.proto, h.state, h.no_output, CONN_REUSE_MODE)
    }) {
        // A new SYN on a closing connection: schedule afresh (§2.5).
        table.expire_now(&h);
        hit = None;
    }
    if hit.is_some_and(|h| !snap.is_available(h.conn.dest)) {
        // Its real server left the service (expire_nodest_conn 0, §2.6): dropped silently,
        // the entry not refreshed; it dies with its timer unless the server comes back.
        return Verdict::Drop(DropReason::DestUnavailable);
    }
    let hit = match hit {
        Some(h) => h,
        // A packet that dies here creates nothing (checked before scheduling; an
        // established connection's packet still moves its state, as in IPVS).
        None if A::expires(frame.data(), p.l3) => {
            return refused(dp, ctx, frame, p, DropReason::TtlExceeded);
        }
        None => match new_conn(dp, ctx, snap, (svc_index, svc), frame.data(), p, tcp_flags) {
            Ok(h) => h,
            Err(reason) => return refused(dp, ctx, frame, p, reason),
        },
    };
    count(dp, ctx, snap, hit.conn.dest, Way::In, p);
    // A stale entry expired between lookup and update: this packet still
    // follows it; the next one schedules anew.
    let _ = table.update(&hit, Dir::Input, tcp_flags, ctx.now);
    remember_first(ctx, p, &hit, Way::In);
    to_server(dp, ctx, snap, frame, p, &hit.conn)
}

/// A new connection refused for `reason`, answered from the VIP where IPVS answers: a
/// packet that would die of its TTL with Time Exceeded (§7.11), a service with nobody to
/// take it with Port Unreachable (§7.10); the rest is dropped.
fn refused<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
    reason: DropReason,
) -> Verdict {
    let err = match reason {
        DropReason::TtlExceeded => IcmpError::TtlExceeded,
        DropReason::NoDestination => IcmpError::PortUnreachable,
        reason => return Verdict::Drop(reason),
    };
    A::icmp_error(dp, ctx, frame, p.l3, err, p.key.daddr)
}

/// `-o` on a UDP service: every datagram is scheduled on its own and its connection lives
/// only while it is sent, never entered in the table (ipvs-schedulers §5.7): counted
/// inactive on its server around the send, so thresholds see it, then gone.
fn one_packet<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    svc: (usize, &Service),
    frame: &mut P::Frame,
    p: &IpPacket<A>,
) -> Verdict {
    if A::expires(frame.data(), p.l3) {
        return refused(dp, ctx, frame, p, DropReason::TtlExceeded);
    }
    let (conn, template) = match choose(dp, ctx, snap, svc, frame.data(), p) {
        Ok(c) => c,
        Err(reason) => return refused(dp, ctx, frame, p, reason),
    };
    if let (Some(t), Some(per)) = (template, svc.1.persistence) {
        A::table(&dp.conns).refresh(&t, ctx.now, per.timeout_ms);
    }
    dp.traffic(ctx.queue).conn(conn.dest);
    count(dp, ctx, snap, conn.dest, Way::In, p);
    fleeting(dp, &conn, || to_server(dp, ctx, snap, frame, p, &conn))
}

/// Counts packet `p` of a connection on real server `slot`, going `way`, in the worker's
/// traffic counters (ipvs-schedulers §6.2): before it is sent, and only while the server is
/// in its service (the kernel's AVAILABLE check).
pub(crate) fn count<P: PortIo, A: Addr>(
    dp: &Dataplane<P>,
    ctx: &Ctx,
    snap: &Snapshot,
    slot: u32,
    way: Way,
    p: &IpPacket<A>,
) {
    if snap.is_available(slot) {
        let (packets, bytes) = p.counted();
        let t = dp.traffic(ctx.queue);
        match way {
            Way::In => t.inbound(slot, packets, bytes),
            Way::Out => t.outbound(slot, packets, bytes),
        }
    }
}

/// Sends a `-o` connection's one packet with `send`: the connection counts, inactive, on
/// its server only meanwhile (§5.7).
fn fleeting<P: PortIo, A>(
    dp: &Dataplane<P>,
    conn: &Conn<A>,
    send: impl FnOnce() -> Verdict,
) -> Verdict {
    let dests = dp.conns.dests();
    dests.conn_created(conn.dest);
    let v = send();
    dests.conn_removed(conn.dest, false);
    v
}

/// A datagram from NAT real server `slot` of `svc`, whose persistence engine lets servers
/// start flows, that matches no connection: the connection is made as if the client had
/// come to the service (with the call's template when persistent, assured since the server
/// spoke), then the datagram goes on from the VIP (`ip_vs_new_conn_out`, ipvs-schedulers
/// §5.6). Conns counts it.
fn server_started<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    (_, svc, slot): (usize, &Service, u32),
    frame: &mut P::Frame,
    p: &IpPacket<A>,
) -> Verdict {
    let vaddr = A::from_ip(svc.key.addr).filter(|_| !svc.key.is_fwmark());
    let Some(vaddr) = vaddr.filter(|_| svc.key.port != 0 && p.key.sport != 0) else {
        return Verdict::Drop(DropReason::NotForUs);
    };
    let key = FlowKey {
        proto: p.key.proto,
        saddr: p.key.daddr,
        sport: p.key.dport,
        daddr: vaddr,
        dport: svc.key.port,
    };
    let template = match svc.persistence {
        Some(per) => {
            let made = engine_data(svc, frame.data(), p).and_then(|pe| {
                persist::server_template(dp, ctx, snap, (svc, per), (&key, pe), slot)
            });
            match made {
                Ok(t) => Some((t, per)),
                Err(reason) => return Verdict::Drop(reason),
            }
        }
        None => None,
    };
    let conn = Conn {
        proto: key.proto,
        caddr: key.saddr,
        cport: key.sport,
        vaddr,
        vport: key.dport,
        daddr: p.key.saddr,
        dport: p.key.sport,
        fwd: Method::Masq,
        dest: slot,
    };
    let table = A::table(&dp.conns);
    if svc.one_packet {
        if let Some((t, per)) = template {
            table.refresh(&t, ctx.now, per.timeout_ms);
        }
        dp.traffic(ctx.queue).conn(slot);
        count(dp, ctx, snap, slot, Way::Out, p);
        let target = out_target(dp, in_port, &conn);
        return fleeting(dp, &conn, || A::transmit(dp, ctx, frame, p.l3, &target));
    }
    let inserted = A::owner(&mut ctx.conns).insert(&conn, ctx.now);
    if inserted.is_ok() {
        dp.traffic(ctx.queue).conn(slot);
    }
    let hit = match settle(inserted, || table.lookup_in(&key)) {
        Ok(h) => h,
        Err(reason) => return Verdict::Drop(reason),
    };
    if let Some((t, per)) = template {
        table.control(&hit, &t, ctx.now, per.timeout_ms);
        table.assure(&hit);
    }
    outbound(dp, ctx, snap, in_port, &hit, frame, p)
}

/// What `svc`'s persistence engine reads from packet `p` for its template key: nothing
/// without an engine; a packet it can read nothing from opens no connection.
fn engine_data<'f, A>(
    svc: &Service,
    frame: &'f [u8],
    p: &IpPacket<A>,
) -> Result<Option<Pe<'f>>, DropReason> {
    match svc.engine {
        None => Ok(None),
        Some(e) => e.data(frame, p).map(Some).ok_or(DropReason::PeNoData),
    }
}

/// Sends a packet of the client on connection `c` to its real server, by its method.
fn to_server<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
    c: &Conn<A>,
) -> Verdict {
    let request = |params: Option<&DestParams>| Rewrite::request(c.fwd, c.daddr, c.dport, params);
    to_server_with(dp, ctx, snap, frame, p, c, request)
}

/// Sends packet `p` to connection `c`'s real server (of either family for a tunnel), with
/// the rewrite `rewrite` makes from the server's published parameters.
pub(crate) fn to_server_with<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
    c: &Conn<A>,
    rewrite: impl FnOnce(Option<&DestParams>) -> Result<Rewrite<A>, DropReason>,
) -> Verdict {
    let params = snap.dest(c.dest);
    match rewrite(params).and_then(|r| Ok((Server::of_conn(c, params)?, r))) {
        Ok((server, rewrite)) => server.send(dp, ctx, frame, p.l3, (rewrite, p.key.daddr)),
        Err(reason) => Verdict::Drop(reason),
    }
}

/// Where a NAT reply on connection `c` goes (to the client, from the VIP).
fn out_target<P: PortIo, A: Forward>(dp: &Dataplane<P>, in_port: usize, c: &Conn<A>) -> Target<A> {
    Target {
        dst: c.caddr,
        rewrite: Rewrite::Snat {
            addr: c.vaddr,
            port: c.vport,
        },
        icmp_from: A::port_addr(dp, in_port).unwrap_or(c.vaddr),
    }
}

/// The identity of the datagram `p` is a fragment of.
fn datagram<A: Copy>(p: &IpPacket<A>, id: u32) -> FragKey<A> {
    FragKey {
        saddr: p.key.saddr,
        daddr: p.key.daddr,
        proto: p.key.proto,
        id,
    }
}

/// A first fragment: its datagram's later fragments will follow it (`crate::frag`).
fn remember_first<A: Forward>(ctx: &mut Ctx, p: &IpPacket<A>, hit: &ConnHit<A>, way: Way) {
    if let Some(f) = p.frag {
        A::frags(&mut ctx.frags).remember(datagram(p, f.id), *hit, way, ctx.now);
        ctx.frags.firsts += 1;
    }
}

/// A fragment after the first goes where its first went, or waits for it.
fn later_fragment<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
) -> Verdict {
    let Some(f) = p.frag else {
        return Verdict::Drop(DropReason::NotForUs);
    };
    let Some((hit, way)) = A::frags(&mut ctx.frags).find(&datagram(p, f.id), ctx.now) else {
        return Verdict::Hold;
    };
    count(dp, ctx, snap, hit.conn.dest, way, p);
    match way {
        Way::In => to_server(dp, ctx, snap, frame, p, &hit.conn),
        Way::Out => A::transmit(dp, ctx, frame, p.l3, &out_target(dp, in_port, &hit.conn)),
    }
}

/// Real server → client. Only NAT replies pass the director; a packet that matches a DR or
/// TUN connection's reverse key is not ours to forward. A reply is forwarded, and re-arms
/// the entry, even when its real server was deleted meanwhile: IPVS checks availability on
/// the way in only (§2.6; the oracle's lifecycle golden, walk `nodest`).
fn outbound<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    hit: &ConnHit<A>,
    frame: &mut P::Frame,
    p: &IpPacket<A>,
) -> Verdict {
    let c = hit.conn;
    if c.fwd != Method::Masq {
        return Verdict::Drop(DropReason::NotForUs);
    }
    count(dp, ctx, snap, c.dest, Way::Out, p);
    let tcp_flags = tcp_flags(frame.data(), p);
    let _ = A::table(&dp.conns).update(hit, Dir::Output, tcp_flags, ctx.now);
    remember_first(ctx, p, hit, Way::Out);
    A::transmit(dp, ctx, frame, p.l3, &out_target(dp, in_port, &c))
}

/// Schedules a new connection and enters it in the table, if `p` may open one ([`creates`]).
/// A real server the
/// packet could not reach gets no connection (it would only count a blackholed client).
/// A persistent service sends it where the client's template says ([`persist`]).
fn new_conn<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc_index, svc): (usize, &Service),
    frame: &[u8],
    p: &IpPacket<A>,
    tcp_flags: u8,
) -> Result<ConnHit<A>, DropReason> {
    if !creates(p.key.proto, tcp_flags) {
        return Err(DropReason::NoConnection);
    }
    let (conn, template) = choose(dp, ctx, snap, (svc_index, svc), frame, p)?;
    let table = A::table(&dp.conns);
    let inserted = A::owner(&mut ctx.conns).insert(&conn, ctx.now);
    if inserted.is_ok() {
        // Conns counts connections made, not templates, and not another worker's.
        dp.traffic(ctx.queue).conn(conn.dest);
    }
    let hit = settle(inserted, || table.lookup_in(&p.key))?;
    if let (Some(t), Some(per)) = (template, svc.persistence) {
        table.control(&hit, &t, ctx.now, per.timeout_ms);
    }
    Ok(hit)
}

/// A source that is no client's: a martian address ([`Addr::is_martian`]), one of the box's
/// own, the broadcast address of one of its prefixes (Linux holds it as a local broadcast
/// route, and `fib_validate_source` refuses a packet from it), or a VIP. Such a packet is
/// spoofed; it gets no connection (nor a server's answer).
fn martian<P: PortIo, A: Forward>(dp: &Dataplane<P>, snap: &Snapshot, src: A) -> bool {
    let net = A::net(dp);
    src.is_martian() || net.is_own_or_broadcast(src) || snap.is_vip(src)
}

/// The connection for `p` (in `frame`) on its service, bound by [`bind`] to the real server
/// of the client's template ([`persist`], returned too) or the scheduler's pick.
fn choose<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc_index, svc): (usize, &Service),
    frame: &[u8],
    p: &IpPacket<A>,
) -> Result<(Conn<A>, Option<ConnHit<A>>), DropReason> {
    if martian(dp, snap, p.key.saddr) {
        return Err(DropReason::MartianSource);
    }
    let schedule = |ctx: &mut Ctx| {
        let cursor = ctx.cursors.get(svc_index);
        svc.pick(cursor, dp.conns.dests(), &A::erase(p.key), ctx.now)
            .map(|i| svc.info[i].slot)
            .ok_or(DropReason::NoDestination)
    };
    let template = match svc.persistence {
        Some(per) => {
            let pe = engine_data(svc, frame, p)?;
            Some(persist::template(
                dp,
                ctx,
                snap,
                (svc, per),
                (&p.key, pe),
                schedule,
            )?)
        }
        None => None,
    };
    let slot = match template {
        Some(t) => t.conn.dest,
        None => schedule(ctx)?,
    };
    Ok((bind(dp, snap, slot, svc.key.port, &p.key)?, template))
}

/// The connection of `key` bound to the real server in `slot`, if packets can reach it. The
/// destination port is the server's when the client came to the service's own port
/// (`service_port`) and the server has one; a port-0 service keeps the client's
/// (ipvs-schedulers §5.3 step 3).
pub(crate) fn bind<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    snap: &Snapshot,
    slot: u32,
    service_port: u16,
    key: &FlowKey<A>,
) -> Result<Conn<A>, DropReason> {
    let d: &DestParams = snap.dest(slot).ok_or(DropReason::NoDestination)?;
    let server = Server::<A>::of(d.method, d.addr)?;
    server.reachable(dp, d.method)?;
    let daddr = match server {
        Server::Same(a) => a,
        // Its address stays in the snapshot's parameters for the slot (`server`).
        Server::Other(_) => A::from_bits(0),
    };
    let dport = match key.dport == service_port && d.port != 0 {
        true => d.port,
        false => key.dport,
    };
    Ok(Conn {
        proto: key.proto,
        caddr: key.saddr,
        cport: key.sport,
        vaddr: key.daddr,
        vport: key.dport,
        daddr,
        dport,
        fwd: d.method,
        dest: slot,
    })
}

/// What an insert gave: the new entry, or, when another worker created the same key this
/// instant, theirs (`theirs` finds it).
pub(crate) fn settle<A>(
    inserted: Result<ConnHit<A>, InsertError>,
    theirs: impl FnOnce() -> Option<ConnHit<A>>,
) -> Result<ConnHit<A>, DropReason> {
    match inserted {
        Ok(h) => Ok(h),
        Err(InsertError::Full) => Err(DropReason::TableFull),
        Err(InsertError::Exists) => theirs().ok_or(DropReason::TableFull),
    }
}
