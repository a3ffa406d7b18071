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
//! Differences from the kernel: a UDP reply does not assure a template (it would cost every
//! UDP reply a look at its template); a template lives at most 24 days (`-p` allows 31).

use crate::conn::{Conn, ConnHit};
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

/// The template for the new connection `key` on persistent service `svc`: its client
/// network's, or a new one bound to `schedule`'s pick. The caller makes the connection on
/// its server and links the two ([`crate::conn::ConnTable::control`]).
pub fn template<P: PortIo, A: Forward>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    (svc, per): (&Service, Persistence),
    key: &FlowKey<A>,
    schedule: impl FnOnce(&mut Ctx) -> Result<u32, DropReason>,
) -> Result<ConnHit<A>, DropReason> {
    let tkey = template_key(svc, per, key);
    let table = A::table(&dp.conns);
    if let Some(t) = table.lookup_template(&tkey) {
        // Slots are per service: available means in this service still.
        if snap.is_available(t.conn.dest) {
            return Ok(t);
        }
        // Its server left the service (§5.4).
        table.invalidate(&t);
    }
    let slot = schedule(ctx)?;
    let mut template: Conn<A> = lb::bind(dp, snap, slot, svc.key.port, &tkey)?;
    if tkey.dport == 0 {
        // A template of all ports names no port of its server either (§5.2).
        template.dport = 0;
    }
    let inserted = A::owner(&mut ctx.conns).insert_template(&template, ctx.now, per.timeout_ms);
    lb::settle(inserted, || table.lookup_template(&tkey))
}

/// `⟨protocol, snet, 0, vaddr, vport⟩`, vport 0 unless the client came to the service's own
/// port (and that is not FTP's); for a fwmark service `⟨0, snet, 0, mark, 0⟩`, the service's
/// own key (§5.2).
fn template_key<A: Forward>(svc: &Service, per: Persistence, key: &FlowKey<A>) -> FlowKey<A> {
    let own_port = key.dport == svc.key.port && svc.key.port != FTP_PORT;
    let (proto, vaddr) = match A::from_ip(svc.key.addr) {
        Some(mark) if svc.key.is_fwmark() => (svc.key.proto, mark),
        _ => (key.proto, key.daddr),
    };
    FlowKey {
        proto,
        saddr: per.network(key.saddr),
        sport: 0,
        daddr: vaddr,
        dport: if own_port { key.dport } else { 0 },
    }
}
