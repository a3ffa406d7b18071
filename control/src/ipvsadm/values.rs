//! Value readers with the C library's exact acceptance rules (ipvsadm-spec §5).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::command::Protocol;
use super::names::Names;

/// C `isspace` in the C locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// C `strtol(s, &end, 10)` that must consume the whole word (ipvsadm `string_to_number`):
/// leading blanks and a sign are allowed, nothing may follow the digits (ipvsadm-spec §5.1).
/// `None` for an empty word, junk, or a value outside `i64` (ERANGE).
pub fn parse_long(s: &str) -> Option<i64> {
    let s = s.trim_start_matches(is_c_space);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(d)?
        } else {
            value.checked_add(d)?
        };
    }
    Some(value)
}

/// `string_to_number(s, min, max)`: an inclusive range check on [`parse_long`].
pub fn number_in(s: &str, min: i64, max: i64) -> Option<i64> {
    parse_long(s).filter(|n| (min..=max).contains(n))
}

/// C `atoi`: leading blanks, a sign, then as many digits as there are (`64x` = 64).
pub fn atoi(s: &str) -> i64 {
    let s = s.trim_start_matches(is_c_space);
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    let mut value: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    sign * value
}

/// One `inet_aton` component: decimal, `0x` hex or `0` octal, as glibc's `strtoul(.., 0)`.
fn aton_part(s: &str) -> Option<u64> {
    let (radix, digits) = if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, hex)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        // glibc reads "0x" as 0; an empty component is invalid.
        return (radix == 16).then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// glibc `inet_aton`: `a`, `a.b`, `a.b.c` or `a.b.c.d`, each part any C base; the last part
/// fills the remaining bytes (ipvsadm-spec §5.2: `10.2` = 10.0.0.2, `0x0a000003`).
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = s.split('.').map(aton_part).collect::<Option<_>>()?;
    let (last, leading) = parts.split_last()?;
    if leading.len() > 3 || leading.iter().any(|&p| p > 0xff) {
        return None;
    }
    let last_bits = 32 - 8 * leading.len() as u32;
    if last_bits < 64 && *last >> last_bits != 0 {
        return None;
    }
    let high = leading
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, &p)| acc | (p as u32) << (24 - 8 * i as u32));
    Some(Ipv4Addr::from(high | *last as u32))
}

/// `host_to_addr`: `inet_aton`, else the first IPv4 address of a host name.
pub fn ipv4_host(s: &str, names: &dyn Names) -> Option<Ipv4Addr> {
    inet_aton(s).or_else(|| names.host_v4(s))
}

/// `host_to_port`: a decimal number 0-65535, else a services-database name for the protocol
/// (no protocol, as for `-r` before `-t`, means names fail; ipvsadm-spec §5.2).
fn port(s: &str, proto: Option<Protocol>, names: &dyn Names) -> Option<u16> {
    if let Some(n) = number_in(s, 0, 65535) {
        return Some(n as u16);
    }
    names.port_by_name(s, proto?)
}

/// An address word as read by ipvsadm's `parse_service` (ipvsadm-spec §5.2).
/// Returns the address and the port if one was given.
pub fn parse_service_addr(
    word: &str,
    proto: Option<Protocol>,
    names: &dyn Names,
) -> Option<(IpAddr, Option<u16>)> {
    if word.is_empty() || word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (host, mut port_text) = match word.strip_prefix('[') {
        Some(inner) => {
            let (host, after) = inner.split_once(']')?;
            (host, Some(after.strip_prefix(':')?))
        }
        None => (word, None),
    };
    let addr = match host.parse::<Ipv6Addr>() {
        Ok(v6) => IpAddr::V6(v6),
        Err(_) => {
            // Quirk: `[10.0.0.4]:99` loses its port, because the port is looked for again
            // after the last ':' of the host text only.
            let (h, p) = match host.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host, None),
            };
            port_text = p;
            IpAddr::V4(ipv4_host(h, names)?)
        }
    };
    match port_text {
        Some(p) => Some((addr, Some(port(p, proto, names)?))),
        None => Some((addr, None)),
    }
}

/// Cut a C string copied with `strncpy(dst, src, max)` to at most `max` bytes.
pub fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::names::test::DebianNames;

    #[test]
    fn numbers_follow_strtol() {
        assert_eq!(parse_long(" 7"), Some(7));
        assert_eq!(parse_long("+8"), Some(8));
        assert_eq!(parse_long("010"), Some(10));
        assert_eq!(parse_long("0x10"), None);
        assert_eq!(parse_long(""), None);
        assert_eq!(parse_long("+"), None);
        assert_eq!(parse_long("1 "), None);
        assert_eq!(parse_long("99999999999999999999"), None);
        assert_eq!(atoi("64x"), 64);
    }

    #[test]
    fn inet_aton_short_forms() {
        assert_eq!(inet_aton("10.2"), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(inet_aton("0x0a000003"), Some(Ipv4Addr::new(10, 0, 0, 3)));
        assert_eq!(inet_aton("64"), Some(Ipv4Addr::new(0, 0, 0, 64)));
        assert_eq!(inet_aton("255.255.0.x"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("1.256.3"), None);
    }

    #[test]
    fn service_addresses() {
        let n = DebianNames;
        let tcp = Some(Protocol::Tcp);
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        assert_eq!(
            parse_service_addr("[10.0.0.4]:99", tcp, &n),
            Some((v4(10, 0, 0, 4), None))
        );
        assert_eq!(
            parse_service_addr("localhost:https", tcp, &n),
            Some((v4(127, 0, 0, 1), Some(443)))
        );
        assert_eq!(parse_service_addr("1.2.3.4:", tcp, &n), None);
        assert_eq!(parse_service_addr("1.2.3.4:80:90", tcp, &n), None);
        assert_eq!(parse_service_addr("[::1]", tcp, &n), None);
        assert_eq!(parse_service_addr("80", tcp, &n), None);
        assert_eq!(parse_service_addr("1.1.1.1:http", None, &n), None);
        let (a, p) = parse_service_addr("2001:db8::1:80", tcp, &n).unwrap();
        assert_eq!((a.to_string().as_str(), p), ("2001:db8::1:80", None));
    }
}
