//! NAT rewrites of an IPv4 or IPv6 packet with a TCP or UDP header (ipvs-forwarding §3.1).
//!
//! Contract: each function takes the IP packet in place (`ip_packet` starts at the IP
//! header; bytes after its total or payload length are ignored), never panics and never
//! allocates. On error nothing has been written. The IPv4 header checksum must be valid on
//! entry ([`classify`](crate::classify::classify) verifies it): every checksum is updated
//! incrementally (RFC 1624 eqn. 3, as IPVS's `tcp_fast_csum_update` / `ip_vs_check_diff*`,
//! over 32 or 128 address bits), which equals the kernel's full recomputation for a valid
//! header. The TCP checksum is not verified first: a bad one stays bad, as in IPVS. The TTL
//! (hop limit) is not touched: `Forward::transmit` decrements it first; nor are the IPv6
//! traffic class, flow label and payload length; IPv6 extension headers are stepped over
//! and kept.
//!
//! * [`dnat`] — request direction (client → real server): destination V:vport → R:dport.
//! * [`snat`] — reply direction (real server → client): source R:dport → V:vport.
//!
//! Both take an `Ipv4Addr` or an `Ipv6Addr`; the rewrite is one copy for the two families,
//! and [`NatHeader`] is what differs: the IP header around the TCP/UDP one.

use core::net::{Ipv4Addr, Ipv6Addr};
use core::ops::Range;

use crate::stats::DropReason;
use crate::wire::checksum::{Delta, PseudoHeader};
use crate::wire::{ipv6, udp, IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket, UdpPacket};

/// Which address/port pair of the packet a rewrite replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Src,
    Dst,
}

/// What [`NatHeader::parse`] found in a packet NAT can rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout<A> {
    pub protocol: IpProtocol,
    /// The L4 bytes within the packet.
    pub l4: Range<usize>,
    pub src: A,
    pub dst: A,
    /// Whole (`None`), or a fragment: the first (`Some(true)`, with the L4 header) or a later
    /// one (`Some(false)`, L4 bytes of somewhere in the middle).
    pub fragment: Option<bool>,
}

/// The family's part of a NAT rewrite, implemented for `Ipv4Addr` and `Ipv6Addr`.
pub trait NatHeader: PseudoHeader {
    /// Checks the packet as far as NAT reads it, and finds its L4 header.
    fn parse(ip_packet: &[u8]) -> Result<Layout<Self>, DropReason>;
    /// Writes `new` over the address at `side` of a packet `parse` accepted; `change` is the
    /// old address's change to it.
    fn set_addr(ip_packet: &mut [u8], side: Side, new: Self, change: Delta);
}

impl NatHeader for Ipv4Addr {
    fn parse(ip_packet: &[u8]) -> Result<Layout<Self>, DropReason> {
        let ip = Ipv4Packet::new_checked(ip_packet)?;
        Ok(Layout {
            protocol: ip.protocol(),
            l4: ip.header_len()..usize::from(ip.total_len()),
            src: ip.src_addr(),
            dst: ip.dst_addr(),
            fragment: ip.is_fragment().then(|| ip.frag_offset() == 0),
        })
    }

    /// Also updates the header checksum.
    fn set_addr(ip_packet: &mut [u8], side: Side, new: Self, change: Delta) {
        let mut ip = Ipv4Packet::new_unchecked(ip_packet);
        match side {
            Side::Src => ip.set_src_addr(new),
            Side::Dst => ip.set_dst_addr(new),
        }
        ip.set_checksum(change.apply(ip.checksum()));
    }
}

impl NatHeader for Ipv6Addr {
    /// The TCP or UDP header lies behind the extension headers ([`Ipv6Packet::chain`]),
    /// which stay as they are; so does a Fragment header.
    fn parse(ip_packet: &[u8]) -> Result<Layout<Self>, DropReason> {
        let ip = Ipv6Packet::new_checked(ip_packet)?;
        let chain = ip.chain()?;
        Ok(Layout {
            protocol: chain.protocol,
            l4: chain.l4..ipv6::HEADER_LEN + usize::from(ip.payload_len()),
            src: ip.src_addr(),
            dst: ip.dst_addr(),
            fragment: chain
                .fragment
                .filter(ipv6::FragmentHeader::is_fragment)
                .map(|f| f.offset == 0),
        })
    }

