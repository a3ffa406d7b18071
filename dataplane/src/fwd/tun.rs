//! TUN ("Tunnel", `-i`): the request is encapsulated towards the real server in IPIP, GRE or
//! GUE (ipvs-forwarding §3.3, `ip_vs_tunnel_xmit`, `ipvs_gre_encap`, `ipvs_gue_encap`). The
//! inner packet is the client's, TTL already decremented, destination still the VIP; the real
//! server decapsulates it and answers the client directly.
//!
//! Outer IPv4 header (§3.3.1): TOS = inner DSCP + inner ECN with CE turned into ECT(0)
//! (RFC 3168 §9.1.1 full functionality), DF copied from the inner packet (`pmtu_disc=1`),
//! ID 0 when DF is set and a generated one otherwise, TTL = inner TTL, source = the box's
//! address on the route to the real server, destination = the real server.

use core::net::Ipv4Addr;

use crate::conn::state::PROTO_UDP;
use crate::dest::{TunCsum, TunKind, Tunnel};
use crate::flow::Addr;
use crate::port::Frame;
use crate::stats::DropReason;
use crate::wire::{checksum, ipv4, IpProtocol, Ipv4Packet};

/// UDP header before GUE.
const UDP_LEN: usize = 8;
/// The GUE header rvs sends: version 0, no optional fields (§3.3.3; `--tun-remcsum` is sent
/// as `--tun-csum` for forwarded packets, whose checksums are never "partial").
const GUE_LEN: usize = 4;
/// GRE: flags+version and protocol; 4 more with the checksum (§3.3.4).
const GRE_LEN: usize = 4;
const GRE_CSUM_LEN: usize = 4;
const GRE_FLAG_CSUM: u16 = 0x8000;
const ETHERTYPE_IPV4: u16 = 0x0800;
/// IP protocol numbers of the outer header.
const PROTO_IPIP: u8 = 4;
const PROTO_GRE: u8 = 47;
/// The host's ephemeral port range GUE's source port is drawn from (Linux's default
/// `ip_local_port_range`, `udp_flow_src_port`).
pub const GUE_SPORT_MIN: u32 = 32768;
pub const GUE_SPORT_MAX: u32 = 60999;
/// Smallest tunnel MTU for an IPv4 outer header; below it the packet is dropped (§3.0.4).
const MIN_MTU: u16 = 68;

/// Bytes the encapsulation adds for `t` (§3.0 step 4: IPIP 20, GUE 32, GRE 24 or 28).
pub fn overhead(t: &Tunnel) -> usize {
    ipv4::HEADER_LEN + encap_len(t)
}

fn encap_len(t: &Tunnel) -> usize {
    match (t.kind, t.csum) {
        (TunKind::Ipip, _) => 0,
        (TunKind::Gue, _) => UDP_LEN + GUE_LEN,
        (TunKind::Gre, TunCsum::None) | (TunKind::Gre, TunCsum::Remcsum) => GRE_LEN,
        (TunKind::Gre, TunCsum::Csum) => GRE_LEN + GRE_CSUM_LEN,
    }
}

