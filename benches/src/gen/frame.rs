//! The generator's frames: built once in full with rvs's wire views (the template), then
//! patched per packet in the few fields that vary, checksums updated incrementally.
//!
//! Layout: Ethernet, IPv4 (DF, TTL 64) or IPv6 (hop limit 64), UDP or TCP (20-byte header,
//! no options), a zero payload whose last 6 bytes are the TSC stamp (48 bits, big-endian).
//! The IP length covers the whole frame (no Ethernet padding), so the stamp is the frame's
//! tail, which NAT, DR and TUN keep (TUN only prepends).

use dataplane::wire::checksum::{self, PseudoHeader};
use dataplane::wire::ethernet::{self, EtherType, EthernetFrame, MacAddr};
use dataplane::wire::{ipv4, ipv6, tcp, udp, IpProtocol, Ipv4Packet, Ipv6Packet};
use dataplane::wire::{TcpPacket, UdpPacket};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Bytes of the TSC stamp at the end of every frame.
pub const STAMP_LEN: usize = 6;

/// The stamp's mask: the TSC's low 48 bits.
pub const STAMP_MASK: u64 = (1 << 48) - 1;

/// The shortest Ethernet frame without FCS.
pub const MIN_FRAME: usize = 60;

/// The TCP window every segment advertises.
const WINDOW: u16 = 65535;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
}

/// What every frame of a run shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    pub proto: Proto,
    /// Frame length without FCS.
    pub len: usize,
    pub src_mac: MacAddr,
    pub dst_mac: MacAddr,
    /// The source network: its family is the frames', and its bits but the low 32 are every
    /// source address's (the low 32 are [`Fields::src_low`]).
    pub src_net: IpAddr,
    pub dst: SocketAddr,
    /// UDP checksum 0 ("none", IPv4 only) instead of a computed one.
    pub udp_csum0: bool,
}

impl FrameSpec {
    /// Ethernet, IP and L4 headers.
    pub fn header_len(&self) -> usize {
        let l3 = match self.src_net {
            IpAddr::V4(_) => ipv4::HEADER_LEN,
            IpAddr::V6(_) => ipv6::HEADER_LEN,
        };
        ethernet::HEADER_LEN + l3 + self.l4_header_len()
    }

    fn l4_header_len(&self) -> usize {
        match self.proto {
            Proto::Udp => udp::HEADER_LEN,
            Proto::Tcp => tcp::HEADER_LEN,
        }
    }

    /// The shortest frame of this kind: the headers and the stamp, and no shorter than
    /// Ethernet's minimum.
    pub fn min_len(&self) -> usize {
        (self.header_len() + STAMP_LEN).max(MIN_FRAME)
    }

    /// The L4 payload's length (stamp included).
    pub fn payload_len(&self) -> usize {
        self.len - self.header_len()
    }

    /// The IP header's offset.
    fn l3(&self) -> usize {
        ethernet::HEADER_LEN
    }

    /// The L4 header's offset.
    fn l4(&self) -> usize {
        self.header_len() - self.l4_header_len()
    }

    /// The offset of the source address's low 32 bits.
    fn src_low_at(&self) -> usize {
        self.l3()
            + match self.src_net {
                IpAddr::V4(_) => 12,
                IpAddr::V6(_) => 8 + 12,
            }
    }

    /// The source address whose low 32 bits are `low`.
    fn src_addr(&self, low: u32) -> IpAddr {
        match self.src_net {
            IpAddr::V4(_) => Ipv4Addr::from(low).into(),
            IpAddr::V6(net) => {
                Ipv6Addr::from(u128::from(net) & !0xffff_ffff | u128::from(low)).into()
            }
        }
    }
}

/// What varies from packet to packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    /// The source address's low 32 bits.
    pub src_low: u32,
    pub src_port: u16,
    /// TCP: the sequence number, and SYN (else ACK).
    pub seq: u32,
    pub syn: bool,
    /// The TSC's low 48 bits.
    pub stamp: u64,
}

