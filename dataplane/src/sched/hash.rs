//! The kernel's hash functions for the hashing schedulers, bit for bit, so that sh, dh, mh,
//! lblc and lblcr send a client where Linux sends it (ipvs-schedulers §2.7–§2.10).

use std::net::IpAddr;

use super::Flow;

/// The client port a hashing scheduler mixes in when its `-port` flag is set: the L4 source
/// port for TCP, UDP and SCTP, else 0 (kernel `ip_vs_sh_get_port`, `ip_vs_mh_get_port`).
pub fn client_port(flow: &Flow, with_port: bool) -> u16 {
    match (with_port, flow.proto()) {
        (true, 6 | 17 | 132) => flow.sport(),
        _ => 0,
    }
}

/// An address folded to 32 bits as the schedulers' `hashkey`s do: IPv4 `ntohl(addr)`, IPv6
/// `ntohl(w0 ^ w1 ^ w2 ^ w3)` over the four 32-bit words (§2.7).
pub fn fold(addr: IpAddr) -> u32 {
    match addr {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(a) => {
            let o = a.octets();
            o.chunks_exact(4)
                .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
                .fold(0, |x, w| x ^ w)
        }
    }
}

/// `hash_32(x, bits)` of include/linux/hash.h (multiplier `GOLDEN_RATIO_32` since 4.7).
pub fn hash_32(x: u32, bits: u32) -> u32 {
    x.wrapping_mul(0x61C8_8647) >> (32 - bits)
}

/// The kernel's `hsiphash` of one `u32` in host (little-endian) byte order with the key
/// `(key, key)`, as a 64-bit kernel computes it: SipHash-1-3, truncated to the low 32 bits
/// (lib/siphash.c `__hsiphash_aligned`, §2.9).
pub fn hsiphash(v: u32, key: u64) -> u32 {
    let mut s = [
        key ^ 0x736f_6d65_7073_6575,
        key ^ 0x646f_7261_6e64_6f6d,
        key ^ 0x6c79_6765_6e65_7261,
        key ^ 0x7465_6462_7974_6573,
    ];
    // The only (last) block: the 4 bytes, and the length in the top byte.
    let b = (4u64 << 56) | u64::from(v);
    s[3] ^= b;
    sip_round(&mut s);
    s[0] ^= b;
    s[2] ^= 0xff;
    for _ in 0..3 {
        sip_round(&mut s);
    }
    (s[0] ^ s[1] ^ s[2] ^ s[3]) as u32
}

fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

#[cfg(test)]
mod test {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn folds_as_the_kernel() {
        // §2.7: 192.168.1.10 = 0xC0A8010A; 2001:db8::1 → 0x20010DB9.
        assert_eq!(fold(Ipv4Addr::new(192, 168, 1, 10).into()), 0xC0A8_010A);
        let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(fold(v6.into()), 0x2001_0DB9);
    }

    #[test]
    fn hash_32_of_the_worked_example() {
        // §2.7: 0xC0A8010A × 0x61C88647 = 0xF8F385C6 → bucket 248.
        assert_eq!(hash_32(0xC0A8_010A, 8), 248);
        assert_eq!(hash_32(0x0A00_0001, 8), 39);
        assert_eq!(hash_32(0x2001_0DB9, 8), 63);
    }

    #[test]
    fn hsiphash_of_the_mh_worked_example() {
        // §2.9: dests 10.0.0.1..3:80 (v = fold + port), keys 2654435761 and 2654446892.
        let (k1, k2) = (2_654_435_761, 2_654_446_892);
        assert_eq!(hsiphash(0x0A00_0051, k1), 0x439C_0CBE);
        assert_eq!(hsiphash(0x0A00_0051, k2), 0x97B3_DC47);
        assert_eq!(hsiphash(0x0A00_0052, k1), 0xA1CF_683B);
        assert_eq!(hsiphash(0x0A00_0053, k2), 0xEDEB_33D0);
        assert_eq!(hsiphash(0xC0A8_010A, k1), 0xD5E9_59B6);
    }
}