/// The tunnel MTU (`mtu_t`, §3.3.5) behind a route MTU of `route_mtu`; `None` when it is
/// below 68 and the packet is dropped silently.
pub fn mtu(t: &Tunnel, route_mtu: u16) -> Option<u16> {
    route_mtu
        .checked_sub(overhead(t) as u16)
        .filter(|&m| m >= MIN_MTU)
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

/// Encapsulates the IPv4 packet at `l3` of `frame` (TTL already decremented) for the real
/// server `dst`, from `src`, with outer ID `id` when DF is clear. The frame grows at the
/// front; its L2 header moves with it; padding after the inner packet is cut.
pub fn encapsulate<F: Frame>(
    frame: &mut F,
    l3: usize,
    t: &Tunnel,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    id: u16,
) -> Result<(), DropReason> {
    let (tos, ttl, df, inner_len, sport) = {
        let inner = Ipv4Packet::new_checked(frame.data().get(l3..).unwrap_or_default())?;
        let sport = gue_source_port(flow_hash(&inner));
        let len = usize::from(inner.total_len());
        (inner.dscp_ecn(), inner.ttl(), inner.dont_frag(), len, sport)
    };
    let encap = encap_len(t);
    let added = ipv4::HEADER_LEN + encap;
    frame.truncate(l3 + inner_len);
    if !frame.prepend(added) {
        return Err(DropReason::NoHeadroom);
    }
    let data = frame.data_mut();
    data.copy_within(added..added + l3, 0);
    let total = added + inner_len;
    let mut outer = Ipv4Packet::new_unchecked(&mut data[l3..l3 + total]);
    outer.set_version_ihl(ipv4::HEADER_LEN);
    outer.set_dscp_ecn(outer_tos(tos));
    outer.set_total_len(total as u16);
    outer.set_ident(if df { 0 } else { id });
    outer.set_flags_offset(df, false, 0);
    outer.set_ttl(ttl);
    outer.set_protocol(outer_protocol(t.kind).into());
    outer.set_src_addr(src);
    outer.set_dst_addr(dst);
    outer.fill_checksum();
    let payload = outer.payload_mut();
    match t.kind {
        TunKind::Ipip => {}
        TunKind::Gre => write_gre(payload, t.csum),
        TunKind::Gue => write_gue(payload, t, sport, src, dst),
    }
    Ok(())
}

fn outer_protocol(kind: TunKind) -> u8 {
    match kind {
        TunKind::Ipip => PROTO_IPIP,
        TunKind::Gre => PROTO_GRE,
        TunKind::Gue => PROTO_UDP,
    }
}

/// GRE (RFC 2784) in front of the inner packet; with `--tun-csum` the C bit and the
/// checksum over the GRE header and payload.
fn write_gre(gre: &mut [u8], csum: TunCsum) {
    let with_csum = csum == TunCsum::Csum;
    let flags = if with_csum { GRE_FLAG_CSUM } else { 0 };
    gre[0..2].copy_from_slice(&flags.to_be_bytes());
    gre[2..4].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    if with_csum {
        gre[4..8].fill(0);
        let c = checksum::checksum(gre);
        gre[4..6].copy_from_slice(&c.to_be_bytes());
    }
}

/// UDP + GUE (draft-ietf-intarea-gue, version 0) in front of the inner packet.
fn write_gue(udp: &mut [u8], t: &Tunnel, sport: u16, src: Ipv4Addr, dst: Ipv4Addr) {
    let len = udp.len() as u16;
    udp[0..2].copy_from_slice(&sport.to_be_bytes());
    udp[2..4].copy_from_slice(&t.port.to_be_bytes());
    udp[4..6].copy_from_slice(&len.to_be_bytes());
    udp[6..8].fill(0);
    // Version 0, C 0, Hlen 0; the inner protocol; no flags.
    udp[8..12].copy_from_slice(&[0, PROTO_IPIP, 0, 0]);
    if t.csum != TunCsum::None {
        let pseudo = checksum::pseudo_header_v4(src, dst, PROTO_UDP, len);
        let c = !checksum::combine(&[pseudo, checksum::sum(udp)]);
        udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    }
}

/// A hash of the inner packet's flow (addresses, protocol, TCP/UDP ports): stable for a
/// flow, spread across flows (the kernel uses the skb's flow hash).
fn flow_hash<T: AsRef<[u8]>>(ip: &Ipv4Packet<T>) -> u32 {
    let proto = u8::from(ip.protocol());
    let ports = match ip.protocol() {
        IpProtocol::Tcp | IpProtocol::Udp => ip
            .payload()
            .get(..4)
            .map_or(0, |p| u32::from_be_bytes([p[0], p[1], p[2], p[3]])),
        _ => 0,
    };
    let x = ip.src_addr().fold() << 32 | ip.dst_addr().fold();
    let y = u64::from(ports) << 8 | u64::from(proto);
    crate::conn::mix(x ^ crate::conn::mix(y)) as u32
}

/// `udp_flow_src_port`: the hash folded and scaled into `[min, max)`.
fn gue_source_port(hash: u32) -> u16 {
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

    fn tunnel(kind: TunKind, port: u16, csum: TunCsum) -> Tunnel {
        Tunnel { kind, port, csum }
    }

    fn encap(t: Tunnel) -> Vec<u8> {
        let mut f = hex(&format!("{ETH}{INNER}"));
        f.extend_from_slice(&[0; 2]); // Ethernet padding to 60 bytes: cut
        encapsulate(&mut f, 14, &t, D, R3, 0x1234).unwrap();
        assert_eq!(&f[..14], &hex(ETH)[..]);
        f[14..].to_vec()
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
        let m = |kind, csum| mtu(&tunnel(kind, 6080, csum), 1500);
        assert_eq!(m(TunKind::Ipip, TunCsum::None), Some(1480));
        assert_eq!(m(TunKind::Gue, TunCsum::Csum), Some(1468));
        assert_eq!(m(TunKind::Gre, TunCsum::None), Some(1476));
        assert_eq!(m(TunKind::Gre, TunCsum::Csum), Some(1472));
        assert_eq!(mtu(&Tunnel::default(), 87), None);
        assert_eq!(mtu(&Tunnel::default(), 88), Some(68));
    }
}
