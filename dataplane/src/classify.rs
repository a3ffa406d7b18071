//! First look at a received frame: which handler gets it, or why it is dropped.
//!
//! Contract: [`classify`] never panics and never allocates. It accepts Ethernet II with at most
//! one 802.1Q tag; [`classify_on`] accepts only what the receiving port admits
//! ([`PortL2::admit`]: its VLAN, its MAC, broadcast ARP, multicast ND). An IP packet becomes
//! an [`IpPacket`] carrying its [`FlowKey`], built here once for every later step. For [`Class::Ipv4`] it has verified what later stages rely on,
//! so they meet no new drop reason for these:
//! * the IPv4 header is valid (version, IHL, total length within the frame) and its checksum
//!   verifies;
//! * a TCP, UDP or ICMP header is complete within `total_len` (ports are then filled in;
//!   ICMP and other protocols carry ports 0), except in a fragment after the first, which
//!   carries no L4 header ([`IpPacket::frag`]; ports 0). A first fragment's UDP length field
//!   speaks of the whole datagram and is not checked against the fragment.
//!
//! ARP is checked for the Ethernet/IPv4 shape only. [`Class::Ipv6`] has a valid fixed header
//! and extension headers that lead to the upper-layer header ([`Ipv6Packet::chain`]), whose
//! TCP or UDP header is then checked as for IPv4; its [`IpPacket::l4`] lies behind the
//! extension headers and its [`IpPacket::frag`] comes from the Fragment header.

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::flow::FlowKey;
use crate::l2::{self, Addressed, PortL2};
use crate::stats::DropReason;
use crate::wire::{
    ethernet, ipv6, vlan, ArpPacket, EtherType, EthernetFrame, IcmpPacket, IpProtocol, Ipv4Packet,
    Ipv6Packet, TcpPacket, UdpPacket, VlanPacket,
};

/// What a frame is, with the offsets the next stage needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Ethernet/IPv4 ARP starting at `l3_offset`.
    Arp {
        l3_offset: usize,
    },
    /// A whole, checksum-verified IPv4 datagram.
    Ipv4(IpPacket<Ipv4Addr>),
    /// IPv6 with a valid fixed header.
    Ipv6(IpPacket<Ipv6Addr>),
    Drop(DropReason),
}

impl Class {
    /// Where an IP packet ends in its frame: what follows is Ethernet padding.
    pub fn ip_end(&self) -> Option<usize> {
        match self {
            Class::Ipv4(p) => Some(p.end),
            Class::Ipv6(p) => Some(p.end),
            Class::Arp { .. } | Class::Drop(_) => None,
        }
    }
}

/// An IP packet of family `A` at `l3..end` of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<A> {
    pub l3: usize,
    /// Start of the L4 header (after IPv4 options).
    pub l4: usize,
    /// End of the datagram; bytes after it are padding.
    pub end: usize,
    pub protocol: IpProtocol,
    /// Its flow; TCP/UDP ports, 0 for other protocols.
    pub key: FlowKey<A>,
    /// Where it stands in its datagram, if it is a fragment (see [`crate::frag`]).
    pub frag: Option<Fragment>,
}

/// A fragment's place in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// The datagram's identification.
    pub id: u32,
    /// Offset 0: the fragment with the L4 header.
    pub first: bool,
}

impl<A> IpPacket<A> {
    /// The packet at `span` of the frame, L4 header at `l4`, with its key.
    fn new(
        span: std::ops::Range<usize>,
        l4: usize,
        protocol: IpProtocol,
        (saddr, daddr): (A, A),
        (sport, dport): (u16, u16),
    ) -> Self {
        IpPacket {
            l3: span.start,
            l4,
            end: span.end,
            protocol,
            key: FlowKey {
                proto: protocol.into(),
                saddr,
                sport,
                daddr,
                dport,
            },
            frag: None,
        }
    }

    /// What IPVS's statistics count for this packet (ipvs-schedulers §6.2): one packet of
    /// its IP length, as if its datagram were whole (the kernel counts reassembled ones): a
    /// first fragment counts the packet and its length less IPv6's Fragment header, a later
    /// one only its data.
    pub fn counted(&self) -> (u64, u64)
    where
        A: crate::flow::Addr,
    {
        let ipv6_frag_header = if A::BITS == 128 { 8 } else { 0 };
        let (packets, bytes) = match self.frag {
            None => (1, self.end - self.l3),
            Some(f) if f.first => (1, self.end - self.l3 - ipv6_frag_header),
            Some(_) => (0, self.end - self.l4),
        };
        (packets, bytes as u64)
    }

