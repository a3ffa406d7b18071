//! TUN ("Tunnel", `-i`): the request is encapsulated towards the real server in IPIP, GRE or
//! GUE (ipvs-forwarding §3.3, `ip_vs_tunnel_xmit`, `ip_vs_tunnel_xmit_v6`, `ipvs_gre_encap`,
//! `ipvs_gue_encap`). The inner packet is the client's, TTL (hop limit) already decremented,
//! destination still the VIP; the real server decapsulates it and answers the client directly.
//!
//! The outer family is the real server's, the inner one the service's (§3.3): IPv4 or IPv6
//! in IPv4 or IPv6. [`Outer`] is what differs per outer family; the GRE and GUE headers are
//! one copy for both.
//!
//! * Outer IPv4 header (§3.3.1): TOS = inner DSCP + inner ECN with CE turned into ECT(0)
//!   (RFC 3168 §9.1.1 full functionality), DF copied from an IPv4 inner packet
//!   (`pmtu_disc=1`) and clear for an IPv6 one, ID 0 when DF is set and a generated one
//!   otherwise, TTL = inner TTL or hop limit, protocol 4 or 41 for plain IPIP.
//! * Outer IPv6 header (§3.3.2): traffic class by the same ECN rule, flow label 0, hop limit =
//!   inner TTL or hop limit, next header 4 or 41 for plain IPIP, no extension headers.
//!
//! Either way the source is the box's address on the route to the real server and the
//! destination the real server.

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::conn::state::PROTO_UDP;
use crate::dest::{TunCsum, TunKind, Tunnel};
use crate::flow::Addr;
use crate::port::Frame;
use crate::stats::DropReason;
use crate::wire::checksum::{self, PseudoHeader};
use crate::wire::{ipv4, ipv6, IpProtocol, Ipv4Packet, Ipv6Packet};

/// UDP header before GUE.
const UDP_LEN: usize = 8;
/// The GUE header rvs sends: version 0, no optional fields (§3.3.3; `--tun-remcsum` is sent
/// as `--tun-csum` for forwarded packets, whose checksums are never "partial").
const GUE_LEN: usize = 4;
/// GRE: flags+version and protocol; 4 more with the checksum (§3.3.4).
const GRE_LEN: usize = 4;
const GRE_CSUM_LEN: usize = 4;
const GRE_FLAG_CSUM: u16 = 0x8000;
/// GRE protocol types of the inner packet, and EtherTypes of the outer one.
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// IP protocol numbers of the outer header.
const PROTO_IPIP: u8 = 4;
const PROTO_IPV6: u8 = 41;
const PROTO_GRE: u8 = 47;
/// The host's ephemeral port range GUE's source port is drawn from (Linux's default
/// `ip_local_port_range`, `udp_flow_src_port`).
pub const GUE_SPORT_MIN: u32 = 32768;
pub const GUE_SPORT_MAX: u32 = 60999;

/// The outer header of one family (the real server's): `Ipv4Addr` or `Ipv6Addr`.
pub trait Outer: PseudoHeader {
    /// Its length: no options, no extension headers.
    const HEADER_LEN: usize;
    /// Its EtherType, for the frame's L2 header.
    const ETHERTYPE: u16;
    /// The smallest tunnel MTU; below it the packet is dropped silently (§3.0 step 4).
    const MIN_MTU: u16;
    /// Writes the header at the front of `packet`, the whole outer packet, for `inner`,
    /// carrying `protocol`, with (IPv4, DF clear) ID `id`.
    fn write_header(packet: &mut [u8], inner: &Inner, protocol: u8, src: Self, dst: Self, id: u16);
}

impl Outer for Ipv4Addr {
    const HEADER_LEN: usize = ipv4::HEADER_LEN;
    const ETHERTYPE: u16 = ETHERTYPE_IPV4;
    const MIN_MTU: u16 = 68;

