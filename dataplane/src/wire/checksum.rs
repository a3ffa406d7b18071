//! Internet checksum: full sum (RFC 1071), incremental update (RFC 1624) and the
//! pseudo-headers of the upper layers (IPv4: TCP and UDP, RFC 793 §3.1, RFC 768; IPv6: every
//! upper layer, ICMPv6 included, RFC 8200 §8.1).
//!
//! Contract: [`sum`], [`combine`], [`pseudo_header_v4`] and [`pseudo_header_v6`] return the
//! *folded one's-complement sum* (not yet complemented), so partial sums can be combined; a
//! checksum field holds `!combine(&[...])`. [`update16`], [`update32`] and [`Delta::apply`]
//! take and return the *field value* (already complemented), as IPVS's `ip_vs_check_diff*` do.
//! [`PseudoHeader`] gives both families' versions to code written once for both. None of these
//! can panic.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Folds a wide accumulator to 16 bits with end-around carry.
const fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// [`fold`] of an accumulator below 2^32 (the incremental updates'), in two steps and no
/// loop: the first leaves at most 0x1fffe, the second at most 0xffff, and a step changes
/// nothing once the value fits, so the result is `fold`'s, bit for bit.
const fn fold32(acc: u32) -> u16 {
    let acc = (acc & 0xffff) + (acc >> 16);
    ((acc & 0xffff) + (acc >> 16)) as u16
}

/// RFC 1071 one's-complement sum of `data` as big-endian 16-bit words; an odd last byte is
/// padded with zero. Reads four bytes at a time: `2^16 ≡ 1 (mod 0xffff)`, so summing 32-bit
/// words and folding gives the same result with half the additions.
pub fn sum(data: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    let mut i = 0;
    while i + 1 < rest.len() {
        acc += u64::from(u16::from_be_bytes([rest[i], rest[i + 1]]));
        i += 2;
    }
    if i < rest.len() {
        acc += u64::from(rest[i]) << 8;
    }
    fold(acc)
}

/// One's-complement sum of already folded sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The checksum field value over `data` alone: `!sum(data)`.
pub fn checksum(data: &[u8]) -> u16 {
    !sum(data)
}

/// Sum of the IPv4 pseudo-header: source, destination, zero + protocol, L4 length.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, l4_len: u16) -> u16 {
    let acc = u64::from(u32::from(src))
        + u64::from(u32::from(dst))
        + u64::from(protocol)
        + u64::from(l4_len);
    fold(acc)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, upper-layer packet
/// length (32 bits), zero + next header.
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, l4_len: u32) -> u16 {
    let acc = u64::from(sum(&src.octets()))
        + u64::from(sum(&dst.octets()))
        + u64::from(l4_len)
        + u64::from(next_header);
    fold(acc)
}

/// RFC 1624 eqn. 3, `HC' = ~(~HC + ~m + m')`, for one 16-bit word `old` → `new` covered by
/// the checksum field `csum` (ipvs-forwarding §3.1, `ip_vs_check_diff2`).
pub fn update16(csum: u16, old: u16, new: u16) -> u16 {
    Delta::default().word(old, new).apply(csum)
}

/// RFC 1624 eqn. 3 for a 32-bit field `old` → `new` (`ip_vs_check_diff4`): both of its
/// 16-bit words change at once.
pub fn update32(csum: u16, old: u32, new: u32) -> u16 {
    Delta::default().word32(old, new).apply(csum)
}

/// The `~m + m'` terms of RFC 1624 eqn. 3 for fields of a packet that change, summed and not
/// yet folded: one change goes into several checksums (an IPv4 address: the header's and the
/// TCP/UDP one's), several changes into one checksum at once (address and port; IPVS's
/// `ip_vs_check_diff4`, `ip_vs_check_diff16` and `ip_vs_check_diff2` one after the other).
/// How the terms are grouped does not change the field, bit for bit: a fold gives 0 only
/// for 0, and otherwise the value in 1..=0xffff congruent to the sum modulo 0xffff. A delta
/// holds up to 32767 words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta(u32);

impl Delta {
    /// Adds a 16-bit word `old` → `new`.
    pub fn word(self, old: u16, new: u16) -> Delta {
        Delta(self.0 + u32::from(!old) + u32::from(new))
    }