    /// A fragment after the first: no L4 header of its own.
    pub fn is_later_fragment(&self) -> bool {
        self.frag.is_some_and(|f| !f.first)
    }

    /// Whether it is TCP or UDP (what the balancer takes).
    pub fn is_tcp_udp(&self) -> bool {
        matches!(self.protocol, IpProtocol::Tcp | IpProtocol::Udp)
    }
}

/// Classifies one received frame (see the module contract).
///
/// ```
/// use dataplane::classify::{classify, Class};
/// use dataplane::stats::DropReason;
///
/// // 14 bytes of Ethernet with EtherType 0x88cc (LLDP): not ours to handle.
/// let lldp = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xcc];
/// assert_eq!(classify(&lldp), Class::Drop(DropReason::UnknownEtherType));
/// assert_eq!(classify(&lldp[..13]), Class::Drop(DropReason::EthernetTruncated));
/// ```
pub fn classify(frame: &[u8]) -> Class {
    classify_frame(frame, None).unwrap_or_else(Class::Drop)
}

/// Classifies a frame received on `port`: what the port does not admit is dropped for its
/// reason (the VLAN rules, `not_our_mac`), the rest as [`classify`] does.
#[inline]
pub fn classify_on(frame: &[u8], port: &PortL2) -> Class {
    classify_frame(frame, Some(port)).unwrap_or_else(Class::Drop)
}

fn classify_frame(frame: &[u8], port: Option<&PortL2>) -> Result<Class, DropReason> {
    let eth = EthernetFrame::new_checked(frame)?;
    let (ethertype, l3_offset, l3, tag) = match eth.ethertype() {
        EtherType::Vlan => {
            let tag = VlanPacket::new_checked(eth.payload())?;
            let (vid, ethertype) = (tag.vlan_id(), tag.ethertype());
            let l3 = tag.into_inner().get(vlan::HEADER_LEN..);
            let l3_offset = ethernet::HEADER_LEN + vlan::HEADER_LEN;
            (ethertype, l3_offset, l3, Some(vid))
        }
        t => (t, ethernet::HEADER_LEN, Some(eth.payload()), None),
    };
    let addressed = match port {
        Some(port) => port.admit(eth.dst_addr(), tag)?,
        None => Addressed::Us,
    };
    // Both arms checked their header, so the rest exists; `get` keeps that a non-panicking fact.
    let l3 = l3.ok_or(DropReason::VlanTruncated)?;
    let class = match ethertype {
        EtherType::Arp => ArpPacket::new_checked(l3).map(|_| Class::Arp { l3_offset }),
        EtherType::Ipv4 => classify_ipv4(l3, l3_offset),
        EtherType::Ipv6 => classify_ipv6(l3, l3_offset),
        // One tag is handled; QinQ (0x8100 inside 0x8100) is not.
        EtherType::Vlan => Err(DropReason::VlanStacked),
        EtherType::Unknown(_) => Err(DropReason::UnknownEtherType),
    }?;
    match addressed {
        Addressed::Group if !l2::wants_group(eth.dst_addr(), &class) => Err(DropReason::NotOurMac),
        _ => Ok(class),
    }
}

fn classify_ipv4(l3: &[u8], l3_offset: usize) -> Result<Class, DropReason> {
    let ip = Ipv4Packet::new_checked(l3)?;
    if !ip.verify_checksum() {
        return Err(DropReason::Ipv4BadChecksum);
    }
    let frag = ip.is_fragment().then(|| Fragment {
        id: ip.ident().into(),
        first: ip.frag_offset() == 0,
    });
    let protocol = ip.protocol();
    let ports = match frag {
        None => l4_ports(protocol, ip.payload())?,
        Some(f) if f.first => first_fragment_ports(protocol, ip.payload())?,
        Some(_) => (0, 0),
    };
    let l4 = l3_offset + ip.header_len();
    let end = l3_offset + usize::from(ip.total_len());
    let addrs = (ip.src_addr(), ip.dst_addr());
    let mut p = IpPacket::new(l3_offset..end, l4, protocol, addrs, ports);
    p.frag = frag;
    Ok(Class::Ipv4(p))
}