    fn write_header(packet: &mut [u8], inner: &Inner, protocol: u8, src: Self, dst: Self, id: u16) {
        let total = packet.len() as u16;
        // The header alone, a slice of known length: the writes below need no bounds checks.
        let mut outer = Ipv4Packet::new_unchecked(&mut packet[..ipv4::HEADER_LEN]);
        outer.set_version_ihl(ipv4::HEADER_LEN);
        outer.set_dscp_ecn(outer_tos(inner.tos));
        outer.set_total_len(total);
        outer.set_ident(if inner.df { 0 } else { id });
        outer.set_flags_offset(inner.df, false, 0);
        outer.set_ttl(inner.ttl);
        outer.set_protocol(protocol.into());
        outer.set_src_addr(src);
        outer.set_dst_addr(dst);
        outer.fill_checksum();
    }
}

impl Outer for Ipv6Addr {
    const HEADER_LEN: usize = ipv6::HEADER_LEN;
    const ETHERTYPE: u16 = ETHERTYPE_IPV6;
    /// IPv6's minimum link MTU (RFC 8200 §5).
    const MIN_MTU: u16 = 1280;

    fn write_header(packet: &mut [u8], inner: &Inner, protocol: u8, src: Self, dst: Self, _: u16) {
        let payload_len = (packet.len() - ipv6::HEADER_LEN) as u16;
        let mut outer = Ipv6Packet::new_unchecked(packet);
        outer.set_version_tc_flow(outer_tos(inner.tos), 0);
        outer.set_payload_len(payload_len);
        outer.set_next_header(protocol.into());
        outer.set_hop_limit(inner.ttl);
        outer.set_src_addr(src);
        outer.set_dst_addr(dst);
    }
}

/// What the outer headers take from the inner packet (read by [`encapsulate`]).
pub struct Inner {
    /// IPv4 TOS or IPv6 traffic class.
    tos: u8,
    /// TTL or hop limit, already decremented.
    ttl: u8,
    /// IPv4 DF; clear for IPv6, whose outer IPv4 header has DF 0 (§3.3.1).
    df: bool,
    len: usize,
    /// Its protocol number as a payload (4 or 41), for plain IPIP and GUE's proto byte.
    proto: u8,
    /// Its GRE protocol type (0x0800 or 0x86dd).
    ethertype: u16,
    /// GUE's UDP source port for its flow; 0 (unused) for the other kinds.
    sport: u16,
}

impl Inner {
    /// Reads the inner packet, IPv4 or IPv6 by its version, for a tunnel of `kind`.
    fn read(ip: &[u8], kind: TunKind) -> Result<Inner, DropReason> {
        match ip.first().map(|b| b >> 4) {
            Some(6) => Inner::v6(ip, kind),
            _ => Inner::v4(ip, kind),
        }
    }

    fn v4(ip: &[u8], kind: TunKind) -> Result<Inner, DropReason> {
        let ip = Ipv4Packet::new_checked(ip)?;
        let flow = (ip.src_addr(), ip.dst_addr(), ip.protocol(), ip.payload());
        Ok(Inner {
            tos: ip.dscp_ecn(),
            ttl: ip.ttl(),
            df: ip.dont_frag(),
            len: usize::from(ip.total_len()),
            proto: PROTO_IPIP,
            ethertype: ETHERTYPE_IPV4,
            sport: gue_source_port(kind, flow),
        })
    }

    fn v6(ip: &[u8], kind: TunKind) -> Result<Inner, DropReason> {
        let ip = Ipv6Packet::new_checked(ip)?;
        let flow = (ip.src_addr(), ip.dst_addr(), ip.next_header(), ip.payload());
        Ok(Inner {
            tos: ip.traffic_class(),
            ttl: ip.hop_limit(),
            df: false,
            len: ipv6::HEADER_LEN + usize::from(ip.payload_len()),
            proto: PROTO_IPV6,
            ethertype: ETHERTYPE_IPV6,
            sport: gue_source_port(kind, flow),
        })
    }
}

/// Bytes the encapsulation adds for `t` over an outer header of family `O` (§3.0 step 4:
/// IPv4 outer: IPIP 20, GUE 32, GRE 24 or 28; IPv6 outer: 20 more).
pub fn overhead<O: Outer>(t: &Tunnel) -> usize {
    O::HEADER_LEN + encap_len(t)
}

