//! IPv6 answers for the box's own addresses and VIPs, and the solicitations that resolve its
//! next hops: Neighbor Discovery (RFC 4861) and ICMPv6 echo (RFC 4443 §4). The IPv6
//! counterpart of [`reply`](crate::reply), with the same contract: every function works in
//! place on the frame bytes (the mbuf data), never panics and never allocates; a reply
//! function returns the length of the frame to transmit or the [`DropReason`] the frame is
//! dropped for, and one that returns an error has written nothing. The frame keeps its VLAN
//! tag. Which addresses are ours is the caller's [`LocalAddrs`]`<Ipv6Addr>`.
//!
//! The IPv6 payload length bounds a message: bytes after it in `frame` (padding, or tailroom
//! the caller exposed) are neither read nor trusted, and a longer reply may be written into
//! them. That matters for [`na_reply`]: the advertisement always carries our link-layer
//! address ([`ND_L3_LEN`] bytes from the IPv6 header on), while a solicitation without an
//! option (a DAD probe, or a unicast probe that left it out) is 8 bytes shorter; the caller
//! grows such a frame first, or it is dropped as `BufferTooSmall`.
//!
//! Messages must follow the IPv6 header directly: extension headers are not walked (the
//! IPv6 fixed-header contract of [`wire::ipv6`](crate::wire::ipv6)). rvs's Neighbor
//! Unreachability Detection is the neighbour table's ageing (REACHABLE, STALE, unicast
//! probes); it does no DAD of its own. What ND teaches ([`nd_lesson`]) is kept
//! in the port's [`NeighTable`](crate::neigh::NeighTable) under ARP's rules.

use core::net::Ipv6Addr;

use crate::classify::{classify, Class};
use crate::neigh::Lesson;
use crate::reply::LocalAddrs;
use crate::stats::DropReason;
use crate::wire::ethernet::{self, ipv6_multicast_mac, is_multicast};
use crate::wire::ipv6::{self, is_solicited_node, solicited_node, ALL_NODES};
use crate::wire::ndp::{self, flags};
use crate::wire::{
    checksum, EtherType, EthernetFrame, Icmpv6Message, Icmpv6Packet, IpProtocol, Ipv6Packet,
    MacAddr, NdOption, NdPacket,
};

/// Hop limit of every ND message, checked on receipt to prove the sender is on-link
/// (RFC 4861 §7.1.1, §7.1.2) and set on ours (§4.3, §4.4).
pub const ND_HOP_LIMIT: u8 = 255;

/// Hop limit of the other packets rvs originates (Linux `IPV6_DEFAULT_HOPLIMIT`).
pub const DEFAULT_HOP_LIMIT: u8 = 64;

/// An NS or NA with one link-layer address option, IPv6 header included: what rvs sends.
pub const ND_L3_LEN: usize = ipv6::HEADER_LEN + ndp::HEADER_LEN + ndp::LL_OPTION_LEN;

/// The Neighbor Solicitation [`build_ns`] writes: Ethernet, IPv6, NS, source link-layer
/// address option.
pub const NS_FRAME_LEN: usize = ethernet::HEADER_LEN + ND_L3_LEN;

/// R in our advertisements. RFC 4861 §7.2.4: "if the node is a router, it MUST set the Router
/// flag to one; otherwise, it MUST set it to zero", and §2.1 calls a router "a node that
/// forwards IP packets not explicitly addressed to itself": rvs does (a NAT reply goes from
/// the real server to the client through it), like the Linux director it replaces, which
/// runs with forwarding on and so sets R (`ndisc_recv_ns`: `is_router =
/// idev->cnf.forwarding`). R only sets the neighbour's IsRouter flag (§7.2.5); hosts choose
/// default routers from Router Advertisements, which rvs does not send, so R draws no
/// traffic to it.
const OUR_ROUTER_FLAG: u8 = flags::ROUTER;

/// Answers an ICMPv6 message to the box: a Neighbor Solicitation with [`na_reply`], anything
/// else with [`icmpv6_echo_reply`] (which answers echo requests and names why it refuses the
/// rest), except an advertisement: `NdNotSolicitation`, for the caller to learn it
/// ([`nd_lesson`]) and consume it.
pub fn icmpv6_reply<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    frame: &mut [u8],
    l3_offset: usize,
    local: &L,
    our_mac: MacAddr,
) -> Result<usize, DropReason> {
    match icmpv6_type(frame, l3_offset) {
        Some(Icmpv6Message::NeighborSolicit) => na_reply(frame, l3_offset, local, our_mac),
        Some(Icmpv6Message::NeighborAdvert) => Err(DropReason::NdNotSolicitation),
        _ => icmpv6_echo_reply(frame, l3_offset, local, our_mac),
    }
}

/// The type of the ICMPv6 message right after the IPv6 header at `l3_offset`, if there is one.
fn icmpv6_type(frame: &[u8], l3_offset: usize) -> Option<Icmpv6Message> {
    let ip = Ipv6Packet::new_checked(frame.get(l3_offset..)?).ok()?;
    if ip.next_header() != IpProtocol::Icmpv6 {
        return None;
    }
    Some(Icmpv6Packet::new_checked(ip.payload()).ok()?.msg_type())
}

