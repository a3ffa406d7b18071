//! The SIP persistence engine's reading of a datagram (`--pe sip`, ipvs-schedulers §5.6): the
//! value of its `Call-ID` header, found as the kernel's `ip_vs_pe_sip` finds it, so that the
//! same datagrams are kept together and the same ones refused.
//!
//! What the kernel accepts, and so what this does:
//! * a header is looked for only at the start of a line (after CR, LF or CRLF), not on a
//!   continuation line; its name is `Call-ID` in any case, or the compact `i` followed by a
//!   non-letter; blanks and continuation lines may surround the colon;
//! * the value is a word (letters, digits and ``!"%()*+,-./:<>?[\]_`{}~``), optionally `@`
//!   and a second word; the first header whose value is empty is skipped for the next one;
//! * the value must end the line (CR or LF right after it) and be at most 255 bytes;
//! * the payload's first line is never a header (a request or status line; oracle: 6.12
//!   finds a `Call-ID` line that follows an empty first line).

/// The longest Call-ID kept (`IP_VS_PEDATA_MAXLEN`).
pub const MAX_CALL_ID: usize = 255;

/// The Call-ID of UDP payload `payload`; `None` when the kernel finds none it can use.
pub fn call_id(payload: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    loop {
        match header_value(payload, from)? {
            Found::Value(start, len) => return usable(payload, start, len),
            // An empty value: look again after it (`get_callid`'s loop).
            Found::Empty(at) => from += at,
        }
    }
}

/// What one search for the header gave.
enum Found {
    /// A value at `start`, `len` bytes long.
    Value(usize, usize),
    /// A header whose value is empty, at this offset.
    Empty(usize),
}

/// The value must be short enough and end its line.
fn usable(payload: &[u8], start: usize, len: usize) -> Option<&[u8]> {
    let after = *payload.get(start + len)?;
    (len <= MAX_CALL_ID && (after == b'\r' || after == b'\n')).then(|| &payload[start..start + len])
}

