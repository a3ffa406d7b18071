//! Answers to frames addressed to the box itself: ARP requests and ICMP echo requests.
//!
//! Contract: every function works in place on the frame bytes (the mbuf data), never panics and
//! never allocates; a reply function that returns an error has written nothing. A reply function returns the length of the frame to transmit (the caller
//! trims or extends the mbuf to it) or the [`DropReason`] the frame is dropped for. The frame
//! keeps its VLAN tag, so the reply leaves on the VLAN the request came from. Frames shorter
//! than the 60-byte Ethernet minimum are padded with zeros when the buffer has room.
//!
//! Which addresses are ours is the caller's knowledge, passed as a [`LocalAddrs`].
//! The IPv6 counterparts (Neighbor Discovery, ICMPv6 echo) are in [`nd`](crate::nd).

use core::net::Ipv4Addr;

use crate::classify::{classify, Class};
use crate::flow::Addr;
use crate::neigh::Lesson;
use crate::stats::DropReason;
use crate::wire::ethernet::{self, is_multicast, BROADCAST};
use crate::wire::{
    arp, checksum, ArpOperation, ArpPacket, EtherType, EthernetFrame, IcmpMessage, IcmpPacket,
    IpProtocol, Ipv4Packet, MacAddr,
};

/// Ethernet minimum frame length without the FCS (IEEE 802.3 §4.4.2: 64 with FCS).
pub const MIN_FRAME_LEN: usize = 60;

/// TTL of packets rvs originates (Linux `ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;

/// The addresses the box answers for: its own interface addresses and the VIPs, of family `A`
/// (IPv4 unless said otherwise; [`nd`](crate::nd) asks with `Ipv6Addr`).
pub trait LocalAddrs<A = Ipv4Addr> {
    fn is_local(&self, ip: A) -> bool;
}

impl<A: Addr> LocalAddrs<A> for [A] {
    fn is_local(&self, ip: A) -> bool {
        self.contains(&ip)
    }
}

impl<A: Addr, const N: usize> LocalAddrs<A> for [A; N] {
    fn is_local(&self, ip: A) -> bool {
        self.contains(&ip)
    }
}

/// Turns an ARP request for one of our addresses into the reply, in place (RFC 826 "Packet
/// Reception"): opcode 2, target := requester, sender := `our_mac` and the asked address;
/// Ethernet to the requester's hardware address (as Linux `arp_process` does), from `our_mac`.
pub fn arp_reply<L: LocalAddrs + ?Sized>(
    frame: &mut [u8],
    l3_offset: usize,
    local: &L,
    our_mac: MacAddr,
) -> Result<usize, DropReason> {
    let (eth, l3) = frame
        .split_at_mut_checked(l3_offset)
        .ok_or(DropReason::ArpTruncated)?;
    let mut eth = EthernetFrame::new_checked(eth)?;
    let mut arp = ArpPacket::new_checked(l3)?;
    if arp.operation() != ArpOperation::Request {
        return Err(DropReason::ArpNotRequest);
    }
    let (asked, requester_mac, requester_ip) =
        (arp.target_ip(), arp.sender_hw_addr(), arp.sender_ip());
    if !local.is_local(asked) {
        return Err(DropReason::ArpNotForUs);
    }
    if is_multicast(requester_mac) {
        return Err(DropReason::BadArp);
    }
    arp.set_operation(ArpOperation::Reply);
    arp.set_target_hw_addr(requester_mac);
    arp.set_target_ip(requester_ip);
    arp.set_sender_hw_addr(our_mac);
    arp.set_sender_ip(asked);
    eth.set_dst_addr(requester_mac);
    eth.set_src_addr(our_mac);
    Ok(pad_to_min(frame, l3_offset + arp::PACKET_LEN))
}

