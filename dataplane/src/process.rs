//! The packet's way: one frame in, one [`Verdict`] out. Pure with respect
//! to I/O: no allocation, no locks, no syscalls; the frame is rewritten in
//! place (it may grow at the front or shrink) and the worker transmits or
//! frees it.

use crate::classify::{classify_on, Class};
use crate::ctx::Ctx;
use crate::lb::{self, Look};
use crate::nd;
use crate::neigh::{Learned, Lesson, NeighAddr};
use crate::port::{Frame, PortIo};
use crate::related::{self, Related};
use crate::reply::{self, LocalAddrs};
use crate::service::Snapshot;
use crate::shared::{Dataplane, Mode, Net};
use crate::stats::{Counters, DropReason};
use crate::verdict::Verdict;
use crate::wire::{IpProtocol, MacAddr};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The addresses the box answers ARP, ND and ping for on one port: the port's own of either
/// family and every VIP.
struct Local<'a> {
    v4: &'a [(Ipv4Addr, u8)],
    v6: &'a [(Ipv6Addr, u8)],
    snap: &'a Snapshot,
}

impl LocalAddrs<Ipv4Addr> for Local<'_> {
    fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.v4.iter().any(|&(a, _)| a == ip) || self.snap.is_vip(ip)
    }
}

impl LocalAddrs<Ipv6Addr> for Local<'_> {
    fn is_local(&self, ip: Ipv6Addr) -> bool {
        self.v6.iter().any(|&(a, _)| a == ip) || self.snap.is_vip(ip)
    }
}

/// Decides `frame`'s fate (it arrived on `in_port`).
pub fn process<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
) -> Verdict {
    if dp.mode == Mode::L2Fwd {
        return l2fwd(in_port, dp.ports.len(), frame.data_mut());
    }
    let class = classify_on(frame.data(), &dp.l2[in_port]);
    process_classified(dp, ctx, snap, in_port, frame, (&class, None))
}

/// [`process`] for a frame already classified, and looked up if it is TCP or UDP (the
/// worker does both for a whole burst first, to prefetch what the burst will look up;
/// without a [`Look`], one is made here). The class is borrowed: it is as large as an IPv6
/// packet's key, and each move of it was a copy per packet.
pub fn process_classified<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    frame: &mut P::Frame,
    (class, look): (&Class, Option<Look>),
) -> Verdict {
    let local = Local {
        v4: &dp.v4.addrs[in_port],
        v6: &dp.v6.addrs[in_port],
        snap,
    };
    if let Some(end) = class.ip_end() {
        // Ethernet padding is no part of the packet: Linux trims it on input (`ip_rcv`,
        // `ipv6_rcv`), so it never travels on with a forwarded packet, nor is read as data.
        frame.truncate(end);
    }
    match class {
        Class::Ipv4(p) if p.is_tcp_udp() => lb::balance(dp, ctx, snap, in_port, frame, (p, look)),
        Class::Ipv4(p) if Ipv4Addr::is_related(frame.data(), p) => {
            related::forward(dp, ctx, snap, in_port, frame, p)
        }
        &Class::Arp { l3_offset } => arp(dp, ctx, in_port, frame, l3_offset, &local),
        Class::Ipv4(p) => match p.protocol {
            IpProtocol::Icmp if local.is_local(p.key.daddr) => {
                echo(dp, ctx, in_port, frame, p.l3, &local)
            }
            _ if local.is_local(p.key.daddr) => Verdict::Drop(DropReason::UnsupportedProtocol),
            _ => Verdict::Drop(DropReason::NotForUs),
        },
        Class::Ipv6(p) if p.is_tcp_udp() => lb::balance(dp, ctx, snap, in_port, frame, (p, look)),
        Class::Ipv6(p) if Ipv6Addr::is_related(frame.data(), p) => {
            related::forward(dp, ctx, snap, in_port, frame, p)
        }
        Class::Ipv6(p) if p.protocol == IpProtocol::Icmpv6 && !p.is_later_fragment() => {
            icmpv6(dp, ctx, in_port, frame, p.l3, &local)
        }
        Class::Ipv6(p) if LocalAddrs::<Ipv6Addr>::is_local(&local, p.key.daddr) => {
            Verdict::Drop(DropReason::UnsupportedProtocol)
        }
        Class::Ipv6(_) => Verdict::Drop(DropReason::NotForUs),
        &Class::Drop(reason) => Verdict::Drop(reason),
    }
}