impl Fields {
    fn tcp_flags(&self) -> u8 {
        if self.syn {
            tcp::flags::SYN
        } else {
            tcp::flags::ACK
        }
    }

    /// The 16-bit word of TCP's data offset and flags, as the checksum sees it.
    fn tcp_flags_word(&self) -> u16 {
        (((tcp::HEADER_LEN / 4) as u16) << 12) | u16::from(self.tcp_flags())
    }

    fn stamp_bytes(&self) -> [u8; STAMP_LEN] {
        let b = (self.stamp & STAMP_MASK).to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    }
}

/// A whole frame of `spec` with `f`, every checksum computed in full.
pub fn build(spec: &FrameSpec, f: &Fields) -> Vec<u8> {
    let mut frame = vec![0; spec.len];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    eth.set_dst_addr(spec.dst_mac);
    eth.set_src_addr(spec.src_mac);
    let n = frame.len();
    frame[n - STAMP_LEN..].copy_from_slice(&f.stamp_bytes());
    let protocol = match spec.proto {
        Proto::Udp => IpProtocol::Udp,
        Proto::Tcp => IpProtocol::Tcp,
    };
    let l4_len = (spec.len - spec.l4()) as u16;
    match (spec.src_addr(f.src_low), spec.dst) {
        (IpAddr::V4(src), SocketAddr::V4(dst)) => {
            EthernetFrame::new_unchecked(&mut frame[..]).set_ethertype(EtherType::Ipv4);
            let mut ip = Ipv4Packet::new_unchecked(&mut frame[spec.l3()..]);
            ip.set_version_ihl(ipv4::HEADER_LEN);
            ip.set_total_len(ipv4::HEADER_LEN as u16 + l4_len);
            ip.set_flags_offset(true, false, 0);
            ip.set_ttl(64);
            ip.set_protocol(protocol);
            ip.set_src_addr(src);
            ip.set_dst_addr(*dst.ip());
            ip.fill_checksum();
            fill_l4(spec, f, &mut frame[spec.l4()..], src, *dst.ip(), dst.port());
        }
        (IpAddr::V6(src), SocketAddr::V6(dst)) => {
            EthernetFrame::new_unchecked(&mut frame[..]).set_ethertype(EtherType::Ipv6);
            let mut ip = Ipv6Packet::new_unchecked(&mut frame[spec.l3()..]);
            ip.set_version_tc_flow(0, 0);
            ip.set_payload_len(l4_len);
            ip.set_next_header(protocol);
            ip.set_hop_limit(64);
            ip.set_src_addr(src);
            ip.set_dst_addr(*dst.ip());
            fill_l4(spec, f, &mut frame[spec.l4()..], src, *dst.ip(), dst.port());
        }
        _ => unreachable!("the source network and the VIP are of one family (checked)"),
    }
    frame
}

/// The UDP or TCP header of `l4` (the L4 packet to the frame's end) with its checksum.
fn fill_l4<A: PseudoHeader>(
    spec: &FrameSpec,
    f: &Fields,
    l4: &mut [u8],
    src: A,
    dst: A,
    port: u16,
) {
    match spec.proto {
        Proto::Udp => {
            let len = l4.len() as u16;
            let mut udp = UdpPacket::new_unchecked(l4);
            udp.set_src_port(f.src_port);
            udp.set_dst_port(port);
            udp.set_len(len);
            if spec.udp_csum0 {
                udp.set_checksum(0);
            } else {
                udp.fill_checksum(src, dst);
            }
        }
        Proto::Tcp => {
            let mut tcp = TcpPacket::new_unchecked(l4);
            tcp.set_src_port(f.src_port);
            tcp.set_dst_port(port);
            tcp.set_seq_number(f.seq);
            tcp.set_ack_number(0);
            tcp.set_header_len(tcp::HEADER_LEN);
            tcp.set_flags(f.tcp_flags());
            tcp.set_window_len(WINDOW);
            tcp.fill_checksum(src, dst);
        }
    }
}