/// Turns a valid Neighbor Solicitation for one of our addresses into the solicited
/// advertisement, in place (RFC 4861 §7.2.4): target copied, R set (rvs forwards, so it is a
/// router, §2.1), O set (the address is ours alone, not anycast or proxied, and the option is included),
/// our MAC as the target link-layer address option, from the target address, hop limit 255.
/// Sent to the solicitation's source with S set, or for a DAD probe (source ::) to all-nodes
/// ff02::1 with S clear; Ethernet to the source link-layer address option (else the frame's
/// source) or 33:33:00:00:00:01, from `our_mac`. Returns `l3_offset +` [`ND_L3_LEN`].
pub fn na_reply<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    frame: &mut [u8],
    l3_offset: usize,
    local: &L,
    our_mac: MacAddr,
) -> Result<usize, DropReason> {
    let ns = solicitation(frame, l3_offset, local)?;
    let end = l3_offset + ND_L3_LEN;
    let frame = frame.get_mut(..end).ok_or(DropReason::BufferTooSmall)?;
    let (eth, l3) = frame.split_at_mut(l3_offset);
    let (dst, solicited) = if ns.src.is_unspecified() {
        (ALL_NODES, 0)
    } else {
        (ns.src, flags::SOLICITED)
    };
    let na = NdOut {
        kind: Icmpv6Message::NeighborAdvert,
        flags: OUR_ROUTER_FLAG | solicited | flags::OVERRIDE,
        src: ns.target,
        dst,
        target: ns.target,
        option: NdOption::TargetLlAddr,
        mac: our_mac,
    };
    na.write(l3);
    let mut eth = EthernetFrame::new_unchecked(eth);
    eth.set_dst_addr(ns.reply_mac);
    eth.set_src_addr(our_mac);
    Ok(end)
}

/// What an answerable solicitation says.
struct Solicitation {
    /// Its source: the requester, or :: for a DAD probe.
    src: Ipv6Addr,
    target: Ipv6Addr,
    /// Where the advertisement goes on the link.
    reply_mac: MacAddr,
}

/// Checks a Neighbor Solicitation as RFC 4861 §7.1.1 says, then that it is ours to answer
/// (§7.2.3: the target is one of our addresses).
fn solicitation<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    frame: &[u8],
    l3_offset: usize,
    local: &L,
) -> Result<Solicitation, DropReason> {
    let (eth, l3) = frame
        .split_at_checked(l3_offset)
        .ok_or(DropReason::Ipv6TooShort)?;
    let eth = EthernetFrame::new_checked(eth)?;
    let ip = Ipv6Packet::new_checked(l3)?;
    let ns = nd_message(&ip, Icmpv6Message::NeighborSolicit)?;
    let (src, dst, target) = (ip.src_addr(), ip.dst_addr(), ns.target_addr());
    let slla = ns.source_ll_addr();
    let dad = src.is_unspecified();
    // §7.1.1: a DAD probe goes to a solicited-node group and has no source link-layer address.
    if dad && (!is_solicited_node(dst) || slla.is_some()) {
        return Err(DropReason::NdInvalid);
    }
    // The IPv6 layer's delivery check: to one of our addresses, or to the target's group,
    // the only multicast group rvs listens on.
    if !local.is_local(target) || !(local.is_local(dst) || dst == solicited_node(target)) {
        return Err(DropReason::NdNotForUs);
    }
    let reply_mac = if dad {
        ipv6_multicast_mac(ALL_NODES)
    } else {
        slla.unwrap_or(eth.src_addr())
    };
    // RFC 4291 §2.7: multicast is never a source; nor answer towards a group MAC.
    if src.is_multicast() || (!dad && is_multicast(reply_mac)) {
        return Err(DropReason::BadSrcAddr);
    }
    Ok(Solicitation {
        src,
        target,
        reply_mac,
    })
}

/// The checks NS and NA share (RFC 4861 §7.1.1, §7.1.2) on an IPv6 packet carrying `kind`:
/// checksum, hop limit 255, code 0, at least 24 bytes with well-formed options, and a target
/// that is not multicast. A packet that is not ICMPv6 `kind` is `NdNotSolicitation` (only
/// [`na_reply`] reports a reason; [`nd_lesson`] tries both kinds).
fn nd_message<'a>(
    ip: &'a Ipv6Packet<&[u8]>,
    kind: Icmpv6Message,
) -> Result<NdPacket<&'a [u8]>, DropReason> {
    if ip.next_header() != IpProtocol::Icmpv6 {
        return Err(DropReason::NdNotSolicitation);
    }
    let icmp = Icmpv6Packet::new_checked(ip.payload())?;
    if icmp.msg_type() != kind {
        return Err(DropReason::NdNotSolicitation);
    }
    if !icmp.verify_checksum(ip.src_addr(), ip.dst_addr()) {
        return Err(DropReason::Icmpv6BadChecksum);
    }
    if ip.hop_limit() != ND_HOP_LIMIT {
        return Err(DropReason::NdBadHopLimit);
    }
    if icmp.msg_code() != 0 {
        return Err(DropReason::NdInvalid);
    }
    let nd = NdPacket::new_checked(icmp.into_inner())?;
    if nd.target_addr().is_multicast() {
        return Err(DropReason::NdInvalid);
    }
    Ok(nd)
}

