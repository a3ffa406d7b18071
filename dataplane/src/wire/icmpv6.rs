//! ICMPv6 (RFC 4443): type, code, checksum and the message body.
//!
//! Contract: `new_checked` guarantees 8 bytes: the 4-byte header of RFC 4443 §2.1 and the
//! first word of the body, which every message type has (the identifier and sequence number
//! of an echo, the MTU, pointer or unused word of an error, the flags or reserved word of
//! Neighbor Discovery; Linux `icmpv6_rcv` pulls the same 8 bytes). The message is the whole
//! buffer (pass exactly the IPv6 payload), so the checksum covers all of it. Unlike ICMPv4,
//! the checksum also covers the IPv6 pseudo-header (RFC 4443 §2.3), hence the addresses
//! [`Icmpv6Packet::verify_checksum`] and [`Icmpv6Packet::fill_checksum`] take. No setter
//! changes the length.

use core::net::Ipv6Addr;

use super::checksum;
use super::ipv4::IpProtocol;
use super::{get_u16, set_u16};
use crate::stats::DropReason;

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const BODY: usize = 4;
    pub const IDENT: usize = 4;
    pub const SEQ: usize = 6;
    pub const END: usize = 8;
}

/// The 8 bytes every message has (see the module contract).
pub const HEADER_LEN: usize = field::END;

/// ICMPv6 types rvs distinguishes (RFC 4443 §2.1, RFC 4861 §4); anything else is a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Icmpv6Message {
    DstUnreachable,
    PacketTooBig,
    TimeExceeded,
    ParamProblem,
    EchoRequest,
    EchoReply,
    NeighborSolicit,
    NeighborAdvert,
    Unknown(u8),
}

impl From<u8> for Icmpv6Message {
    fn from(v: u8) -> Self {
        match v {
            1 => Icmpv6Message::DstUnreachable,
            2 => Icmpv6Message::PacketTooBig,
            3 => Icmpv6Message::TimeExceeded,
            4 => Icmpv6Message::ParamProblem,
            128 => Icmpv6Message::EchoRequest,
            129 => Icmpv6Message::EchoReply,
            135 => Icmpv6Message::NeighborSolicit,
            136 => Icmpv6Message::NeighborAdvert,
            other => Icmpv6Message::Unknown(other),
        }
    }
}

impl From<Icmpv6Message> for u8 {
    fn from(m: Icmpv6Message) -> u8 {
        match m {
            Icmpv6Message::DstUnreachable => 1,
            Icmpv6Message::PacketTooBig => 2,
            Icmpv6Message::TimeExceeded => 3,
            Icmpv6Message::ParamProblem => 4,
            Icmpv6Message::EchoRequest => 128,
            Icmpv6Message::EchoReply => 129,
            Icmpv6Message::NeighborSolicit => 135,
            Icmpv6Message::NeighborAdvert => 136,
            Icmpv6Message::Unknown(v) => v,
        }
    }
}

impl Icmpv6Message {
    /// An error message: types 0 to 127 (RFC 4443 §2.1), known or not.
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }
}

/// View of an ICMPv6 message.
#[derive(Debug, Clone)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Icmpv6Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The 8 bytes of the module contract fit.
    pub fn check_len(&self) -> Result<(), DropReason> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(DropReason::Icmpv6Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn msg_type(&self) -> Icmpv6Message {
        self.buffer.as_ref()[field::TYPE].into()
    }

    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Echo identifier (RFC 4443 §4.1).
    pub fn echo_ident(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::SEQ)
    }

    /// The message body: everything after type, code and checksum.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[field::BODY..]
    }

    /// Whether the checksum verifies for a packet from `src` to `dst`.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        checksum::combine(&[
            self.pseudo_header(src, dst),
            checksum::sum(self.buffer.as_ref()),
        ]) == 0xffff
    }

    fn pseudo_header(&self, src: Ipv6Addr, dst: Ipv6Addr) -> u16 {
        // An IPv6 payload is at most 65535 bytes here (no jumbograms), so the length fits.
        let len = self.buffer.as_ref().len() as u32;
        checksum::pseudo_header_v6(src, dst, IpProtocol::Icmpv6.into(), len)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    pub fn set_msg_type(&mut self, m: Icmpv6Message) {
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

    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::BODY..]
    }

    /// Computes the checksum from scratch over the pseudo-header of a packet from `src` to
    /// `dst` and the whole message.
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        self.set_checksum(0);
        let ph = self.pseudo_header(src, dst);
        let c = !checksum::combine(&[ph, checksum::sum(self.buffer.as_ref())]);
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    fn c() -> Ipv6Addr {
        "2001:db8:c::10".parse().unwrap()
    }

    fn v() -> Ipv6Addr {
        "2001:db8:f::1".parse().unwrap()
    }

    // Echo request c → v, id 0x1234, seq 1, "abcd"; scapy 2.5.0:
    // raw(IPv6(src="2001:db8:c::10", dst="2001:db8:f::1")
    //     / ICMPv6EchoRequest(id=0x1234, seq=1, data=b"abcd"))[40:]
    const ECHO: &str = "8000 4d1f 1234 0001 61626364";
    // Packet Too Big, MTU 1280, quoting 4 bytes (checksum left 0: not checked here).
    const TOO_BIG: &str = "0200 0000 00000500 60000000";

    #[test]
    fn parse_echo() {
        let bytes = hex(ECHO);
        let p = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::EchoRequest);
        assert_eq!(p.msg_code(), 0);
        assert_eq!(p.checksum(), 0x4d1f);
        assert_eq!(p.echo_ident(), 0x1234);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(&p.body()[4..], b"abcd");
        assert!(p.verify_checksum(c(), v()));
        // The pseudo-header counts: swapping the addresses keeps the sum, changing one not.
        assert!(p.verify_checksum(v(), c()));
        assert!(!p.verify_checksum(c(), c()));
        assert!(!p.msg_type().is_error());
    }

    #[test]
    fn parse_error() {
        let bytes = hex(TOO_BIG);
        let p = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::PacketTooBig);
        assert!(p.msg_type().is_error());
        assert_eq!(p.body(), &hex("00000500 60000000")[..]);
    }

    #[test]
    fn build() {
        let bytes = hex(ECHO);
        let mut buf = vec![0xa5u8; bytes.len()];
        let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(Icmpv6Message::EchoRequest);
        p.set_msg_code(0);
        p.set_echo_ident(0x1234);
        p.set_echo_seq_no(1);
        p.body_mut()[4..].copy_from_slice(b"abcd");
        p.fill_checksum(c(), v());
        assert_eq!(buf, bytes);
    }

    #[test]
    fn truncated_at_every_length() {
        let bytes = hex(ECHO);
        for len in 0..HEADER_LEN {
            assert_eq!(
                Icmpv6Packet::new_checked(&bytes[..len]).err(),
                Some(DropReason::Icmpv6Truncated),
                "len {len}"
            );
        }
        assert!(Icmpv6Packet::new_checked(&bytes[..HEADER_LEN]).is_ok());
    }

    #[test]
    fn message_round_trip_and_errors() {
        for v in 0..=255u8 {
            let m = Icmpv6Message::from(v);
            assert_eq!(u8::from(m), v);
            assert_eq!(m.is_error(), v < 128);
        }
    }
}
