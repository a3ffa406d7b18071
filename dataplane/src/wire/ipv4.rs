//! IPv4 header (RFC 791), options allowed.
//!
//! Contract: `new_checked` guarantees version 4, IHL ≥ 5, the whole header (with options)
//! inside the buffer, and `header_len ≤ total_len ≤ buffer length`; bytes after `total_len`
//! (Ethernet padding) are not part of [`Ipv4Packet::payload`]. The header checksum is *not*
//! verified by `new_checked`: call [`Ipv4Packet::verify_checksum`] (classification does).
//! `set_version_ihl` and `set_total_len` can invalidate the check.

use core::net::Ipv4Addr;

use super::{checksum, get_ipv4, get_u16, set_ipv4, set_u16};
use crate::stats::DropReason;

mod field {
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const END: usize = 20;
}

/// Length of the header without options.
pub const HEADER_LEN: usize = field::END;
/// Byte offset of the checksum, for callers that patch it incrementally.
pub const CHECKSUM_OFFSET: usize = field::CHECKSUM;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// IP protocol numbers rvs distinguishes (IANA); anything else is kept as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpProtocol {
    Icmp,
    Tcp,
    Udp,
    Icmpv6,
    Unknown(u8),
}

impl From<u8> for IpProtocol {
    fn from(v: u8) -> Self {
        match v {
            1 => IpProtocol::Icmp,
            6 => IpProtocol::Tcp,
            17 => IpProtocol::Udp,
            58 => IpProtocol::Icmpv6,
            other => IpProtocol::Unknown(other),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(p: IpProtocol) -> u8 {
        match p {
            IpProtocol::Icmp => 1,
            IpProtocol::Tcp => 6,
            IpProtocol::Udp => 17,
            IpProtocol::Icmpv6 => 58,
            IpProtocol::Unknown(v) => v,
        }
    }
}

/// View of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Version, IHL and total length agree with the buffer (see the module contract).
    pub fn check_len(&self) -> Result<(), DropReason> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DropReason::Ipv4TooShort);
        }
        if self.version() != 4 {
            return Err(DropReason::Ipv4BadVersion);
        }
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(DropReason::Ipv4BadIhl);
        }
        if hl > len {
            return Err(DropReason::Ipv4TooShort);
        }
        let total = usize::from(self.total_len());
        if total < hl || total > len {
            return Err(DropReason::Ipv4BadTotalLen);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    pub fn dscp_ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN]
    }

    pub fn total_len(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::LENGTH)
    }

    pub fn ident(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::IDENT)
    }

    fn flags_offset(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::FLG_OFF)
    }

    pub fn dont_frag(&self) -> bool {
        self.flags_offset() & FLAG_DF != 0
    }

    pub fn more_frags(&self) -> bool {
        self.flags_offset() & FLAG_MF != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (self.flags_offset() & OFFSET_MASK) << 3
    }

    /// Part of a fragmented datagram (first, middle or last).
    pub fn is_fragment(&self) -> bool {
        self.flags_offset() & (FLAG_MF | OFFSET_MASK) != 0
    }

    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    pub fn protocol(&self) -> IpProtocol {
        self.buffer.as_ref()[field::PROTOCOL].into()
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    pub fn src_addr(&self) -> Ipv4Addr {
        get_ipv4(self.buffer.as_ref(), field::SRC)
    }

    pub fn dst_addr(&self) -> Ipv4Addr {
        get_ipv4(self.buffer.as_ref(), field::DST)
    }

    /// The header with its options.
    pub fn header(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.header_len()]
    }

    /// The header checksum verifies (RFC 1071: the header sums to 0xffff).
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.header()) == 0xffff
    }

    /// From the end of the header to `total_len`.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets version 4 and the header length in bytes (a multiple of 4, at most 60).
    pub fn set_version_ihl(&mut self, header_len: usize) {
        self.buffer.as_mut()[field::VER_IHL] = 0x40 | ((header_len / 4) as u8 & 0x0f);
    }

    pub fn set_dscp_ecn(&mut self, v: u8) {
        self.buffer.as_mut()[field::DSCP_ECN] = v;
    }

    pub fn set_total_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    pub fn set_ident(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::IDENT, v);
    }

    /// Sets DF, MF and the offset (in bytes, rounded down to 8).
    pub fn set_flags_offset(&mut self, dont_frag: bool, more_frags: bool, offset: u16) {
        let mut v = (offset >> 3) & OFFSET_MASK;
        if dont_frag {
            v |= FLAG_DF;
        }
        if more_frags {
            v |= FLAG_MF;
        }
        set_u16(self.buffer.as_mut(), field::FLG_OFF, v);
    }

    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[field::TTL] = v;
    }

    pub fn set_protocol(&mut self, p: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = p.into();
    }

    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        set_ipv4(self.buffer.as_mut(), field::SRC, a);
    }

    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        set_ipv4(self.buffer.as_mut(), field::DST, a);
    }

    /// Recomputes the header checksum from scratch.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.header());
        self.set_checksum(c);
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (hl, total) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buffer.as_mut()[hl..total]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::{assert_truncations, hex};

    /// S0 of ipvs-forwarding §7.0.
    const S0: &str =
        "4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";

    #[test]
    fn parse() {
        let bytes = hex(S0);
        let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.dscp_ecn(), 0);
        assert_eq!(p.total_len(), 44);
        assert_eq!(p.ident(), 0x1c46);
        assert!(p.dont_frag() && !p.more_frags() && !p.is_fragment());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), IpProtocol::Tcp);
        assert_eq!(p.checksum(), 0xb846);
        assert_eq!(p.src_addr(), Ipv4Addr::new(203, 0, 113, 10));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(198, 51, 100, 1));
        assert!(p.verify_checksum());
        assert_eq!(p.payload(), &bytes[20..]);
    }

    #[test]
    fn build() {
        let bytes = hex(S0);
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_version_ihl(20);
        p.set_dscp_ecn(0);
        p.set_total_len(44);
        p.set_ident(0x1c46);
        p.set_flags_offset(true, false, 0);
        p.set_ttl(64);
        p.set_protocol(IpProtocol::Tcp);
        p.set_src_addr(Ipv4Addr::new(203, 0, 113, 10));
        p.set_dst_addr(Ipv4Addr::new(198, 51, 100, 1));
        p.fill_checksum();
        p.payload_mut().copy_from_slice(&bytes[20..]);
        assert_eq!(buf, bytes);
    }

    #[test]
    fn truncated_at_every_length() {
        assert_truncations(
            &hex(S0),
            HEADER_LEN,
            DropReason::Ipv4TooShort,
            DropReason::Ipv4BadTotalLen,
            |b| Ipv4Packet::new_checked(b).err(),
        );
    }

    #[test]
    fn options_and_padding() {
        // IHL 6 (one NOP NOP NOP EOL option word), 4 payload bytes, 2 bytes of padding.
        let mut buf = [0u8; 30];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_version_ihl(24);
        p.set_total_len(28);
        p.set_ttl(1);
        p.fill_checksum();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.payload().len(), 4);
        assert!(p.verify_checksum());
        for len in 20..24 {
            assert_eq!(
                Ipv4Packet::new_checked(&buf[..len]).err(),
                Some(DropReason::Ipv4TooShort)
            );
        }
    }

    #[test]
    fn bad_fields() {
        let good = hex(S0);
        let cases = [
            (0, 0x65, DropReason::Ipv4BadVersion),
            (0, 0x44, DropReason::Ipv4BadIhl),
            (0, 0x4f, DropReason::Ipv4TooShort),
            (3, 19, DropReason::Ipv4BadTotalLen),
            (3, 45, DropReason::Ipv4BadTotalLen),
        ];
        for (at, v, want) in cases {
            let mut b = good.clone();
            b[at] = v;
            assert_eq!(
                Ipv4Packet::new_checked(&b[..]).err(),
                Some(want),
                "byte {at} = {v:#x}"
            );
        }
        let mut b = good.clone();
        b[11] ^= 1;
        assert!(!Ipv4Packet::new_checked(&b[..]).unwrap().verify_checksum());
    }

    #[test]
    fn fragments() {
        let mut b = hex(S0);
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        p.set_flags_offset(false, true, 0);
        assert!(p.is_fragment() && p.more_frags());
        p.set_flags_offset(false, false, 1480);
        assert!(p.is_fragment());
        assert_eq!(p.frag_offset(), 1480);
    }
}
