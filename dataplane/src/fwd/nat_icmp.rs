//! NAT of an ICMP error about a NAT connection (ipvs-forwarding §4.2, §4.4; the kernel's
//! `ip_vs_nat_icmp`): the outer header and the quoted packet are translated together, so
//! that the receiver recognises the packet it sent.
//!
//! * [`Toward::Server`] (§4.2, "out→in", vector 7.19): an error about one of our replies
//!   (quoted V:vport → C) goes to the real server: outer destination V → R, quoted source
//!   V → R, quoted source port vport → dport.
//! * [`Toward::Client`] (§4.4, "in→out", vector 7.18): an error about the client's packet as
//!   the real server got it (quoted C → R:dport) goes to the client: outer source → V,
//!   quoted destination R → V, quoted destination port dport → vport.
//!
//! The outer and quoted IPv4 header checksums and the ICMP checksum are recomputed in full;
//! the quoted L4 checksum is left as it was (stale), as IPVS leaves it. Type, code and the
//! MTU field are kept. The TTL is the caller's (the transmit path decrements it).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::stats::DropReason;
use crate::wire::{icmp, ipv4, ipv6, IcmpPacket, Icmpv6Packet, Ipv4Packet, Ipv6Packet};

/// Which way the error travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    Server,
    Client,
}

/// Translates the ICMP error `ip_packet` (outer IPv4 header, ICMP header, quoted IPv4
/// header and at least its first four L4 bytes) to `addr:port` (see the module doc). On
/// error nothing has been written.
pub fn translate(
    ip_packet: &mut [u8],
    toward: Toward,
    addr: Ipv4Addr,
    port: u16,
) -> Result<(), DropReason> {
    let mut outer = Ipv4Packet::new_checked(ip_packet)?;
    let quoted = outer.payload().get(icmp::HEADER_LEN..);
    let qhlen = quoted_header_len(quoted.ok_or(DropReason::IcmpQuoteInvalid)?)?;
    match toward {
        Toward::Server => outer.set_dst_addr(addr),
        Toward::Client => outer.set_src_addr(addr),
    }
    outer.fill_checksum();
    let message = outer.payload_mut();
    let quoted = &mut message[icmp::HEADER_LEN..];
    let mut q = Ipv4Packet::new_unchecked(&mut quoted[..qhlen]);
    match toward {
        Toward::Server => q.set_src_addr(addr),
        Toward::Client => q.set_dst_addr(addr),
    }
    q.fill_checksum();
    // The quoted L4 header starts with the source port, then the destination port.
    let at = qhlen + if toward == Toward::Server { 0 } else { 2 };
    quoted[at..at + 2].copy_from_slice(&port.to_be_bytes());
    IcmpPacket::new_unchecked(message).fill_checksum();
    Ok(())
}

/// [`translate`] for ICMPv6 (§4.2, §4.4 for IPv6): the same fields, no header checksums to
/// fix, and the ICMPv6 checksum recomputed over the pseudo-header with the new addresses.
/// Outer extension headers are stepped over; the quoted packet must have TCP or UDP right
/// behind its fixed header (as `related` only follows such quotes).
pub fn translate_v6(
    ip_packet: &mut [u8],
    toward: Toward,
    addr: Ipv6Addr,
    port: u16,
) -> Result<(), DropReason> {
    let mut outer = Ipv6Packet::new_checked(ip_packet)?;
    let at = outer.chain()?.l4 - ipv6::HEADER_LEN;
    let quoted_ok = outer
        .payload()
        .get(at + ICMPV6_HEADER_LEN..)
        .is_some_and(|q| q.len() >= ipv6::HEADER_LEN + 4 && q[0] >> 4 == 6);
    if !quoted_ok {
        return Err(DropReason::IcmpQuoteInvalid);
    }
    match toward {
        Toward::Server => outer.set_dst_addr(addr),
        Toward::Client => outer.set_src_addr(addr),
    }
    let (src, dst) = (outer.src_addr(), outer.dst_addr());
    let message = &mut outer.payload_mut()[at..];
    let quoted = &mut message[ICMPV6_HEADER_LEN..];
    let mut q = Ipv6Packet::new_unchecked(&mut quoted[..ipv6::HEADER_LEN]);
    match toward {
        Toward::Server => q.set_src_addr(addr),
        Toward::Client => q.set_dst_addr(addr),
    }
    let at = ipv6::HEADER_LEN + if toward == Toward::Server { 0 } else { 2 };
    quoted[at..at + 2].copy_from_slice(&port.to_be_bytes());
    Icmpv6Packet::new_unchecked(message).fill_checksum(src, dst);
    Ok(())
}

/// ICMPv6 type, code, checksum and the 32-bit field before the quote (RFC 4443 §2.1).
const ICMPV6_HEADER_LEN: usize = 8;

/// The quoted IPv4 header's length, once it and the four port bytes after it are known to
/// be in `quoted` (an ICMP error quotes at least that much, RFC 792).
pub(crate) fn quoted_header_len(quoted: &[u8]) -> Result<usize, DropReason> {
    let first = *quoted.first().ok_or(DropReason::IcmpQuoteInvalid)?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < ipv4::HEADER_LEN || quoted.len() < ihl + 4 {
        return Err(DropReason::IcmpQuoteInvalid);
    }
    Ok(ihl)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::fwd::decrement_ttl;
    use crate::wire::testutil::hex;

    const R1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
    const V: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

    #[test]
    fn vector_7_18_frag_needed_from_the_real_server_to_the_client() {
        let mut p = hex("45c00048334400004001009c0a00000bcb00710a03043db8000005784500002c1c4640003f06d970cb00710a0a00000b9c401f90000003e8000000006002faf097670000020405b4");
        decrement_ttl(&mut p).unwrap();
        translate(&mut p, Toward::Client, V, 80).unwrap();
        assert_eq!(p, hex("45c00048334400003f01e171c6336401cb00710a03045cf8000005784500002c1c4640003f06b946cb00710ac63364019c400050000003e8000000006002faf097670000020405b4"));
    }

    #[test]
    fn vector_7_19_frag_needed_from_the_client_side_to_the_real_server() {
        let mut p = hex("45c0004855550000ff01ff68cb007101c633640103045de2000005784500002c000040003e06d68cc6336401cb00710a00509c4000001388000003e96012fe887f4c0000020405b4");
        decrement_ttl(&mut p).unwrap();
        translate(&mut p, Toward::Server, R1, 8080).unwrap();
        assert_eq!(p, hex("45c0004855550000fe012093cb0071010a00000b03043ea2000005784500002c000040003e06f6b60a00000bcb00710a1f909c4000001388000003e96012fe887f4c0000020405b4"));
    }

    #[test]
    fn a_quote_cut_short_writes_nothing() {
        let full = hex("45c00048334400004001009c0a00000bcb00710a03043db8000005784500002c1c4640003f06d970cb00710a0a00000b9c401f90000003e8000000006002faf097670000020405b4");
        // Outer 20 + ICMP 8 + quoted 20 + ports 4 = 52 bytes are needed.
        for len in 20..52 {
            let mut p = full[..len].to_vec();
            let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
            ip.set_total_len(len as u16);
            ip.fill_checksum();
            let before = p.clone();
            assert!(
                translate(&mut p, Toward::Client, V, 80).is_err(),
                "len {len}"
            );
            assert_eq!(p, before);
        }
    }
}