    /// Adds a 32-bit field (an IPv4 address): both of its words.
    pub fn word32(self, old: u32, new: u32) -> Delta {
        let high = |v: u32| (v >> 16) as u16;
        self.word(high(old), high(new)).word(old as u16, new as u16)
    }

    /// Adds a 128-bit field (an IPv6 address): its eight words.
    pub fn word128(self, old: u128, new: u128) -> Delta {
        (0..8).fold(self, |d, i| {
            d.word((old >> (16 * i)) as u16, (new >> (16 * i)) as u16)
        })
    }

    /// The checksum field `csum` (the field value, complemented) after the changes.
    pub fn apply(self, csum: u16) -> u16 {
        !fold32(u32::from(!csum) + self.0)
    }
}

/// An address family's part in the TCP and UDP checksums, for code written once for IPv4 and
/// IPv6 (NAT, the GUE tunnel header, the TCP and UDP views).
pub trait PseudoHeader: Copy {
    /// A UDP checksum of 0 means "none" (IPv4, RFC 768); over IPv6 it is invalid (RFC 8200
    /// §8.1).
    const UDP_ZERO_IS_NONE: bool;

    /// Sum of the pseudo-header of an L4 packet of `l4_len` bytes from `src` to `dst`.
    fn pseudo_header(src: Self, dst: Self, protocol: u8, l4_len: u16) -> u16;

    /// The change of a pseudo-header address `old` → `new`, for an L4 checksum (RFC 1624
    /// eqn. 3 over the address's words).
    fn addr_delta(old: Self, new: Self) -> Delta;
}

impl PseudoHeader for Ipv4Addr {
    const UDP_ZERO_IS_NONE: bool = true;

    fn pseudo_header(src: Self, dst: Self, protocol: u8, l4_len: u16) -> u16 {
        pseudo_header_v4(src, dst, protocol, l4_len)
    }

    fn addr_delta(old: Self, new: Self) -> Delta {
        Delta::default().word32(u32::from(old), u32::from(new))
    }
}

impl PseudoHeader for Ipv6Addr {
    const UDP_ZERO_IS_NONE: bool = false;

    fn pseudo_header(src: Self, dst: Self, protocol: u8, l4_len: u16) -> u16 {
        pseudo_header_v6(src, dst, protocol, u32::from(l4_len))
    }

