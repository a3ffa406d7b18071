//! The packet's way: one frame in, one [`Verdict`] out. Pure with respect
//! to I/O: no allocation, no locks, no syscalls; the frame is rewritten in
//! place and the worker transmits or frees it.

use crate::classify::{classify, Class};
use crate::reply::{self, LocalAddrs};
use crate::shared::{Dataplane, Mode};
use crate::stats::{Counters, DropReason};
use crate::wire::IpProtocol;
use std::net::Ipv4Addr;

/// What happens to a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the (rewritten) frame, cut or padded to `len` bytes, on `port`.
    Tx { port: usize, len: usize },
    /// Free the frame and count the reason.
    Drop(DropReason),
}

/// A port's own addresses, as the reply builders ask for them.
struct PortAddrs<'a>(&'a [(Ipv4Addr, u8)]);

impl LocalAddrs for PortAddrs<'_> {
    fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.0.iter().any(|&(a, _)| a == ip)
    }
}

pub fn process<P: crate::port::PortIo>(
    dp: &Dataplane<P>,
    in_port: usize,
    frame: &mut [u8],
    counters: &Counters,
) -> Verdict {
    if dp.mode == Mode::L2Fwd {
        return l2fwd(in_port, dp.ports.len(), frame);
    }
    match classify(frame) {
        Class::Arp { l3_offset } => arp(dp, in_port, frame, l3_offset, counters),
        Class::Ipv4 {
            l3_offset,
            protocol,
            dst,
            ..
        } => {
            if dp.is_local(in_port, dst) {
                local_ipv4(dp, in_port, frame, l3_offset, protocol, counters)
            } else {
                Verdict::Drop(DropReason::NotForUs)
            }
        }
        Class::Ipv6 { .. } => Verdict::Drop(DropReason::Ipv6NotHandled),
        Class::Drop(reason) => Verdict::Drop(reason),
    }
}

/// Learns the sender, answers requests for the port's own addresses.
fn arp<P: crate::port::PortIo>(
    dp: &Dataplane<P>,
    in_port: usize,
    frame: &mut [u8],
    l3_offset: usize,
    counters: &Counters,
) -> Verdict {
    if let Some((ip, mac)) = reply::arp_sender(frame) {
        dp.neigh.learn(ip, mac);
    }
    let mac = dp.ports[in_port].mac();
    match reply::arp_reply(frame, l3_offset, &PortAddrs(&dp.addrs[in_port]), mac) {
        Ok(len) => {
            counters.add_arp_reply();
            Verdict::Tx { port: in_port, len }
        }
        Err(reason) => Verdict::Drop(reason),
    }
}

/// Traffic to the box itself: only ICMP echo is answered.
fn local_ipv4<P: crate::port::PortIo>(
    dp: &Dataplane<P>,
    in_port: usize,
    frame: &mut [u8],
    l3_offset: usize,
    protocol: IpProtocol,
    counters: &Counters,
) -> Verdict {
    if protocol != IpProtocol::Icmp {
        return Verdict::Drop(DropReason::UnsupportedProtocol);
    }
    let mac = dp.ports[in_port].mac();
    match reply::icmp_echo_reply(frame, l3_offset, &PortAddrs(&dp.addrs[in_port]), mac) {
        Ok(len) => {
            counters.add_icmp_echo_reply();
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
