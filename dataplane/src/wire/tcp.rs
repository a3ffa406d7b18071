//! TCP header (RFC 9293 §3.1).
//!
//! Contract: `new_checked` guarantees 20 header bytes and `20 ≤ data offset × 4 ≤ buffer
//! length`. The segment is the whole buffer: pass exactly the IP payload. `set_header_len`
//! can invalidate the check.

use super::checksum::{self, PseudoHeader};
use super::{get_u16, get_u32, set_u16, set_u32};
use crate::stats::DropReason;

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    pub const OFF_FLAGS: usize = 12;
    pub const WINDOW: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
    pub const END: usize = 20;
}

pub const HEADER_LEN: usize = field::END;
/// Byte offset of the checksum, for callers that patch it incrementally.
pub const CHECKSUM_OFFSET: usize = field::CHECKSUM;
const PROTOCOL: u8 = 6;

/// TCP flag bits as they sit in the low byte of the offset/flags word.
pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// View of a TCP segment.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The fixed header fits, and so does the header with options.
    pub fn check_len(&self) -> Result<(), DropReason> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DropReason::TcpTruncated);
        }
        let hl = self.header_len();
        if hl < HEADER_LEN || hl > len {
            return Err(DropReason::TcpBadDataOffset);
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

    pub fn seq_number(&self) -> u32 {
        get_u32(self.buffer.as_ref(), field::SEQ)
    }

    pub fn ack_number(&self) -> u32 {
        get_u32(self.buffer.as_ref(), field::ACK)
    }

    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::OFF_FLAGS] >> 4) * 4
    }

    /// The eight flag bits; test with [`flags`].
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::OFF_FLAGS + 1]
    }

    pub fn syn(&self) -> bool {
        self.flags() & flags::SYN != 0
    }

    pub fn ack(&self) -> bool {
        self.flags() & flags::ACK != 0
    }

    pub fn fin(&self) -> bool {
        self.flags() & flags::FIN != 0
    }

    pub fn rst(&self) -> bool {
        self.flags() & flags::RST != 0
    }

    pub fn window_len(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::WINDOW)
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    pub fn urgent_at(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::URGENT)
    }

    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Checksum correct for this pseudo-header (IPv4 or IPv6).
    pub fn verify_checksum<A: PseudoHeader>(&self, src: A, dst: A) -> bool {
        let b = self.buffer.as_ref();
        let ph = A::pseudo_header(src, dst, PROTOCOL, b.len() as u16);
        checksum::combine(&[ph, checksum::sum(b)]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }

    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }

    pub fn set_seq_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), field::SEQ, v);
    }

    pub fn set_ack_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), field::ACK, v);
    }

    /// Header length in bytes (a multiple of 4, at most 60); keeps the reserved bits zero.
    pub fn set_header_len(&mut self, len: usize) {
        self.buffer.as_mut()[field::OFF_FLAGS] = ((len / 4) as u8) << 4;
    }

    pub fn set_flags(&mut self, f: u8) {
        self.buffer.as_mut()[field::OFF_FLAGS + 1] = f;
    }

    pub fn set_window_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::WINDOW, v);
    }

    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    pub fn set_urgent_at(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::URGENT, v);
    }

    /// Computes the checksum from scratch over the pseudo-header (IPv4 or IPv6) and the whole
    /// segment.
    pub fn fill_checksum<A: PseudoHeader>(&mut self, src: A, dst: A) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let ph = A::pseudo_header(src, dst, PROTOCOL, b.len() as u16);
        let c = !checksum::combine(&[ph, checksum::sum(b)]);
        self.set_checksum(c);
    }

    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.buffer.as_mut()[HEADER_LEN..hl]
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.buffer.as_mut()[hl..]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::{assert_truncations, hex};
    use core::net::Ipv4Addr;

    /// The TCP part of S0 (ipvs-forwarding §7.0): 40000 → 80, seq 1000, SYN, MSS 1460.
    const SEG: &str = "9c400050000003e8000000006002faf0967d0000020405b4";

    fn addrs() -> (Ipv4Addr, Ipv4Addr) {
        (
            Ipv4Addr::new(203, 0, 113, 10),
            Ipv4Addr::new(198, 51, 100, 1),
        )
    }

    #[test]
    fn parse() {
        let bytes = hex(SEG);
        let p = TcpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.src_port(), 40000);
        assert_eq!(p.dst_port(), 80);
        assert_eq!(p.seq_number(), 1000);
        assert_eq!(p.ack_number(), 0);
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.flags(), flags::SYN);
        assert!(p.syn() && !p.ack() && !p.fin() && !p.rst());
        assert_eq!(p.window_len(), 64240);
        assert_eq!(p.checksum(), 0x967d);
        assert_eq!(p.urgent_at(), 0);
        assert_eq!(p.options(), &[2, 4, 5, 0xb4]);
        assert!(p.payload().is_empty());
        let (s, d) = addrs();
        assert!(p.verify_checksum(s, d));
    }

    #[test]
    fn build() {
        let bytes = hex(SEG);
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = TcpPacket::new_unchecked(&mut buf[..]);
        p.set_src_port(40000);
        p.set_dst_port(80);
        p.set_seq_number(1000);
        p.set_ack_number(0);
        p.set_header_len(24);
        p.set_flags(flags::SYN);
        p.set_window_len(64240);
        p.set_urgent_at(0);
        p.options_mut().copy_from_slice(&[2, 4, 5, 0xb4]);
        let (s, d) = addrs();
        p.fill_checksum(s, d);
        assert_eq!(buf, bytes);
    }

    #[test]
    fn truncated_at_every_length() {
        assert_truncations(
            &hex(SEG),
            HEADER_LEN,
            DropReason::TcpTruncated,
            DropReason::TcpBadDataOffset,
            |b| TcpPacket::new_checked(b).err(),
        );
    }

    #[test]
    fn data_offset_below_five() {
        let mut bytes = hex(SEG);
        bytes[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&bytes[..]).err(),
            Some(DropReason::TcpBadDataOffset)
        );
    }
}