/// A frame built once, and how to turn a copy of it into any other frame of its spec by
/// writing only what varies.
pub struct Template {
    frame: Vec<u8>,
    /// The fields `frame` was built with.
    base: Fields,
    src_low_at: usize,
    l4: usize,
    proto: Proto,
    /// IPv4: the header checksum has the source address in it.
    ip_csum: Option<u16>,
    /// `None` with UDP checksum 0.
    l4_csum: Option<u16>,
    /// Whether the stamp starts at an odd offset from the L4 header: its bytes then fall
    /// across the checksum's 16-bit words, and their sum is byte-swapped (RFC 1071 §2(B)).
    stamp_odd: bool,
}

impl Template {
    /// The frame of `spec` with `base` (its stamp ignored: the template's is zero).
    pub fn new(spec: &FrameSpec, base: &Fields) -> Template {
        let base = Fields { stamp: 0, ..*base };
        let frame = build(spec, &base);
        let l4 = spec.l4();
        let csum_at = match spec.proto {
            Proto::Udp => udp::CHECKSUM_OFFSET,
            Proto::Tcp => tcp::CHECKSUM_OFFSET,
        };
        let word = |at: usize| u16::from_be_bytes([frame[at], frame[at + 1]]);
        Template {
            base,
            src_low_at: spec.src_low_at(),
            l4,
            proto: spec.proto,
            ip_csum: spec
                .src_net
                .is_ipv4()
                .then(|| word(spec.l3() + ipv4::CHECKSUM_OFFSET)),
            l4_csum: (!(spec.proto == Proto::Udp && spec.udp_csum0)).then(|| word(l4 + csum_at)),
            stamp_odd: (spec.len - STAMP_LEN - l4) % 2 == 1,
            frame,
        }
    }

    /// The template frame.
    pub fn bytes(&self) -> &[u8] {
        &self.frame
    }

    /// Turns `frame`, a copy of the template that may since have been patched to other
    /// fields, into the frame with `f`: every varying field and both checksums are written
    /// whole (computed from the template's), so which fields `frame` held before does not
    /// matter.
    pub fn patch(&self, frame: &mut [u8], f: &Fields) {
        let b = &self.base;
        frame[self.src_low_at..self.src_low_at + 4].copy_from_slice(&f.src_low.to_be_bytes());
        if let Some(c) = self.ip_csum {
            let mut ip = Ipv4Packet::new_unchecked(&mut frame[ethernet::HEADER_LEN..]);
            ip.set_checksum(checksum::update32(c, b.src_low, f.src_low));
        }
        let l4 = &mut frame[self.l4..];
        let stamp = f.stamp_bytes();
        let n = l4.len();
        l4[n - STAMP_LEN..].copy_from_slice(&stamp);
        let csum = self.l4_csum.map(|c| {
            let c = checksum::update32(c, b.src_low, f.src_low);
            let c = checksum::update16(c, b.src_port, f.src_port);
            // The template's stamp is zero: the new one's sum is added.
            let s = checksum::sum(&stamp);
            !checksum::combine(&[!c, if self.stamp_odd { s.swap_bytes() } else { s }])
        });
        match self.proto {
            Proto::Udp => {
                let mut udp = UdpPacket::new_unchecked(l4);
                udp.set_src_port(f.src_port);
                if let Some(c) = csum {
                    // 0 means "no checksum" in UDP: its equal, 0xffff, is sent (RFC 768).
                    udp.set_checksum(if c == 0 { 0xffff } else { c });
                }
            }
            Proto::Tcp => {
                let mut tcp = TcpPacket::new_unchecked(l4);
                tcp.set_src_port(f.src_port);
                tcp.set_seq_number(f.seq);
                tcp.set_flags(f.tcp_flags());
                if let Some(c) = csum {
                    let c = checksum::update32(c, b.seq, f.seq);
                    tcp.set_checksum(checksum::update16(
                        c,
                        b.tcp_flags_word(),
                        f.tcp_flags_word(),
                    ));
                }
            }
        }
    }
}

