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

/// Next Header values of the extension headers [`Ipv6Packet::chain`] walks (RFC 8200 §4).
mod ext {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const DESTINATION: u8 = 60;
}

/// Next Header of the Fragment header.
pub const FRAGMENT: u8 = ext::FRAGMENT;

/// Length of the Fragment header (RFC 8200 §4.5).
pub const FRAGMENT_HEADER_LEN: usize = 8;

/// More extension headers than this in one packet is not traffic but an attack on the
/// parser (RFC 8200 §4.1 recommends at most one of each, Destination Options twice).
const MAX_EXTENSION_HEADERS: usize = 6;

/// What lies behind the extension headers of a packet ([`Ipv6Packet::chain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    /// The upper-layer protocol: the Next Header that is not an extension header walked.
    pub protocol: IpProtocol,
    /// Offset of the upper-layer header from the start of the IPv6 header.
    pub l4: usize,
    /// The Fragment header, if the packet has one.
    pub fragment: Option<FragmentHeader>,
}

/// The fields of a Fragment header (RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentHeader {
    /// Offset of this fragment's data in the datagram, in bytes.
    pub offset: u16,
    /// More fragments follow.
    pub more: bool,
    pub id: u32,
}

impl FragmentHeader {
    /// An "atomic fragment" (offset 0, no more) is a whole datagram (RFC 6946 §4).
    pub fn is_fragment(&self) -> bool {
        self.offset != 0 || self.more
    }
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

    /// Walks the extension headers a node forwarding to a destination steps over —
    /// Hop-by-Hop (first only), Destination Options, Routing with no segment left, Fragment —
    /// to the upper-layer header (RFC 8200 §4). Behind a non-first fragment's header lie no
    /// further headers, only data. Any other Next Header (TCP, UDP, ICMPv6, ESP, AH, ...) ends
    /// the walk as the protocol.
    ///
    /// Errors: a header that does not fit the payload (`ipv6_extension_truncated`); a Routing
    /// header with segments left (the packet is not yet at its destination), a Hop-by-Hop
    /// header after the first, or more than a handful of headers (`ipv6_extension_header`).
    pub fn chain(&self) -> Result<Chain, DropReason> {
        let payload = self.payload();
        let mut chain = Chain {
            protocol: self.next_header(),
            l4: HEADER_LEN,
            fragment: None,
        };
        for n in 0..=MAX_EXTENSION_HEADERS {
            let at = chain.l4 - HEADER_LEN;
            let len = match u8::from(chain.protocol) {
                ext::HOP_BY_HOP if n > 0 => return Err(DropReason::Ipv6ExtensionHeader),
                ext::HOP_BY_HOP | ext::DESTINATION => options_len(payload, at)?,
                ext::ROUTING => routing_len(payload, at)?,
                ext::FRAGMENT => {
                    let f = fragment_header(payload, at)?;
                    chain.fragment = Some(f);
                    FRAGMENT_HEADER_LEN
                }
                _ => return Ok(chain),
            };
            if n == MAX_EXTENSION_HEADERS {
                break;
            }
            chain.protocol = payload[at].into();
            chain.l4 += len;
            if chain.fragment.is_some_and(|f| f.offset != 0) {
                return Ok(chain);
            }
        }
        Err(DropReason::Ipv6ExtensionHeader)
    }
}

/// The length of the Hop-by-Hop or Destination Options header at `at` (8 + 8 × Hdr Ext Len).
fn options_len(payload: &[u8], at: usize) -> Result<usize, DropReason> {
    let h = payload
        .get(at..at + 2)
        .ok_or(DropReason::Ipv6ExtensionTruncated)?;
    let len = 8 + 8 * usize::from(h[1]);
    if at + len > payload.len() {
        return Err(DropReason::Ipv6ExtensionTruncated);
    }
    Ok(len)
}

/// The length of the Routing header at `at`, which must have no segment left.
fn routing_len(payload: &[u8], at: usize) -> Result<usize, DropReason> {
    let len = options_len(payload, at)?;
    // Segments Left is byte 3 of the header; options_len saw at least 8 bytes.
    match payload[at + 3] {
        0 => Ok(len),
        _ => Err(DropReason::Ipv6ExtensionHeader),
    }
}

