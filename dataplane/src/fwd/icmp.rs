//! ICMP errors the director sends itself about a packet it cannot forward (ipvs-forwarding
//! §4.5): Time Exceeded for a TTL (hop limit) that would reach 0, Fragmentation Needed (IPv6:
//! Packet Too Big) for a packet larger than the path allows, Port Unreachable for a service
//! with no usable real server.
//!
//! Built in place over the offending frame: the frame grows at the front by the new IP and
//! ICMP headers, the L2 header moves to the new front, and the offending packet (already as
//! the director sees it then, e.g. with its TTL decremented) follows as the quote, cut so the
//! whole ICMP packet is at most 576 bytes (IPv4) or 1280 (IPv6). Source: the given address
//! (the VIP the packet was sent to, §3.0); TTL / hop limit 64.
//! * IPv4 ([`build`]), like Linux's `icmp_send`: TOS `0xc0 | (tos & 0x1e)`, DF clear.
//! * IPv6 ([`build_v6`]), like Linux's `icmp6_send`: traffic class and flow label 0 (the
//!   ICMPv6 socket's), the ICMPv6 checksum over the IPv6 pseudo-header (RFC 4443 §2.3).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::port::Frame;
use crate::reply::DEFAULT_TTL;
use crate::stats::DropReason;
use crate::wire::{
    checksum, icmp, ipv4, ipv6, IcmpMessage, IcmpPacket, IpProtocol, Ipv4Packet, Ipv6Packet,
};

/// The largest ICMP error, IP header included (RFC 1812 §4.3.2.3, Linux `icmp_send`).
const MAX_LEN: usize = 576;
/// Bytes the new IPv4 and ICMP headers add in front of the quote.
const HEADERS: usize = ipv4::HEADER_LEN + icmp::HEADER_LEN;
/// The largest ICMPv6 error: the IPv6 minimum MTU (RFC 4443 §2.4 (c), Linux `icmp6_send`).
const MAX_LEN_V6: usize = 1280;
/// ICMPv6 type, code, checksum and the 32-bit MTU or unused field (RFC 4443 §2.1).
const ICMPV6_HEADER_LEN: usize = 8;
/// Bytes the new IPv6 and ICMPv6 headers add in front of the quote.
const HEADERS_V6: usize = ipv6::HEADER_LEN + ICMPV6_HEADER_LEN;

/// Which error to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpError {
    /// Type 11 code 0; ICMPv6 type 3 code 0.
    TtlExceeded,
    /// Type 3 code 4 with the next-hop MTU; ICMPv6 Packet Too Big, type 2 code 0, with the MTU.
    FragNeeded { mtu: u16 },
    /// Type 3 code 3; ICMPv6 type 1 code 4 (`ip_vs_leave`: the service has no destination to
    /// schedule, §7.10, §4.5).
    PortUnreachable,
    /// An error a router sent about one of our tunnel packets, passed on to the client with
    /// its type and code, and for Frag Needed the MTU left for the client (§4.3).
    Relayed {
        msg: IcmpMessage,
        code: u8,
        mtu: u16,
    },
}

impl IcmpError {
    fn type_code(self) -> (IcmpMessage, u8, u16) {
        match self {
            IcmpError::TtlExceeded => (IcmpMessage::TimeExceeded, 0, 0),
            IcmpError::FragNeeded { mtu } => (IcmpMessage::DstUnreachable, 4, mtu),
            IcmpError::PortUnreachable => (IcmpMessage::DstUnreachable, 3, 0),
            IcmpError::Relayed { msg, code, mtu } => (msg, code, mtu),
        }
    }

    /// ICMPv6 type, code and the 32-bit field after the checksum (RFC 4443 §3.1–§3.3). A
    /// relayed error is IPv4's only (§4.3); it keeps its codes.
    fn type_code_v6(self) -> (u8, u8, u32) {
        match self {
            IcmpError::TtlExceeded => (3, 0, 0),
            IcmpError::FragNeeded { mtu } => (2, 0, u32::from(mtu)),
            IcmpError::PortUnreachable => (1, 4, 0),
            IcmpError::Relayed { msg, code, mtu } => (msg.into(), code, u32::from(mtu)),
        }
    }

