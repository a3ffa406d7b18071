//! The RSS key rvsd gives the NICs: random per start, so that nobody outside can aim
//! traffic at one queue with keys known from drivers' defaults, and symmetric, so that the
//! two directions of a tuple (A → B and B → A) hash alike where the NIC hashes addresses and
//! ports as Toeplitz does. A NAT connection's reply is not its request's tuple swapped (it
//! comes from the real server, not the VIP), so its two directions may still reach two
//! workers: the connection table is shared for that reason (docs/performance.md, "Scaling").
//!
//! A Toeplitz key whose bits repeat every 16 is symmetric: every field of the tuple (two
//! 32- or 128-bit addresses, two 16-bit ports) starts at a multiple of 16 bits, so swapping
//! the source and destination fields meets the same key bits (the Woo and Park key 0x6d5a
//! repeated is one such key). The random part is that 16-bit word.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// The key length when the driver does not say (Intel's 40 bytes).
pub const DEFAULT_KEY_LEN: usize = 40;

/// A random symmetric key of `len` bytes.
pub fn random_key(len: usize) -> Vec<u8> {
    let state = RandomState::new();
    let word = (0u64..)
        .map(|i| state.hash_one(i) as u16)
        .find(|w| balanced(*w))
        .expect("some word is balanced");
    symmetric_key(word, len)
}

/// A word with a mix of ones and zeros in each byte: a byte of all zeros or all ones makes
/// 8 of every 16 hash bits depend on fewer input bits.
fn balanced(word: u16) -> bool {
    word.to_be_bytes()
        .iter()
        .all(|b| (2..=6).contains(&b.count_ones()))
}

/// `word` repeated over `len` bytes.
pub fn symmetric_key(word: u16, len: usize) -> Vec<u8> {
    word.to_be_bytes()
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// The Toeplitz hash of `input` under `key`, as NICs compute RSS (Microsoft's RSS spec).
pub fn toeplitz(key: &[u8], input: &[u8]) -> u32 {
    let bit = |i: usize| key.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
    let window = |at: usize| (0..32).fold(0u32, |w, j| w << 1 | u32::from(bit(at + j)));
    let mut hash = 0;
    for (i, byte) in input.iter().enumerate() {
        for b in 0..8 {
            if byte & (0x80 >> b) != 0 {
                hash ^= window(i * 8 + b);
            }
        }
    }
    hash
}

#[cfg(test)]
mod test {
    use super::*;

    /// The IPv4 TCP input: source and destination address, source and destination port.
    fn tuple(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        [&src[..], &dst, &sport.to_be_bytes(), &dport.to_be_bytes()].concat()
    }

    /// Microsoft's RSS verification suite, first IPv4 TCP row: the hash is Toeplitz's.
    #[test]
    fn toeplitz_matches_the_verification_suite() {
        let key = [
            0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
            0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
            0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
        ];
        let input = tuple([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766);
        assert_eq!(toeplitz(&key, &input), 0x51cc_c178);
    }

    #[test]
    fn random_keys_are_symmetric_and_differ() {
        let keys: Vec<Vec<u8>> = (0..4).map(|_| random_key(40)).collect();
        assert!(keys.iter().any(|k| *k != keys[0]), "four starts, one key");
        let (c, s) = ([203, 0, 113, 10], [10, 0, 2, 11]);
        for key in keys {
            assert_eq!(key.len(), 40);
            for (sport, dport) in [(40000, 80), (1, 65535), (53, 53)] {
                let there = toeplitz(&key, &tuple(c, s, sport, dport));
                let back = toeplitz(&key, &tuple(s, c, dport, sport));
                assert_eq!(there, back, "{key:02x?}");
            }
        }
    }
}