    /// IPv6 has no header checksum: the address is only in the L4 one's pseudo-header.
    fn set_addr(ip_packet: &mut [u8], side: Side, new: Self, _change: Delta) {
        let mut ip = Ipv6Packet::new_unchecked(ip_packet);
        match side {
            Side::Src => ip.set_src_addr(new),
            Side::Dst => ip.set_dst_addr(new),
        }
    }
}

/// Rewrites the destination address and port: V:vport → R:dport (§3.1 request table, vectors
/// 7.1 and, for IPv6, 7.16). For `Forward::transmit`'s NAT rewrite of either family.
///
/// ```
/// use std::net::Ipv4Addr;
/// use dataplane::fwd::{decrement_ttl, dnat};
///
/// // ipvs-forwarding §7.1: S0 to V:80 leaves for R1 10.0.0.11:8080 with TTL 63.
/// let mut s0 = [
///     0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb8, 0x46, 0xcb, 0x00, 0x71,
///     0x0a, 0xc6, 0x33, 0x64, 0x01, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00,
///     0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0, 0x96, 0x7d, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
/// ];
/// dnat(&mut s0, Ipv4Addr::new(10, 0, 0, 11), 8080)?;
/// decrement_ttl(&mut s0)?;
/// assert_eq!(&s0[10..12], &[0xd9, 0x70]); // IP checksum
/// assert_eq!(&s0[36..38], &[0x97, 0x67]); // TCP checksum
/// # Ok::<(), dataplane::stats::DropReason>(())
/// ```
pub fn dnat<A: NatHeader>(
    ip_packet: &mut [u8],
    new_dst: A,
    new_dport: u16,
) -> Result<(), DropReason> {
    rewrite(ip_packet, Side::Dst, new_dst, new_dport)
}

/// Rewrites the source address and port: R:dport → V:vport (§3.1 reply table, vector 7.2).
/// For `Forward::transmit`'s NAT reply rewrite of either family.
pub fn snat<A: NatHeader>(
    ip_packet: &mut [u8],
    new_src: A,
    new_sport: u16,
) -> Result<(), DropReason> {
    rewrite(ip_packet, Side::Src, new_src, new_sport)
}

fn rewrite<A: NatHeader>(
    ip_packet: &mut [u8],
    side: Side,
    new_addr: A,
    new_port: u16,
) -> Result<(), DropReason> {
    let Layout {
        protocol,
        l4,
        src,
        dst,
        fragment,
    } = A::parse(ip_packet)?;
    let (old, new_src, new_dst) = match side {
        Side::Src => (src, new_addr, dst),
        Side::Dst => (dst, src, new_addr),
    };
    // Computed once for the IPv4 header's checksum and the L4 one.
    let change = A::addr_delta(old, new_addr);
    // A later fragment carries no L4 header: the address alone changes (§3.1; its
    // datagram's first fragment carried the checksum update, `crate::frag`).
    if fragment != Some(false) {
        // `parse` checked that the L4 bytes lie inside the packet.
        let l4 = &mut ip_packet[l4];
        match protocol {
            IpProtocol::Tcp => rewrite_tcp(l4, side, change, new_port)?,
            IpProtocol::Udp => {
                let udp = AddrChange {
                    change,
                    new_src,
                    new_dst,
                };
                rewrite_udp(l4, side, udp, new_port, fragment.is_none())?
            }
            _ => return Err(DropReason::UnsupportedProtocol),
        }
    }
    A::set_addr(ip_packet, side, new_addr, change);
    Ok(())
}

/// TCP: port and checksum; the checksum also covers the address through the pseudo-header
/// (its `change`).
fn rewrite_tcp(
    segment: &mut [u8],
    side: Side,
    change: Delta,
    new_port: u16,
) -> Result<(), DropReason> {
    let mut tcp = TcpPacket::new_checked(segment)?;
    let old_port = match side {
        Side::Src => tcp.src_port(),
        Side::Dst => tcp.dst_port(),
    };
    let change = change.word(old_port, new_port);
    tcp.set_checksum(change.apply(tcp.checksum()));
    match side {
        Side::Src => tcp.set_src_port(new_port),
        Side::Dst => tcp.set_dst_port(new_port),
    }
    Ok(())
}

