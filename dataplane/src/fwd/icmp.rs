//! ICMP errors the director sends itself about a packet it cannot forward (ipvs-forwarding
//! §4.5): Time Exceeded for a TTL that would reach 0, Fragmentation Needed for a DF packet
//! larger than the path allows, Port Unreachable for a service with no usable real server.
//!
//! Built in place over the offending frame: the frame grows at the front by the new IPv4 and
//! ICMP headers, the L2 header moves to the new front, and the offending packet (already as
//! the director sees it then, e.g. with its TTL decremented) follows as the quote, cut so the
//! whole ICMP packet is at most 576 bytes. Like Linux's `icmp_send`: TOS `0xc0 | (tos & 0x1e)`,
//! DF clear, TTL 64, source the given address (the VIP the packet was sent to, §3.0).

use core::net::Ipv4Addr;

use crate::port::Frame;
use crate::reply::DEFAULT_TTL;
use crate::stats::DropReason;
use crate::wire::{icmp, ipv4, IcmpMessage, IcmpPacket, IpProtocol, Ipv4Packet};

/// The largest ICMP error, IP header included (RFC 1812 §4.3.2.3, Linux `icmp_send`).
const MAX_LEN: usize = 576;
/// Bytes the new IPv4 and ICMP headers add in front of the quote.
const HEADERS: usize = ipv4::HEADER_LEN + icmp::HEADER_LEN;

/// Which error to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpError {
    /// Type 11 code 0.
    TtlExceeded,
    /// Type 3 code 4 with the next-hop MTU.
    FragNeeded { mtu: u16 },
    /// Type 3 code 3 (`ip_vs_leave`: the service has no destination to schedule, §7.10).
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
    if !frame.prepend(HEADERS) {
        return Err(DropReason::NoHeadroom);
    }
    let quote = len.min(MAX_LEN - HEADERS);
    let data = frame.data_mut();
    data.copy_within(HEADERS..HEADERS + l3, 0);
    let total = HEADERS + quote;
    let mut ip = Ipv4Packet::new_unchecked(&mut data[l3..l3 + total]);
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
    frame.truncate(l3 + total);
    Ok(to)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

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
}