    /// Why the offending packet is dropped, when it is one of ours to drop (a relayed
    /// error's quoted packet was already sent).
    pub fn reason(self) -> Option<DropReason> {
        match self {
            IcmpError::TtlExceeded => Some(DropReason::TtlExceeded),
            IcmpError::FragNeeded { .. } => Some(DropReason::MtuExceeded),
            IcmpError::PortUnreachable => Some(DropReason::NoDestination),
            IcmpError::Relayed { .. } => None,
        }
    }
}

/// Whether `ip` is an ICMP error message (which never draws another, RFC 1122 §3.2.2).
pub fn is_error<T: AsRef<[u8]>>(ip: &Ipv4Packet<T>) -> bool {
    ip.protocol() == IpProtocol::Icmp
        && ip
            .payload()
            .first()
            .is_some_and(|&t| IcmpMessage::from(t).is_error() || t == 4)
}

/// Turns the frame holding the IPv4 packet at `l3` into `err` about it, from `from` to the
/// packet's source, with IPv4 ID `id`. The packet may be cut short (a quote from another
/// ICMP error): its header must be whole. Returns the new packet's destination. The L2
/// addresses are left for the caller's routing to fill in.
pub fn build<F: Frame>(
    frame: &mut F,
    l3: usize,
    err: IcmpError,
    from: Ipv4Addr,
    id: u16,
) -> Result<Ipv4Addr, DropReason> {
    let (to, tos, len) = {
        let data = frame.data().get(l3..).unwrap_or_default();
        let ip = Ipv4Packet::new_unchecked(data);
        if data.len() < ipv4::HEADER_LEN
            || ip.version() != 4
            || !(ipv4::HEADER_LEN..=data.len()).contains(&ip.header_len())
        {
            return Err(DropReason::Ipv4TooShort);
        }
        let len = usize::from(ip.total_len()).min(data.len());
        (ip.src_addr(), ip.dscp_ecn(), len)
    };
    let quote = len.min(MAX_LEN - HEADERS);
    super::grow_front(frame, l3, HEADERS, quote)?;
    let total = HEADERS + quote;
    let mut ip = Ipv4Packet::new_unchecked(&mut frame.data_mut()[l3..]);
    ip.set_version_ihl(ipv4::HEADER_LEN);
    ip.set_dscp_ecn(0xc0 | (tos & 0x1e));
    ip.set_total_len(total as u16);
    ip.set_ident(id);
    ip.set_flags_offset(false, false, 0);
    ip.set_ttl(DEFAULT_TTL);
    ip.set_protocol(IpProtocol::Icmp);
    ip.set_src_addr(from);
    ip.set_dst_addr(to);
    ip.fill_checksum();
    let (msg, code, mtu) = err.type_code();
    let mut icmp = IcmpPacket::new_unchecked(ip.payload_mut());
    icmp.set_msg_type(msg);
    icmp.set_msg_code(code);
    icmp.set_error_rest(mtu);
    icmp.fill_checksum();
    Ok(to)
}

/// Turns the frame holding the IPv6 packet at `l3` into the ICMPv6 `err` about it, from
/// `from` to the packet's source. Returns the new packet's destination; the L2 addresses
/// are left for the caller's routing. For `Forward::icmp_error` of IPv6 (the caller keeps
/// RFC 4443 §2.4 (e): no error about an ICMPv6 error, a multicast destination, or a source
/// that names no single node).
pub fn build_v6<F: Frame>(
    frame: &mut F,
    l3: usize,
    err: IcmpError,
    from: Ipv6Addr,
) -> Result<Ipv6Addr, DropReason> {
    let (to, len) = {
        let ip = Ipv6Packet::new_checked(frame.data().get(l3..).unwrap_or_default())?;
        (
            ip.src_addr(),
            ipv6::HEADER_LEN + usize::from(ip.payload_len()),
        )
    };
    let quote = len.min(MAX_LEN_V6 - HEADERS_V6);
    super::grow_front(frame, l3, HEADERS_V6, quote)?;
    let mut ip = Ipv6Packet::new_unchecked(&mut frame.data_mut()[l3..]);
    ip.set_version_tc_flow(0, 0);
    ip.set_payload_len((ICMPV6_HEADER_LEN + quote) as u16);
    ip.set_next_header(IpProtocol::Icmpv6);
    ip.set_hop_limit(DEFAULT_TTL);
    ip.set_src_addr(from);
    ip.set_dst_addr(to);
    write_icmpv6(ip.payload_mut(), err, from, to);
    Ok(to)
}

