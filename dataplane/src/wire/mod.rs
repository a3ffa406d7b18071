//! Typed views over packet bytes, one header per file (smoltcp style).
//!
//! Contract shared by every view `XxxPacket<T: AsRef<[u8]>>`:
//! * `new_checked(buffer)` validates lengths (and the few fields a length depends on) once and
//!   returns the [`DropReason`](crate::stats::DropReason) a frame would be dropped for;
//!   after it succeeds no getter can panic.
//! * `new_unchecked(buffer)` is for building into a buffer the caller sized; getters and setters
//!   then panic only if that buffer is shorter than the fixed header.
//! * Setters exist when `T: AsMut<[u8]>`; each file's `check_len` doc says which setters can
//!   invalidate a previous check.
//! * Unknown protocol numbers are values (`EtherType::Unknown(u16)`), never errors.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod ndp;
pub mod tcp;
pub mod udp;
pub mod vlan;

pub use arp::{ArpOperation, ArpPacket};
pub use ethernet::{EtherType, EthernetFrame, MacAddr};
pub use icmp::{IcmpMessage, IcmpPacket};
pub use icmpv6::{Icmpv6Message, Icmpv6Packet};
pub use ipv4::{IpProtocol, Ipv4Packet};
pub use ipv6::Ipv6Packet;
pub use ndp::{NdOption, NdPacket};
pub use tcp::TcpPacket;
pub use udp::UdpPacket;
pub use vlan::VlanPacket;

/// Big-endian u16 at `at`; callers index only inside a checked length.
fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn set_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn get_ipv4(b: &[u8], at: usize) -> core::net::Ipv4Addr {
    core::net::Ipv4Addr::from(get_u32(b, at))
}

fn set_ipv4(b: &mut [u8], at: usize, a: core::net::Ipv4Addr) {
    b[at..at + 4].copy_from_slice(&a.octets());
}

fn get_ipv6(b: &[u8], at: usize) -> core::net::Ipv6Addr {
    let mut a = [0; 16];
    a.copy_from_slice(&b[at..at + 16]);
    core::net::Ipv6Addr::from(a)
}

fn set_ipv6(b: &mut [u8], at: usize, a: core::net::Ipv6Addr) {
    b[at..at + 16].copy_from_slice(&a.octets());
}

fn get_mac(b: &[u8], at: usize) -> MacAddr {
    let mut m = [0; 6];
    m.copy_from_slice(&b[at..at + 6]);
    m
}

/// Test helpers shared by the wire tests.
#[cfg(test)]
pub(crate) mod testutil {
    /// Parses a hex string (whitespace ignored) into bytes.
    pub fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// Checks a view's error at every length short of `bytes`: `short` while the fixed
    /// header is cut, `rest` from there on (the header's length field then claims more
    /// than there is).
    pub fn assert_truncations(
        bytes: &[u8],
        header_len: usize,
        short: crate::stats::DropReason,
        rest: crate::stats::DropReason,
        parse: impl Fn(&[u8]) -> Option<crate::stats::DropReason>,
    ) {
        for len in 0..bytes.len() {
            let want = if len < header_len { short } else { rest };
            assert_eq!(parse(&bytes[..len]), Some(want), "len {len}");
        }
    }
}
