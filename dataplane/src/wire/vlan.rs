//! IEEE 802.1Q VLAN tag, seen from inside: the 4 bytes that follow an Ethernet header whose
//! EtherType is 0x8100 (TCI, then the encapsulated EtherType).
//!
//! Contract: `new_checked` guarantees the 4 tag bytes; the payload is everything after them.
//! No setter changes the length.

use super::ethernet::EtherType;
use super::{get_u16, set_u16};
use crate::stats::DropReason;

mod field {
    pub const TCI: usize = 0;
    pub const ETHERTYPE: usize = 2;
    pub const PAYLOAD: usize = 4;
}

/// Length of the tag after the TPID.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// View of the 802.1Q tag control information and inner EtherType.
#[derive(Debug, Clone)]
pub struct VlanPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        VlanPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The 4 tag bytes fit.
    pub fn check_len(&self) -> Result<(), DropReason> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(DropReason::VlanTruncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn tci(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::TCI)
    }

    /// Priority code point (3 bits).
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// Drop eligible indicator.
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    /// VLAN identifier (12 bits).
    pub fn vlan_id(&self) -> u16 {
        self.tci() & 0x0fff
    }

    pub fn ethertype(&self) -> EtherType {
        get_u16(self.buffer.as_ref(), field::ETHERTYPE).into()
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VlanPacket<T> {
    /// Sets PCP, DEI and VID at once (the whole TCI).
    pub fn set_tci(&mut self, pcp: u8, dei: bool, vlan_id: u16) {
        let tci = (u16::from(pcp & 7) << 13) | (u16::from(dei) << 12) | (vlan_id & 0x0fff);
        set_u16(self.buffer.as_mut(), field::TCI, tci);
    }

    pub fn set_ethertype(&mut self, t: EtherType) {
        set_u16(self.buffer.as_mut(), field::ETHERTYPE, t.into());
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // PCP 5, DEI 1, VID 0x123, inner ARP, one payload byte.
    const TAG: [u8; 5] = [0xb1, 0x23, 0x08, 0x06, 0x42];

    #[test]
    fn parse() {
        let v = VlanPacket::new_checked(&TAG[..]).unwrap();
        assert_eq!(v.pcp(), 5);
        assert!(v.dei());
        assert_eq!(v.vlan_id(), 0x123);
        assert_eq!(v.ethertype(), EtherType::Arp);
        assert_eq!(v.payload(), &[0x42]);
    }

    #[test]
    fn build() {
        let mut buf = [0xa5u8; 5];
        let mut v = VlanPacket::new_unchecked(&mut buf[..]);
        v.set_tci(5, true, 0x123);
        v.set_ethertype(EtherType::Arp);
        v.payload_mut()[0] = 0x42;
        assert_eq!(buf, TAG);
    }

    #[test]
    fn truncated_at_every_length() {
        for len in 0..HEADER_LEN {
            let r = VlanPacket::new_checked(&TAG[..len]);
            assert_eq!(r.err(), Some(DropReason::VlanTruncated), "len {len}");
        }
    }
}
