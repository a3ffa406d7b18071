//! ipvsadm's listing order (ipvsadm-spec §7.5): libipvs's comparators, whose address and mark
//! comparisons are wrapping differences read as signed, under glibc's top-down merge sort.
//! The comparators are not transitive across a 2^31 window, so the algorithm matters too.

use std::net::IpAddr;

use crate::ipvsadm::command::{DestSpec, ServiceKey};

/// `(int32)(uint32 a - uint32 b)`.
fn wrap(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The address as libipvs holds it: IPv4 in the first 32-bit word (host order), the rest 0.
fn words(addr: IpAddr) -> [u32; 4] {
    match addr {
        IpAddr::V4(a) => [u32::from(a), 0, 0, 0],
        IpAddr::V6(a) => {
            let o = a.octets();
            std::array::from_fn(|i| {
                u32::from_be_bytes([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]])
            })
        }
    }
}

/// Address compare by the *first* operand's family.
fn cmp_addr(a: IpAddr, b: IpAddr) -> i32 {
    let (wa, wb) = (words(a), words(b));
    let n = if a.is_ipv6() { 4 } else { 1 };
    (0..n)
        .map(|i| wrap(wa[i], wb[i]))
        .find(|&r| r != 0)
        .unwrap_or(0)
}

/// What the kernel reports for a service: fwmark services have protocol 0 and address 0.
fn service_fields(k: &ServiceKey) -> (u32, i32, i32, IpAddr, i32) {
    let af = if k.is_ipv6() { 10 } else { 2 };
    match *k {
        ServiceKey::Addr { proto, addr, port } => (0, af, proto.number().into(), addr, port.into()),
        ServiceKey::Fwmark { mark, ipv6 } => {
            let zero = if ipv6 {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
            };
            (mark, af, 0, zero, 0)
        }
    }
}

/// `ipvs_cmp_services`: fwmark, family, protocol, address, port.
pub fn cmp_services(a: &ServiceKey, b: &ServiceKey) -> i32 {
    let (fa, afa, pa, aa, porta) = service_fields(a);
    let (fb, afb, pb, ab, portb) = service_fields(b);
    [
        wrap(fa, fb),
        afa - afb,
        pa - pb,
        cmp_addr(aa, ab),
        porta - portb,
    ]
    .into_iter()
    .find(|&r| r != 0)
    .unwrap_or(0)
}

/// `ipvs_cmp_dests`: address, then port.
pub fn cmp_dests(a: &DestSpec, b: &DestSpec) -> i32 {
    match cmp_addr(a.addr, b.addr) {
        0 => i32::from(a.port) - i32::from(b.port),
        r => r,
    }
}

/// glibc `msort`: the first half has n/2 elements; the merge takes the left one when cmp <= 0.
pub fn msort<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut v[..n1], cmp);
    msort(&mut v[n1..], cmp);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) <= 0 {
            merged.push(v[i]);
            i += 1;
        } else {
            merged.push(v[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&v[i..n1]);
    merged.extend_from_slice(&v[j..]);
    v.copy_from_slice(&merged);
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::command::Protocol;

    fn tcp(addr: &str, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: addr.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn wrapping_order_is_circular() {
        let a = tcp("172.16.0.1", 80);
        let b = tcp("192.168.0.1", 80);
        let c = tcp("10.0.0.1", 80);
        assert!(cmp_services(&a, &b) < 0);
        assert!(cmp_services(&b, &c) < 0);
        let all_ones = ServiceKey::Fwmark {
            mark: u32::MAX,
            ipv6: false,
        };
        assert!(cmp_services(&all_ones, &c) < 0);
    }
}
