//! The packet's way: one frame in, one [`Verdict`] out. Pure with respect
//! to I/O: no allocation, no locks, no syscalls; the frame is rewritten in
//! place and the worker transmits or frees it.

use crate::classify::{classify, Class};
use crate::ctx::Ctx;
use crate::lb::{self, L4Packet};
use crate::port::PortIo;
use crate::reply::{self, LocalAddrs};
use crate::service::Snapshot;
use crate::shared::{Dataplane, Mode};
use crate::stats::DropReason;
use crate::wire::IpProtocol;
use std::net::Ipv4Addr;

/// What happens to a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the (rewritten) frame, cut to `len` bytes, on `port`.
    Tx { port: usize, len: usize },
    /// Free the frame and count the reason.
    Drop(DropReason),
    /// The frame did its job here (an ARP reply taught us a neighbour):
    /// free it, nothing was dropped.
    Consumed,
}

/// The addresses the box answers ARP and ping for on one port: the port's
/// own and every VIP.
struct Local<'a> {
    port: &'a [(Ipv4Addr, u8)],
    snap: &'a Snapshot,
}

impl LocalAddrs for Local<'_> {
    fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.port.iter().any(|&(a, _)| a == ip) || self.snap.is_vip(ip)
    }
}

/// Decides `frame`'s fate (it arrived on `in_port`).
pub fn process<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut [u8],
) -> Verdict {
    if dp.mode == Mode::L2Fwd {
        return l2fwd(in_port, dp.ports.len(), frame);
    }
    let class = classify(frame);
    process_classified(dp, ctx, snap, in_port, frame, class)
}

/// [`process`] for a frame already classified (the worker classifies a
/// whole burst first, to prefetch what the burst will look up).
pub fn process_classified<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut [u8],
    class: Class,
) -> Verdict {
    let local = Local {
        port: &dp.addrs[in_port],
        snap,
    };
    if let Some(p) = L4Packet::of(&class) {
        return lb::balance(dp, ctx, snap, frame, &p);
    }
    match class {
        Class::Arp { l3_offset } => arp(dp, ctx, in_port, frame, l3_offset, &local),
        Class::Ipv4 {
            l3_offset,
            protocol,
            dst,
            ..
        } => match protocol {
            IpProtocol::Icmp if local.is_local(dst) => {
                echo(dp, ctx, in_port, frame, l3_offset, &local)
            }
            _ if local.is_local(dst) => Verdict::Drop(DropReason::UnsupportedProtocol),
            _ => Verdict::Drop(DropReason::NotForUs),
        },
        Class::Ipv6 { .. } => Verdict::Drop(DropReason::Ipv6NotHandled),
        Class::Drop(reason) => Verdict::Drop(reason),
    }
}

/// Learns the sender, answers requests for our addresses.
fn arp<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    in_port: usize,
    frame: &mut [u8],
    l3_offset: usize,
    local: &Local,
) -> Verdict {
    let learned = reply::arp_sender(frame).is_some_and(|(ip, mac)| dp.neigh.learn(ip, mac));
    let answer = reply::arp_reply(frame, l3_offset, local, dp.ports[in_port].mac());
    if learned && answer == Err(DropReason::ArpNotRequest) {
        ctx.counters.add_arp_learned();
        return Verdict::Consumed;
    }
    back_out(in_port, answer, || ctx.counters.add_arp_reply())
}

/// ICMP to one of our addresses: echo requests are answered.
fn echo<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    in_port: usize,
    frame: &mut [u8],
    l3_offset: usize,
    local: &Local,
) -> Verdict {
    let answer = reply::icmp_echo_reply(frame, l3_offset, local, dp.ports[in_port].mac());
    back_out(in_port, answer, || ctx.counters.add_icmp_echo_reply())
}

/// An answer built in place leaves by the port its question came in on.
fn back_out(in_port: usize, answer: Result<usize, DropReason>, count: impl FnOnce()) -> Verdict {
    match answer {
        Ok(len) => {
            count();
            Verdict::Tx { port: in_port, len }
        }
        Err(reason) => Verdict::Drop(reason),
    }
}

/// Diagnostic forwarding: out of the paired port (or back out of a port
/// that has no pair), MACs swapped.
fn l2fwd(in_port: usize, ports: usize, frame: &mut [u8]) -> Verdict {
    if frame.len() < 12 {
        return Verdict::Drop(DropReason::EthernetTruncated);
    }
    let (dst, src) = frame.split_at_mut(6);
    dst.swap_with_slice(&mut src[..6]);
    let pair = in_port ^ 1;
    Verdict::Tx {
        port: if pair < ports { pair } else { in_port },
        len: frame.len(),
    }
}