/// Turns an ICMP echo request to one of our addresses into the echo reply, in place: IP
/// addresses and MACs swapped (source MAC := `our_mac`), type 8 → 0 with the ICMP checksum
/// updated incrementally (RFC 1624), TTL := 64 and the header checksum recomputed.
/// Identifier, sequence number, payload, TOS, ID and IP options are kept.
pub fn icmp_echo_reply<L: LocalAddrs + ?Sized>(
    frame: &mut [u8],
    l3_offset: usize,
    local: &L,
    our_mac: MacAddr,
) -> Result<usize, DropReason> {
    let (eth, l3) = frame
        .split_at_mut_checked(l3_offset)
        .ok_or(DropReason::Ipv4TooShort)?;
    let mut eth = EthernetFrame::new_checked(eth)?;
    let mut ip = Ipv4Packet::new_checked(l3)?;
    check_echo_ip(&ip, local)?;
    echo_to_reply(ip.payload_mut())?;
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    ip.set_src_addr(dst);
    ip.set_dst_addr(src);
    ip.set_ttl(DEFAULT_TTL);
    ip.fill_checksum();
    let end = l3_offset + usize::from(ip.total_len());
    let peer_mac = eth.src_addr();
    eth.set_dst_addr(peer_mac);
    eth.set_src_addr(our_mac);
    Ok(pad_to_min(frame, end))
}

/// The IP layer of an echo request we answer: whole, to us, from a unicast source (answering
/// a broadcast or multicast source would make the box a smurf amplifier, RFC 1122 §3.2.2.6).
fn check_echo_ip<T: AsRef<[u8]>, L: LocalAddrs + ?Sized>(
    ip: &Ipv4Packet<T>,
    local: &L,
) -> Result<(), DropReason> {
    if !ip.verify_checksum() {
        return Err(DropReason::Ipv4BadChecksum);
    }
    if ip.is_fragment() {
        return Err(DropReason::Ipv4Fragment);
    }
    if ip.protocol() != IpProtocol::Icmp {
        return Err(DropReason::IcmpNotEchoToUs);
    }
    if !local.is_local(ip.dst_addr()) {
        return Err(DropReason::NotForUs);
    }
    let src = ip.src_addr();
    if src.is_broadcast() || src.is_multicast() || src.is_unspecified() || src.is_loopback() {
        return Err(DropReason::BadSrcAddr);
    }
    Ok(())
}

/// Echo request → echo reply on the ICMP message; only the type/code word changes.
fn echo_to_reply(msg: &mut [u8]) -> Result<(), DropReason> {
    let mut icmp = IcmpPacket::new_checked(msg)?;
    if icmp.msg_type() != IcmpMessage::EchoRequest || icmp.msg_code() != 0 {
        return Err(DropReason::IcmpNotEchoToUs);
    }
    // Linux icmp_rcv drops a bad checksum; a reply patched from it would be bad too.
    if !icmp.verify_checksum() {
        return Err(DropReason::IcmpBadChecksum);
    }
    let old_word = u16::from(u8::from(IcmpMessage::EchoRequest)) << 8;
    let new_word = u16::from(u8::from(IcmpMessage::EchoReply)) << 8;
    icmp.set_msg_type(IcmpMessage::EchoReply);
    icmp.set_checksum(checksum::update16(icmp.checksum(), old_word, new_word));
    Ok(())
}

/// Zero-pads a frame that ends at `end` to [`MIN_FRAME_LEN`] when the buffer is long enough,
/// so stale bytes of the request never leave as padding; returns the length to send.
fn pad_to_min(frame: &mut [u8], end: usize) -> usize {
    if end >= MIN_FRAME_LEN {
        return end;
    }
    match frame.get_mut(end..MIN_FRAME_LEN) {
        Some(pad) => {
            pad.fill(0);
            MIN_FRAME_LEN
        }
        None => end,
    }
}

