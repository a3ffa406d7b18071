//! Persistence (`-p`, `-M`): the real server of a persistent service's new connection comes
//! from the client network's template while it lives (ipvs-schedulers §5).
//!
//! A template is an entry of the connection table with the TEMPLATE flag, keyed
//! `snet:0 → vaddr:vport` (`snet` the client address under the netmask; `vport` 0 for a
//! port-0 service, and for FTP's port 21 so that its data connections share it, §5.2), bound
//! to a real server, counted in that server's templates. A new connection finds it and goes
//! to its server without asking the scheduler, and restarts its timer (`-p` seconds); one
//! whose server left the service schedules anew and replaces it (§5.3, §5.4). Packets of
//! existing connections do not touch it.
//!
//! A template whose timer runs out while connections it made still live is kept 60 s at a
//! time; one whose server left is never found again but stays, counted, until then; it is
//! ASSURED once a TCP connection under it is established (§5.3, §5.4; the table keeps these,
//! [`crate::conn::ConnTable::control`]).
//!
//! A persistence engine (`--pe`, [`Engine`]) adds what it reads from the packet to the
//! template's key: SIP's Call-ID, so each call keeps its server whatever the client's port
//! (§5.6). A packet it can read nothing from opens no connection.
//!
//! Differences from the kernel: a UDP reply does not assure a template (it would cost every
//! UDP reply a look at its template); a template lives at most 24 days (`-p` allows 31).

use crate::classify::IpPacket;
use crate::conn::state::PROTO_UDP;
use crate::conn::{Conn, ConnHit, ConnTable, Pe};
use crate::ctx::Ctx;
use crate::flow::FlowKey;
use crate::fwd::Forward;
use crate::lb;
use crate::port::PortIo;
use crate::service::{Persistence, Service, Snapshot};
use crate::shared::Dataplane;
use crate::stats::DropReason;

/// FTP's control port: its template covers all ports (§5.2).
const FTP_PORT: u16 = 21;

/// A persistence engine (`--pe`; the kernel's `struct ip_vs_pe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `sip`: calls by Call-ID, UDP only (`ip_vs_pe_sip`, [`crate::sip`]); its real servers
    /// may start flows ([`crate::lb`]'s server-started path).
    Sip,
}

/// Every persistence engine, found by name: the one list rvsd's checks and the data plane
/// share.
pub const ENGINES: &[(&str, Engine)] = &[("sip", Engine::Sip)];

impl Engine {
    pub fn by_name(name: &str) -> Option<Engine> {
        ENGINES.iter().find(|(n, _)| *n == name).map(|&(_, e)| e)
    }

    pub fn name(self) -> &'static str {
        ENGINES
            .iter()
            .find(|(_, e)| *e == self)
            .map_or("", |(n, _)| n)
    }

    /// What the engine reads from packet `p` of `frame` for its template key; `None` when it
    /// can read nothing (the packet then opens no connection).
    pub fn data<'f, A>(self, frame: &'f [u8], p: &IpPacket<A>) -> Option<Pe<'f>> {
        let data = match self {
            Engine::Sip if p.key.proto == PROTO_UDP => {
                crate::sip::call_id(frame.get(p.l4 + 8..p.end)?)
            }
            Engine::Sip => None,
        };
        data.map(|d| (self, d))
    }
}

/// The template for the new connection `key` on persistent service `svc`, whose engine read
/// `pe` from the packet: its client network's (and call's), or a new one bound to
/// `schedule`'s pick. The caller makes the connection on its server and links the two
/// ([`crate::conn::ConnTable::control`]).
pub fn template<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc, per): (&Service, Persistence),
    (key, pe): (&FlowKey<A>, Option<Pe>),
    schedule: impl FnOnce(&mut Ctx) -> Result<u32, DropReason>,
) -> Result<ConnHit<A>, DropReason> {
    // Slots are per service: available means in this service still.
    let usable = |t: &ConnHit<A>| snap.is_available(t.conn.dest);
    let tkey = template_key(svc, per, key, pe);
    find_or_make(dp, ctx, snap, (svc, per), (&tkey, pe), usable, schedule)
}

/// The template for a flow real server `slot` starts to client `key.saddr` (the SIP engine's
/// `ip_vs_new_conn_out`): the client's if it names that server, else a new one that does.
pub fn server_template<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc, per): (&Service, Persistence),
    (key, pe): (&FlowKey<A>, Option<Pe>),
    slot: u32,
) -> Result<ConnHit<A>, DropReason> {
    let usable = |t: &ConnHit<A>| t.conn.dest == slot && snap.is_available(slot);
    let tkey = template_key(svc, per, key, pe);
    find_or_make(dp, ctx, snap, (svc, per), (&tkey, pe), usable, |_| Ok(slot))
}

/// Template `tkey` if it lives and is `usable`, else a new one on `schedule`'s pick (an
/// unusable one is invalidated, §5.4).
fn find_or_make<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc, per): (&Service, Persistence),
    (tkey, pe): (&FlowKey<A>, Option<Pe>),
    usable: impl Fn(&ConnHit<A>) -> bool,
    schedule: impl FnOnce(&mut Ctx) -> Result<u32, DropReason>,
) -> Result<ConnHit<A>, DropReason> {
    let table = A::table(&dp.conns);
    if let Some(t) = table.lookup_template(tkey, pe) {
        if usable(&t) {
            return Ok(t);
        }
        table.invalidate(&t);
    }
    let slot = schedule(ctx)?;
    let mut template: Conn<A> = lb::bind(dp, snap, slot, svc.key.port, tkey)?;
    if tkey.dport == 0 {
        // A template of all ports names no port of its server either (§5.2).
        template.dport = 0;
    }
    let owner = A::owner(&mut ctx.conns);
    let inserted = owner.insert_template(&template, ctx.now, per.timeout_ms, pe);
    lb::settle(inserted, || table.lookup_template(tkey, pe))
}

/// `⟨protocol, snet, 0, vaddr, vport⟩`, vport 0 unless the client came to the service's own
/// port (and that is not FTP's); for a fwmark service `⟨0, snet, 0, mark, 0⟩`, the service's
/// own key (§5.2). With engine data `pe` the client port is a tag of it.
fn template_key<A: Forward>(
    svc: &Service,
    per: Persistence,
    key: &FlowKey<A>,
    pe: Option<Pe>,
) -> FlowKey<A> {
    let own_port = key.dport == svc.key.port && svc.key.port != FTP_PORT;
    let (proto, vaddr) = match A::from_ip(svc.key.addr) {
        Some(mark) if svc.key.is_fwmark() => (svc.key.proto, mark),
        _ => (key.proto, key.daddr),
    };
    FlowKey {
        proto,
        saddr: per.network(key.saddr),
        sport: pe.map_or(0, ConnTable::<A>::pe_tag),
        daddr: vaddr,
        dport: if own_port { key.dport } else { 0 },
    }
}