fn classify_ipv6(l3: &[u8], l3_offset: usize) -> Result<Class, DropReason> {
    let ip = Ipv6Packet::new_checked(l3)?;
    let chain = ip.chain()?;
    let frag = chain
        .fragment
        .filter(ipv6::FragmentHeader::is_fragment)
        .map(|f| Fragment {
            id: f.id,
            first: f.offset == 0,
        });
    let protocol = chain.protocol;
    let end = ipv6::HEADER_LEN + usize::from(ip.payload_len());
    let l4 = &l3[chain.l4..end];
    let ports = match (protocol, frag) {
        (IpProtocol::Tcp | IpProtocol::Udp, None) => l4_ports(protocol, l4)?,
        (_, Some(f)) if f.first => first_fragment_ports(protocol, l4)?,
        _ => (0, 0),
    };
    let addrs = (ip.src_addr(), ip.dst_addr());
    let mut p = IpPacket::new(
        l3_offset..l3_offset + end,
        l3_offset + chain.l4,
        protocol,
        addrs,
        ports,
    );
    p.frag = frag;
    Ok(Class::Ipv6(p))
}

/// The ports of a first fragment: the L4 header must be in it (RFC 1858 drops the rest as
/// tiny-fragment attacks); a UDP length that covers the whole datagram is fine here.
fn first_fragment_ports(protocol: IpProtocol, l4: &[u8]) -> Result<(u16, u16), DropReason> {
    match protocol {
        IpProtocol::Udp => {
            let h = l4.get(..8).ok_or(DropReason::UdpTruncated)?;
            Ok((
                u16::from_be_bytes([h[0], h[1]]),
                u16::from_be_bytes([h[2], h[3]]),
            ))
        }
        _ => l4_ports(protocol, l4),
    }
}

