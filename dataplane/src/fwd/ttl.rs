//! The TTL step every method shares (ipvs-forwarding §3.0 step 3): TTL −1 before the packet
//! leaves, or, at 1, an ICMP Time Exceeded instead of the packet. For TUN it applies to the
//! inner header, before the outer one is built.

use crate::stats::DropReason;
use crate::wire::{checksum, Ipv4Packet};

/// TTL −1 with the header checksum adjusted; a TTL of 0 or 1 is `TtlExceeded` (§3.0 step 3:
/// the caller then owes the source an ICMP Time Exceeded, §4.5).
pub fn decrement_ttl(ip_packet: &mut [u8]) -> Result<(), DropReason> {
    let mut ip = Ipv4Packet::new_checked(ip_packet)?;
    let ttl = ip.ttl();
    if ttl <= 1 {
        return Err(DropReason::TtlExceeded);
    }
    // TTL is the high byte of the 16-bit word it shares with the protocol.
    let proto = u16::from(u8::from(ip.protocol()));
    let old_word = (u16::from(ttl) << 8) | proto;
    let new_word = (u16::from(ttl - 1) << 8) | proto;
    ip.set_ttl(ttl - 1);
    ip.set_checksum(checksum::update16(ip.checksum(), old_word, new_word));
    Ok(())
}

/// Whether the IPv4 packet would die here (TTL 0 or 1): checked before a new connection is
/// scheduled, so a packet that cannot be forwarded creates none (an rvs decision beyond
/// IPVS, which creates the entry first, §7.11).
pub fn expires(ip_packet: &[u8]) -> bool {
    Ipv4Packet::new_checked(ip_packet).is_ok_and(|ip| ip.ttl() <= 1)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    const S0: &str =
        "4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";

    #[test]
    fn ttl() {
        for (ttl, want) in [(0u8, None), (1, None), (2, Some(1u8)), (255, Some(254))] {
            let mut p = hex(S0);
            let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
            ip.set_ttl(ttl);
            ip.fill_checksum();
            let before = p.clone();
            match want {
                None => {
                    assert_eq!(decrement_ttl(&mut p), Err(DropReason::TtlExceeded));
                    assert_eq!(p, before);
                }
                Some(t) => {
                    decrement_ttl(&mut p).unwrap();
                    let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
                    assert_eq!(ip.ttl(), t);
                    assert!(ip.verify_checksum());
                }
            }
        }
    }

    #[test]
    fn expiry_is_ttl_one_or_zero() {
        let mut p = hex(S0);
        assert!(!expires(&p));
        p[8] = 1;
        assert!(expires(&p));
        assert!(!expires(&p[..10]), "not a whole header: not ours to judge");
    }
}