/// What an ARP frame teaches about its sender ([`neigh`](crate::neigh)'s rules, Linux's
/// `arp_process`): `None` unless the frame is a valid Ethernet/IPv4 ARP whose sender is a
/// unicast MAC with a specified address that is not ours (an RFC 5227 probe has sender
/// 0.0.0.0 and teaches nothing). A request for one of our addresses may create the entry; a
/// reply sent to `our_mac` confirms it; anything else (gratuitous ARP, a broadcast reply,
/// a request for someone else) only updates an entry that exists.
pub fn arp_lesson<L: LocalAddrs + ?Sized>(
    frame: &[u8],
    local: &L,
    our_mac: MacAddr,
) -> Option<(Ipv4Addr, MacAddr, Lesson)> {
    let Class::Arp { l3_offset } = classify(frame) else {
        return None;
    };
    let arp = ArpPacket::new_checked(frame.get(l3_offset..)?).ok()?;
    let (ip, mac) = (arp.sender_ip(), arp.sender_hw_addr());
    if ip.is_unspecified() || is_multicast(mac) || mac == [0; 6] || local.is_local(ip) {
        return None;
    }
    let to_us = EthernetFrame::new_checked(frame).ok()?.dst_addr() == our_mac;
    let lesson = match arp.operation() {
        ArpOperation::Request if local.is_local(arp.target_ip()) => Lesson::REQUEST_FOR_US,
        ArpOperation::Reply if to_us => Lesson::ANSWER,
        _ => Lesson::HEARD,
    };
    Some((ip, mac, lesson))
}