/// An NS or NA as rvs sends it: no extension headers, one link-layer address option.
struct NdOut {
    kind: Icmpv6Message,
    flags: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    target: Ipv6Addr,
    option: NdOption,
    mac: MacAddr,
}

impl NdOut {
    /// Writes the IPv6 header and the message into `l3`, exactly [`ND_L3_LEN`] bytes.
    fn write(&self, l3: &mut [u8]) {
        let mut ip = Ipv6Packet::new_unchecked(&mut *l3);
        // Traffic class and flow label 0, as Linux `ip6_nd_hdr` writes them.
        ip.set_version_tc_flow(0, 0);
        ip.set_payload_len((ndp::HEADER_LEN + ndp::LL_OPTION_LEN) as u16);
        ip.set_next_header(IpProtocol::Icmpv6);
        ip.set_hop_limit(ND_HOP_LIMIT);
        ip.set_src_addr(self.src);
        ip.set_dst_addr(self.dst);
        let msg = &mut l3[ipv6::HEADER_LEN..];
        let mut nd = NdPacket::new_unchecked(&mut *msg);
        nd.set_flags(self.flags);
        nd.set_target_addr(self.target);
        nd.set_ll_option(self.option, self.mac);
        let mut icmp = Icmpv6Packet::new_unchecked(msg);
        icmp.set_msg_type(self.kind);
        icmp.set_msg_code(0);
        icmp.fill_checksum(self.src, self.dst);
    }
}

/// Writes a Neighbor Solicitation for `target` from `src_ip` (one of the output port's
/// addresses, RFC 4861 §7.2.2) into `buf` and returns its length, [`NS_FRAME_LEN`]; returns 0
/// (writing nothing) if `buf` is shorter. Multicast to the target's solicited-node group
/// (§7.2.2), on Ethernet 33:33:ff and its low 24 bits (RFC 2464 §7), or, with `to`, unicast
/// to the target at that MAC (§7.3.1: Neighbor Unreachability Detection's probe); hop limit
/// 255, with our MAC as source link-layer address option (§4.3: it MUST be in a multicast
/// solicitation).
pub fn build_ns(
    buf: &mut [u8],
    our_mac: MacAddr,
    src_ip: Ipv6Addr,
    target: Ipv6Addr,
    to: Option<MacAddr>,
) -> usize {
    let Some(frame) = buf.get_mut(..NS_FRAME_LEN) else {
        return 0;
    };
    let (dst, dst_mac) = match to {
        Some(mac) => (target, mac),
        None => (
            solicited_node(target),
            ipv6_multicast_mac(solicited_node(target)),
        ),
    };
    let mut eth = EthernetFrame::new_unchecked(&mut *frame);
    eth.set_dst_addr(dst_mac);
    eth.set_src_addr(our_mac);
    eth.set_ethertype(EtherType::Ipv6);
    let ns = NdOut {
        kind: Icmpv6Message::NeighborSolicit,
        flags: 0,
        src: src_ip,
        dst,
        target,
        option: NdOption::SourceLlAddr,
        mac: our_mac,
    };
    ns.write(&mut frame[ethernet::HEADER_LEN..]);
    NS_FRAME_LEN
}

/// Turns an ICMPv6 echo request to one of our addresses into the echo reply, in place
/// (RFC 4443 §4.2): addresses and MACs swapped (source MAC := `our_mac`), type 128 → 129 with
/// the checksum updated incrementally (RFC 1624; swapping the addresses leaves the
/// pseudo-header's sum as it was), hop limit 64. Identifier, sequence number, data, traffic
/// class and flow label are kept (Linux `icmpv6_echo_reply` keeps the last two too).
pub fn icmpv6_echo_reply<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    frame: &mut [u8],
    l3_offset: usize,
    local: &L,
    our_mac: MacAddr,
) -> Result<usize, DropReason> {
    let (eth, l3) = frame
        .split_at_mut_checked(l3_offset)
        .ok_or(DropReason::Ipv6TooShort)?;
    let mut eth = EthernetFrame::new_checked(eth)?;
    let mut ip = Ipv6Packet::new_checked(l3)?;
    check_echo_ip(&ip, local)?;
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    echo_to_reply(ip.payload_mut(), src, dst)?;
    ip.set_src_addr(dst);
    ip.set_dst_addr(src);
    ip.set_hop_limit(DEFAULT_HOP_LIMIT);
    let end = l3_offset + ipv6::HEADER_LEN + usize::from(ip.payload_len());
    let peer_mac = eth.src_addr();
    eth.set_dst_addr(peer_mac);
    eth.set_src_addr(our_mac);
    Ok(end)
}