fn encap_len(t: &Tunnel) -> usize {
    match (t.kind, t.csum) {
        (TunKind::Ipip, _) => 0,
        (TunKind::Gue, _) => UDP_LEN + GUE_LEN,
        (TunKind::Gre, TunCsum::None) | (TunKind::Gre, TunCsum::Remcsum) => GRE_LEN,
        (TunKind::Gre, TunCsum::Csum) => GRE_LEN + GRE_CSUM_LEN,
    }
}

/// The tunnel MTU (`mtu_t`, §3.3.5) behind a route MTU of `route_mtu` with an outer header
/// of family `O`; `None` when it is below 68 (IPv4 outer) or 1280 (IPv6 outer) and the
/// packet is dropped silently. For the MTU step of `Forward::transmit` (either family).
pub fn mtu<O: Outer>(t: &Tunnel, route_mtu: u16) -> Option<u16> {
    route_mtu
        .checked_sub(overhead::<O>(t) as u16)
        .filter(|&m| m >= O::MIN_MTU)
}

/// The outer TOS for inner `tos`: ECN CE (11) becomes ECT(0) (10), everything else is copied
/// (`INET_ECN_encapsulate(old, old)`; oracle: 0xbb → 0xba, 0xb9 → 0xb9, 0x03 → 0x02).
pub fn outer_tos(tos: u8) -> u8 {
    if tos & 0x03 == 0x03 {
        tos & !0x01
    } else {
        tos
    }
}

/// Encapsulates the IPv4 or IPv6 packet at `l3` of `frame` (TTL or hop limit already
/// decremented) for the real server `dst`, from `src`, with outer IPv4 ID `id` when DF is
/// clear; `src` and `dst` are of the outer family. The frame grows at the front; its L2
/// header moves with it and takes the outer family's EtherType (its last two bytes, before
/// `l3`: untagged or 802.1Q); padding after the inner packet is cut. For
/// `Forward::transmit`'s TUN rewrite (either family, and the mixed ones).
pub fn encapsulate<F: Frame, O: Outer>(
    frame: &mut F,
    l3: usize,
    t: &Tunnel,
    src: O,
    dst: O,
    id: u16,
) -> Result<(), DropReason> {
    let inner = Inner::read(frame.data().get(l3..).unwrap_or_default(), t.kind)?;
    super::grow_front(frame, l3, overhead::<O>(t), inner.len)?;
    let data = frame.data_mut();
    if let Some(ethertype) = l3.checked_sub(2).map(|at| &mut data[at..l3]) {
        ethertype.copy_from_slice(&O::ETHERTYPE.to_be_bytes());
    }
    let outer = &mut data[l3..];
    O::write_header(outer, &inner, outer_protocol(t.kind, &inner), src, dst, id);
    let encap = &mut outer[O::HEADER_LEN..];
    match t.kind {
        TunKind::Ipip => {}
        TunKind::Gre => write_gre(encap, t.csum, inner.ethertype),
        TunKind::Gue => write_gue(encap, t, &inner, src, dst),
    }
    Ok(())
}

/// What the outer header carries: the inner packet itself (4 or 41), GRE or UDP.
fn outer_protocol(kind: TunKind, inner: &Inner) -> u8 {
    match kind {
        TunKind::Ipip => inner.proto,
        TunKind::Gre => PROTO_GRE,
        TunKind::Gue => PROTO_UDP,
    }
}

/// GRE (RFC 2784) in front of the inner packet of `ethertype`; with `--tun-csum` the C bit
/// and the checksum over the GRE header and payload.
fn write_gre(gre: &mut [u8], csum: TunCsum, ethertype: u16) {
    let with_csum = csum == TunCsum::Csum;
    let flags = if with_csum { GRE_FLAG_CSUM } else { 0 };
    gre[0..2].copy_from_slice(&flags.to_be_bytes());
    gre[2..4].copy_from_slice(&ethertype.to_be_bytes());
    if with_csum {
        gre[4..8].fill(0);
        let c = checksum::checksum(gre);
        gre[4..6].copy_from_slice(&c.to_be_bytes());
    }
}

