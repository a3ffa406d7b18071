//! Neighbor Solicitation and Advertisement bodies (RFC 4861 §4.3, §4.4) and their link-layer
//! address options (§4.6.1), on Ethernet (RFC 2464 §6): the only link rvs speaks.
//!
//! Contract: the view covers the whole ICMPv6 message (pass exactly the IPv6 payload; type,
//! code and checksum are read through [`Icmpv6Packet`](super::Icmpv6Packet) over the same
//! bytes). NS and NA share one layout: type, code, checksum, a 32-bit word (NA flags, NS
//! reserved), the 16-byte target, then options. `new_checked` guarantees those 24 bytes and
//! well-formed options, so no getter can fail afterwards:
//! * every option has a length above 0 and ends inside the message (§4.6, §7.1.1: "All
//!   included options have a length that is greater than zero");
//! * every link-layer address option holds one Ethernet address (length 1, RFC 2464 §6);
//!   Linux `ndisc_recv_ns` drops a message whose option has another length, so does rvs.
//!
//! Other options are skipped (§4.3: "Receivers MUST silently ignore any options they do not
//! recognize"). Of repeated link-layer address options the first counts, as in Linux
//! `ndisc_parse_options`. [`NdPacket::set_ll_option`] writes one option right after the
//! target; it invalidates the check unless the buffer ends with it.

use core::net::Ipv6Addr;

use super::ethernet::MacAddr;
use super::{get_ipv6, get_mac, set_ipv6};
use crate::stats::DropReason;

mod field {
    pub const FLAGS: usize = 4;
    pub const RESERVED: core::ops::Range<usize> = 5..8;
    pub const TARGET: usize = 8;
    pub const OPTIONS: usize = 24;
    pub const OPT_LEN: usize = 1;
    pub const OPT_MAC: usize = 2;
}

/// The fixed part NS and NA share, ICMPv6 header included.
pub const HEADER_LEN: usize = field::OPTIONS;
/// A link-layer address option for Ethernet: type, length 1, the MAC.
pub const LL_OPTION_LEN: usize = 8;

/// The flags of an NA, in its first body byte (RFC 4861 §4.4); zero in an NS.
pub mod flags {
    /// R: the sender is a router.
    pub const ROUTER: u8 = 0x80;
    /// S: sent in response to a Neighbor Solicitation.
    pub const SOLICITED: u8 = 0x40;
    /// O: the advertised link-layer address should replace a cached one.
    pub const OVERRIDE: u8 = 0x20;
}

/// ND option types rvs reads (RFC 4861 §4.6); anything else is a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdOption {
    SourceLlAddr,
    TargetLlAddr,
    Unknown(u8),
}

impl From<u8> for NdOption {
    fn from(v: u8) -> Self {
        match v {
            1 => NdOption::SourceLlAddr,
            2 => NdOption::TargetLlAddr,
            other => NdOption::Unknown(other),
        }
    }
}

impl From<NdOption> for u8 {
    fn from(o: NdOption) -> u8 {
        match o {
            NdOption::SourceLlAddr => 1,
            NdOption::TargetLlAddr => 2,
            NdOption::Unknown(v) => v,
        }
    }
}

/// View of a Neighbor Solicitation or Advertisement.
#[derive(Debug, Clone)]
pub struct NdPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        NdPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The 24 bytes fit and the options are well formed (see the module contract).
    pub fn check_len(&self) -> Result<(), DropReason> {
        let opts = self
            .buffer
            .as_ref()
            .get(field::OPTIONS..)
            .ok_or(DropReason::NdTruncated)?;
        options(opts).try_for_each(|o| o.map(drop))
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The NA flags byte ([`flags`]).
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    pub fn target_addr(&self) -> Ipv6Addr {
        get_ipv6(self.buffer.as_ref(), field::TARGET)
    }

    /// The source link-layer address option's MAC (what an NS carries).
    pub fn source_ll_addr(&self) -> Option<MacAddr> {
        self.ll_addr(NdOption::SourceLlAddr)
    }

    /// The target link-layer address option's MAC (what an NA carries).
    pub fn target_ll_addr(&self) -> Option<MacAddr> {
        self.ll_addr(NdOption::TargetLlAddr)
    }

    fn ll_addr(&self, kind: NdOption) -> Option<MacAddr> {
        options(&self.buffer.as_ref()[field::OPTIONS..])
            .map_while(Result::ok)
            .find(|&(k, _)| k == kind)
            .map(|(_, opt)| get_mac(opt, field::OPT_MAC))
    }
}

