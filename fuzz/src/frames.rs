//! Frames the `process` target builds from a few fuzzed bytes: packets of the lab's flows
//! (right checksums, fuzzed flags, TTL, fragments, options, payload) and ICMP errors quoting
//! them, so that the fuzzer spends its time past the parsers, in the connection table, the
//! schedulers and the rewrites.

use dataplane::wire::checksum::PseudoHeader;
use dataplane::wire::{
    IcmpPacket, Icmpv6Packet, IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket, UdpPacket,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;

/// One direction of a lab flow: it arrives on `port`; `client` marks the client's end,
/// whose port the fuzzer picks.
#[derive(Clone, Copy)]
pub struct Flow {
    pub port: usize,
    pub proto: u8,
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
}

/// What the fuzzer chose for one packet.
#[derive(Clone, Copy, Default)]
pub struct Shape {
    pub flags: u8,
    pub ttl: u8,
    /// Bit 0 DF, 1 MF, 2 a non-zero fragment offset, 3 IP options (IPv4) or a Hop-by-Hop
    /// header (IPv6), 4 an 802.1Q tag, 5 payload length in 8-byte units.
    pub opts: u8,
    pub payload_len: u8,
}

impl Shape {
    fn has(&self, bit: u8) -> bool {
        self.opts & (1 << bit) != 0
    }

    /// Bytes of payload asked for.
    pub fn payload_bytes(&self) -> usize {
        match self.has(5) {
            true => usize::from(self.payload_len) * 8,
            false => usize::from(self.payload_len),
        }
    }

    /// The payload: `bytes`, zeros where they run out.
    fn payload(&self, bytes: &[u8]) -> Vec<u8> {
        let mut p = bytes[..bytes.len().min(self.payload_bytes())].to_vec();
        p.resize(self.payload_bytes(), 0);
        p
    }

    /// IPv4 fragment fields: (more fragments, offset in 8-byte units).
    fn fragment(&self) -> (bool, u16) {
        (self.has(1), if self.has(2) { 185 } else { 0 })
    }
}

/// The TCP or UDP segment of `f` with `payload`, its checksum over `src`/`dst`.
fn l4<A: PseudoHeader>(f: &Flow, s: &Shape, payload: &[u8], src: A, dst: A) -> Vec<u8> {
    let hl = if f.proto == TCP { 20 } else { 8 };
    let mut b = vec![0; hl + payload.len()];
    b[hl..].copy_from_slice(payload);
    if f.proto == TCP {
        let mut t = TcpPacket::new_unchecked(&mut b[..]);
        t.set_src_port(f.src.1);
        t.set_dst_port(f.dst.1);
        t.set_seq_number(1000);
        t.set_header_len(20);
        t.set_flags(s.flags);
        t.set_window_len(64240);
        t.fill_checksum(src, dst);
    } else {
        let len = b.len() as u16;
        let mut u = UdpPacket::new_unchecked(&mut b[..]);
        u.set_src_port(f.src.1);
        u.set_dst_port(f.dst.1);
        u.set_len(len);
        u.fill_checksum(src, dst);
    }
    b
}

/// The IP packet of `f` (no Ethernet header).
pub fn packet(f: &Flow, s: &Shape, bytes: &[u8]) -> Vec<u8> {
    let payload = s.payload(bytes);
    match (f.src.0, f.dst.0) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let seg = l4(f, s, &payload, src, dst);
            ipv4(src, dst, f.proto, s, &seg)
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let seg = l4(f, s, &payload, src, dst);
            ipv6(src, dst, f.proto, s, &seg)
        }
        _ => unreachable!("a flow has one family"),
    }
}

/// An IPv4 header (with 4 bytes of NOP options when asked) before `payload`.
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, s: &Shape, payload: &[u8]) -> Vec<u8> {
    let hl = if s.has(3) { 24 } else { 20 };
    let mut b = vec![1; hl + payload.len()];
    b[hl..].copy_from_slice(payload);
    let (mf, offset) = s.fragment();
    let mut ip = Ipv4Packet::new_unchecked(&mut b[..]);
    ip.set_version_ihl(hl);
    ip.set_dscp_ecn(0);
    ip.set_total_len((hl + payload.len()) as u16);
    ip.set_ident(0x1c46);
    ip.set_flags_offset(s.has(0), mf, offset);
    ip.set_ttl(s.ttl);
    ip.set_protocol(proto.into());
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    ip.fill_checksum();
    b
}

/// An IPv6 header, a Hop-by-Hop and a Fragment header when asked, before `payload`.
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, s: &Shape, payload: &[u8]) -> Vec<u8> {
    let (mf, offset) = s.fragment();
    let mut ext = Vec::new();
    let mut next = proto;
    if mf || offset != 0 {
        let off = offset << 3 | u16::from(mf);
        ext.splice(
            0..0,
            [next, 0, (off >> 8) as u8, off as u8, 0, 0, 0x1c, 0x46],
        );
        next = 44;
    }
    if s.has(3) {
        // PadN over the six option bytes.
        ext.splice(0..0, [next, 0, 1, 4, 0, 0, 0, 0]);
        next = 0;
    }
    let mut b = vec![0; 40];
    b.extend_from_slice(&ext);
    b.extend_from_slice(payload);
    let mut ip = Ipv6Packet::new_unchecked(&mut b[..]);
    ip.set_version_tc_flow(0, 0);
    ip.set_payload_len((ext.len() + payload.len()) as u16);
    ip.set_next_header(next.into());
    ip.set_hop_limit(s.ttl);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    b
}