/// The IPv6 layer of an echo request we answer: ICMPv6 right after the header, to us, from a
/// unicast source (RFC 4443 §4.2 answers a multicast *destination* from a unicast address;
/// a multicast or unspecified *source* is invalid, RFC 4291 §2.7, §2.5.2, and answering it
/// would reflect).
fn check_echo_ip<T: AsRef<[u8]>, L: LocalAddrs<Ipv6Addr> + ?Sized>(
    ip: &Ipv6Packet<T>,
    local: &L,
) -> Result<(), DropReason> {
    if ip.next_header() != IpProtocol::Icmpv6 {
        return Err(DropReason::IcmpNotEchoToUs);
    }
    if !local.is_local(ip.dst_addr()) {
        return Err(DropReason::NotForUs);
    }
    let src = ip.src_addr();
    if src.is_multicast() || src.is_unspecified() || src.is_loopback() {
        return Err(DropReason::BadSrcAddr);
    }
    Ok(())
}

/// Echo request → echo reply on the ICMPv6 message; only the type/code word changes.
fn echo_to_reply(msg: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<(), DropReason> {
    let mut icmp = Icmpv6Packet::new_checked(msg)?;
    if icmp.msg_type() != Icmpv6Message::EchoRequest || icmp.msg_code() != 0 {
        return Err(DropReason::IcmpNotEchoToUs);
    }
    // Linux icmpv6_rcv drops a bad checksum; a reply patched from it would be bad too.
    if !icmp.verify_checksum(src, dst) {
        return Err(DropReason::Icmpv6BadChecksum);
    }
    let old_word = u16::from(u8::from(Icmpv6Message::EchoRequest)) << 8;
    let new_word = u16::from(u8::from(Icmpv6Message::EchoReply)) << 8;
    icmp.set_msg_type(Icmpv6Message::EchoReply);
    icmp.set_checksum(checksum::update16(icmp.checksum(), old_word, new_word));
    Ok(())
}

/// What a valid NS or NA teaches ([`neigh`](crate::neigh)'s rules; the counterpart of
/// [`arp_lesson`](crate::reply::arp_lesson)): the neighbour, its MAC and the lesson; `None`
/// for anything else, and never one of our own addresses (someone else claiming it; Linux
/// `ndisc_recv_na` refuses too) nor a group or all-zero MAC:
/// * an NS for one of our addresses from a specified source, with a source link-layer
///   address option: a request for us, which may create the entry (RFC 4861 §7.2.3; an NS
///   for someone else "MUST be silently discarded", so it teaches nothing);
/// * an NA with a target link-layer address option: it updates the target's entry if there
///   is one (§7.2.5: an advertisement for an address without an entry is discarded), an
///   INCOMPLETE one (our solicitation's answer) included; solicited (S, to one of our
///   addresses) it confirms the entry; without Override it does not replace a known MAC.
pub fn nd_lesson<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    frame: &[u8],
    local: &L,
) -> Option<(Ipv6Addr, MacAddr, Lesson)> {
    let Class::Ipv6(p) = classify(frame) else {
        return None;
    };
    let ip = Ipv6Packet::new_checked(frame.get(p.l3..)?).ok()?;
    let (addr, mac, lesson) = ns_teaches(&ip, local).or_else(|| na_teaches(&ip, local))?;
    let ok = !local.is_local(addr) && !is_multicast(mac) && mac != [0; 6];
    ok.then_some((addr, mac, lesson))
}

fn ns_teaches<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    ip: &Ipv6Packet<&[u8]>,
    local: &L,
) -> Option<(Ipv6Addr, MacAddr, Lesson)> {
    let ns = nd_message(ip, Icmpv6Message::NeighborSolicit).ok()?;
    let src = ip.src_addr();
    if src.is_unspecified() || src.is_multicast() || !local.is_local(ns.target_addr()) {
        return None;
    }
    Some((src, ns.source_ll_addr()?, Lesson::REQUEST_FOR_US))
}