/// The change of the address being replaced, and the packet's addresses after the rewrite.
struct AddrChange<A> {
    change: Delta,
    new_src: A,
    new_dst: A,
}

/// UDP: like TCP, except a zero checksum is computed in full — IPv4's "none" as IPv6's
/// invalid 0 (RFC 8200 §8.1) — and a computed 0 is written as 0xffff (§3.1 UDP row, vector
/// 7.6; `udp_snat_handler`/`udp_dnat_handler`, for both families). In the first fragment of
/// a datagram (`whole` false) the header is all there is: its length speaks of the whole
/// datagram, and IPv4's "no checksum" stays 0, since the rest of the datagram never passes
/// here at once (IPVS, which sees it reassembled, computes one).
fn rewrite_udp<A: PseudoHeader>(
    datagram: &mut [u8],
    side: Side,
    addrs: AddrChange<A>,
    new_port: u16,
    whole: bool,
) -> Result<(), DropReason> {
    let mut udp = if whole {
        UdpPacket::new_checked(datagram)?
    } else if datagram.len() >= udp::HEADER_LEN {
        UdpPacket::new_unchecked(datagram)
    } else {
        return Err(DropReason::UdpTruncated);
    };
    let old_port = match side {
        Side::Src => udp.src_port(),
        Side::Dst => udp.dst_port(),
    };
    match side {
        Side::Src => udp.set_src_port(new_port),
        Side::Dst => udp.set_dst_port(new_port),
    }
    if udp.checksum() == 0 {
        if whole {
            udp.fill_checksum(addrs.new_src, addrs.new_dst);
        }
        return Ok(());
    }
    let csum = addrs.change.word(old_port, new_port).apply(udp.checksum());
    udp.set_checksum(if csum == 0 { 0xffff } else { csum });
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::fwd::decrement_ttl;
    use crate::fwd::ttl::decrement_hop_limit;
    use crate::wire::testutil::hex;
    use proptest::prelude::*;

    const R1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
    const V: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

    /// ipvs-forwarding §7.0 S0 and §7.1 output.
    const S0: &str =
        "4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
    const S0_NAT: &str =
        "4500002c1c4640003f06d970cb00710a0a00000b9c401f90000003e8000000006002faf097670000020405b4";
    /// §7.2 SYN-ACK from R1, and as it leaves toward C.
    const SYNACK: &str =
        "4500002c000040004006f4b60a00000bcb00710a1f909c4000001388000003e96012fe8880360000020405b4";
    const SYNACK_NAT: &str =
        "4500002c000040003f06d58cc6336401cb00710a00509c4000001388000003e96012fe887f4c0000020405b4";
    /// §7.16 IPv6 SYN from 2001:db8:c::10 to V, and as it leaves for R1 2001:db8:a::11:8080.
    const SYN6: &str = "60000000 0018 06 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050000003e8000000006002fd209f030000020405a0";
    const SYN6_NAT: &str = "60000000 0018 06 3f 20010db8000c00000000000000000010 20010db800 0a00000000000000000011 9c401f90000003e8000000006002fd207fb80000020405a0";
    /// §7.6 UDP with zero checksum, in and out.
    const UDP0: &str = "45000020222200004011f26bcb00710ac63364019c410035000c000061626364";
    const UDP0_NAT: &str = "45000020222200003f111396cb00710a0a00000b9c410035000c588361626364";

    #[test]
    fn vector_7_1_nat_syn_in() {
        let mut p = hex(S0);
        dnat(&mut p, R1, 8080).unwrap();
        decrement_ttl(&mut p).unwrap();
        assert_eq!(p, hex(S0_NAT));
    }

    #[test]
    fn vector_7_2_nat_syn_ack_out() {
        let mut p = hex(SYNACK);
        // The host's forwarding decrements the TTL; IPVS then rewrites the source (§3.1).
        decrement_ttl(&mut p).unwrap();
        snat(&mut p, V, 80).unwrap();
        assert_eq!(p, hex(SYNACK_NAT));
    }

    #[test]
    fn vector_7_6_udp_zero_checksum() {
        let mut p = hex(UDP0);
        dnat(&mut p, R1, 53).unwrap();
        decrement_ttl(&mut p).unwrap();
        assert_eq!(p, hex(UDP0_NAT));
    }

    fn r1_v6() -> Ipv6Addr {
        "2001:db8:a::11".parse().unwrap()
    }

    #[test]
    fn vector_7_16_ipv6_nat_syn_in() {
        let mut p = hex(SYN6);
        dnat(&mut p, r1_v6(), 8080).unwrap();
        decrement_hop_limit(&mut p).unwrap();
        assert_eq!(p, hex(SYN6_NAT));
        assert_eq!(&p[40 + 16..40 + 18], &[0x7f, 0xb8], "TCP checksum 0x7fb8");
    }

    #[test]
    fn ipv6_traffic_class_flow_label_hop_limit_and_length_stay() {
        let mut p = hex(SYN6);
        p[..4].copy_from_slice(&[0x6b, 0x91, 0x23, 0x45]);
        dnat(&mut p, r1_v6(), 8080).unwrap();
        let mut want = hex(SYN6_NAT);
        want[..4].copy_from_slice(&[0x6b, 0x91, 0x23, 0x45]);
        want[7] = 64;
        assert_eq!(p, want);
    }

    #[test]
    fn ipv6_udp_zero_checksum_is_computed_in_full() {
        // UDP 40001 → 53, "abcd", checksum 0: invalid over IPv6 (RFC 8200 §8.1).
        let mut p = hex(&SYN6[..SYN6.len() - 48].replace(" 0018 06 ", " 000c 11 "));
        p.extend_from_slice(&hex("9c410035000c000061626364"));
        dnat(&mut p, r1_v6(), 53).unwrap();
        let ip = Ipv6Packet::new_checked(&p[..]).unwrap();
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert_ne!(udp.checksum(), 0);
        assert!(udp.verify_checksum(ip.src_addr(), r1_v6()));
        assert_eq!(
            (ip.dst_addr(), udp.dst_port(), ip.hop_limit()),
            (r1_v6(), 53, 64)
        );
    }

    /// `SYN6` with `headers` (hex) between the fixed header and TCP, `next` naming the first.
    fn syn6_behind(next: u8, headers: &str) -> Vec<u8> {
        let mut p = hex(SYN6);
        let ext = hex(headers);
        p.splice(40..40, ext.iter().copied());
        p[4..6].copy_from_slice(&((ext.len() + 24) as u16).to_be_bytes());
        p[6] = next;
        p
    }

    #[test]
    fn ipv6_extension_headers_are_stepped_over_and_kept() {
        // Hop-by-Hop (PadN) then Destination Options (PadN), then TCP.
        let headers = "3c00 0104 00000000 0600 0104 00000000";
        let mut p = syn6_behind(0, headers);
        dnat(&mut p, r1_v6(), 8080).unwrap();
        decrement_hop_limit(&mut p).unwrap();
        // Vector 7.16's result, the headers still in their place.
        assert_eq!(p, {
            let mut want = hex(SYN6_NAT);
            want.splice(40..40, hex(headers));
            want[4..6].copy_from_slice(&40u16.to_be_bytes());
            want[6] = 0;
            want
        });
    }

    #[test]
    fn ipv6_refusals_write_nothing() {
        for (next, headers, want) in [
            (43, "0600 0001 00000000", DropReason::Ipv6ExtensionHeader),
            (60, "06ff 0104 00000000", DropReason::Ipv6ExtensionTruncated),
            (58, "", DropReason::UnsupportedProtocol),
        ] {
            let mut p = syn6_behind(next, headers);
            let before = p.clone();
            assert_eq!(dnat(&mut p, r1_v6(), 8080), Err(want), "{headers}");
            assert_eq!(p, before);
        }
    }

    fn ip_src(p: &[u8]) -> Ipv6Addr {
        Ipv6Packet::new_unchecked(p).src_addr()
    }

    fn ip_dst(p: &[u8]) -> Ipv6Addr {
        Ipv6Packet::new_unchecked(p).dst_addr()
    }

    #[test]
    fn ipv6_fragments_are_rewritten_so_the_datagram_checksum_holds() {
        // UDP 40001 → 53 with 16 bytes of data, sent as 8 + 8 + 8 bytes of datagram.
        let data = b"0123456789abcdef";
        let mut whole = hex(&SYN6[..SYN6.len() - 48].replace(" 0018 06 ", " 0018 11 "));
        whole.extend_from_slice(&hex("9c41003500180000"));
        whole.extend_from_slice(data);
        let (c, v) = (ip_src(&whole), ip_dst(&whole));
        UdpPacket::new_unchecked(&mut whole[40..]).fill_checksum(c, v);
        let datagram = whole[40..].to_vec();
        let frags: Vec<Vec<u8>> = (0..3)
            .map(|k| {
                let mut f = whole[..40].to_vec();
                f[4..6].copy_from_slice(&16u16.to_be_bytes());
                f[6] = 44;
                let more = u16::from(k < 2);
                f.extend_from_slice(&[17, 0]);
                f.extend_from_slice(&((k as u16 * 8) | more).to_be_bytes());
                f.extend_from_slice(&7u32.to_be_bytes());
                f.extend_from_slice(&datagram[k * 8..k * 8 + 8]);
                f
            })
            .collect();
        let mut out = Vec::new();
        for mut f in frags {
            dnat(&mut f, r1_v6(), 5353).unwrap();
            assert_eq!(Ipv6Packet::new_checked(&f[..]).unwrap().dst_addr(), r1_v6());
            out.extend_from_slice(&f[48..]);
        }
        let mut rebuilt = whole[..40].to_vec();
        rebuilt[24..40].copy_from_slice(&r1_v6().octets());
        rebuilt.extend_from_slice(&out);
        let ip = Ipv6Packet::new_checked(&rebuilt[..]).unwrap();
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert_eq!((udp.dst_port(), udp.payload()), (5353, &data[..]));
        assert!(udp.verify_checksum(ip.src_addr(), r1_v6()));
    }

    #[test]
    fn udp_nonzero_checksum_is_updated_incrementally_and_back() {
        let mut p = hex(UDP0_NAT);
        snat(&mut p, V, 53).unwrap();
        let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert!(ip.verify_checksum());
        assert!(udp.verify_checksum(ip.src_addr(), ip.dst_addr()));
    }

    #[test]
    fn trailing_padding_is_ignored() {
        let mut p = hex(S0);
        p.extend_from_slice(&[0xa5; 6]);
        dnat(&mut p, R1, 8080).unwrap();
        decrement_ttl(&mut p).unwrap();
        assert_eq!(&p[..44], &hex(S0_NAT)[..]);
        assert_eq!(&p[44..], &[0xa5; 6]);
    }

    #[test]
    fn errors_write_nothing_at_every_length() {
        for vector in [S0, UDP0] {
            let full = hex(vector);
            for len in 0..full.len() {
                let mut p = full[..len].to_vec();
                assert!(dnat(&mut p, R1, 8080).is_err(), "len {len}");
                assert!(snat(&mut p, V, 80).is_err(), "len {len}");
                assert!(decrement_ttl(&mut p).is_err(), "len {len}");
                assert_eq!(p, &full[..len]);
            }
        }
        let full = hex(SYN6);
        for len in 0..full.len() {
            let mut p = full[..len].to_vec();
            assert!(dnat(&mut p, r1_v6(), 8080).is_err(), "len {len}");
            assert!(snat(&mut p, r1_v6(), 80).is_err(), "len {len}");
            assert_eq!(p, &full[..len]);
        }
    }

    #[test]
    fn other_protocols_are_refused() {
        let mut icmp = hex(S0);
        icmp[9] = 1;
        assert_eq!(dnat(&mut icmp, R1, 1), Err(DropReason::UnsupportedProtocol));
    }

    /// A fragmented UDP datagram (3000 bytes of payload, checksum over the whole): NAT of
    /// its first fragment (header, incremental checksum) and of its later one (address
    /// only) gives, once reassembled, the datagram NAT of the whole gives.
    #[test]
    fn fragments_rewrite_to_the_same_datagram_as_the_whole() {
        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let (c, v) = (0xcb00_710a, 0xc633_6401);
        let whole = packet(false, c, v, 64, (40001, 53), false, &data);
        let mut expected = whole.clone();
        dnat(&mut expected, R1, 53).unwrap();
        let (mut first, mut later) = split(&whole, 1480);
        dnat(&mut first, R1, 53).unwrap();
        dnat(&mut later, R1, 53).unwrap();
        for f in [&first, &later] {
            let ip = Ipv4Packet::new_checked(&f[..]).unwrap();
            assert!(ip.verify_checksum());
            assert_eq!(ip.dst_addr(), R1);
        }
        let joined = [&first[20..], &later[20..]].concat();
        assert_eq!(
            joined,
            &expected[20..],
            "L4 header and data as NAT of the whole"
        );
    }

    /// `ip` cut into two fragments, the first carrying `at` bytes of its payload.
    fn split(ip: &[u8], at: usize) -> (Vec<u8>, Vec<u8>) {
        let (head, payload) = ip.split_at(20);
        let part = |data: &[u8], offset: usize, more: bool| {
            let mut f = [head, data].concat();
            let mut h = Ipv4Packet::new_unchecked(&mut f[..]);
            h.set_total_len((20 + data.len()) as u16);
            h.set_flags_offset(false, more, offset as u16);
            h.fill_checksum();
            f
        };
        (
            part(&payload[..at], 0, true),
            part(&payload[at..], at, false),
        )
    }

    /// A valid IPv4 TCP or UDP packet with correct checksums, built from parts.
    fn packet(
        tcp: bool,
        src: u32,
        dst: u32,
        ttl: u8,
        ports: (u16, u16),
        zero_udp: bool,
        payload: &[u8],
    ) -> Vec<u8> {
        let l4_len = if tcp { 20 } else { 8 } + payload.len();
        let mut p = vec![0u8; 20 + l4_len];
        let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
        ip.set_version_ihl(20);
        ip.set_total_len((20 + l4_len) as u16);
        ip.set_ttl(ttl);
        ip.set_protocol(if tcp {
            IpProtocol::Tcp
        } else {
            IpProtocol::Udp
        });
        ip.set_src_addr(src.into());
        ip.set_dst_addr(dst.into());
        ip.fill_checksum();
        let l4 = ip.payload_mut();
        if tcp {
            let mut t = TcpPacket::new_unchecked(l4);
            t.set_src_port(ports.0);
            t.set_dst_port(ports.1);
            t.set_header_len(20);
            t.payload_mut().copy_from_slice(payload);
            t.fill_checksum(Ipv4Addr::from(src), dst.into());
        } else {
            let mut u = UdpPacket::new_unchecked(l4);
            u.set_src_port(ports.0);
            u.set_dst_port(ports.1);
            u.set_len(l4_len as u16);
            u.payload_mut().copy_from_slice(payload);
            if !zero_udp {
                u.fill_checksum(Ipv4Addr::from(src), dst.into());
            }
        }
        p
    }

    /// The same packet with every checksum recomputed from scratch.
    fn recomputed(p: &[u8]) -> Vec<u8> {
        let mut q = p.to_vec();
        let mut ip = Ipv4Packet::new_checked(&mut q[..]).unwrap();
        ip.fill_checksum();
        let (s, d, proto) = (ip.src_addr(), ip.dst_addr(), ip.protocol());
        match proto {
            IpProtocol::Tcp => TcpPacket::new_checked(ip.payload_mut())
                .unwrap()
                .fill_checksum(s, d),
            _ => UdpPacket::new_checked(ip.payload_mut())
                .unwrap()
                .fill_checksum(s, d),
        }
        q
    }

    /// A valid IPv6 TCP or UDP packet with a correct checksum, built from parts.
    fn packet6(
        tcp: bool,
        (src, dst): (Ipv6Addr, Ipv6Addr),
        (tc, flow, hops): (u8, u32, u8),
        ports: (u16, u16),
        zero_udp: bool,
        payload: &[u8],
    ) -> Vec<u8> {
        // The IPv4 builder's L4 part, moved behind an IPv6 header.
        let v4 = packet(tcp, 0, 0, 64, ports, true, payload);
        let l4_len = v4.len() - 20;
        let mut p = vec![0u8; 40 + l4_len];
        p[40..].copy_from_slice(&v4[20..]);
        let mut ip = Ipv6Packet::new_unchecked(&mut p[..]);
        ip.set_version_tc_flow(tc, flow);
        ip.set_payload_len(l4_len as u16);
        ip.set_next_header(if tcp {
            IpProtocol::Tcp
        } else {
            IpProtocol::Udp
        });
        ip.set_hop_limit(hops);
        ip.set_src_addr(src);
        ip.set_dst_addr(dst);
        if tcp {
            TcpPacket::new_unchecked(ip.payload_mut()).fill_checksum(src, dst);
        } else if !zero_udp {
            UdpPacket::new_unchecked(ip.payload_mut()).fill_checksum(src, dst);
        }
        p
    }

    /// The same IPv6 packet with its L4 checksum recomputed from scratch.
    fn recomputed6(p: &[u8]) -> Vec<u8> {
        let mut q = p.to_vec();
        let mut ip = Ipv6Packet::new_checked(&mut q[..]).unwrap();
        let (s, d, proto) = (ip.src_addr(), ip.dst_addr(), ip.next_header());
        match proto {
            IpProtocol::Tcp => TcpPacket::new_checked(ip.payload_mut())
                .unwrap()
                .fill_checksum(s, d),
            _ => UdpPacket::new_checked(ip.payload_mut())
                .unwrap()
                .fill_checksum(s, d),
        }
        q
    }

    proptest! {
        #[test]
        fn incremental_equals_full_recompute_v6(
            tcp in any::<bool>(),
            zero_udp in any::<bool>(),
            (src, dst, new_addr) in (any::<u128>(), any::<u128>(), any::<u128>()),
            (sport, dport, new_port) in (any::<u16>(), any::<u16>(), any::<u16>()),
            (tc, flow, hops) in (any::<u8>(), 0u32..1 << 20, any::<u8>()),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            source_side in any::<bool>(),
        ) {
            let addrs = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
            let mut p = packet6(tcp, addrs, (tc, flow, hops), (sport, dport), zero_udp, &payload);
            let new_addr = Ipv6Addr::from(new_addr);
            if source_side {
                snat(&mut p, new_addr, new_port).unwrap();
            } else {
                dnat(&mut p, new_addr, new_port).unwrap();
            }
            prop_assert_eq!(&p, &recomputed6(&p));
            let ip = Ipv6Packet::new_checked(&p[..]).unwrap();
            let (moved, kept) = if source_side { (ip.src_addr(), ip.dst_addr()) } else { (ip.dst_addr(), ip.src_addr()) };
            prop_assert_eq!((moved, kept), (new_addr, if source_side { addrs.1 } else { addrs.0 }));
            prop_assert_eq!((ip.traffic_class(), ip.flow_label(), ip.hop_limit()), (tc, flow, hops));
        }

        #[test]
        fn incremental_equals_full_recompute(
            tcp in any::<bool>(),
            zero_udp in any::<bool>(),
            (src, dst, new_addr) in (any::<u32>(), any::<u32>(), any::<u32>()),
            (sport, dport, new_port) in (any::<u16>(), any::<u16>(), any::<u16>()),
            ttl in 2u8..=255,
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            source_side in any::<bool>(),
        ) {
            let mut p = packet(tcp, src, dst, ttl, (sport, dport), zero_udp, &payload);
            if source_side {
                snat(&mut p, Ipv4Addr::from(new_addr), new_port).unwrap();
            } else {
                dnat(&mut p, Ipv4Addr::from(new_addr), new_port).unwrap();
            }
            decrement_ttl(&mut p).unwrap();
            prop_assert_eq!(&p, &recomputed(&p));
            let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
            let moved = if source_side { ip.src_addr() } else { ip.dst_addr() };
            prop_assert_eq!(u32::from(moved), new_addr);
            prop_assert_eq!(ip.ttl(), ttl - 1);
        }

        #[test]
        fn never_panics(mut p in proptest::collection::vec(any::<u8>(), 0..80), a in any::<u32>(), port in any::<u16>()) {
            let _ = dnat(&mut p, Ipv4Addr::from(a), port);
            let _ = snat(&mut p, Ipv4Addr::from(a), port);
            let _ = decrement_ttl(&mut p);
        }

        #[test]
        fn never_panics_v6(mut p in proptest::collection::vec(any::<u8>(), 0..100), a in any::<u128>(), port in any::<u16>()) {
            if let Some(b) = p.first_mut() {
                *b = 0x60 | (*b & 0x0f);
            }
            let _ = dnat(&mut p, Ipv6Addr::from(a), port);
            let _ = snat(&mut p, Ipv6Addr::from(a), port);
        }
    }
}