    fn addr_delta(old: Self, new: Self) -> Delta {
        Delta::default().word128(u128::from(old), u128::from(new))
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    /// Plain reference: RFC 1071 §4.1's loop, two bytes at a time.
    fn reference_sum(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
            acc += u32::from(word);
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
    }

    #[test]
    fn ipv4_header_of_s0() {
        // ipvs-forwarding §7.0: S0's header checksum is 0xb846.
        let mut h = [
            0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xcb, 0x00,
            0x71, 0x0a, 0xc6, 0x33, 0x64, 0x01,
        ];
        assert_eq!(checksum(&h), 0xb846);
        h[10..12].copy_from_slice(&0xb846u16.to_be_bytes());
        assert_eq!(sum(&h), 0xffff);
    }

    #[test]
    fn odd_lengths_and_empty() {
        assert_eq!(sum(&[]), 0);
        assert_eq!(sum(&[0xab]), 0xab00);
        assert_eq!(sum(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    #[test]
    fn pseudo_header_matches_bytes() {
        let (s, d) = (Ipv4Addr::new(203, 0, 113, 10), Ipv4Addr::new(10, 0, 0, 11));
        let bytes = [203, 0, 113, 10, 10, 0, 0, 11, 0, 6, 0, 24];
        assert_eq!(pseudo_header_v4(s, d, 6, 24), sum(&bytes));
    }

    #[test]
    fn pseudo_header_v6_matches_bytes() {
        // RFC 8200 §8.1's figure, byte by byte.
        let bytes = |s: Ipv6Addr, d: Ipv6Addr, nh: u8, len: u32| {
            [
                &s.octets()[..],
                &d.octets(),
                &len.to_be_bytes(),
                &[0, 0, 0, nh],
            ]
            .concat()
        };
        let s: Ipv6Addr = "fe80::200:ff:fe00:11".parse().unwrap();
        let d: Ipv6Addr = "ff02::1:ff00:1".parse().unwrap();
        let ones = Ipv6Addr::from(u128::MAX);
        for (s, d, nh, len) in [(s, d, 58, 0x0001_0020), (ones, ones, 0xff, u32::MAX)] {
            assert_eq!(pseudo_header_v6(s, d, nh, len), sum(&bytes(s, d, nh, len)));
        }
    }

    #[test]
    fn fold32_equals_fold_at_the_edges() {
        for acc in [
            0,
            1,
            0xffff,
            0x1_0000,
            0x1_fffe,
            0x1_ffff,
            0xffff_0000,
            u32::MAX,
        ] {
            assert_eq!(fold32(acc), fold(u64::from(acc)), "{acc:#x}");
        }
    }

    proptest! {
        #[test]
        fn fold32_equals_fold(acc in any::<u32>()) {
            prop_assert_eq!(fold32(acc), fold(u64::from(acc)));
        }

        /// Bit for bit (0x0000 vs 0xffff too) the updates as they were, over a u64 and the
        /// folding loop.
        #[test]
        fn updates_equal_the_u64_loop(csum in any::<u16>(), old in any::<u32>(), new in any::<u32>()) {
            let w = |v: u32| u64::from(v as u16);
            let loop16 = !fold(u64::from(!csum) + w(!old) + w(new));
            prop_assert_eq!(update16(csum, old as u16, new as u16), loop16);
            let loop32 = !fold(u64::from(!csum) + w(!old >> 16) + w(!old) + w(new >> 16) + w(new));
            prop_assert_eq!(update32(csum, old, new), loop32);
        }

        /// Changes applied one by one or as one delta give the same field, bit for bit.
        #[test]
        fn deltas_group_freely(
            csum in any::<u16>(),
            words in proptest::collection::vec(any::<(u16, u16)>(), 0..20),
            split in any::<prop::sample::Index>(),
        ) {
            let (a, b) = words.split_at(split.index(words.len() + 1));
            let delta = |ws: &[(u16, u16)]| ws.iter().fold(Delta::default(), |d, &(o, n)| d.word(o, n));
            let stepwise = delta(b).apply(delta(a).apply(csum));
            prop_assert_eq!(delta(&words).apply(csum), stepwise);
        }

        #[test]
        fn sum_equals_reference(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(sum(&data), reference_sum(&data));
        }

        #[test]
        fn update16_equals_recompute(
            mut data in proptest::collection::vec(any::<u8>(), 2..64),
            idx in any::<prop::sample::Index>(),
            new in any::<u16>(),
        ) {
            let i = idx.index(data.len() / 2) * 2;
            let before = checksum(&data);
            let old = u16::from_be_bytes([data[i], data[i + 1]]);
            data[i..i + 2].copy_from_slice(&new.to_be_bytes());
            // One's complement has two zeros; compare as values, not bit patterns.
            let (inc, full) = (update16(before, old, new), checksum(&data));
            prop_assert!(inc == full || (inc | full == 0xffff && inc & full == 0));
        }

        #[test]
        fn update32_equals_recompute(
            mut data in proptest::collection::vec(any::<u8>(), 4..64),
            idx in any::<prop::sample::Index>(),
            new in any::<u32>(),
        ) {
            let i = idx.index(data.len() / 2 - 1) * 2;
            let before = checksum(&data);
            let old = u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            data[i..i + 4].copy_from_slice(&new.to_be_bytes());
            let (inc, full) = (update32(before, old, new), checksum(&data));
            prop_assert!(inc == full || (inc | full == 0xffff && inc & full == 0));
        }

        #[test]
        fn word128_equals_recompute(
            mut data in proptest::collection::vec(any::<u8>(), 16..64),
            idx in any::<prop::sample::Index>(),
            new in any::<u128>(),
        ) {
            let i = idx.index(data.len() / 2 - 7) * 2;
            let before = checksum(&data);
            let mut old = [0u8; 16];
            old.copy_from_slice(&data[i..i + 16]);
            data[i..i + 16].copy_from_slice(&new.to_be_bytes());
            let inc = Delta::default().word128(u128::from_be_bytes(old), new).apply(before);
            let full = checksum(&data);
            prop_assert!(inc == full || (inc | full == 0xffff && inc & full == 0));
        }
    }
}