/// The options in `b`, each as its type and whole bytes, until the end or the first malformed
/// one (then an error, and nothing after it).
fn options(mut b: &[u8]) -> impl Iterator<Item = Result<(NdOption, &[u8]), DropReason>> {
    core::iter::from_fn(move || {
        let kind = NdOption::from(*b.first()?);
        let len = usize::from(b.get(field::OPT_LEN).copied().unwrap_or(0)) * 8;
        let is_ll = matches!(kind, NdOption::SourceLlAddr | NdOption::TargetLlAddr);
        match b.split_at_checked(len) {
            Some((opt, rest)) if len > 0 && (!is_ll || len == LL_OPTION_LEN) => {
                b = rest;
                Some(Ok((kind, opt)))
            }
            _ => {
                b = &[];
                Some(Err(DropReason::NdBadOption))
            }
        }
    })
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> NdPacket<T> {
    /// Writes the flags byte ([`flags`]) and zeroes the reserved bits after it.
    pub fn set_flags(&mut self, v: u8) {
        let b = self.buffer.as_mut();
        b[field::FLAGS] = v;
        b[field::RESERVED].fill(0);
    }

    pub fn set_target_addr(&mut self, a: Ipv6Addr) {
        set_ipv6(self.buffer.as_mut(), field::TARGET, a);
    }

    /// Writes one link-layer address option `kind` holding `mac` right after the target.
    pub fn set_ll_option(&mut self, kind: NdOption, mac: MacAddr) {
        let opt = &mut self.buffer.as_mut()[field::OPTIONS..field::OPTIONS + LL_OPTION_LEN];
        opt[0] = kind.into();
        opt[field::OPT_LEN] = 1;
        opt[field::OPT_MAC..].copy_from_slice(&mac);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;
    use crate::wire::{Icmpv6Message, Icmpv6Packet};

    const D: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 1);
    const R1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0x11);
    const R1_MAC: MacAddr = [2, 0, 0, 0, 0, 0x11];
    const D_MAC: MacAddr = [2, 0, 0, 0, 0, 2];

    // R1 asks for D; scapy 2.5.0, the ICMPv6 part of
    // IPv6(src="2001:db8:a::11", dst="ff02::1:ff00:1", hlim=255)
    //   / ICMPv6ND_NS(tgt="2001:db8:a::1") / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:11")
    const NS: &str = "8700 1bf5 00000000 20010db8000a00000000000000000001 0101 020000000011";
    // D answers; scapy 2.5.0, the ICMPv6 part of
    // IPv6(src="2001:db8:a::1", dst="2001:db8:a::11", hlim=255)
    //   / ICMPv6ND_NA(tgt="2001:db8:a::1", R=1, S=1, O=1)
    //   / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:02")
    const NA: &str = "8800 0a45 e0000000 20010db8000a00000000000000000001 0201 020000000002";

    #[test]
    fn parse_ns() {
        let bytes = hex(NS);
        let icmp = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(icmp.msg_type(), Icmpv6Message::NeighborSolicit);
        assert!(icmp.verify_checksum(R1, "ff02::1:ff00:1".parse().unwrap()));
        let ns = NdPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(ns.flags(), 0);
        assert_eq!(ns.target_addr(), D);
        assert_eq!(ns.source_ll_addr(), Some(R1_MAC));
        assert_eq!(ns.target_ll_addr(), None);
    }

    #[test]
    fn parse_na() {
        let bytes = hex(NA);
        assert!(Icmpv6Packet::new_checked(&bytes[..])
            .unwrap()
            .verify_checksum(D, R1));
        let na = NdPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            na.flags(),
            flags::ROUTER | flags::SOLICITED | flags::OVERRIDE
        );
        assert_eq!(na.target_addr(), D);
        assert_eq!(na.target_ll_addr(), Some(D_MAC));
        assert_eq!(na.source_ll_addr(), None);
    }

    #[test]
    fn build() {
        let want = hex(NA);
        let mut buf = vec![0xa5u8; want.len()];
        let mut icmp = Icmpv6Packet::new_unchecked(&mut buf[..]);
        icmp.set_msg_type(Icmpv6Message::NeighborAdvert);
        icmp.set_msg_code(0);
        let mut na = NdPacket::new_unchecked(icmp.into_inner());
        na.set_flags(flags::ROUTER | flags::SOLICITED | flags::OVERRIDE);
        na.set_target_addr(D);
        na.set_ll_option(NdOption::TargetLlAddr, D_MAC);
        Icmpv6Packet::new_unchecked(na.into_inner()).fill_checksum(D, R1);
        assert_eq!(buf, want);
    }

    #[test]
    fn truncated_at_every_length() {
        let bytes = hex(NS);
        for len in 0..bytes.len() {
            let want = match len {
                0..HEADER_LEN => Err(DropReason::NdTruncated),
                HEADER_LEN => Ok(()),
                _ => Err(DropReason::NdBadOption),
            };
            let got = NdPacket::new_checked(&bytes[..len]).map(drop);
            assert_eq!(got, want, "len {len}");
        }
    }

    #[test]
    fn options_unknown_skipped_first_wins_bad_rejected() {
        let ns = &NS[..NS.len() - 17];
        // A nonce (type 14, RFC 3971 §5.3.2) before two source link-layer options.
        let nonce = "0e01 112233445566";
        let bytes = hex(&[ns, nonce, "0101 020000000011 0101 020000000099"].concat());
        let p = NdPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.source_ll_addr(), Some(R1_MAC));
        for bad in [
            "0100 020000000011",                  // length 0
            "0102 020000000011",                  // past the end
            "0102 020000000011 0000000000000000", // not one Ethernet address
            "0e00",                               // length 0, cut
            "0e",                                 // no length byte
        ] {
            let bytes = hex(&[ns, bad].concat());
            assert_eq!(
                NdPacket::new_checked(&bytes[..]).err(),
                Some(DropReason::NdBadOption),
                "{bad}"
            );
        }
    }

    #[test]
    fn option_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(NdOption::from(v)), v);
        }
    }
}