/// Writes an ARP request "who has `target_ip`? tell `src_ip`" into `buf`, padded to
/// [`MIN_FRAME_LEN`], and returns its length; returns 0 (writing nothing) if `buf` is shorter.
/// Broadcast, or to `to` (a STALE entry's unicast probe, as Linux's `arp_solicit`).
pub fn build_arp_request(
    buf: &mut [u8],
    src_mac: MacAddr,
    src_ip: Ipv4Addr,
    target_ip: Ipv4Addr,
    to: Option<MacAddr>,
) -> usize {
    let Some(frame) = buf.get_mut(..MIN_FRAME_LEN) else {
        return 0;
    };
    frame.fill(0);
    let mut eth = EthernetFrame::new_unchecked(&mut *frame);
    eth.set_dst_addr(to.unwrap_or(BROADCAST));
    eth.set_src_addr(src_mac);
    eth.set_ethertype(EtherType::Arp);
    let mut arp = ArpPacket::new_unchecked(&mut frame[ethernet::HEADER_LEN..]);
    arp.set_fixed_fields();
    arp.set_operation(ArpOperation::Request);
    arp.set_sender_hw_addr(src_mac);
    arp.set_sender_ip(src_ip);
    arp.set_target_hw_addr([0; 6]);
    arp.set_target_ip(target_ip);
    MIN_FRAME_LEN
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;
    use proptest::prelude::*;

    /// The director's inside port (ipvs-forwarding §7.0).
    const OUR_MAC: MacAddr = [2, 0, 0, 0, 0, 2];
    /// The director's outside port.
    const OUTSIDE_MAC: MacAddr = [2, 0, 0, 0, 0, 1];
    const D: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const V: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
    const OURS: [Ipv4Addr; 2] = [D, V];
    const PAD: &str = "000000000000000000000000000000000000";

    /// R1 (10.0.0.11, 02:..:11) asks for D (10.0.0.1).
    const ARP_REQ: &str = "ffffffffffff 020000000011 0806 0001 0800 0604 0001 020000000011 0a00000b 000000000000 0a000001";
    const ARP_REP: &str = "020000000011 020000000002 0806 0001 0800 0604 0002 020000000002 0a000001 020000000011 0a00000b";

    /// C pings V: TTL 57, ID 0xabcd, DF, id 0x1234 seq 1, "abcdefgh" (checksums by hand).
    const ECHO_REQ: &str = "020000000001 0200000000fe 0800 45000024abcd400039012fcccb00710ac633640108005435123400016162636465666768";
    const ECHO_REP: &str = "0200000000fe 020000000001 0800 45000024abcd4000400128ccc6336401cb00710a00005c35123400016162636465666768";

    #[test]
    fn arp_request_for_us_is_answered() {
        // Padding of the request is not zero; the reply's must be.
        let mut f = hex(&[ARP_REQ, &"a5".repeat(18)].concat());
        assert_eq!(arp_reply(&mut f, 14, &OURS, OUR_MAC), Ok(60));
        assert_eq!(f, hex(&[ARP_REP, PAD].concat()));
    }

    #[test]
    fn arp_request_unpadded_and_vlan() {
        let mut f = hex(ARP_REQ);
        assert_eq!(arp_reply(&mut f, 14, &OURS, OUR_MAC), Ok(42));
        assert_eq!(f, hex(ARP_REP));

        let tagged = |s: &str| hex(&[&s[..26], "8100 0064", &s[26..]].concat());
        let mut f = tagged(&[ARP_REQ, PAD].concat());
        assert_eq!(arp_reply(&mut f, 18, &OURS, OUR_MAC), Ok(60));
        assert_eq!(&f[..60], &tagged(&[ARP_REP, PAD].concat())[..60]);
    }

    #[test]
    fn arp_drops() {
        let mut other = hex(&ARP_REQ.replace("0a000001", "0a000009"));
        assert_eq!(
            arp_reply(&mut other, 14, &OURS, OUR_MAC),
            Err(DropReason::ArpNotForUs)
        );
        let mut reply = hex(ARP_REP);
        assert_eq!(
            arp_reply(&mut reply, 14, &OURS, OUR_MAC),
            Err(DropReason::ArpNotRequest)
        );
        let mut f = hex(ARP_REQ);
        for len in 0..f.len() {
            let mut cut = f[..len].to_vec();
            assert!(
                arp_reply(&mut cut, 14, &OURS, OUR_MAC).is_err(),
                "len {len}"
            );
            assert_eq!(cut, &f[..len], "nothing written");
        }
        assert_eq!(
            arp_reply(&mut f, 99, &OURS, OUR_MAC),
            Err(DropReason::ArpTruncated)
        );
    }

    #[test]
    fn echo_request_to_us_is_answered() {
        let mut f = hex(ECHO_REQ);
        assert_eq!(icmp_echo_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(f.len()));
        let want = hex(ECHO_REP);
        assert_eq!(f, want);
        // Source MAC is ours, not just the old destination.
        let mut f = hex(&ECHO_REQ.replacen("020000000001", "ffffffffffff", 1));
        icmp_echo_reply(&mut f, 14, &OURS, OUTSIDE_MAC).unwrap();
        assert_eq!(f, want);
    }

    #[test]
    fn echo_short_request_gets_zero_padding() {
        let mut f = hex(&[ECHO_REQ, "a5a5a5a5a5a5a5a5a5a5"].concat());
        assert_eq!(icmp_echo_reply(&mut f, 14, &OURS, OUTSIDE_MAC), Ok(60));
        assert_eq!(f, hex(&[ECHO_REP, "00000000000000000000"].concat()));
    }

    #[test]
    fn echo_drops() {
        let base = hex(ECHO_REQ);
        let with = |at: usize, v: u8| {
            let mut f = base.clone();
            f[at] = v;
            f
        };
        let not_ours = [Ipv4Addr::new(10, 9, 9, 9)];
        let mut f = base.clone();
        assert_eq!(
            icmp_echo_reply(&mut f, 14, &not_ours, OUR_MAC),
            Err(DropReason::NotForUs)
        );
        let mut f = with(14 + 20 + 3, 0x00); // ICMP checksum broken
        assert_eq!(
            icmp_echo_reply(&mut f, 14, &OURS, OUR_MAC),
            Err(DropReason::IcmpBadChecksum)
        );
        let mut f = with(14 + 11, 0x00); // IP checksum broken
        assert_eq!(
            icmp_echo_reply(&mut f, 14, &OURS, OUR_MAC),
            Err(DropReason::Ipv4BadChecksum)
        );
        let mut reply = hex(ECHO_REP);
        let r = icmp_echo_reply(
            &mut reply,
            14,
            &[V, Ipv4Addr::new(203, 0, 113, 10)],
            OUR_MAC,
        );
        assert_eq!(r, Err(DropReason::IcmpNotEchoToUs));
        for len in 0..base.len() {
            let mut cut = base[..len].to_vec();
            let r = icmp_echo_reply(&mut cut, 14, &OURS, OUR_MAC);
            assert!(r.is_err(), "len {len}");
            assert_eq!(cut, &base[..len], "nothing written");
        }
    }

    #[test]
    fn echo_from_broadcast_is_not_answered() {
        let mut f = hex(ECHO_REQ);
        let mut ip = Ipv4Packet::new_unchecked(&mut f[14..]);
        ip.set_src_addr(Ipv4Addr::BROADCAST);
        ip.fill_checksum();
        assert_eq!(
            icmp_echo_reply(&mut f, 14, &OURS, OUR_MAC),
            Err(DropReason::BadSrcAddr)
        );
    }

    #[test]
    fn what_arp_teaches() {
        let r1 = (Ipv4Addr::new(10, 0, 0, 11), [2, 0, 0, 0, 0, 0x11]);
        let lesson = |f: &str| arp_lesson(&hex(f), &OURS, OUR_MAC);
        assert_eq!(lesson(ARP_REQ), Some((r1.0, r1.1, Lesson::REQUEST_FOR_US)));
        // R1 asking for someone else, or announcing itself (gratuitous): an update only.
        let other = ARP_REQ.replace("0a000001", "0a000063");
        assert_eq!(lesson(&other), Some((r1.0, r1.1, Lesson::HEARD)));
        let garp = ARP_REQ.replace("0a000001", "0a00000b");
        assert_eq!(lesson(&garp), Some((r1.0, r1.1, Lesson::HEARD)));
        // R1's reply to us confirms; the same reply broadcast does not.
        let reply = "020000000002 020000000011 0806 0001 0800 0604 0002 020000000011 0a00000b 020000000002 0a000001";
        assert_eq!(lesson(reply), Some((r1.0, r1.1, Lesson::ANSWER)));
        let broadcast = reply.replacen("020000000002", "ffffffffffff", 1);
        assert_eq!(lesson(&broadcast), Some((r1.0, r1.1, Lesson::HEARD)));
        // Our own reply (sender D, one of ours), a probe, no ARP, a cut frame: nothing.
        assert_eq!(lesson(ARP_REP), None);
        assert_eq!(lesson(&ARP_REQ.replace("0a00000b", "00000000")), None);
        assert_eq!(lesson(ECHO_REQ), None);
        assert_eq!(arp_lesson(&hex(ARP_REQ)[..41], &OURS, OUR_MAC), None);
    }

    #[test]
    fn arp_request_builder() {
        let mut buf = [0xa5u8; 64];
        let r1 = Ipv4Addr::new(10, 0, 0, 11);
        let n = build_arp_request(&mut buf, OUR_MAC, D, r1, None);
        assert_eq!(n, 60);
        let want = hex(&[
            "ffffffffffff 020000000002 0806 0001 0800 0604 0001 020000000002 0a000001 000000000000 0a00000b",
            PAD,
        ].concat());
        assert_eq!(&buf[..60], &want[..]);
        assert_eq!(&buf[60..], &[0xa5; 4]);
        assert_eq!(build_arp_request(&mut buf[..59], OUR_MAC, D, D, None), 0);
        // A STALE entry's probe: the same request, unicast.
        let r1_mac = [2, 0, 0, 0, 0, 0x11];
        assert_eq!(
            build_arp_request(&mut buf, OUR_MAC, D, r1, Some(r1_mac)),
            60
        );
        assert_eq!((&buf[..6], &buf[6..60]), (&r1_mac[..], &want[6..]));
    }

    proptest! {
        #[test]
        fn replies_never_panic(f in proptest::collection::vec(any::<u8>(), 0..128), l3 in 0usize..40) {
            let mut a = f.clone();
            if arp_reply(&mut a, l3, &OURS, OUR_MAC).is_err() {
                prop_assert_eq!(&a, &f);
            }
            let mut b = f.clone();
            if icmp_echo_reply(&mut b, l3, &OURS, OUR_MAC).is_err() {
                prop_assert_eq!(&b, &f);
            }
            let _ = arp_lesson(&f, &OURS, OUR_MAC);
        }
    }
}
