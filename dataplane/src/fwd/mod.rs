//! Forwarding: each method's rewrite ([`nat`]) and the steps every method
//! shares before a packet leaves: route, TTL, neighbour, Ethernet header.

pub mod nat;

pub use nat::{decrement_ttl, dnat, snat};

use crate::ctx::Ctx;
use crate::port::PortIo;
use crate::process::Verdict;
use crate::shared::Dataplane;
use crate::stats::DropReason;
use std::net::Ipv4Addr;

/// Sends the IPv4 packet at `frame[l3..]` towards `dst`: next hop by the
/// route table, TTL −1 (ipvs-forwarding §3.0), destination MAC from the
/// neighbour table, source MAC of the output port. An unresolved next hop
/// drops the packet and asks for its MAC (the sender retransmits).
pub fn route_out<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    frame: &mut [u8],
    l3: usize,
    dst: Ipv4Addr,
) -> Verdict {
    let Some(hop) = dp.routes.lookup(dst) else {
        return Verdict::Drop(DropReason::NoRoute);
    };
    if let Err(reason) = decrement_ttl(&mut frame[l3..]) {
        return Verdict::Drop(reason);
    }
    let Some(mac) = dp.neigh.get(hop.ip) else {
        ctx.arp.request(hop.port, hop.ip, ctx.now);
        return Verdict::Drop(DropReason::NoNeighbour);
    };
    frame[0..6].copy_from_slice(&mac);
    frame[6..12].copy_from_slice(&dp.ports[hop.port].mac());
    Verdict::Tx {
        port: hop.port,
        len: frame.len(),
    }
}