/// An ICMP (ICMPv6) error from `src` to `dst`, type and code from `kind`, quoting the first
/// `cut` bytes of `quoted` (all of them when `cut` is 0).
pub fn icmp_error(src: IpAddr, dst: IpAddr, kind: u8, mtu: u16, quoted: &[u8], cut: u8) -> Vec<u8> {
    let cut = match cut {
        0 => quoted.len(),
        n => quoted.len().min(usize::from(n)),
    };
    let mut msg = vec![0; 8 + cut];
    msg[8..].copy_from_slice(&quoted[..cut]);
    let s = Shape {
        ttl: 64,
        ..Shape::default()
    };
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            // Destination Unreachable (every code), Source Quench, Time Exceeded, and
            // two that are not errors about a packet.
            const TYPES: [u8; 5] = [3, 4, 11, 12, 5];
            msg[0] = TYPES[usize::from(kind >> 4) % TYPES.len()];
            msg[1] = kind & 0xf;
            msg[6..8].copy_from_slice(&mtu.to_be_bytes());
            IcmpPacket::new_unchecked(&mut msg[..]).fill_checksum();
            ipv4(src, dst, IpProtocol::Icmp.into(), &s, &msg)
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            msg[0] = 1 + kind % 4; // unreachable, too big, time exceeded, parameter problem
            msg[1] = kind >> 4;
            msg[4..8].copy_from_slice(&u32::from(mtu).to_be_bytes());
            Icmpv6Packet::new_unchecked(&mut msg[..]).fill_checksum(src, dst);
            ipv6(src, dst, 58, &s, &msg)
        }
        _ => Vec::new(),
    }
}

/// `inner` as the director tunnels it from `src` to `dst`: IPIP, GRE or GUE by `kind`.
pub fn tunnelled(src: Ipv4Addr, dst: Ipv4Addr, kind: u8, inner: &[u8]) -> Vec<u8> {
    let s = Shape {
        ttl: 63,
        ..Shape::default()
    };
    match kind % 3 {
        0 => ipv4(src, dst, 4, &s, inner),
        1 => ipv4(src, dst, 47, &s, &[&[0, 0, 8, 0][..], inner].concat()),
        _ => {
            let len = (8 + 4 + inner.len()) as u16;
            let mut udp = vec![0x17, 0xc0, 0x17, 0xc0];
            udp.extend_from_slice(&len.to_be_bytes());
            udp.extend_from_slice(&[0, 0, 0, 4, 0, 0]);
            udp.extend_from_slice(inner);
            ipv4(src, dst, UDP, &s, &udp)
        }
    }
}

/// `l3` behind an Ethernet header from `src` to `dst`, with an 802.1Q tag when `s` asks.
pub fn ethernet(dst: [u8; 6], src: [u8; 6], s: &Shape, l3: &[u8]) -> Vec<u8> {
    let ethertype: u16 = if l3.first().is_some_and(|v| v >> 4 == 6) {
        0x86dd
    } else {
        0x0800
    };
    let mut f = [&dst[..], &src[..]].concat();
    if s.has(4) {
        f.extend_from_slice(&[0x81, 0, 0, 7]);
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(l3);
    f
}

/// Makes the checksums of a raw frame right where it can (IPv4 header, ICMP, ICMPv6 right
/// after the fixed header), so mutated frames get past the checks.
pub fn fix_checksums(frame: &mut [u8]) {
    if frame.len() < 14 {
        return;
    }
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let l3 = &mut frame[14..];
    match ethertype {
        0x0800 => fix_ipv4(l3),
        0x86dd => fix_icmpv6(l3),
        _ => {}
    }
}

fn fix_ipv4(l3: &mut [u8]) {
    let Ok(mut ip) = Ipv4Packet::new_checked(&mut l3[..]) else {
        return;
    };
    ip.fill_checksum();
    let whole = !ip.is_fragment() || ip.frag_offset() == 0;
    if u8::from(ip.protocol()) == 1 && whole && ip.payload().len() >= 8 {
        IcmpPacket::new_unchecked(ip.payload_mut()).fill_checksum();
    }
}

fn fix_icmpv6(l3: &mut [u8]) {
    let Ok(ip) = Ipv6Packet::new_checked(&l3[..]) else {
        return;
    };
    let (src, dst, end) = (ip.src_addr(), ip.dst_addr(), 40 + ip.payload_len() as usize);
    if u8::from(ip.next_header()) != 58 || end < 48 {
        return;
    }
    Icmpv6Packet::new_unchecked(&mut l3[40..end]).fill_checksum(src, dst);
}