/// Checks the L4 header rvs will read or rewrite, and returns its ports.
fn l4_ports(protocol: IpProtocol, l4: &[u8]) -> Result<(u16, u16), DropReason> {
    match protocol {
        IpProtocol::Tcp => {
            let tcp = TcpPacket::new_checked(l4)?;
            Ok((tcp.src_port(), tcp.dst_port()))
        }
        IpProtocol::Udp => {
            let udp = UdpPacket::new_checked(l4)?;
            Ok((udp.src_port(), udp.dst_port()))
        }
        IpProtocol::Icmp => IcmpPacket::new_checked(l4).map(|_| (0, 0)),
        _ => Ok((0, 0)),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;
    use proptest::prelude::*;

    const ETH_V4: &str = "020000000001 0200000000fe 0800";
    const ETH_VLAN: &str = "020000000001 0200000000fe 8100 0064 0800";
    /// S0 of ipvs-forwarding §7.0.
    const S0: &str =
        "4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
    const ARP_REQ: &str = "ffffffffffff 020000000011 0806 0001 0800 06 04 0001 020000000011 0a00000b 000000000000 0a000001";

    fn frame(parts: &[&str]) -> Vec<u8> {
        hex(&parts.concat())
    }

    fn s0_class(l3: usize) -> Class {
        Class::Ipv4(IpPacket {
            l3,
            l4: l3 + 20,
            end: l3 + 44,
            protocol: IpProtocol::Tcp,
            key: FlowKey {
                proto: 6,
                saddr: Ipv4Addr::new(203, 0, 113, 10),
                sport: 40000,
                daddr: Ipv4Addr::new(198, 51, 100, 1),
                dport: 80,
            },
            frag: None,
        })
    }

    #[test]
    fn tcp_syn() {
        assert_eq!(classify(&frame(&[ETH_V4, S0])), s0_class(14));
    }

    #[test]
    fn tcp_syn_with_padding() {
        let mut f = frame(&[ETH_V4, S0]);
        f.resize(64, 0);
        assert_eq!(classify(&f), s0_class(14));
    }

    #[test]
    fn vlan_tagged() {
        assert_eq!(classify(&frame(&[ETH_VLAN, S0])), s0_class(18));
    }

    #[test]
    fn arp() {
        assert_eq!(classify(&hex(ARP_REQ)), Class::Arp { l3_offset: 14 });
    }

    #[test]
    fn udp_and_icmp() {
        let udp = "45000020222200004011f26bcb00710ac63364019c410035000c000061626364";
        match classify(&frame(&[ETH_V4, udp])) {
            Class::Ipv4(IpPacket {
                protocol: IpProtocol::Udp,
                key:
                    FlowKey {
                        sport: 40001,
                        dport: 53,
                        ..
                    },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        let mut icmp = hex("4500001c0001000040010000c0a80001c0a800020800f7fe00000001");
        let c = crate::wire::checksum::checksum(&icmp[..20]);
        icmp[10..12].copy_from_slice(&c.to_be_bytes());
        let f = [hex(ETH_V4), icmp].concat();
        match classify(&f) {
            Class::Ipv4(IpPacket {
                protocol: IpProtocol::Icmp,
                end: 42,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ipv6() {
        // The SYN of ipvs-forwarding §7.16: 2001:db8:c::10 port 40000 → 2001:db8:f::1 port 80.
        let v6 = "020000000001 0200000000fe 86dd 60000000 0014 06 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050000003e8000000005002faf000000000";
        let c = classify(&hex(v6));
        assert_eq!(
            c,
            Class::Ipv6(IpPacket {
                l3: 14,
                l4: 54,
                end: 74,
                protocol: IpProtocol::Tcp,
                key: FlowKey {
                    proto: 6,
                    saddr: "2001:db8:c::10".parse().unwrap(),
                    sport: 40000,
                    daddr: "2001:db8:f::1".parse().unwrap(),
                    dport: 80,
                },
                frag: None,
            })
        );
        let cut = "020000000001 0200000000fe 86dd 60000000 0004 06 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050";
        assert_eq!(classify(&hex(cut)), Class::Drop(DropReason::TcpTruncated));
    }

    /// What a port admits: its VLAN only, its MAC, and of the group addresses broadcast ARP
    /// and ICMPv6 to all-nodes or a solicited-node group on that group's MAC.
    #[test]
    fn a_port_admits_its_vlan_its_mac_and_what_arp_and_nd_need() {
        let port = PortL2::new([2, 0, 0, 0, 0, 1]);
        let tagged = PortL2 {
            vlan: Some(100),
            ..port
        };
        // 8 bytes from 2001:db8::2 to `group` behind Ethernet `dst`, next header `next`: an ICMPv6
        // header (type 135) read as ICMPv6, a UDP header (length 8) read as UDP.
        let icmpv6 = |dst: &str, group: &str, next: &str| {
            let ip = format!("60000000 0008 {next} ff 20010db8000000000000000000000002 {group}");
            hex(&format!("{dst} 0200000000fe 86dd {ip} 87000008 00080000"))
        };
        let solicited = "ff0200000000000000000001ff000001";
        let all_nodes = "ff020000000000000000000000000001";
        let admitted = [
            (port, frame(&[ETH_V4, S0])),
            (tagged, frame(&[ETH_VLAN, S0])),
            (port, hex(ARP_REQ)),
            (port, icmpv6("3333ff000001", solicited, "3a")),
            (port, icmpv6("333300000001", all_nodes, "3a")),
            (
                PortL2 {
                    promiscuous: true,
                    ..port
                },
                frame(&["020000000099 0200000000fe 0800", S0]),
            ),
        ];
        for (p, f) in admitted {
            assert!(
                !matches!(classify_on(&f, &p), Class::Drop(_)),
                "{p:?} {f:02x?}"
            );
        }
        let refused = [
            (port, frame(&[ETH_VLAN, S0]), DropReason::VlanTagged),
            (tagged, frame(&[ETH_V4, S0]), DropReason::VlanUntagged),
            (
                tagged,
                frame(&["020000000001 0200000000fe 8100 0065 0800", S0]),
                DropReason::VlanMismatch,
            ),
            (
                port,
                frame(&["020000000099 0200000000fe 0800", S0]),
                DropReason::NotOurMac,
            ),
            (
                port,
                frame(&["ffffffffffff 0200000000fe 0800", S0]),
                DropReason::NotOurMac,
            ),
            (
                port,
                hex(&ARP_REQ.replacen("ffffffffffff", "010000000001", 1)),
                DropReason::NotOurMac,
            ),
            // The wrong group's MAC, and UDP (next header 17) to a solicited-node group.
            (
                port,
                icmpv6("3333ff000002", solicited, "3a"),
                DropReason::NotOurMac,
            ),
            (
                port,
                icmpv6("3333ff000001", solicited, "11"),
                DropReason::NotOurMac,
            ),
        ];
        for (p, f, want) in refused {
            assert_eq!(classify_on(&f, &p), Class::Drop(want), "{p:?} {f:02x?}");
        }
    }

    #[test]
    fn drops() {
        let cases: &[(Vec<u8>, DropReason)] = &[
            (
                hex("020000000001 0200000000fe 88cc 00"),
                DropReason::UnknownEtherType,
            ),
            (
                hex("020000000001 0200000000fe 8100 0064 8100 0065 0800"),
                DropReason::VlanStacked,
            ),
            (
                hex("020000000001 0200000000fe 0806 0001 0800 06 04 0001"),
                DropReason::ArpTruncated,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(classify(f), Class::Drop(*want));
        }
        let mut bad_sum = frame(&[ETH_V4, S0]);
        bad_sum[14 + 11] ^= 0x01;
        assert_eq!(classify(&bad_sum), Class::Drop(DropReason::Ipv4BadChecksum));
        // MF set: 0x4000 -> 0x2000; adjust the header checksum by hand (0xb846 + 0x2000).
        let mut frag = frame(&[ETH_V4, S0]);
        frag[14 + 6] = 0x20;
        frag[14 + 10..14 + 12].copy_from_slice(&0xd846u16.to_be_bytes());
        let first = Fragment {
            id: 0x1c46,
            first: true,
        };
        match classify(&frag) {
            Class::Ipv4(p) => assert_eq!((p.frag, p.key.sport), (Some(first), 40000)),
            other => panic!("{other:?}"),
        }
        // Offset 8 bytes: a later fragment, no ports read from its data.
        frag[14 + 7] = 0x01;
        let mut ip = Ipv4Packet::new_unchecked(&mut frag[14..]);
        ip.fill_checksum();
        match classify(&frag) {
            Class::Ipv4(p) => {
                assert!(p.is_later_fragment());
                assert_eq!((p.key.sport, p.key.dport), (0, 0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_at_every_length() {
        for (prefix, l3) in [(ETH_V4, 14), (ETH_VLAN, 18)] {
            let f = frame(&[prefix, S0]);
            for len in 0..f.len() {
                let want = match len {
                    _ if len < 14 => DropReason::EthernetTruncated,
                    _ if len < l3 => DropReason::VlanTruncated,
                    _ if len < l3 + 20 => DropReason::Ipv4TooShort,
                    _ => DropReason::Ipv4BadTotalLen,
                };
                assert_eq!(classify(&f[..len]), Class::Drop(want), "len {len}");
            }
        }
        let arp = hex(ARP_REQ);
        for len in 14..arp.len() {
            assert_eq!(classify(&arp[..len]), Class::Drop(DropReason::ArpTruncated));
        }
    }

    #[test]
    fn l4_header_cut_inside_total_len() {
        // S0 claiming total length 30: the TCP header (20 bytes) no longer fits in 10.
        let mut ip = hex(S0);
        ip[3] = 30;
        let mut p = Ipv4Packet::new_unchecked(&mut ip[..]);
        p.fill_checksum();
        let f = [hex(ETH_V4), ip].concat();
        assert_eq!(classify(&f), Class::Drop(DropReason::TcpTruncated));
    }

    proptest! {
        #[test]
        fn never_panics_on_random_bytes(f in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = classify(&f);
        }

        /// Random bytes behind real Ethernet/VLAN/IPv4 prefixes reach the deeper parsers.
        #[test]
        fn never_panics_behind_valid_prefixes(
            which in 0usize..5,
            tail in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let prefixes = [ETH_V4, ETH_VLAN, "020000000001 0200000000fe 0806",
                "020000000001 0200000000fe 86dd", "020000000001 0200000000fe 0800 45"];
            let f = [hex(prefixes[which]), tail].concat();
            let _ = classify(&f);
        }

        /// A valid header with a random L4 part: ports come from the bytes, never a panic.
        #[test]
        fn random_l4_behind_valid_ipv4(
            proto in prop::sample::select(vec![1u8, 6, 17, 47]),
            l4 in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut ip = vec![0u8; 20];
            ip.extend_from_slice(&l4);
            let total = ip.len() as u16;
            let mut p = Ipv4Packet::new_unchecked(&mut ip[..]);
            p.set_version_ihl(20);
            p.set_total_len(total);
            p.set_ttl(64);
            p.set_protocol(proto.into());
            p.fill_checksum();
            let f = [hex(ETH_V4), ip].concat();
            let _ = classify(&f);
        }
    }
}