/// The first `Call-ID` (or `i`) header starting a line at or after `from`
/// (`ct_sip_get_header`). A header name with no colon after it ends the search.
fn header_value(p: &[u8], from: usize) -> Option<Found> {
    let mut i = from;
    while i < p.len() {
        if !is_eol(p[i]) {
            i += 1;
            continue;
        }
        i = line_start(p, i)?;
        let name_end = match p[i] {
            // A continuation line.
            b' ' | b'\t' => None,
            _ => header_name(p, i),
        };
        let Some(name_end) = name_end else {
            // The kernel steps past the line's first byte before looking on.
            i += 1;
            continue;
        };
        let colon = skip_blanks(p, name_end)?;
        if p.get(colon) != Some(&b':') || colon + 1 >= p.len() {
            return None;
        }
        let start = skip_blanks(p, colon + 1)?;
        let len = p.get(start..).map_or(0, call_id_len);
        return Some(match len {
            0 => Found::Empty(start),
            len => Found::Value(start, len),
        });
    }
    None
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// The start of the line after the line end at `i` (CRLF counts as one), if any byte is left.
fn line_start(p: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if p[i] == b'\r' && p.get(j) == Some(&b'\n') {
        j += 1;
    }
    (j < p.len()).then_some(j)
}

/// The end of the header name at `i`: `Call-ID`, or the compact `i` not followed by a letter.
fn header_name(p: &[u8], i: usize) -> Option<usize> {
    const NAME: &[u8] = b"call-id";
    let rest = &p[i..];
    if rest.len() >= NAME.len() && rest[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return Some(i + NAME.len());
    }
    let compact = rest.len() >= 2 && rest[0].eq_ignore_ascii_case(&b'i');
    (compact && !rest[1].is_ascii_alphabetic()).then_some(i + 1)
}

/// Past spaces and continuation lines (`sip_skip_whitespace`); `None` at a line end that
/// continues nothing. As in the kernel, the first byte of a continuation line's text is
/// stepped over with the blanks before it; the result may lie at or past the end.
fn skip_blanks(p: &[u8], mut i: usize) -> Option<usize> {
    while i < p.len() {
        match p[i] {
            b' ' => {}
            b'\r' | b'\n' => i = continuation(p, i)?,
            _ => return Some(i),
        }
        i += 1;
    }
    Some(i)
}

/// After the line end at `i`: the end of the blanks that start the next line, if it is a
/// continuation line (`sip_follow_continuation`).
fn continuation(p: &[u8], i: usize) -> Option<usize> {
    let j = line_start(p, i)?;
    if p[j] != b' ' && p[j] != b'\t' {
        return None;
    }
    Some(
        j + p[j..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count(),
    )
}

/// `word` or `word@word` at the start of `v`; 0 when there is none (or `word@` alone).
fn call_id_len(v: &[u8]) -> usize {
    let first = word_len(v);
    if first == 0 || v.get(first) != Some(&b'@') {
        return first;
    }
    match word_len(&v[first + 1..]) {
        0 => 0,
        second => first + 1 + second,
    }
}

fn word_len(v: &[u8]) -> usize {
    v.iter().take_while(|&&c| is_word(c)).count()
}

/// A character of a SIP word as the kernel's `iswordc` has it.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!\"%()*+,-./:<>?[\\]_`{}~".contains(&c)
}

#[cfg(test)]
mod test {
    use super::*;

    /// A request with `header` as its fourth line, lines ended by `eol`.
    fn request(header: &str, eol: &str) -> Vec<u8> {
        let lines = [
            "INVITE sip:bob@10.0.1.100 SIP/2.0",
            "Via: SIP/2.0/UDP 10.0.1.50:5060",
            "From: <sip:alice@10.0.1.50>",
            header,
            "CSeq: 1 INVITE",
            "",
            "",
        ];
        lines.join(eol).into_bytes()
    }

    fn id(header: &str) -> Option<String> {
        let p = request(header, "\r\n");
        call_id(&p).map(|v| String::from_utf8(v.to_vec()).unwrap())
    }

    #[test]
    fn finds_the_header_in_its_forms() {
        assert_eq!(id("Call-ID: a1@host").as_deref(), Some("a1@host"));
        assert_eq!(id("call-id : c3").as_deref(), Some("c3"));
        assert_eq!(id("CALL-ID:x").as_deref(), Some("x"));
        assert_eq!(id("i: b2").as_deref(), Some("b2"));
        // Folded onto a continuation line: the kernel loses the value's first byte.
        assert_eq!(id("Call-ID:\r\n  folded@h").as_deref(), Some("olded@h"));
        let lf = request("Call-ID: lf@host", "\n");
        assert_eq!(call_id(&lf), Some(&b"lf@host"[..]));
    }

    #[test]
    fn refuses_what_the_kernel_refuses() {
        assert_eq!(id("Subject: none"), None);
        // Not ending the line.
        assert_eq!(id("Call-ID: d4 tail"), None);
        // A word then `@` with nothing after: no value.
        assert_eq!(id("Call-ID: x@"), None);
        // `i` followed by a letter is another header.
        assert_eq!(id("if: x"), None);
        let long = |n| id(&format!("Call-ID: {}", "c".repeat(n)));
        assert_eq!(long(255).map(|v| v.len()), Some(255));
        assert_eq!(long(256), None);
        // The value runs to the end of the payload: no line end after it.
        assert_eq!(call_id(b"INVITE sip:x SIP/2.0\r\nCall-ID: end"), None);
    }

    #[test]
    fn the_first_line_is_no_header() {
        assert_eq!(call_id(b"Call-ID: first\r\n\r\n"), None);
        assert_eq!(call_id(b"\r\nCall-ID: e5\r\n\r\n"), Some(&b"e5"[..]));
    }

    #[test]
    fn an_empty_header_is_passed_over() {
        assert_eq!(
            id("Call-ID: ;\r\nCall-ID: second").as_deref(),
            Some("second")
        );
    }

    #[test]
    fn never_reads_past_the_payload() {
        for cut in 0..60 {
            let p = request("Call-ID: a1@host", "\r\n");
            let _ = call_id(&p[..cut.min(p.len())]);
        }
        assert_eq!(call_id(b"\r\ni"), None);
        assert_eq!(call_id(b"\r\ni:"), None);
        assert_eq!(call_id(b"\r\ncall-id \r\n"), None);
        assert_eq!(call_id(b"\r\ncall-id:\r\n "), None);
        // A name with no colon ends the search, even with a good header later.
        assert_eq!(call_id(b"\r\ncall-idx: a\r\ncall-id: b\r\n"), None);
    }
}