/// Learns the sender, answers requests for our addresses.
fn arp<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    in_port: usize,
    frame: &mut P::Frame,
    l3_offset: usize,
    local: &Local,
) -> Verdict {
    let our_mac = dp.ports[in_port].mac();
    let lesson = reply::arp_lesson(frame.data(), local, our_mac);
    let learned = lesson.is_some_and(|l| teach(&dp.v4, ctx, in_port, l));
    let answer = reply::arp_reply(frame.data_mut(), l3_offset, local, our_mac);
    let heard = Heard {
        learned,
        not_a_question: DropReason::ArpNotRequest,
        count_lesson: Counters::add_arp_learned,
        count_answer: Counters::add_arp_reply,
    };
    heard.answer(ctx, in_port, frame, answer)
}

/// Applies what a neighbour protocol message heard on `port` teaches (`neigh`'s rules):
/// only about a sender on one of the port's prefixes, to the port's own table (the frame is
/// of the port's VLAN, or untagged on a port without one: `classify_on` admitted it). True
/// if the table holds the lesson; refusals and a full table are counted.
fn teach<A: NeighAddr>(
    net: &Net<A>,
    ctx: &Ctx,
    port: usize,
    (ip, mac, lesson): (A, MacAddr, Lesson),
) -> bool {
    if !net.on_link(port, ip) {
        ctx.counters.add_neigh_refused();
        return false;
    }
    match net.neigh[port].learn(ip, mac, lesson, ctx.now) {
        Learned::Stored | Learned::Unchanged => true,
        Learned::Refused => {
            ctx.counters.add_neigh_refused();
            false
        }
        Learned::Full => {
            ctx.counters.add_neigh_table_full();
            false
        }
        Learned::NoEntry | Learned::Lost => false,
    }
}

/// What a neighbour protocol message (ARP, ND) did: whether it taught us a neighbour, the
/// refusal that means it asked nothing, and the counters of a lesson and of an answer.
struct Heard {
    learned: bool,
    not_a_question: DropReason,
    count_lesson: fn(&Counters),
    count_answer: fn(&Counters),
}

impl Heard {
    /// A message that taught us and asked nothing is consumed; an answer leaves by the
    /// port the question came in on.
    fn answer<F: Frame>(
        self,
        ctx: &Ctx,
        in_port: usize,
        frame: &mut F,
        answer: Result<usize, DropReason>,
    ) -> Verdict {
        if self.learned && answer == Err(self.not_a_question) {
            (self.count_lesson)(ctx.counters);
            return Verdict::Consumed;
        }
        back_out(in_port, frame, answer, || (self.count_answer)(ctx.counters))
    }
}

/// ICMPv6 to the box (or to a solicited-node group): Neighbor Solicitations for our
/// addresses and VIPs are answered and teach us the sender, advertisements teach us, echo
/// requests are answered (`nd`).
fn icmpv6<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    in_port: usize,
    frame: &mut P::Frame,
    l3_offset: usize,
    local: &Local,
) -> Verdict {
    let lesson = nd::nd_lesson(frame.data(), local);
    let learned = lesson.is_some_and(|l| teach(&dp.v6, ctx, in_port, l));
    // An advertisement carries an option a solicitation may lack: room for it.
    if !frame.extend_to(l3_offset + nd::ND_L3_LEN) {
        return Verdict::Drop(DropReason::BufferTooSmall);
    }
    let mac = dp.ports[in_port].mac();
    let answer = nd::icmpv6_reply(frame.data_mut(), l3_offset, local, mac);
    let heard = Heard {
        learned,
        not_a_question: DropReason::NdNotSolicitation,
        count_lesson: Counters::add_nd_learned,
        count_answer: Counters::add_nd_reply,
    };
    heard.answer(ctx, in_port, frame, answer)
}

/// ICMP to one of our addresses: echo requests are answered.
fn echo<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    in_port: usize,
    frame: &mut P::Frame,
    l3_offset: usize,
    local: &Local,
) -> Verdict {
    let answer =
        reply::icmp_echo_reply(frame.data_mut(), l3_offset, local, dp.ports[in_port].mac());
    back_out(in_port, frame, answer, || {
        ctx.counters.add_icmp_echo_reply()
    })
}

/// An answer built in place, `len` bytes long, leaves by the port its question came in on.
fn back_out<F: Frame>(
    in_port: usize,
    frame: &mut F,
    answer: Result<usize, DropReason>,
    count: impl FnOnce(),
) -> Verdict {
    match answer {
        Ok(len) => {
            count();
            frame.truncate(len);
            Verdict::Tx { port: in_port }
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
    }
}
