//! ICMPv4 (RFC 792): the 8-byte header shared by echo and error messages.
//!
//! Contract: `new_checked` guarantees the 8-byte header; the message is the whole buffer (pass
//! exactly the IP payload), so the checksum covers all of it. For echo, bytes 4..8 are the
//! identifier and sequence number; for errors they are unused or the next-hop MTU (RFC 1191),
//! and the payload quotes the offending IP header. No setter changes the length.

use super::checksum;
use super::{get_u16, set_u16};
use crate::stats::DropReason;

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const IDENT: usize = 4;
    pub const SEQ: usize = 6;
    pub const MTU: usize = 6;
    pub const END: usize = 8;
}

pub const HEADER_LEN: usize = field::END;
/// Byte offset of the checksum, for callers that patch it incrementally.
pub const CHECKSUM_OFFSET: usize = field::CHECKSUM;

/// ICMP types rvs distinguishes; anything else is kept as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpMessage {
    EchoReply,
    DstUnreachable,
    Redirect,
    EchoRequest,
    TimeExceeded,
    ParamProblem,
    Unknown(u8),
}

impl From<u8> for IcmpMessage {
    fn from(v: u8) -> Self {
        match v {
            0 => IcmpMessage::EchoReply,
            3 => IcmpMessage::DstUnreachable,
            5 => IcmpMessage::Redirect,
            8 => IcmpMessage::EchoRequest,
            11 => IcmpMessage::TimeExceeded,
            12 => IcmpMessage::ParamProblem,
            other => IcmpMessage::Unknown(other),
        }
    }
}

impl From<IcmpMessage> for u8 {
    fn from(m: IcmpMessage) -> u8 {
        match m {
            IcmpMessage::EchoReply => 0,
            IcmpMessage::DstUnreachable => 3,
            IcmpMessage::Redirect => 5,
            IcmpMessage::EchoRequest => 8,
            IcmpMessage::TimeExceeded => 11,
            IcmpMessage::ParamProblem => 12,
            IcmpMessage::Unknown(v) => v,
        }
    }
}

impl IcmpMessage {
    /// An error message that quotes another packet (ipvs-forwarding §4.1 "related").
    pub fn is_error(self) -> bool {
        matches!(
            self,
            IcmpMessage::DstUnreachable
                | IcmpMessage::Redirect
                | IcmpMessage::TimeExceeded
                | IcmpMessage::ParamProblem
        )
    }
}

/// View of an ICMPv4 message.
#[derive(Debug, Clone)]
pub struct IcmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        IcmpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The 8-byte header fits.
    pub fn check_len(&self) -> Result<(), DropReason> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(DropReason::IcmpTruncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn msg_type(&self) -> IcmpMessage {
        self.buffer.as_ref()[field::TYPE].into()
    }

    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::SEQ)
    }

    /// Next-hop MTU of a Fragmentation Needed message (RFC 1191).
    pub fn next_hop_mtu(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::MTU)
    }

    /// Echo data, or the quoted packet of an error.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.buffer.as_ref()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IcmpPacket<T> {
    pub fn set_msg_type(&mut self, m: IcmpMessage) {
        self.buffer.as_mut()[field::TYPE] = m.into();
    }

    pub fn set_msg_code(&mut self, v: u8) {
        self.buffer.as_mut()[field::CODE] = v;
    }

    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    pub fn set_echo_ident(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::IDENT, v);
    }

    pub fn set_echo_seq_no(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), field::SEQ, v);
    }

    /// Writes bytes 4..8 of an error: zero, then the next-hop MTU (0 unless Frag Needed).
    pub fn set_error_rest(&mut self, mtu: u16) {
        set_u16(self.buffer.as_mut(), field::IDENT, 0);
        set_u16(self.buffer.as_mut(), field::MTU, mtu);
    }

    /// Computes the checksum from scratch over the whole message.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    // Echo request, id 0x1234, seq 1, payload "abcd"; checksum computed by hand below.
    const ECHO: &str = "0800 0000 1234 0001 61626364";
    // Fragmentation needed, MTU 1400, quoting 4 bytes.
    const FRAG_NEEDED: &str = "0304 0000 0000 0578 45000014";

    fn echo() -> Vec<u8> {
        let mut b = hex(ECHO);
        let c = checksum::checksum(&b);
        b[2..4].copy_from_slice(&c.to_be_bytes());
        b
    }

    #[test]
    fn parse_echo() {
        let bytes = echo();
        let p = IcmpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.msg_type(), IcmpMessage::EchoRequest);
        assert_eq!(p.msg_code(), 0);
        assert_eq!(p.echo_ident(), 0x1234);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.payload(), b"abcd");
        assert!(p.verify_checksum());
        assert!(!p.msg_type().is_error());
    }

    #[test]
    fn parse_error() {
        let bytes = hex(FRAG_NEEDED);
        let p = IcmpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.msg_type(), IcmpMessage::DstUnreachable);
        assert!(p.msg_type().is_error());
        assert_eq!(p.msg_code(), 4);
        assert_eq!(p.next_hop_mtu(), 1400);
        assert_eq!(p.payload(), &[0x45, 0, 0, 0x14]);
    }

    #[test]
    fn build() {
        let bytes = echo();
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = IcmpPacket::new_unchecked(&mut buf[..]);
        p.set_msg_type(IcmpMessage::EchoRequest);
        p.set_msg_code(0);
        p.set_echo_ident(0x1234);
        p.set_echo_seq_no(1);
        p.payload_mut().copy_from_slice(b"abcd");
        p.fill_checksum();
        assert_eq!(buf, bytes);

        let want = hex(FRAG_NEEDED);
        let mut buf = vec![0xa5u8; want.len()];
        let mut p = IcmpPacket::new_unchecked(&mut buf[..]);
        p.set_msg_type(IcmpMessage::DstUnreachable);
        p.set_msg_code(4);
        p.set_checksum(0);
        p.set_error_rest(1400);
        p.payload_mut().copy_from_slice(&[0x45, 0, 0, 0x14]);
        assert_eq!(buf, want);
    }

    #[test]
    fn truncated_at_every_length() {
        let bytes = echo();
        for len in 0..HEADER_LEN {
            assert_eq!(
                IcmpPacket::new_checked(&bytes[..len]).err(),
                Some(DropReason::IcmpTruncated)
            );
        }
        assert!(IcmpPacket::new_checked(&bytes[..HEADER_LEN]).is_ok());
    }

    #[test]
    fn message_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(IcmpMessage::from(v)), v);
        }
    }
}