/// The ICMPv6 header at the front of `msg` (the whole message, quote included), with its
/// checksum over the pseudo-header from `from` to `to` (RFC 4443 §2.3).
fn write_icmpv6(msg: &mut [u8], err: IcmpError, from: Ipv6Addr, to: Ipv6Addr) {
    let (msg_type, code, rest) = err.type_code_v6();
    msg[..4].copy_from_slice(&[msg_type, code, 0, 0]);
    msg[4..8].copy_from_slice(&rest.to_be_bytes());
    let proto = u8::from(IpProtocol::Icmpv6);
    let pseudo = checksum::pseudo_header_v6(from, to, proto, msg.len() as u32);
    let c = !checksum::combine(&[pseudo, checksum::sum(msg)]);
    msg[2..4].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    const ETH6: &str = "020000000001 0200000000fe 86dd";
    /// The IPv6 SYN of ipvs-forwarding §7.16 (C 2001:db8:c::10 → V 2001:db8:f::1), hop limit 64.
    const SYN6: &str = "60000000 0018 06 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050000003e8000000006002fd209f030000020405a0";

    fn v6() -> Ipv6Addr {
        "2001:db8:f::1".parse().unwrap()
    }

    /// `err` about the IPv6 packet `ip` behind an Ethernet header, from V: (frame, destination).
    fn build6(ip: &[u8], err: IcmpError) -> (Vec<u8>, Ipv6Addr) {
        let mut f = [hex(ETH6), ip.to_vec()].concat();
        let to = build_v6(&mut f, 14, err, v6()).unwrap();
        assert_eq!(&f[..14], &hex(ETH6)[..], "L2 header moved to the front");
        (f, to)
    }

    /// ipvs-forwarding §7.0 S0 behind an Ethernet header.
    const FRAME: &str = "020000000001 0200000000fe 0800 4500002c1c4640000106f746cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";

    #[test]
    fn time_exceeded_quotes_the_whole_small_packet_from_the_vip() {
        let mut f = hex(FRAME);
        let v = Ipv4Addr::new(198, 51, 100, 1);
        let to = build(&mut f, 14, IcmpError::TtlExceeded, v, 7).unwrap();
        assert_eq!(to, Ipv4Addr::new(203, 0, 113, 10));
        assert_eq!(&f[..14], &hex(FRAME)[..14], "L2 header moved to the front");
        let ip = Ipv4Packet::new_checked(&f[14..]).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!((ip.total_len(), ip.ttl(), ip.dscp_ecn()), (72, 64, 0xc0));
        assert_eq!(
            (ip.src_addr(), ip.dst_addr(), ip.dont_frag()),
            (v, to, false)
        );
        let icmp = IcmpPacket::new_checked(ip.payload()).unwrap();
        assert!(icmp.verify_checksum());
        assert_eq!(
            (icmp.msg_type(), icmp.msg_code()),
            (IcmpMessage::TimeExceeded, 0)
        );
        assert_eq!(icmp.payload(), &hex(FRAME)[14..]);
    }

    #[test]
    fn frag_needed_is_cut_to_576_bytes_and_keeps_the_old_tos_bits() {
        let mut f = hex(FRAME);
        f.resize(14 + 1500, 0xa5);
        let mut ip = Ipv4Packet::new_unchecked(&mut f[14..]);
        ip.set_total_len(1500);
        ip.set_dscp_ecn(0xb8);
        ip.fill_checksum();
        let orig = f.clone();
        build(
            &mut f,
            14,
            IcmpError::FragNeeded { mtu: 1480 },
            [1, 2, 3, 4].into(),
            1,
        )
        .unwrap();
        assert_eq!(f.len(), 14 + 576);
        let ip = Ipv4Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(ip.dscp_ecn(), 0xd8, "0xc0 | (0xb8 & 0x1e), §4.5");
        let icmp = IcmpPacket::new_checked(ip.payload()).unwrap();
        assert_eq!((icmp.msg_code(), icmp.next_hop_mtu()), (4, 1480));
        assert_eq!(icmp.payload(), &orig[14..14 + 548]);
        assert!(icmp.verify_checksum());
    }

    /// Checked against scapy 2.5.0: `raw(IPv6(src='2001:db8:f::1', dst='2001:db8:c::10',
    /// hlim=64)/ICMPv6TimeExceeded(code=0)/Raw(q)).hex()`, `q` the SYN with hop limit 1;
    /// `ICMPv6DestUnreach(code=4)` in its place, with `q` the SYN as sent, for Port Unreachable.
    #[test]
    fn time_exceeded_and_port_unreachable_match_scapy() {
        let mut syn = hex(SYN6);
        syn[7] = 1;
        let (f, to) = build6(&syn, IcmpError::TtlExceeded);
        assert_eq!(to, "2001:db8:c::10".parse::<Ipv6Addr>().unwrap());
        let want = "6000000000483a4020010db8000f0000000000000000000120010db8000c0000000000000000001003003ae400000000600000000018060120010db8000c0000000000000000001020010db8000f000000000000000000019c400050000003e8000000006002fd209f030000020405a0";
        assert_eq!(&f[14..], &hex(want)[..]);
        let (f, _) = build6(&hex(SYN6), IcmpError::PortUnreachable);
        let want = "6000000000483a4020010db8000f0000000000000000000120010db8000c0000000000000000001001043ca100000000600000000018064020010db8000c0000000000000000001020010db8000f000000000000000000019c400050000003e8000000006002fd209f030000020405a0";
        assert_eq!(&f[14..], &hex(want)[..]);
    }

    /// §7.17: a 1500-byte IPv6 packet over ip6ip6 (`mtu_t` 1460) draws a 1280-byte Packet Too
    /// Big from V quoting hop limit 63. The headers are scapy 2.5.0's `raw(IPv6(src=
    /// '2001:db8:f::1', dst='2001:db8:c::10', hlim=64)/ICMPv6PacketTooBig(mtu=1460)/Raw(q))[:48]`,
    /// `q` the offender's first 1232 bytes.
    #[test]
    fn packet_too_big_of_vector_7_17_matches_scapy() {
        let mut big = hex(SYN6);
        big.resize(1500, 0x5a);
        big[4..6].copy_from_slice(&1460u16.to_be_bytes());
        crate::fwd::ttl::decrement_hop_limit(&mut big).unwrap();
        let (f, _) = build6(&big, IcmpError::FragNeeded { mtu: 1460 });
        assert_eq!(f.len(), 14 + 1280);
        let want = "6000000004d83a4020010db8000f0000000000000000000120010db8000c0000000000000000001002000da8000005b4";
        assert_eq!(&f[14..14 + 48], &hex(want)[..]);
        assert_eq!(&f[14 + 48..], &big[..1232]);
        assert_eq!(f[14 + 48 + 7], 63, "quoted hop limit");
    }

    #[test]
    fn ipv6_errors_write_nothing() {
        let full = [hex(ETH6), hex(SYN6)].concat();
        for len in 0..full.len() {
            let mut f = full[..len].to_vec();
            assert!(
                build_v6(&mut f, 14, IcmpError::TtlExceeded, v6()).is_err(),
                "len {len}"
            );
            assert_eq!(f, &full[..len]);
        }
    }
}
