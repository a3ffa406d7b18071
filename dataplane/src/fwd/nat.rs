//! NAT rewrites of an IPv4 packet with a TCP or UDP header (ipvs-forwarding §3.1).
//!
//! Contract: each function takes the IPv4 packet in place (`ip_packet` starts at the IPv4
//! header; bytes after its total length are ignored), never panics and never allocates. On
//! error nothing has been written. The IPv4 header checksum must be valid on entry
//! ([`classify`](crate::classify::classify) verifies it): every checksum is updated
//! incrementally (RFC 1624 eqn. 3, as IPVS's `tcp_fast_csum_update` / `ip_vs_check_diff*`), which
//! equals the kernel's full recomputation for a valid header. The TCP checksum is not verified
//! first: a bad one stays bad, as in IPVS.
//!
//! * [`dnat`] — request direction (client → real server): destination V:vport → R:dport.
//! * [`snat`] — reply direction (real server → client): source R:dport → V:vport.

use core::net::Ipv4Addr;

use crate::stats::DropReason;
use crate::wire::checksum::PseudoHeader;
use crate::wire::{checksum, IpProtocol, Ipv4Packet, TcpPacket, UdpPacket};

/// Which address/port pair of the packet a rewrite replaces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Src,
    Dst,
}

/// Rewrites the destination address and port: V:vport → R:dport (§3.1 request table, vector
/// 7.1). The TTL is not touched: [`super::transmit`] decrements it first.
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
pub fn dnat(ip_packet: &mut [u8], new_dst: Ipv4Addr, new_dport: u16) -> Result<(), DropReason> {
    rewrite(ip_packet, Side::Dst, new_dst, new_dport)
}

/// Rewrites the source address and port: R:dport → V:vport (§3.1 reply table, vector 7.2).
pub fn snat(ip_packet: &mut [u8], new_src: Ipv4Addr, new_sport: u16) -> Result<(), DropReason> {
    rewrite(ip_packet, Side::Src, new_src, new_sport)
}

fn rewrite(
    ip_packet: &mut [u8],
    side: Side,
    new_addr: Ipv4Addr,
    new_port: u16,
) -> Result<(), DropReason> {
    let mut ip = Ipv4Packet::new_checked(ip_packet)?;
    // A non-first fragment has no L4 header, and a first one alone cannot be checksummed in
    // full; rvs does not forward fragments yet (§5 rvs note).
    if ip.is_fragment() {
        return Err(DropReason::Ipv4Fragment);
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let (old_addr, new_src, new_dst) = match side {
        Side::Src => (src, new_addr, dst),
        Side::Dst => (dst, src, new_addr),
    };
    match ip.protocol() {
        IpProtocol::Tcp => rewrite_tcp(ip.payload_mut(), side, old_addr, new_addr, new_port)?,
        IpProtocol::Udp => {
            let udp = AddrChange {
                old: old_addr,
                new_src,
                new_dst,
            };
            rewrite_udp(ip.payload_mut(), side, udp, new_port)?
        }
        _ => return Err(DropReason::UnsupportedProtocol),
    }
    match side {
        Side::Src => ip.set_src_addr(new_addr),
        Side::Dst => ip.set_dst_addr(new_addr),
    }
    ip.set_checksum(Ipv4Addr::update_addr(ip.checksum(), old_addr, new_addr));
    Ok(())
}

/// TCP: port and checksum; the checksum also covers the address through the pseudo-header.
fn rewrite_tcp(
    segment: &mut [u8],
    side: Side,
    old_addr: Ipv4Addr,
    new_addr: Ipv4Addr,
    new_port: u16,
) -> Result<(), DropReason> {
    let mut tcp = TcpPacket::new_checked(segment)?;
    let old_port = match side {
        Side::Src => tcp.src_port(),
        Side::Dst => tcp.dst_port(),
    };
    let csum = Ipv4Addr::update_addr(tcp.checksum(), old_addr, new_addr);
    tcp.set_checksum(checksum::update16(csum, old_port, new_port));
    match side {
        Side::Src => tcp.set_src_port(new_port),
        Side::Dst => tcp.set_dst_port(new_port),
    }
    Ok(())
}

/// The address being replaced and the packet's addresses after the rewrite.
struct AddrChange {
    old: Ipv4Addr,
    new_src: Ipv4Addr,
    new_dst: Ipv4Addr,
}

/// UDP: like TCP, except a zero checksum ("none") is computed in full, and a computed 0 is
/// written as 0xffff (§3.1 UDP row, vector 7.6; `udp_snat_handler`/`udp_dnat_handler`).
fn rewrite_udp(
    datagram: &mut [u8],
    side: Side,
    addrs: AddrChange,
    new_port: u16,
) -> Result<(), DropReason> {
    let mut udp = UdpPacket::new_checked(datagram)?;
    let old_port = match side {
        Side::Src => udp.src_port(),
        Side::Dst => udp.dst_port(),
    };
    match side {
        Side::Src => udp.set_src_port(new_port),
        Side::Dst => udp.set_dst_port(new_port),
    }
    if udp.checksum() == 0 {
        udp.fill_checksum(addrs.new_src, addrs.new_dst);
        return Ok(());
    }
    let new_addr = match side {
        Side::Src => addrs.new_src,
        Side::Dst => addrs.new_dst,
    };
    let csum = Ipv4Addr::update_addr(udp.checksum(), addrs.old, new_addr);
    let csum = checksum::update16(csum, old_port, new_port);
    udp.set_checksum(if csum == 0 { 0xffff } else { csum });
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::fwd::decrement_ttl;
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
    }

    #[test]
    fn other_protocols_and_fragments() {
        let mut icmp = hex(S0);
        icmp[9] = 1;
        assert_eq!(dnat(&mut icmp, R1, 1), Err(DropReason::UnsupportedProtocol));
        let mut frag = hex(S0);
        frag[6] = 0x20;
        assert_eq!(dnat(&mut frag, R1, 1), Err(DropReason::Ipv4Fragment));
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

    proptest! {
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
                snat(&mut p, new_addr.into(), new_port).unwrap();
            } else {
                dnat(&mut p, new_addr.into(), new_port).unwrap();
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
            let _ = dnat(&mut p, a.into(), port);
            let _ = snat(&mut p, a.into(), port);
            let _ = decrement_ttl(&mut p);
        }
    }
}
