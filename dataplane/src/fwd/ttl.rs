//! The TTL step every method shares (ipvs-forwarding §3.0 step 3): TTL (IPv6: hop limit) −1
//! before the packet leaves, or, at 1, an ICMP (ICMPv6) Time Exceeded instead of the packet.
//! For TUN it applies to the inner header, before the outer one is built.

use crate::stats::DropReason;
use crate::wire::{checksum, Ipv4Packet, Ipv6Packet};

/// TTL −1 with the header checksum adjusted; a TTL of 0 or 1 is `TtlExceeded` (§3.0 step 3:
/// the caller then owes the source an ICMP Time Exceeded, §4.5).
pub fn decrement_ttl(ip_packet: &mut [u8]) -> Result<(), DropReason> {
    let mut ip = Ipv4Packet::new_checked(ip_packet)?;
    let ttl = ip.ttl();
    if ttl <= 1 {
        return Err(DropReason::TtlExceeded);
    }
    // TTL is the high byte of the 16-bit word it shares with the protocol; the protocol
    // byte adds the same to the old word and the new one, so it drops out of the update,
    // and so does the TTL: `~(t << 8) + ((t - 1) << 8)` is 0xfeff for every t ≥ 1, the
    // update's sum for the word 0x0100 → 0, a constant.
    ip.set_ttl(ttl - 1);
    ip.set_checksum(checksum::update16(ip.checksum(), 0x0100, 0));
    Ok(())
}

/// Whether the IPv4 packet would die here (TTL 0 or 1): checked before a new connection is
/// scheduled, so a packet that cannot be forwarded creates none (an rvs decision beyond
/// IPVS, which creates the entry first, §7.11).
pub fn expires(ip_packet: &[u8]) -> bool {
    Ipv4Packet::new_checked(ip_packet).is_ok_and(|ip| ip.ttl() <= 1)
}

/// The IPv6 [`decrement_ttl`]: hop limit −1 (there is no header checksum); a hop limit of 0
/// or 1 is `TtlExceeded` (§3.0 step 3: the caller then owes the source an ICMPv6 Time
/// Exceeded, §4.5, [`super::icmp::build_v6`]). For `Forward::transmit` of IPv6.
pub fn decrement_hop_limit(ip_packet: &mut [u8]) -> Result<(), DropReason> {
    let mut ip = Ipv6Packet::new_checked(ip_packet)?;
    let hops = ip.hop_limit();
    if hops <= 1 {
        return Err(DropReason::TtlExceeded);
    }
    ip.set_hop_limit(hops - 1);
    Ok(())
}

/// The IPv6 [`expires`]: hop limit 0 or 1. For `Forward::expires` of IPv6.
pub fn hop_limit_expires(ip_packet: &[u8]) -> bool {
    Ipv6Packet::new_checked(ip_packet).is_ok_and(|ip| ip.hop_limit() <= 1)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    const S0: &str =
        "4500002c1c4640004006b846cb00710ac63364019c400050000003e8000000006002faf0967d0000020405b4";
    /// The IPv6 SYN of ipvs-forwarding §7.16: 2001:db8:c::10 → 2001:db8:f::1, hop limit 64.
    const SYN6: &str = "60000000 0018 06 40 20010db8000c00000000000000000010 20010db8000f00000000000000000001 9c400050000003e8000000006002fd209f030000020405a0";

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

    proptest::proptest! {
        /// Any header, any protocol: the update without the protocol byte writes what the
        /// update of the whole TTL-protocol word writes (RFC 1624, bit for bit, 0x0000 and
        /// 0xffff included), and the checksum verifies.
        #[test]
        fn protocol_drops_out_of_the_update(
            ttl in 2u8..=255, protocol: u8, ident: u16,
        ) {
            let mut p = hex(S0);
            p[4..6].copy_from_slice(&ident.to_be_bytes());
            p[9] = protocol;
            p[8] = ttl;
            Ipv4Packet::new_unchecked(&mut p[..]).fill_checksum();
            let old = u16::from_be_bytes([p[10], p[11]]);
            let word = |t: u8| u16::from(t) << 8 | u16::from(protocol);
            let want = checksum::update16(old, word(ttl), word(ttl - 1));
            decrement_ttl(&mut p).unwrap();
            proptest::prop_assert_eq!(u16::from_be_bytes([p[10], p[11]]), want);
            proptest::prop_assert!(Ipv4Packet::new_checked(&p[..]).unwrap().verify_checksum());
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

    #[test]
    fn hop_limit() {
        for (hops, want) in [
            (0u8, None),
            (1, None),
            (2, Some(1u8)),
            (64, Some(63)),
            (255, Some(254)),
        ] {
            let mut p = hex(SYN6);
            p[7] = hops;
            let before = p.clone();
            match want {
                None => {
                    assert_eq!(decrement_hop_limit(&mut p), Err(DropReason::TtlExceeded));
                    assert!(hop_limit_expires(&p));
                    assert_eq!(p, before);
                }
                Some(h) => {
                    assert!(!hop_limit_expires(&p));
                    decrement_hop_limit(&mut p).unwrap();
                    assert_eq!(p[7], h);
                    assert_eq!(
                        (&p[..7], &p[8..]),
                        (&before[..7], &before[8..]),
                        "nothing else"
                    );
                }
            }
        }
    }

    #[test]
    fn hop_limit_errors_write_nothing_at_every_length() {
        let full = hex(SYN6);
        for len in 0..full.len() {
            let mut p = full[..len].to_vec();
            assert!(decrement_hop_limit(&mut p).is_err(), "len {len}");
            assert!(
                !hop_limit_expires(&p),
                "not a whole packet: not ours to judge"
            );
            assert_eq!(p, &full[..len]);
        }
        assert!(
            decrement_hop_limit(&mut hex(S0)).is_err(),
            "IPv4 is not IPv6"
        );
    }
}