fn fragment_header(payload: &[u8], at: usize) -> Result<FragmentHeader, DropReason> {
    let h = payload
        .get(at..at + FRAGMENT_HEADER_LEN)
        .ok_or(DropReason::Ipv6ExtensionTruncated)?;
    let offset_flags = get_u16(h, 2);
    Ok(FragmentHeader {
        offset: offset_flags & !7,
        more: offset_flags & 1 != 0,
        id: get_u32(h, 4),
    })
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

    /// `PKT`'s header with next header `next`, then `headers` (hex) and the payload `deadbeef`.
    fn with_headers(next: u8, headers: &str) -> Vec<u8> {
        let mut p = hex(PKT);
        let ext = hex(headers);
        p.splice(HEADER_LEN..HEADER_LEN, ext.iter().copied());
        p[4..6].copy_from_slice(&((ext.len() + 4) as u16).to_be_bytes());
        p[6] = next;
        p
    }

    fn chain(p: &[u8]) -> Result<Chain, DropReason> {
        Ipv6Packet::new_checked(p)?.chain()
    }

    const HOP_BY_HOP_PADN: &str = "3c00 0104 00000000";
    const DEST_OPTS_16: &str = "2b01 010c 000000000000000000000000";
    const ROUTING_DONE: &str = "2c00 0400 00000000";
    const FRAGMENT_FIRST: &str = "1100 0001 12345678";

    #[test]
    fn chain_steps_over_options_routing_and_fragment_headers() {
        let all = [HOP_BY_HOP_PADN, DEST_OPTS_16, ROUTING_DONE, FRAGMENT_FIRST].concat();
        assert_eq!(
            chain(&with_headers(0, &all)),
            Ok(Chain {
                protocol: IpProtocol::Udp,
                l4: HEADER_LEN + 40,
                fragment: Some(FragmentHeader {
                    offset: 0,
                    more: true,
                    id: 0x1234_5678
                }),
            })
        );
        let plain = chain(&hex(PKT)).unwrap();
        assert_eq!(
            (plain.protocol, plain.l4, plain.fragment),
            (IpProtocol::Udp, HEADER_LEN, None)
        );
    }

    #[test]
    fn behind_a_later_fragment_header_lies_data() {
        // Offset 1480 (185 × 8), more fragments; the "next header" 0 is not walked.
        let p = with_headers(44, "0000 05c9 00000001");
        let c = chain(&p).unwrap();
        assert_eq!((c.protocol, c.l4), (IpProtocol::from(0), HEADER_LEN + 8));
        let f = c.fragment.unwrap();
        assert_eq!(
            (f.offset, f.more, f.id, f.is_fragment()),
            (1480, true, 1, true)
        );
        let atomic = chain(&with_headers(44, "1100 0000 00000002")).unwrap();
        assert!(!atomic.fragment.unwrap().is_fragment());
    }

    #[test]
    fn chain_refusals() {
        for (next, headers, why) in [
            // Segments left 1: not at its destination yet.
            (43, "1100 0001 00000000", DropReason::Ipv6ExtensionHeader),
            // Hop-by-Hop after the first header.
            (
                60,
                "0000 0104 00000000 1100 0104 00000000",
                DropReason::Ipv6ExtensionHeader,
            ),
            // Hdr Ext Len 1 promises 16 bytes, 8 + 4 are there.
            (60, "1101 0104 00000000", DropReason::Ipv6ExtensionTruncated),
            (44, "1100 00", DropReason::Ipv6ExtensionTruncated),
        ] {
            assert_eq!(chain(&with_headers(next, headers)), Err(why), "{headers}");
        }
        let seven = "3c00 0104 00000000 ".repeat(7);
        assert_eq!(
            chain(&with_headers(60, &seven)),
            Err(DropReason::Ipv6ExtensionHeader)
        );
        let six = format!("{}1100 0104 00000000", "3c00 0104 00000000 ".repeat(5));
        assert_eq!(
            chain(&with_headers(60, &six)).map(|c| c.protocol),
            Ok(IpProtocol::Udp)
        );
    }

    proptest::proptest! {
        /// Any bytes behind the fixed header: the walk ends, inside the payload.
        #[test]
        fn chain_never_leaves_the_payload(next: u8, bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96)) {
            let mut p = hex(PKT);
            p.truncate(HEADER_LEN);
            p.extend_from_slice(&bytes);
            p[4..6].copy_from_slice(&(bytes.len() as u16).to_be_bytes());
            p[6] = next;
            if let Ok(c) = chain(&p) {
                proptest::prop_assert!(c.l4 <= p.len());
            }
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
