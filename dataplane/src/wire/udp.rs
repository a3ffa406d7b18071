//! UDP header (RFC 768).
//!
//! Contract: `new_checked` guarantees 8 header bytes and `8 ≤ length field ≤ buffer length`;
//! [`UdpPacket::payload`] stops at the length field. A checksum of 0 means "none" over IPv4
//! (RFC 768) and is invalid over IPv6 (RFC 8200 §8.1); a computed 0 is sent as 0xffff.
//! `set_len` can invalidate the check.

use super::checksum::{self, PseudoHeader};
use super::{get_u16, set_u16};
use crate::stats::DropReason;

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
    pub const END: usize = 8;
}

pub const HEADER_LEN: usize = field::END;
/// Byte offset of the checksum, for callers that patch it incrementally.
pub const CHECKSUM_OFFSET: usize = field::CHECKSUM;
const PROTOCOL: u8 = 17;

/// View of a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The header fits and the length field lies between 8 and the buffer length.
    pub fn check_len(&self) -> Result<(), DropReason> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DropReason::UdpTruncated);
        }
        let field_len = usize::from(self.len());
        if field_len < HEADER_LEN || field_len > len {
            return Err(DropReason::UdpBadLength);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn src_port(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::SRC_PORT)
    }

    pub fn dst_port(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// The length field: header plus payload.
    pub fn len(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Never true after `new_checked` (the length is at least 8); for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Header and payload, as far as the length field says.
    pub fn datagram(&self) -> &[u8] {
        &self.buffer.as_ref()[..usize::from(self.len())]
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }

    /// Checksum correct for this pseudo-header, or absent (0) over IPv4.
    pub fn verify_checksum<A: PseudoHeader>(&self, src: A, dst: A) -> bool {
        if self.checksum() == 0 {
            return A::UDP_ZERO_IS_NONE;
        }
        let ph = A::pseudo_header(src, dst, PROTOCOL, self.len());
        checksum::combine(&[ph, checksum::sum(self.datagram())]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }

    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }

    pub fn set_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Computes the checksum from scratch over the pseudo-header (IPv4 or IPv6), header and
    /// payload; a result of 0 is written as 0xffff (RFC 768, RFC 8200 §8.1, ipvs-forwarding
    /// §3.1).
    pub fn fill_checksum<A: PseudoHeader>(&mut self, src: A, dst: A) {
        self.set_checksum(0);
        let ph = A::pseudo_header(src, dst, PROTOCOL, self.len());
        let c = !checksum::combine(&[ph, checksum::sum(self.datagram())]);
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::{assert_truncations, hex};
    use core::net::{Ipv4Addr, Ipv6Addr};

    /// The UDP part of ipvs-forwarding §7.6's output (checksum 0x5883 for 203.0.113.10 → 10.0.0.11).
    const DGRAM: &str = "9c410035000c588361626364";

    fn addrs() -> (Ipv4Addr, Ipv4Addr) {
        (Ipv4Addr::new(203, 0, 113, 10), Ipv4Addr::new(10, 0, 0, 11))
    }

    #[test]
    fn parse() {
        let bytes = hex(DGRAM);
        let p = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.src_port(), 40001);
        assert_eq!(p.dst_port(), 53);
        assert_eq!(p.len(), 12);
        assert_eq!(p.checksum(), 0x5883);
        assert_eq!(p.payload(), b"abcd");
        let (s, d) = addrs();
        assert!(p.verify_checksum(s, d));
        assert!(!p.verify_checksum(s, Ipv4Addr::new(10, 0, 0, 12)));
    }

    #[test]
    fn build() {
        let bytes = hex(DGRAM);
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        p.set_src_port(40001);
        p.set_dst_port(53);
        p.set_len(12);
        p.payload_mut().copy_from_slice(b"abcd");
        let (s, d) = addrs();
        p.fill_checksum(s, d);
        assert_eq!(buf, bytes);
    }

    #[test]
    fn zero_checksum_is_none_over_ipv4_only() {
        let mut bytes = hex(DGRAM);
        bytes[6..8].fill(0);
        let p = UdpPacket::new_checked(&bytes[..]).unwrap();
        let (s, d) = addrs();
        assert!(p.verify_checksum(s, d));
        let (s6, d6): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8:c::10".parse().unwrap(),
            "2001:db8:a::11".parse().unwrap(),
        );
        assert!(!p.verify_checksum(s6, d6));
        let mut p = UdpPacket::new_checked(&mut bytes[..]).unwrap();
        p.fill_checksum(s6, d6);
        assert!(p.verify_checksum(s6, d6) && p.checksum() != 0);
    }

    #[test]
    fn truncated_at_every_length() {
        assert_truncations(
            &hex(DGRAM),
            HEADER_LEN,
            DropReason::UdpTruncated,
            DropReason::UdpBadLength,
            |b| UdpPacket::new_checked(b).err(),
        );
    }

    #[test]
    fn length_field_below_header() {
        let mut bytes = hex(DGRAM);
        bytes[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&bytes[..]).err(),
            Some(DropReason::UdpBadLength)
        );
    }
}
