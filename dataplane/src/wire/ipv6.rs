//! IPv6 fixed header (RFC 8200 §3), enough to classify; extension headers are not walked.
//! Also the multicast groups Neighbor Discovery uses (RFC 4291 §2.7.1).
//!
//! Contract: `new_checked` guarantees version 6 and `40 + payload_len ≤ buffer length`;
//! [`Ipv6Packet::payload`] stops at the payload length (padding excluded).
//! `set_version_tc_flow` and `set_payload_len` can invalidate the check.

use core::net::Ipv6Addr;

use super::ipv4::IpProtocol;
use super::{get_ipv6, get_u16, get_u32, set_ipv6, set_u16, set_u32};
use crate::stats::DropReason;

mod field {
    pub const VER_TC_FLOW: usize = 0;
    pub const LENGTH: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
    pub const END: usize = 40;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::END;

/// Whether `next_header` is an IPv6 extension header (IANA "IPv6 Extension Header Types",
/// RFC 8200 §4): Hop-by-Hop, Routing, Fragment, ESP, AH, Destination Options, Mobility, HIP,
/// Shim6 and the two experimental values. A TCP or UDP header lies behind them, if at all.
pub fn is_extension_header(next_header: IpProtocol) -> bool {
    matches!(
        u8::from(next_header),
        0 | 43 | 44 | 50 | 51 | 60 | 135 | 139 | 140 | 253 | 254
    )
}

/// The link-local all-nodes group ff02::1 (RFC 4291 §2.7.1).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The solicited-node group prefix ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
const SOLICITED_NODE: u128 = 0xff02_0000_0000_0000_0000_0001_ff00_0000;
const LOW_24: u128 = 0x00ff_ffff;

/// The solicited-node multicast address of `a`: ff02::1:ff followed by its low 24 bits
/// (RFC 4291 §2.7.1), the group a Neighbor Solicitation for `a` is sent to.
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(SOLICITED_NODE | (u128::from(a) & LOW_24))
}

/// Whether `a` is a solicited-node multicast address (in ff02::1:ff00:0/104).
pub fn is_solicited_node(a: Ipv6Addr) -> bool {
    u128::from(a) & !LOW_24 == SOLICITED_NODE
}

/// View of an IPv6 packet's fixed header.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Version 6 and the payload length fits the buffer.
    pub fn check_len(&self) -> Result<(), DropReason> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DropReason::Ipv6TooShort);
        }
        if self.version() != 6 {
            return Err(DropReason::Ipv6BadVersion);
        }
        if HEADER_LEN + usize::from(self.payload_len()) > len {
            return Err(DropReason::Ipv6BadPayloadLen);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn ver_tc_flow(&self) -> u32 {
        get_u32(self.buffer.as_ref(), field::VER_TC_FLOW)
    }

    pub fn version(&self) -> u8 {
        (self.ver_tc_flow() >> 28) as u8
    }

    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }

    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }

    pub fn payload_len(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::LENGTH)
    }

    pub fn next_header(&self) -> IpProtocol {
        self.buffer.as_ref()[field::NEXT_HEADER].into()
    }

    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    pub fn src_addr(&self) -> Ipv6Addr {
        get_ipv6(self.buffer.as_ref(), field::SRC)
    }

    pub fn dst_addr(&self) -> Ipv6Addr {
        get_ipv6(self.buffer.as_ref(), field::DST)
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + usize::from(self.payload_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    /// Sets version 6, the traffic class and the 20-bit flow label.
    pub fn set_version_tc_flow(&mut self, traffic_class: u8, flow_label: u32) {
        let v = (6 << 28) | (u32::from(traffic_class) << 20) | (flow_label & 0x000f_ffff);
        set_u32(self.buffer.as_mut(), field::VER_TC_FLOW, v);
    }

    pub fn set_payload_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    pub fn set_next_header(&mut self, p: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = p.into();
    }

    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = v;
    }

    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        set_ipv6(self.buffer.as_mut(), field::SRC, a);
    }

    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        set_ipv6(self.buffer.as_mut(), field::DST, a);
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::{assert_truncations, hex};

    // TC 0xb8, flow 0x12345, 4-byte UDP-ish payload, hop limit 64, 2001:db8:c::10 -> 2001:db8:f::1.
    const PKT: &str = "6b812345 0004 11 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 deadbeef";

    fn c() -> Ipv6Addr {
        "2001:db8:c::10".parse().unwrap()
    }

    fn v() -> Ipv6Addr {
        "2001:db8:f::1".parse().unwrap()
    }

    #[test]
    fn parse() {
        let bytes = hex(PKT);
        let p = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0xb8);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!(p.payload_len(), 4);
        assert_eq!(p.next_header(), IpProtocol::Udp);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), c());
        assert_eq!(p.dst_addr(), v());
        assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn build() {
        let bytes = hex(PKT);
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        p.set_version_tc_flow(0xb8, 0x12345);
        p.set_payload_len(4);
        p.set_next_header(IpProtocol::Udp);
        p.set_hop_limit(64);
        p.set_src_addr(c());
        p.set_dst_addr(v());
        p.payload_mut().copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(buf, bytes);
    }

    #[test]
    fn truncated_at_every_length() {
        assert_truncations(
            &hex(PKT),
            HEADER_LEN,
            DropReason::Ipv6TooShort,
            DropReason::Ipv6BadPayloadLen,
            |b| Ipv6Packet::new_checked(b).err(),
        );
    }

    #[test]
    fn extension_headers() {
        for n in [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254] {
            assert!(is_extension_header(n.into()), "{n}");
        }
        for p in [
            IpProtocol::Tcp,
            IpProtocol::Udp,
            IpProtocol::Icmpv6,
            59.into(),
            4.into(),
        ] {
            assert!(!is_extension_header(p), "{p:?}");
        }
    }

    #[test]
    fn solicited_node_groups() {
        // RFC 4291 §2.7.1's example: 4037::01:800:200e:8c6c → ff02::1:ff0e:8c6c.
        let a: Ipv6Addr = "4037::01:800:200e:8c6c".parse().unwrap();
        let g: Ipv6Addr = "ff02::1:ff0e:8c6c".parse().unwrap();
        assert_eq!(solicited_node(a), g);
        assert!(is_solicited_node(g));
        assert!(!is_solicited_node(a));
        assert!(!is_solicited_node(ALL_NODES));
        assert!(!is_solicited_node("ff02::2:ff0e:8c6c".parse().unwrap()));
    }

    #[test]
    fn bad_version() {
        let mut bytes = hex(PKT);
        bytes[0] = 0x4b;
        assert_eq!(
            Ipv6Packet::new_checked(&bytes[..]).err(),
            Some(DropReason::Ipv6BadVersion)
        );
    }
}
