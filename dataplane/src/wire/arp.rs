//! ARP for IPv4 over Ethernet (RFC 826): the only form rvs speaks.
//!
//! Contract: `new_checked` guarantees 28 bytes and hardware type 1, protocol type 0x0800,
//! address lengths 6 and 4; anything else is `BadArp`. The payload beyond 28 bytes (Ethernet
//! padding) is ignored. No setter changes the length; `set_fixed_fields` makes a buffer pass
//! the type checks.

use core::net::Ipv4Addr;

use super::ethernet::MacAddr;
use super::{get_ipv4, get_mac, get_u16, set_ipv4, set_u16};
use crate::stats::DropReason;

mod field {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
    pub const END: usize = 28;
}

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = field::END;

const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpOperation {
    Request,
    Reply,
    Unknown(u16),
}

impl From<u16> for ArpOperation {
    fn from(v: u16) -> Self {
        match v {
            1 => ArpOperation::Request,
            2 => ArpOperation::Reply,
            other => ArpOperation::Unknown(other),
        }
    }
}

impl From<ArpOperation> for u16 {
    fn from(op: ArpOperation) -> u16 {
        match op {
            ArpOperation::Request => 1,
            ArpOperation::Reply => 2,
            ArpOperation::Unknown(v) => v,
        }
    }
}

/// View of an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        p.check_types()?;
        Ok(p)
    }

    /// The 28 bytes fit.
    pub fn check_len(&self) -> Result<(), DropReason> {
        if self.buffer.as_ref().len() < PACKET_LEN {
            return Err(DropReason::ArpTruncated);
        }
        Ok(())
    }

    /// Ethernet hardware, IPv4 protocol, lengths 6 and 4: the only shape whose fields sit at
    /// the offsets above.
    fn check_types(&self) -> Result<(), DropReason> {
        let b = self.buffer.as_ref();
        let ok = get_u16(b, field::HTYPE) == HTYPE_ETHERNET
            && get_u16(b, field::PTYPE) == PTYPE_IPV4
            && b[field::HLEN] == 6
            && b[field::PLEN] == 4;
        if !ok {
            return Err(DropReason::BadArp);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn operation(&self) -> ArpOperation {
        get_u16(self.buffer.as_ref(), field::OPER).into()
    }

    pub fn sender_hw_addr(&self) -> MacAddr {
        get_mac(self.buffer.as_ref(), field::SHA)
    }

    pub fn sender_ip(&self) -> Ipv4Addr {
        get_ipv4(self.buffer.as_ref(), field::SPA)
    }

    pub fn target_hw_addr(&self) -> MacAddr {
        get_mac(self.buffer.as_ref(), field::THA)
    }

    pub fn target_ip(&self) -> Ipv4Addr {
        get_ipv4(self.buffer.as_ref(), field::TPA)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Writes hardware type Ethernet, protocol IPv4, lengths 6 and 4.
    pub fn set_fixed_fields(&mut self) {
        let b = self.buffer.as_mut();
        set_u16(b, field::HTYPE, HTYPE_ETHERNET);
        set_u16(b, field::PTYPE, PTYPE_IPV4);
        b[field::HLEN] = 6;
        b[field::PLEN] = 4;
    }

    pub fn set_operation(&mut self, op: ArpOperation) {
        set_u16(self.buffer.as_mut(), field::OPER, op.into());
    }

    pub fn set_sender_hw_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::SHA..field::SHA + 6].copy_from_slice(&a);
    }

    pub fn set_sender_ip(&mut self, a: Ipv4Addr) {
        set_ipv4(self.buffer.as_mut(), field::SPA, a);
    }

    pub fn set_target_hw_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::THA..field::THA + 6].copy_from_slice(&a);
    }

    pub fn set_target_ip(&mut self, a: Ipv4Addr) {
        set_ipv4(self.buffer.as_mut(), field::TPA, a);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    // Who has 10.0.0.1? Tell 10.0.0.11 (02:00:00:00:00:11).
    const REQUEST: &str = "0001 0800 06 04 0001 020000000011 0a00000b 000000000000 0a000001";

    #[test]
    fn parse() {
        let bytes = hex(REQUEST);
        let p = ArpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.operation(), ArpOperation::Request);
        assert_eq!(p.sender_hw_addr(), [2, 0, 0, 0, 0, 0x11]);
        assert_eq!(p.sender_ip(), Ipv4Addr::new(10, 0, 0, 11));
        assert_eq!(p.target_hw_addr(), [0; 6]);
        assert_eq!(p.target_ip(), Ipv4Addr::new(10, 0, 0, 1));
    }

    #[test]
    fn build() {
        let mut buf = [0xa5u8; PACKET_LEN];
        let mut p = ArpPacket::new_unchecked(&mut buf[..]);
        p.set_fixed_fields();
        p.set_operation(ArpOperation::Request);
        p.set_sender_hw_addr([2, 0, 0, 0, 0, 0x11]);
        p.set_sender_ip(Ipv4Addr::new(10, 0, 0, 11));
        p.set_target_hw_addr([0; 6]);
        p.set_target_ip(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(&buf[..], &hex(REQUEST)[..]);
    }

    #[test]
    fn truncated_at_every_length() {
        let bytes = hex(REQUEST);
        for len in 0..PACKET_LEN {
            let r = ArpPacket::new_checked(&bytes[..len]);
            assert_eq!(r.err(), Some(DropReason::ArpTruncated), "len {len}");
        }
    }

    #[test]
    fn other_types_are_bad_arp() {
        for (at, v) in [(1, 6u8), (2, 0x86), (4, 8), (5, 16)] {
            let mut bytes = hex(REQUEST);
            bytes[at] = v;
            assert_eq!(
                ArpPacket::new_checked(&bytes[..]).err(),
                Some(DropReason::BadArp)
            );
        }
    }

    #[test]
    fn operation_round_trip() {
        for v in [1u16, 2, 3, 0xffff] {
            assert_eq!(u16::from(ArpOperation::from(v)), v);
        }
    }
}