fn na_teaches<L: LocalAddrs<Ipv6Addr> + ?Sized>(
    ip: &Ipv6Packet<&[u8]>,
    local: &L,
) -> Option<(Ipv6Addr, MacAddr, Lesson)> {
    let na = nd_message(ip, Icmpv6Message::NeighborAdvert).ok()?;
    let (target, mac, f) = (na.target_addr(), na.target_ll_addr()?, na.flags());
    let solicited = f & flags::SOLICITED != 0;
    let dst = ip.dst_addr();
    // §7.1.2: an advertisement to a multicast group is never solicited.
    if solicited && dst.is_multicast() {
        return None;
    }
    let lesson = Lesson {
        create: false,
        confirm: solicited && local.is_local(dst),
        replace: f & flags::OVERRIDE != 0,
    };
    Some((target, mac, lesson))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;
    use proptest::prelude::*;

    /// The director's inside port, D on it, and a VIP V behind its outside port.
    const OUR_MAC: MacAddr = [2, 0, 0, 0, 0, 2];
    const OUTSIDE_MAC: MacAddr = [2, 0, 0, 0, 0, 1];
    const D: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 1);
    const V: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xf, 0, 0, 0, 0, 1);
    const OURS: [Ipv6Addr; 2] = [D, V];
    /// Real server R1 on the inside, the outside router GW.
    const R1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0x11);
    const R1_MAC: MacAddr = [2, 0, 0, 0, 0, 0x11];
    const GW: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xf, 0, 0, 0, 0, 0xfe);
    const GW_MAC: MacAddr = [2, 0, 0, 0, 0, 0xfe];

    // Every vector is raw(p).hex() of the scapy 2.5.0 packet p above it, with
    //   D, V, R1, C, GW = "2001:db8:a::1", "2001:db8:f::1", "2001:db8:a::11",
    //                     "2001:db8:c::10", "2001:db8:f::fe"
    //   OUR, OUT, R1M, GWM = "02:00:00:00:00:02", "02:00:00:00:00:01",
    //                        "02:00:00:00:00:11", "02:00:00:00:00:fe"
    // Layout: Ethernet | IPv6 (vtf, length, next header, hop limit, src, dst) | ICMPv6.

    // Ether(dst="33:33:ff:00:00:01", src=R1M)/IPv6(src=R1, dst="ff02::1:ff00:1", hlim=255)
    //   /ICMPv6ND_NS(tgt=D)/ICMPv6NDOptSrcLLAddr(lladdr=R1M)
    const NS: &str = "3333ff000001 020000000011 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000011 ff0200000000000000000001ff000001\
        87001bf50000000020010db8000a000000000000000000010101020000000011";
    // Ether(dst=R1M, src=OUR)/IPv6(src=D, dst=R1, hlim=255)
    //   /ICMPv6ND_NA(tgt=D, R=1, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=OUR)
    const NA: &str = "020000000011 020000000002 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000001 20010db8000a00000000000000000011\
        88000a45e000000020010db8000a000000000000000000010201020000000002";
    // Ether(dst=OUR, src=R1M)/IPv6(src=R1, dst=D, hlim=255)/ICMPv6ND_NS(tgt=D)
    const NS_UNICAST: &str = "020000000002 020000000011 86dd\
        60000000 0018 3a ff 20010db8000a00000000000000000011 20010db8000a00000000000000000001\
        8700ef500000000020010db8000a00000000000000000001";
    // Ether(dst="33:33:ff:00:00:01", src="02:00:00:00:00:99")
    //   /IPv6(src="::", dst="ff02::1:ff00:1", hlim=255)/ICMPv6ND_NS(tgt=D)
    const NS_DAD: &str = "3333ff000001 020000000099 86dd\
        60000000 0018 3a ff 00000000000000000000000000000000 ff0200000000000000000001ff000001\
        87004ce30000000020010db8000a00000000000000000001";
    // Ether(dst="33:33:00:00:00:01", src=OUR)/IPv6(src=D, dst="ff02::1", hlim=255)
    //   /ICMPv6ND_NA(tgt=D, R=1, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr=OUR)
    const NA_DAD: &str = "333300000001 020000000002 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000001 ff020000000000000000000000000001\
        88007915a000000020010db8000a000000000000000000010201020000000002";
    // Ether(dst="33:33:ff:00:00:01", src=GWM)/IPv6(src=GW, dst="ff02::1:ff00:1", hlim=255)
    //   /ICMPv6ND_NS(tgt=V)/ICMPv6NDOptSrcLLAddr(lladdr=GWM)
    const NS_VIP: &str = "3333ff000001 0200000000fe 86dd\
        60000000 0020 3a ff 20010db8000f000000000000000000fe ff0200000000000000000001ff000001\
        87001a110000000020010db8000f0000000000000000000101010200000000fe";
    // Ether(dst=GWM, src=OUT)/IPv6(src=V, dst=GW, hlim=255)
    //   /ICMPv6ND_NA(tgt=V, R=1, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=OUT)
    const NA_VIP: &str = "0200000000fe 020000000001 86dd\
        60000000 0020 3a ff 20010db8000f00000000000000000001 20010db8000f000000000000000000fe\
        8800094ae000000020010db8000f000000000000000000010201020000000001";
    // Ether(dst="33:33:ff:00:00:11", src=OUR)/IPv6(src=D, dst="ff02::1:ff00:11", hlim=255)
    //   /ICMPv6ND_NS(tgt=R1)/ICMPv6NDOptSrcLLAddr(lladdr=OUR)
    const NS_OUT: &str = "3333ff000011 020000000002 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000001 ff0200000000000000000001ff000011\
        87001bf40000000020010db8000a000000000000000000110101020000000002";
    // Ether(dst=R1M, src=OUR)/IPv6(src=D, dst=R1, hlim=255)
    //   /ICMPv6ND_NS(tgt=R1)/ICMPv6NDOptSrcLLAddr(lladdr=OUR)
    const NS_PROBE: &str = "020000000011 020000000002 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000001 20010db8000a00000000000000000011\
        8700ec350000000020010db8000a000000000000000000110101020000000002";
    // Ether(dst=OUR, src=R1M)/IPv6(src=R1, dst=D, hlim=255)
    //   /ICMPv6ND_NA(tgt=R1, R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=R1M)
    const NA_R1: &str = "020000000002 020000000011 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000011 20010db8000a00000000000000000001\
        88008a266000000020010db8000a000000000000000000110201020000000011";
    // Ether(dst="33:33:00:00:00:01", src=R1M)/IPv6(src=R1, dst="ff02::1", hlim=255)
    //   /ICMPv6ND_NA(tgt=R1, R=0, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr=R1M)
    const NA_R1_UNSOL: &str = "333300000001 020000000011 86dd\
        60000000 0020 3a ff 20010db8000a00000000000000000011 ff020000000000000000000000000001\
        8800f8e62000000020010db8000a000000000000000000110201020000000011";
    // Ether(dst=OUT, src=GWM)/IPv6(src=C, dst=V, hlim=57, tc=0xb8, fl=0x12345)
    //   /ICMPv6EchoRequest(id=0x1234, seq=1, data=b"abcdefgh")
    const ECHO_REQ: &str = "020000000001 0200000000fe 86dd\
        6b812345 0010 3a 39 20010db8000c00000000000000000010 20010db8000f00000000000000000001\
        8000804c123400016162636465666768";
    // Ether(dst=GWM, src=OUT)/IPv6(src=V, dst=C, hlim=64, tc=0xb8, fl=0x12345)
    //   /ICMPv6EchoReply(id=0x1234, seq=1, data=b"abcdefgh")
    const ECHO_REP: &str = "0200000000fe 020000000001 86dd\
        6b812345 0010 3a 40 20010db8000f00000000000000000001 20010db8000c00000000000000000010\
        81007f4c123400016162636465666768";

    /// Byte offsets in an untagged frame.
    const HOP_LIMIT: usize = 21;
    const SRC: usize = 22;
    const DST: usize = 38;
    const ICMP: usize = 54;
    const NA_FLAGS: usize = 58;
    const TARGET: usize = 62;
    const OPTION: usize = 78;

    /// The frame `s` after `edit`, its ICMPv6 checksum made right again.
    fn edited(s: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut f = hex(s);
        edit(&mut f);
        let mut ip = Ipv6Packet::new_unchecked(&mut f[14..]);
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        Icmpv6Packet::new_unchecked(ip.payload_mut()).fill_checksum(src, dst);
        f
    }

    fn put(f: &mut [u8], at: usize, a: &str) {
        let a: Ipv6Addr = a.parse().unwrap();
        f[at..at + 16].copy_from_slice(&a.octets());
    }

    /// `f` with an 802.1Q tag (VLAN 100) after the MACs.
    fn tagged(f: &[u8]) -> Vec<u8> {
        [&f[..12], &[0x81, 0, 0, 0x64], &f[12..]].concat()
    }

    #[test]
    fn solicitation_for_us_is_advertised() {
        let mut f = hex(NS);
        assert_eq!(na_reply(&mut f, 14, &OURS, OUR_MAC), Ok(86));
        assert_eq!(f, hex(NA));
        let mut f = hex(NS_VIP);
        assert_eq!(na_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(86));
        assert_eq!(f, hex(NA_VIP));
        let mut f = tagged(&hex(NS));
        assert_eq!(na_reply(&mut f, 18, &OURS, OUR_MAC), Ok(90));
        assert_eq!(f, tagged(&hex(NA)));
    }

    #[test]
    fn solicitation_without_option_needs_room_for_ours() {
        // Unicast, no source option: to the frame's source MAC.
        let mut f = hex(NS_UNICAST);
        assert_eq!(
            na_reply(&mut f, 14, &OURS, OUR_MAC),
            Err(DropReason::BufferTooSmall)
        );
        assert_eq!(f, hex(NS_UNICAST));
        f.resize(f.len() + 8, 0xa5);
        assert_eq!(na_reply(&mut f, 14, &OURS, OUR_MAC), Ok(86));
        assert_eq!(f, hex(NA));
        // A DAD probe for D is answered to all-nodes, S clear (RFC 4861 §7.2.4).
        let mut f = hex(NS_DAD);
        f.resize(f.len() + 12, 0xa5);
        assert_eq!(na_reply(&mut f, 14, &OURS, OUR_MAC), Ok(86));
        assert_eq!(&f[..86], &hex(NA_DAD)[..]);
    }

    #[test]
    fn invalid_or_foreign_solicitations_are_dropped_untouched() {
        use DropReason::*;
        let set = |at: usize, v: u8| move |f: &mut Vec<u8>| f[at] = v;
        let addr = |at: usize, a: &'static str| move |f: &mut Vec<u8>| put(f, at, a);
        let mut bad_sum = hex(NS);
        bad_sum[ICMP + 3] ^= 1;
        let cases = [
            (
                "hop limit 254",
                edited(NS, set(HOP_LIMIT, 254)),
                NdBadHopLimit,
            ),
            ("code 1", edited(NS, set(ICMP + 1, 1)), NdInvalid),
            ("bad checksum", bad_sum, Icmpv6BadChecksum),
            (
                "multicast target",
                edited(NS, addr(TARGET, "ff02::1")),
                NdInvalid,
            ),
            (
                "DAD to a unicast",
                edited(NS_DAD, addr(DST, "2001:db8:a::1")),
                NdInvalid,
            ),
            ("DAD with an option", edited(NS, addr(SRC, "::")), NdInvalid),
            (
                "option length 0",
                edited(NS, set(OPTION + 1, 0)),
                NdBadOption,
            ),
            (
                "16 bytes",
                edited(NS, |f| {
                    f.truncate(ICMP + 16);
                    f[19] = 16;
                }),
                NdTruncated,
            ),
            (
                "other target",
                edited(NS, addr(TARGET, "2001:db8:a::99")),
                NdNotForUs,
            ),
            (
                "other group",
                edited(NS, addr(DST, "ff02::1:ff00:99")),
                NdNotForUs,
            ),
            (
                "multicast source",
                edited(NS, addr(SRC, "ff02::1")),
                BadSrcAddr,
            ),
            (
                "multicast option",
                edited(NS, set(OPTION + 2, 0x33)),
                BadSrcAddr,
            ),
            ("an advertisement", hex(NA_R1), NdNotSolicitation),
            ("an echo request", hex(ECHO_REQ), NdNotSolicitation),
            ("UDP", edited(NS, set(20, 17)), NdNotSolicitation),
        ];
        for (what, frame, want) in cases {
            let mut f = frame.clone();
            f.resize(100, 0xa5);
            let before = f.clone();
            assert_eq!(na_reply(&mut f, 14, &OURS, OUR_MAC), Err(want), "{what}");
            assert_eq!(f, before, "{what}: nothing written");
        }
    }

    #[test]
    fn solicitation_cut_anywhere_is_dropped_untouched() {
        let f = hex(NS);
        for len in 0..f.len() {
            let mut cut = f[..len].to_vec();
            assert!(na_reply(&mut cut, 14, &OURS, OUR_MAC).is_err(), "len {len}");
            assert_eq!(cut, &f[..len], "nothing written");
        }
        let mut f = hex(NS);
        assert_eq!(
            na_reply(&mut f, 99, &OURS, OUR_MAC),
            Err(DropReason::Ipv6TooShort)
        );
    }

    #[test]
    fn solicitation_builder() {
        let mut buf = [0xa5u8; 90];
        assert_eq!(build_ns(&mut buf, OUR_MAC, D, R1, None), NS_FRAME_LEN);
        assert_eq!(&buf[..86], &hex(NS_OUT)[..]);
        assert_eq!(&buf[86..], &[0xa5; 4]);
        let mut short = [0xa5u8; 85];
        assert_eq!(build_ns(&mut short, OUR_MAC, D, R1, None), 0);
        assert_eq!(short, [0xa5; 85]);
        // A STALE entry's probe: to R1 itself, at its MAC.
        assert_eq!(
            build_ns(&mut buf, OUR_MAC, D, R1, Some(R1_MAC)),
            NS_FRAME_LEN
        );
        assert_eq!(&buf[..86], &hex(NS_PROBE)[..]);
    }

    #[test]
    fn echo_request_to_us_is_answered() {
        let want = hex(ECHO_REP);
        let mut f = hex(ECHO_REQ);
        assert_eq!(icmpv6_echo_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(70));
        assert_eq!(f, want);
        // To a multicast MAC, with trailing bytes: the reply is from our MAC, and as long
        // as the IPv6 payload says.
        let mut f = [
            hex(&ECHO_REQ.replacen("020000000001", "333300000001", 1)),
            vec![0xa5; 6],
        ]
        .concat();
        assert_eq!(icmpv6_echo_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(70));
        assert_eq!(&f[..70], &want[..]);
        let mut f = tagged(&hex(ECHO_REQ));
        assert_eq!(icmpv6_echo_reply(&mut f, 18, &OURS, OUTSIDE_MAC), Ok(74));
        assert_eq!(f, tagged(&want));
    }

    #[test]
    fn echo_drops() {
        use DropReason::*;
        let addr = |at: usize, a: &'static str| move |f: &mut Vec<u8>| put(f, at, a);
        let mut bad_sum = hex(ECHO_REQ);
        bad_sum[ICMP + 3] ^= 1;
        let cases = [
            ("not ours", hex(ECHO_REQ), &[D][..], NotForUs),
            ("bad checksum", bad_sum, &OURS, Icmpv6BadChecksum),
            (
                "a reply",
                hex(ECHO_REP),
                &[V, "2001:db8:c::10".parse().unwrap()],
                IcmpNotEchoToUs,
            ),
            (
                "code 1",
                edited(ECHO_REQ, |f| f[ICMP + 1] = 1),
                &OURS,
                IcmpNotEchoToUs,
            ),
            (
                "UDP",
                edited(ECHO_REQ, |f| f[20] = 17),
                &OURS,
                IcmpNotEchoToUs,
            ),
            (
                "from a group",
                edited(ECHO_REQ, addr(SRC, "ff02::1")),
                &OURS,
                BadSrcAddr,
            ),
            (
                "from ::",
                edited(ECHO_REQ, addr(SRC, "::")),
                &OURS,
                BadSrcAddr,
            ),
            (
                "from ::1",
                edited(ECHO_REQ, addr(SRC, "::1")),
                &OURS,
                BadSrcAddr,
            ),
        ];
        for (what, frame, local, want) in cases {
            let mut f = frame.clone();
            assert_eq!(
                icmpv6_echo_reply(&mut f, 14, local, OUR_MAC),
                Err(want),
                "{what}"
            );
            assert_eq!(f, frame, "{what}: nothing written");
        }
        let f = hex(ECHO_REQ);
        for len in 0..f.len() {
            let mut cut = f[..len].to_vec();
            assert!(
                icmpv6_echo_reply(&mut cut, 14, &OURS, OUR_MAC).is_err(),
                "len {len}"
            );
            assert_eq!(cut, &f[..len], "nothing written");
        }
    }

    #[test]
    fn icmpv6_reply_picks_the_answer() {
        let mut f = hex(NS);
        assert_eq!(icmpv6_reply(&mut f, 14, &OURS, OUR_MAC), Ok(86));
        assert_eq!(f, hex(NA));
        let mut f = hex(ECHO_REQ);
        assert_eq!(icmpv6_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(70));
        assert_eq!(f, hex(ECHO_REP));
        let mut f = hex(NA_R1);
        let r = icmpv6_reply(&mut f, 14, &OURS, OUR_MAC);
        assert_eq!(r, Err(DropReason::NdNotSolicitation));
        // A Router Solicitation (133): rvs sends no Router Advertisements.
        let mut f = edited(ECHO_REQ, |f| f[ICMP] = 133);
        let r = icmpv6_reply(&mut f, 14, &OURS, OUR_MAC);
        assert_eq!(r, Err(DropReason::IcmpNotEchoToUs));
    }

    #[test]
    fn what_nd_teaches() {
        let lesson = |create, confirm, replace| Lesson {
            create,
            confirm,
            replace,
        };
        let gw = Some((GW, GW_MAC, Lesson::REQUEST_FOR_US));
        let r1 = |l: Lesson| Some((R1, R1_MAC, l));
        let addr = |at: usize, a: &'static str| move |f: &mut Vec<u8>| put(f, at, a);
        let cases = [
            ("NS for D", hex(NS), r1(Lesson::REQUEST_FOR_US)),
            ("NS for V", hex(NS_VIP), gw),
            ("tagged NS", tagged(&hex(NS)), r1(Lesson::REQUEST_FOR_US)),
            (
                "NS for another",
                edited(NS, addr(TARGET, "2001:db8:a::99")),
                None,
            ),
            ("NS without option", hex(NS_UNICAST), None),
            ("DAD probe", hex(NS_DAD), None),
            ("NS hop limit 64", edited(NS, |f| f[HOP_LIMIT] = 64), None),
            (
                "NS from a group MAC",
                edited(NS, |f| f[OPTION + 2] = 0x33),
                None,
            ),
            ("solicited NA", hex(NA_R1), r1(lesson(false, true, true))),
            (
                "solicited NA, O clear",
                edited(NA_R1, |f| f[NA_FLAGS] = 0x40),
                r1(lesson(false, true, false)),
            ),
            ("unsolicited NA", hex(NA_R1_UNSOL), r1(Lesson::HEARD)),
            (
                "unsolicited NA, O clear",
                edited(NA_R1_UNSOL, |f| f[NA_FLAGS] = 0),
                r1(lesson(false, false, false)),
            ),
            (
                "S to a group",
                edited(NA_R1_UNSOL, |f| f[NA_FLAGS] = 0x60),
                None,
            ),
            (
                "solicited NA to another",
                edited(NA_R1, addr(DST, "2001:db8:a::99")),
                r1(Lesson::HEARD),
            ),
            ("NA for our address", hex(NA), None),
            (
                "NA with a group MAC",
                edited(NA_R1, |f| f[OPTION + 2] = 0x33),
                None,
            ),
            (
                "NA with MAC 0",
                edited(NA_R1, |f| f[OPTION + 2..].fill(0)),
                None,
            ),
            ("NA cut", hex(NA_R1)[..85].to_vec(), None),
            ("echo", hex(ECHO_REQ), None),
        ];
        for (what, frame, want) in cases {
            assert_eq!(nd_lesson(&frame, &OURS), want, "{what}");
        }
    }

    proptest! {
        #[test]
        fn replies_never_panic(f in proptest::collection::vec(any::<u8>(), 0..128), l3 in 0usize..60) {
            for reply in [na_reply::<[Ipv6Addr; 2]>, icmpv6_echo_reply, icmpv6_reply] {
                let mut g = f.clone();
                if reply(&mut g, l3, &OURS, OUR_MAC).is_err() {
                    prop_assert_eq!(&g, &f);
                }
            }
            let _ = nd_lesson(&f, &OURS);
        }

        #[test]
        fn a_changed_byte_is_answered_or_left_alone(at in 0usize..86, v in any::<u8>()) {
            let mut f = hex(NS);
            f[at] = v;
            let before = f.clone();
            match na_reply(&mut f, 14, &OURS, OUR_MAC) {
                Ok(n) => {
                    prop_assert_eq!(n, 86);
                    let ip = Ipv6Packet::new_checked(&f[14..]).unwrap();
                    let icmp = Icmpv6Packet::new_checked(ip.payload()).unwrap();
                    prop_assert!(icmp.verify_checksum(ip.src_addr(), ip.dst_addr()));
                }
                Err(_) => prop_assert_eq!(f, before),
            }
        }
    }
}