/// UDP + GUE (draft-ietf-intarea-gue, version 0) in front of the inner packet. The UDP
/// checksum is 0 with `--tun-nocsum`, over IPv6 too (§3.3.3), and computed with the outer
/// pseudo-header otherwise.
fn write_gue<O: PseudoHeader>(udp: &mut [u8], t: &Tunnel, inner: &Inner, src: O, dst: O) {
    let len = udp.len() as u16;
    udp[0..2].copy_from_slice(&inner.sport.to_be_bytes());
    udp[2..4].copy_from_slice(&t.port.to_be_bytes());
    udp[4..6].copy_from_slice(&len.to_be_bytes());
    udp[6..8].fill(0);
    // Version 0, C 0, Hlen 0; the inner protocol; no flags.
    udp[8..12].copy_from_slice(&[0, inner.proto, 0, 0]);
    if t.csum != TunCsum::None {
        let pseudo = O::pseudo_header(src, dst, PROTO_UDP, len);
        let c = !checksum::combine(&[pseudo, checksum::sum(udp)]);
        udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    }
}

/// A hash of the inner packet's flow (addresses, protocol, TCP/UDP ports): stable for a
/// flow, spread across flows (the kernel uses the skb's flow hash).
fn flow_hash<A: Addr>(src: A, dst: A, protocol: IpProtocol, l4: &[u8]) -> u32 {
    let ports = match protocol {
        IpProtocol::Tcp | IpProtocol::Udp => l4
            .get(..4)
            .map_or(0, |p| u32::from_be_bytes([p[0], p[1], p[2], p[3]])),
        _ => 0,
    };
    // An IPv4 address folds to 32 bits: the two fill one word without overlapping.
    let x = src.fold().rotate_left(32) ^ dst.fold();
    let y = u64::from(ports) << 8 | u64::from(u8::from(protocol));
    crate::conn::mix(x ^ crate::conn::mix(y)) as u32
}