/// The stamp in the last 6 bytes of `frame`, if it is that long.
pub fn stamp(frame: &[u8]) -> Option<u64> {
    let tail = frame.get(frame.len().checked_sub(STAMP_LEN)?..)?;
    let mut b = [0; 8];
    b[2..].copy_from_slice(tail);
    Some(u64::from_be_bytes(b))
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    fn spec(proto: Proto, v6: bool, len: usize) -> FrameSpec {
        let (src_net, dst): (IpAddr, SocketAddr) = if v6 {
            (
                "fd00::".parse().unwrap(),
                "[2001:db8:f::2]:9".parse().unwrap(),
            )
        } else {
            ("10.0.0.0".parse().unwrap(), "198.18.0.2:9".parse().unwrap())
        };
        FrameSpec {
            proto,
            len,
            src_mac: [2, 0, 0, 0, 0, 2],
            dst_mac: [2, 0, 0, 0, 0, 1],
            src_net,
            dst,
            udp_csum0: false,
        }
    }

    const BASE: Fields = Fields {
        src_low: 0x0a00_0001,
        src_port: 10000,
        seq: 0,
        syn: true,
        stamp: 0,
    };

    /// Every checksum of `frame` holds, as rvs's own parsers check them.
    fn checksums_hold(spec: &FrameSpec, frame: &[u8]) -> bool {
        let eth = EthernetFrame::new_checked(frame).unwrap();
        let l4_ok = |l4: &[u8], src: IpAddr, dst: IpAddr| match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => match spec.proto {
                Proto::Udp => UdpPacket::new_checked(l4).unwrap().verify_checksum(s, d),
                Proto::Tcp => TcpPacket::new_checked(l4).unwrap().verify_checksum(s, d),
            },
            (IpAddr::V6(s), IpAddr::V6(d)) => match spec.proto {
                Proto::Udp => UdpPacket::new_checked(l4).unwrap().verify_checksum(s, d),
                Proto::Tcp => TcpPacket::new_checked(l4).unwrap().verify_checksum(s, d),
            },
            _ => false,
        };
        match eth.ethertype() {
            EtherType::Ipv4 => {
                let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
                ip.verify_checksum()
                    && l4_ok(ip.payload(), ip.src_addr().into(), ip.dst_addr().into())
            }
            EtherType::Ipv6 => {
                let ip = Ipv6Packet::new_checked(eth.payload()).unwrap();
                l4_ok(ip.payload(), ip.src_addr().into(), ip.dst_addr().into())
            }
            _ => false,
        }
    }

    #[test]
    fn ipv4_udp_minimum_frame() {
        let s = spec(Proto::Udp, false, 60);
        let f = build(
            &s,
            &Fields {
                stamp: 0x0102_0304_0506,
                ..BASE
            },
        );
        assert_eq!(f.len(), 60);
        let eth = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(eth.dst_addr(), [2, 0, 0, 0, 0, 1]);
        assert_eq!(eth.src_addr(), [2, 0, 0, 0, 0, 2]);
        let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
        assert_eq!(ip.total_len(), 46, "no Ethernet padding");
        assert_eq!(ip.ttl(), 64);
        assert!(ip.dont_frag());
        assert_eq!(ip.src_addr(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(ip.dst_addr(), Ipv4Addr::new(198, 18, 0, 2));
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert_eq!((udp.src_port(), udp.dst_port(), udp.len()), (10000, 9, 26));
        assert_ne!(udp.checksum(), 0);
        assert!(checksums_hold(&s, &f));
        assert_eq!(&f[54..], &[1, 2, 3, 4, 5, 6]);
        assert_eq!(stamp(&f), Some(0x0102_0304_0506));
    }

    #[test]
    fn ipv6_tcp_syn_and_ack() {
        let s = spec(Proto::Tcp, true, 1514);
        for (syn, flags) in [(true, tcp::flags::SYN), (false, tcp::flags::ACK)] {
            let f = build(
                &s,
                &Fields {
                    syn,
                    seq: 7,
                    ..BASE
                },
            );
            let eth = EthernetFrame::new_checked(&f[..]).unwrap();
            let ip = Ipv6Packet::new_checked(eth.payload()).unwrap();
            assert_eq!(usize::from(ip.payload_len()), 1514 - 54);
            assert_eq!(ip.hop_limit(), 64);
            assert_eq!(ip.src_addr(), "fd00::a00:1".parse::<Ipv6Addr>().unwrap());
            let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
            assert_eq!((tcp.src_port(), tcp.dst_port()), (10000, 9));
            assert_eq!(
                (tcp.flags(), tcp.seq_number(), tcp.header_len()),
                (flags, 7, 20)
            );
            assert!(checksums_hold(&s, &f));
        }
    }

    #[test]
    fn minimum_lengths() {
        let min = |p, v6| spec(p, v6, 0).min_len();
        assert_eq!(min(Proto::Udp, false), 60);
        assert_eq!(min(Proto::Tcp, false), 60);
        assert_eq!(min(Proto::Udp, true), 68);
        assert_eq!(min(Proto::Tcp, true), 80);
    }

    #[test]
    fn udp_checksum_zero() {
        let s = FrameSpec {
            udp_csum0: true,
            ..spec(Proto::Udp, false, 60)
        };
        let t = Template::new(&s, &BASE);
        let mut f = t.bytes().to_vec();
        t.patch(
            &mut f,
            &Fields {
                src_low: 0x0a00_0102,
                stamp: 99,
                ..BASE
            },
        );
        assert_eq!(&f[40..42], &[0, 0]);
        assert!(checksums_hold(&s, &f));
    }

    #[test]
    fn short_frames_have_no_stamp() {
        assert_eq!(stamp(&[1, 2, 3, 4, 5]), None);
        assert_eq!(stamp(&[9, 0, 0, 0, 0, 1, 2]), Some(0x0102));
    }

    fn any_fields() -> impl Strategy<Value = Fields> {
        (
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            any::<bool>(),
            any::<u64>(),
        )
            .prop_map(|(src_low, src_port, seq, syn, stamp)| Fields {
                src_low,
                src_port,
                seq,
                syn,
                stamp: stamp & STAMP_MASK,
            })
    }

    proptest! {
        /// A patched copy of the template, patched again and again, is the frame built in full
        /// with the same fields (checksums compared as values: one's complement has two zeros).
        #[test]
        fn patch_equals_build(
            tcp in any::<bool>(), v6 in any::<bool>(), extra in 0usize..1500,
            a in any_fields(), b in any_fields(),
        ) {
            let proto = if tcp { Proto::Tcp } else { Proto::Udp };
            let mut s = spec(proto, v6, 0);
            s.len = (s.min_len() + extra).min(1514);
            let t = Template::new(&s, &BASE);
            let mut frame = t.bytes().to_vec();
            for f in [a, b] {
                t.patch(&mut frame, &f);
                let want = build(&s, &f);
                prop_assert!(checksums_hold(&s, &frame));
                let l4_csum = s.l4() + if tcp { tcp::CHECKSUM_OFFSET } else { udp::CHECKSUM_OFFSET };
                let ip_csum = ethernet::HEADER_LEN + ipv4::CHECKSUM_OFFSET;
                let (mut got, mut want) = (frame.clone(), want);
                for v in [&mut got, &mut want] {
                    v[l4_csum..l4_csum + 2].fill(0);
                    if !v6 {
                        v[ip_csum..ip_csum + 2].fill(0);
                    }
                }
                prop_assert_eq!(got, want);
                prop_assert_eq!(stamp(&frame), Some(f.stamp));
            }
        }
    }
}