/// GUE's source port for the inner packet's `flow` (addresses, protocol, L4 bytes), as
/// `udp_flow_src_port`: its hash folded and scaled into `[min, max)`. Only GUE has the port:
/// for the other kinds the hash is not computed (0).
fn gue_source_port<A: Addr>(kind: TunKind, flow: (A, A, IpProtocol, &[u8])) -> u16 {
    if kind != TunKind::Gue {
        return 0;
    }
    let hash = flow_hash(flow.0, flow.1, flow.2, flow.3);
    let h = hash ^ (hash << 16);
    ((u64::from(h) * u64::from(GUE_SPORT_MAX - GUE_SPORT_MIN)) >> 32) as u16 + GUE_SPORT_MIN as u16
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    const ETH: &str = "020000000001 0200000000fe 0800";
    /// S0 after the TTL decrement (the inner packet of §7.12).
    const INNER: &str =
        "4500002c1c4640003f06b946cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
    const D: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const R3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);

    const ETH6: &str = "020000000001 0200000000fe 86dd";
    /// The IPv6 SYN of §7.16 after the hop limit decrement, with traffic class 0xb9 (EF +
    /// ECT(1)) and flow label 0x12345.
    const INNER6: &str = "6b912345 0018 06 3f 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050000003e8000000006002fd209f030000020405a0";

    fn d6() -> Ipv6Addr {
        "2001:db8:a::1".parse().unwrap()
    }

    fn r3_6() -> Ipv6Addr {
        "2001:db8:b::31".parse().unwrap()
    }

    fn tunnel(kind: TunKind, port: u16, csum: TunCsum) -> Tunnel {
        Tunnel { kind, port, csum }
    }

    /// The packet `inner` behind an Ethernet header, encapsulated by `t` from `src` to `dst`:
    /// the frame's L2 header, then the outer packet.
    fn encap_of<O: Outer>(inner: &str, t: Tunnel, src: O, dst: O) -> (Vec<u8>, Vec<u8>) {
        let eth = if inner.starts_with('6') { ETH6 } else { ETH };
        let mut f = hex(&format!("{eth}{inner}"));
        f.extend_from_slice(&[0; 2]); // Ethernet padding: cut
        encapsulate(&mut f, 14, &t, src, dst, 0x1234).unwrap();
        let l3 = f.split_off(14);
        (f, l3)
    }

    fn encap(t: Tunnel) -> Vec<u8> {
        let (eth, out) = encap_of(INNER, t, D, R3);
        assert_eq!(eth, hex(ETH));
        out
    }

    #[test]
    fn vector_7_12_ipip() {
        let out = encap(tunnel(TunKind::Ipip, 0, TunCsum::None));
        assert_eq!(
            out,
            hex(&format!("45000040000040003f046f9a0a000001c000021f{INNER}"))
        );
    }

    #[test]
    fn vector_7_15_gre_with_and_without_checksum() {
        let out = encap(tunnel(TunKind::Gre, 0, TunCsum::Csum));
        let want = format!("45000048000040003f2f6f670a000001c000021f 8000 0800 de5d 0000 {INNER}");
        assert_eq!(out, hex(&want));
        let plain = encap(tunnel(TunKind::Gre, 0, TunCsum::None));
        assert_eq!(&plain[..4], &hex("45000044")[..]);
        assert_eq!(plain[9], 47);
        assert_eq!(&plain[20..24], &hex("00000800")[..]);
        assert_eq!(&plain[24..], &hex(INNER)[..]);
    }

    #[test]
    fn vector_7_15_gue() {
        let out = encap(tunnel(TunKind::Gue, 6080, TunCsum::None));
        assert_eq!(
            &out[..20],
            &hex("4500004c000040003f116f810a000001c000021f")[..]
        );
        let sport = u16::from_be_bytes([out[20], out[21]]);
        assert!((32768..60999).contains(&u32::from(sport)), "{sport}");
        assert_eq!(&out[22..32], &hex("17c0 0038 0000 00040000")[..]);
        assert_eq!(&out[32..], &hex(INNER)[..]);
        let again = encap(tunnel(TunKind::Gue, 6080, TunCsum::None));
        assert_eq!(&again[20..22], &out[20..22], "stable per flow");
        let summed = encap(tunnel(TunKind::Gue, 6080, TunCsum::Csum));
        let udp = crate::wire::UdpPacket::new_checked(&summed[20..]).unwrap();
        assert_ne!(udp.checksum(), 0);
        assert!(udp.verify_checksum(D, R3));
    }

    #[test]
    fn ecn_rule_and_df_clear_gets_an_id() {
        for (tos, want) in [
            (0xbb, 0xba),
            (0xb9, 0xb9),
            (0xb8, 0xb8),
            (0x03, 0x02),
            (0, 0),
        ] {
            assert_eq!(outer_tos(tos), want, "{tos:#x}");
        }
        let mut f = hex(&format!("{ETH}{INNER}"));
        let mut ip = Ipv4Packet::new_unchecked(&mut f[14..]);
        ip.set_flags_offset(false, false, 0);
        ip.fill_checksum();
        encapsulate(&mut f, 14, &Tunnel::default(), D, R3, 0x1234).unwrap();
        let outer = Ipv4Packet::new_checked(&f[14..]).unwrap();
        assert_eq!((outer.dont_frag(), outer.ident()), (false, 0x1234));
        assert!(outer.verify_checksum());
    }

    #[test]
    fn tunnel_mtus_of_3_3_5() {
        let m = |kind, csum| mtu::<Ipv4Addr>(&tunnel(kind, 6080, csum), 1500);
        assert_eq!(m(TunKind::Ipip, TunCsum::None), Some(1480));
        assert_eq!(m(TunKind::Gue, TunCsum::Csum), Some(1468));
        assert_eq!(m(TunKind::Gre, TunCsum::None), Some(1476));
        assert_eq!(m(TunKind::Gre, TunCsum::Csum), Some(1472));
        assert_eq!(mtu::<Ipv4Addr>(&Tunnel::default(), 87), None);
        assert_eq!(mtu::<Ipv4Addr>(&Tunnel::default(), 88), Some(68));
    }

    /// §7.17: a 1280-byte IPv6 packet (traffic class 0xb9, flow label 0x12345, hop limit 64)
    /// to the IPv6 TUN server 2001:db8:b::31 over ip6ip6.
    #[test]
    fn vector_7_17_ip6ip6_field_by_field() {
        let mut inner = hex(INNER6);
        inner.resize(1280, 0x5a);
        inner[4..6].copy_from_slice(&1240u16.to_be_bytes());
        inner[7] = 64;
        let ipip = Tunnel::default();
        assert_eq!(
            mtu::<Ipv6Addr>(&ipip, 1500),
            Some(1460),
            "1280 fits, 1500 draws PTB"
        );
        let mut f = [hex(ETH6), inner.clone()].concat();
        crate::fwd::ttl::decrement_hop_limit(&mut f[14..]).unwrap();
        encapsulate(&mut f, 14, &ipip, d6(), r3_6(), 0x1234).unwrap();
        assert_eq!(f.len(), 14 + 40 + 1280);
        assert_eq!(&f[..14], &hex(ETH6)[..]);
        let outer = Ipv6Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(outer.version(), 6);
        assert_eq!(outer.traffic_class(), 0xb9, "copied, ECT(1) kept");
        assert_eq!(outer.flow_label(), 0);
        assert_eq!(outer.payload_len(), 1280);
        assert_eq!(outer.next_header(), IpProtocol::Unknown(41));
        assert_eq!(outer.hop_limit(), 63, "inner hop limit after the decrement");
        assert_eq!((outer.src_addr(), outer.dst_addr()), (d6(), r3_6()));
        inner[7] = 63;
        assert_eq!(
            outer.payload(),
            &inner[..],
            "inner: hop limit − 1, nothing else"
        );
    }

    /// Frames checked against scapy 2.5.0 (`python3`, `from scapy.all import *`), with
    /// `e = Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:fe')`,
    /// `i6 = IPv6(tc=0xb9, fl=0x12345, hlim=63, src='2001:db8:c::10', dst='2001:db8:f::1')/TCP(sport=40000, dport=80, seq=1000, flags='S', window=64800, options=[('MSS', 1440)])`
    /// (whose TCP checksum is §7.16's 0x9f03) and `i4 = IP(bytes.fromhex(INNER))`; each
    /// frame is `raw(...).hex()` of the line above it. The GUE source ports are rvs's flow
    /// hash of the inner packet.
    #[test]
    fn ipv6_and_mixed_families_match_scapy() {
        let frame = |(eth, l3): (Vec<u8>, Vec<u8>)| [eth, l3].concat();
        let (gue, gre) = (
            tunnel(TunKind::Gue, 6080, TunCsum::Csum),
            tunnel(TunKind::Gre, 0, TunCsum::Csum),
        );
        // e/IPv6(tc=0xb9, hlim=63, src='2001:db8:a::1', dst='2001:db8:b::31')/UDP(sport=0x83bf, dport=6080)/Raw(bytes.fromhex('00290000'))/i6
        let want = "0200000000010200000000fe86dd6b900000004c113f20010db8000a0000000000000000000120010db8000b0000000000000000003183bf17c0004c72e5002900006b9123450018063f20010db8000c0000000000000000001020010db8000f000000000000000000019c400050000003e8000000006002fd209f030000020405a0";
        assert_eq!(
            frame(encap_of(INNER6, gue, d6(), r3_6())),
            hex(want),
            "GUE, csum, 6in6"
        );
        // e/IP(tos=0xb9, id=0x1234, flags=0, ttl=63, src='10.0.0.1', dst='192.0.2.31')/GRE(chksum_present=1, proto=0x86dd)/i6
        let want = "0200000000010200000000fe080045b9005c123400003f2f9c660a000001c000021f800086dd641200006b9123450018063f20010db8000c0000000000000000001020010db8000f000000000000000000019c400050000003e8000000006002fd209f030000020405a0";
        assert_eq!(
            frame(encap_of(INNER6, gre, D, R3)),
            hex(want),
            "GRE, csum, 6in4: DF 0"
        );
        // e/IPv6(hlim=63, src='2001:db8:a::1', dst='2001:db8:b::31')/i4
        let want = "0200000000010200000000fe86dd60000000002c043f20010db8000a0000000000000000000120010db8000b000000000000000000314500002c1c4640003f06b946cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
        assert_eq!(
            frame(encap_of(INNER, Tunnel::default(), d6(), r3_6())),
            hex(want),
            "4in6"
        );
        // e/IPv6(hlim=63, src='2001:db8:a::1', dst='2001:db8:b::31')/UDP(sport=0xdec0, dport=6080, chksum=0)/Raw(bytes.fromhex('00040000'))/i4
        let want = "0200000000010200000000fe86dd600000000038113f20010db8000a0000000000000000000120010db8000b00000000000000000031dec017c000380000000400004500002c1c4640003f06b946cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
        let nocsum = tunnel(TunKind::Gue, 6080, TunCsum::None);
        assert_eq!(
            frame(encap_of(INNER, nocsum, d6(), r3_6())),
            hex(want),
            "GUE nocsum over IPv6: 0"
        );
    }

    #[test]
    fn ipv6_in_ipv4_plain_and_ipv6_outer_ecn() {
        let (_, out) = encap_of(INNER6, Tunnel::default(), D, R3);
        let outer = Ipv4Packet::new_checked(&out[..]).unwrap();
        assert_eq!(outer.protocol(), IpProtocol::Unknown(41));
        assert_eq!(
            (outer.dont_frag(), outer.ident(), outer.ttl()),
            (false, 0x1234, 63)
        );
        assert!(outer.verify_checksum());
        assert_eq!(outer.payload(), &hex(INNER6)[..]);
        let ce = INNER6.replacen("6b9", "6bb", 1);
        let (_, out) = encap_of(&ce, tunnel(TunKind::Gre, 0, TunCsum::None), d6(), r3_6());
        let outer = Ipv6Packet::new_checked(&out[..]).unwrap();
        assert_eq!(outer.traffic_class(), 0xba, "CE becomes ECT(0)");
        assert_eq!(outer.next_header(), IpProtocol::Unknown(47));
        assert_eq!(&outer.payload()[..4], &hex("000086dd")[..]);
    }

    #[test]
    fn tagged_frame_gets_the_outer_ethertype() {
        let vlan = "020000000001 0200000000fe 8100 0064 0800";
        let mut f = hex(&format!("{vlan}{INNER}"));
        encapsulate(&mut f, 18, &Tunnel::default(), d6(), r3_6(), 0).unwrap();
        assert_eq!(
            &f[..18],
            &hex("020000000001 0200000000fe 8100 0064 86dd")[..]
        );
        assert_eq!(&f[18 + 40..], &hex(INNER)[..]);
    }

    #[test]
    fn ipv6_outer_mtus() {
        let m = |kind, csum, route| mtu::<Ipv6Addr>(&tunnel(kind, 6080, csum), route);
        assert_eq!(m(TunKind::Ipip, TunCsum::None, 1500), Some(1460));
        assert_eq!(m(TunKind::Gue, TunCsum::Csum, 1500), Some(1448));
        assert_eq!(m(TunKind::Gre, TunCsum::None, 1500), Some(1456));
        assert_eq!(m(TunKind::Gre, TunCsum::Csum, 1500), Some(1452));
        assert_eq!(
            m(TunKind::Ipip, TunCsum::None, 1319),
            None,
            "below 1280: dropped"
        );
        assert_eq!(m(TunKind::Ipip, TunCsum::None, 1320), Some(1280));
        assert_eq!(overhead::<Ipv6Addr>(&Tunnel::default()), 40);
    }
}
