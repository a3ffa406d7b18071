//! Framing of requests and replies (see the module above).

use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Longest request line accepted (and longest `-R` input line): no ipvsadm command line comes
/// near it.
pub const MAX_LINE: usize = 4096;
/// Most bytes (newlines counted) a `-R` request may carry: what a client sends is held in
/// memory until it is complete, so it is bounded.
pub const MAX_RESTORE_BYTES: usize = 16 << 20;
/// Most lines a `-R` request may carry (each one costs an allocation beyond its bytes).
pub const MAX_RESTORE_LINES: usize = 1 << 18;

/// One request as read off the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// An ipvsadm command line, as its arguments.
    Command(Vec<String>),
    /// `-R` and the lines that followed it, with the client's argv0 when it sent one: restore
    /// messages name argv0 as ipvsadm's do (`Try `argv0 -h' ...`, `argv0 -R: line N failed`).
    Restore {
        argv0: Option<String>,
        lines: Vec<String>,
    },
    /// `--reload` alone (rvs's own, not ipvsadm's): read the configuration file again and
    /// apply its services and marks.
    Reload,
    /// `--json` and a list command or `--counters` (rvs's own): the same as JSON.
    Json(Vec<String>),
    /// `--counters`, rvs's own request: the running data plane's counters.
    Counters,
    /// `--metrics`, rvs's own request: every Prometheus series as the metrics endpoint
    /// serves it (`crate::metrics`).
    Metrics,
}

/// The arguments of [`Request::Reload`], [`Request::Counters`] and [`Request::Metrics`],
/// and the first of [`Request::Json`]'s: ipvsadm has no such options, so no ipvsadm command
/// line is taken from them.
pub const RELOAD: &str = "--reload";
pub const COUNTERS: &str = "--counters";
pub const METRICS: &str = "--metrics";
pub const JSON: &str = "--json";

/// What the daemon answers: ipvsadm's two streams and its exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Why a request cannot be read, or is refused before it runs.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// A line over [`MAX_LINE`] bytes.
    TooLong,
    /// A line that is not UTF-8.
    NotUtf8,
    /// An argument or `-R` line holding a control character, quoted with escapes.
    Control(String),
    /// A line starting with `[` that is not a JSON array of strings.
    NotJson,
    /// `-R` input that ended before its empty line.
    Unterminated,
    /// `-R` input over [`MAX_RESTORE_BYTES`] or [`MAX_RESTORE_LINES`].
    TooBig,
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLong => write!(f, "a line longer than {MAX_LINE} bytes"),
            ReadError::NotUtf8 => write!(f, "a line that is not UTF-8"),
            ReadError::Control(s) => write!(f, "a control character in {s}"),
            ReadError::NotJson => write!(
                f,
                "a line starting with [ that is not a JSON array of strings"
            ),
            ReadError::Unterminated => write!(f, "-R input that ended before its empty line"),
            ReadError::TooBig => write!(
                f,
                "-R input over {MAX_RESTORE_BYTES} bytes or {MAX_RESTORE_LINES} lines"
            ),
        }
    }
}

/// Reads one line of at most MAX_LINE bytes, without its newline and the CRs before it (a
/// CRLF client's; CRs only separate words, and a line ending in one could not be written
/// back as read); `None` at end of stream. A last line without a newline is a line.
pub fn read_line(r: &mut impl BufRead) -> Result<Option<Vec<u8>>, ReadError> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > MAX_LINE {
        return Err(ReadError::TooLong);
    }
    while buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(buf))
}

/// Refuses an argument holding a control character: an ipvsadm argument never needs one, a
/// newline in one would be a second command to any line-based reader, and messages echo
/// arguments to terminals.
pub fn check_args(args: &[String]) -> Result<(), ReadError> {
    match args.iter().find(|a| a.contains(char::is_control)) {
        Some(a) => Err(ReadError::Control(format!("{a:?}"))),
        None => Ok(()),
    }
}

/// One line of `-R` input as text. Tabs and CRs separate words there, as in ipvsadm; any
/// other control character refuses the line.
pub fn restore_line(bytes: Vec<u8>) -> Result<String, ReadError> {
    let line = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    if line.contains(|c: char| c.is_control() && c != '\t' && c != '\r') {
        return Err(ReadError::Control(format!("{line:?}")));
    }
    Ok(line)
}

/// The size of `-R` input so far, counted alike by rvsadm (before sending) and rvsd (while
/// reading).
#[derive(Debug, Default)]
pub struct RestoreSize {
    bytes: usize,
    lines: usize,
}

impl RestoreSize {
    /// Counts `line` and its newline; refuses what goes over the limits.
    pub fn add(&mut self, line: &str) -> Result<(), ReadError> {
        self.bytes += line.len() + 1;
        self.lines += 1;
        if self.bytes > MAX_RESTORE_BYTES || self.lines > MAX_RESTORE_LINES {
            return Err(ReadError::TooBig);
        }
        Ok(())
    }
}

/// The arguments a request line carries: a JSON array of strings when it starts with `[`
/// (each argument exact: blanks, empty ones), else words separated by spaces and tabs.
fn line_args(bytes: Vec<u8>) -> Result<Vec<String>, ReadError> {
    let line = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    let args: Vec<String> = if line.trim_start().starts_with('[') {
        serde_json::from_str(&line).map_err(|_| ReadError::NotJson)?
    } else {
        line.split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    check_args(&args)?;
    Ok(args)
}

const ARGV0_ARG: &str = "--argv0=";

/// `-R` (or `--restore`), alone or followed by `--argv0=NAME`: `Some(argv0)`.
fn restore_args(args: &[String]) -> Option<Option<String>> {
    let (first, rest) = args.split_first()?;
    if first != "-R" && first != "--restore" {
        return None;
    }
    match rest {
        [] => Some(None),
        [a] => a.strip_prefix(ARGV0_ARG).map(|a| Some(a.to_string())),
        _ => None,
    }
}

/// Reads `-R`'s input: the lines up to an empty one, which must come (a stream that ends
/// before it restores nothing).
fn read_restore(r: &mut impl BufRead) -> Result<Vec<String>, ReadError> {
    let mut size = RestoreSize::default();
    let mut lines = Vec::new();
    loop {
        let bytes = read_line(r)?.ok_or(ReadError::Unterminated)?;
        if bytes.is_empty() {
            return Ok(lines);
        }
        let line = restore_line(bytes)?;
        size.add(&line)?;
        lines.push(line);
    }
}

/// Reads the next request; `None` at end of stream. Empty lines between requests are skipped.
pub fn read_request(r: &mut impl BufRead) -> Result<Option<Request>, ReadError> {
    let args = loop {
        match read_line(r)? {
            None => return Ok(None),
            Some(bytes) => {
                let args = line_args(bytes)?;
                if !args.is_empty() {
                    break args;
                }
            }
        }
    };
    if args == [RELOAD] {
        return Ok(Some(Request::Reload));
    }
    if args == [COUNTERS] {
        return Ok(Some(Request::Counters));
    }
    if args == [METRICS] {
        return Ok(Some(Request::Metrics));
    }
    if let Some(rest) = args.strip_prefix(&[JSON.to_string()]) {
        return Ok(Some(Request::Json(rest.to_vec())));
    }
    match restore_args(&args) {
        Some(argv0) => Ok(Some(Request::Restore {
            argv0,
            lines: read_restore(r)?,
        })),
        None => Ok(Some(Request::Command(args))),
    }
}

/// The arguments that carry `req` (its first line).
fn request_args(req: &Request) -> Vec<String> {
    match req {
        Request::Command(args) => args.clone(),
        Request::Json(args) => [&[JSON.to_string()], &args[..]].concat(),
        Request::Restore { argv0, .. } => {
            let mut args = vec!["-R".to_string()];
            args.extend(argv0.iter().map(|a| format!("{ARGV0_ARG}{a}")));
            args
        }
        Request::Reload => vec![RELOAD.into()],
        Request::Counters => vec![COUNTERS.into()],
        Request::Metrics => vec![METRICS.into()],
    }
}

/// Writes a request as the daemon reads it: its arguments as one JSON line (then `-R`'s
/// lines and the empty line that ends them).
pub fn write_request(w: &mut impl Write, req: &Request) -> io::Result<()> {
    let args = serde_json::to_string(&request_args(req)).map_err(io::Error::other)?;
    writeln!(w, "{args}")?;
    if let Request::Restore { lines, .. } = req {
        for l in lines {
            writeln!(w, "{l}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}

const STATUS: &str = "rvs-status ";

/// Writes a reply: both streams, then the status line.
pub fn write_reply(w: &mut impl Write, reply: &Reply) -> io::Result<()> {
    w.write_all(reply.stdout.as_bytes())?;
    w.write_all(reply.stderr.as_bytes())?;
    writeln!(
        w,
        "{STATUS}exit={} stdout={} stderr={}",
        reply.code,
        reply.stdout.len(),
        reply.stderr.len()
    )?;
    w.flush()
}

/// Parses `rvs-status exit=E stdout=N stderr=M`.
fn parse_status(line: &str) -> Option<(i32, usize, usize)> {
    let rest = line.strip_prefix(STATUS)?;
    let mut it = rest.split(' ');
    let code = it.next()?.strip_prefix("exit=")?.parse().ok()?;
    let out = it.next()?.strip_prefix("stdout=")?.parse().ok()?;
    let err = it.next()?.strip_prefix("stderr=")?.parse().ok()?;
    it.next().is_none().then_some((code, out, err))
}

/// Reads one reply. The status line is recognised by its form and by its
/// byte counts matching what came before it, so an output line that merely
/// looks like a status line does not end the reply early (ipvsadm output
/// never holds one whose counts also match).
pub fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "reply cut short",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        if let Some((code, out, err)) = parse_status(text.trim_end_matches('\n')) {
            if out.checked_add(err) == Some(body.len()) {
                let stderr = String::from_utf8_lossy(&body[out..]).into_owned();
                body.truncate(out);
                let stdout = String::from_utf8_lossy(&body).into_owned();
                return Ok(Reply {
                    stdout,
                    stderr,
                    code,
                });
            }
        }
        body.extend_from_slice(&line);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn requests_round_trip() {
        let reqs = [
            Request::Command(vec!["-A".into(), "-t".into(), "10.0.0.1:80".into()]),
            Request::Restore {
                argv0: None,
                lines: vec!["-A -t 10.0.0.1:80 -s rr".into(), "-C".into()],
            },
            Request::Restore {
                argv0: Some("/sbin/ipvsadm".into()),
                lines: vec!["-L -n".into()],
            },
            Request::Command(vec!["-Ln".into()]),
            Request::Reload,
            Request::Command(vec!["--reload".into(), "-n".into()]),
            Request::Json(vec!["-L".into(), "-n".into(), "-c".into()]),
            Request::Counters,
            Request::Metrics,
            Request::Command(vec![
                "-A".into(),
                "-u".into(),
                "10.0.0.1:53".into(),
                "--pe".into(),
                "".into(),
                "-s".into(),
                "r r\"[".into(),
            ]),
            Request::Restore {
                argv0: Some("/opt/my tools/rvsadm".into()),
                lines: vec!["-A\t-t 10.0.0.1:80\r-s rr".into()],
            },
        ];
        let mut wire = Vec::new();
        for r in &reqs {
            write_request(&mut wire, r).unwrap();
        }
        let mut rd = Cursor::new(wire);
        for r in &reqs {
            assert_eq!(read_request(&mut rd).unwrap().as_ref(), Some(r));
        }
        assert_eq!(read_request(&mut rd).unwrap(), None);
    }

    #[test]
    fn replies_round_trip_even_with_status_like_output() {
        let reply = Reply {
            stdout: "line\nrvs-status exit=0 stdout=3 stderr=0\n".into(),
            stderr: "No such service\n".into(),
            code: 255,
        };
        let mut wire = Vec::new();
        write_reply(&mut wire, &reply).unwrap();
        write_reply(&mut wire, &Reply::default()).unwrap();
        let mut rd = Cursor::new(wire);
        assert_eq!(read_reply(&mut rd).unwrap(), reply);
        assert_eq!(read_reply(&mut rd).unwrap(), Reply::default());
        assert!(read_reply(&mut rd).is_err());
    }

    /// Byte counts whose sum overflows are no status line (the sum wrapped to the body's
    /// length would have cut it out of bounds).
    #[test]
    fn a_status_line_with_huge_counts_is_output() {
        let huge = format!("rvs-status exit=0 stdout={} stderr=2\n", usize::MAX);
        let wire = [huge.as_bytes(), b"rvs-status exit=1 stdout=55 stderr=0\n"].concat();
        let reply = read_reply(&mut Cursor::new(wire)).unwrap();
        assert_eq!((reply.stdout, reply.code), (huge, 1));
    }

    #[test]
    fn oversized_and_binary_lines_are_refused() {
        let long = vec![b'x'; MAX_LINE + 10];
        assert!(matches!(
            read_request(&mut Cursor::new(long)),
            Err(ReadError::TooLong)
        ));
        let bin = b"-L \xff\xfe\n".to_vec();
        assert!(matches!(
            read_request(&mut Cursor::new(bin)),
            Err(ReadError::NotUtf8)
        ));
    }

    fn read(wire: &[u8]) -> Result<Option<Request>, ReadError> {
        read_request(&mut Cursor::new(wire.to_vec()))
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_words_work_by_hand() {
        let req = read(b"\n  -A\t-t 10.0.0.1:80  -s rr\r\n").unwrap();
        assert_eq!(
            req,
            Some(Request::Command(args(&[
                "-A",
                "-t",
                "10.0.0.1:80",
                "-s",
                "rr"
            ])))
        );
        let req = read(b"-R\n-A -t 10.0.0.1:80\n\n").unwrap();
        let lines = args(&["-A -t 10.0.0.1:80"]);
        assert_eq!(req, Some(Request::Restore { argv0: None, lines }));
    }

    /// Found by fuzzing: a `-R` line ending in CRs (after CRLF's) kept one, so it did not
    /// travel back as read.
    #[test]
    fn carriage_returns_end_a_line() {
        let req = read(b"-R\r\n-C\r\r\n\r\r\n").unwrap();
        let lines = args(&["-C"]);
        assert_eq!(req, Some(Request::Restore { argv0: None, lines }));
    }

    #[test]
    fn control_characters_are_refused_in_either_form() {
        for wire in [
            &b"[\"-A\",\"-t\",\"10.0.0.2:80\",\"-s\",\"rr\\n-C\"]\n"[..],
            b"[\"-L\",\"\\t\"]\n",
            b"-L \x1b[2J\n",
            b"-L\x00\n",
            b"-R\n-A -t 10.0.0.1:80 \x0b-s rr\n\n",
        ] {
            let e = read(wire).unwrap_err();
            assert!(matches!(e, ReadError::Control(_)), "{wire:?}: {e:?}");
        }
        let e = read(b"[\"-s\",\"rr\\n-C\"]\n").unwrap_err();
        assert_eq!(e.to_string(), r#"a control character in "rr\n-C""#);
    }

    #[test]
    fn restore_needs_its_empty_line_and_bounds() {
        let e = read(b"-R\n-A -t 10.0.0.1:80\n-C\n").unwrap_err();
        assert!(matches!(e, ReadError::Unterminated), "{e:?}");
        let e = read(b"[\"-R\"]\n").unwrap_err();
        assert!(matches!(e, ReadError::Unterminated), "{e:?}");
        let many = format!("-R\n{}\n", "#\n".repeat(MAX_RESTORE_LINES + 1));
        let e = read(many.as_bytes()).unwrap_err();
        assert!(matches!(e, ReadError::TooBig), "{e:?}");
        let line = format!("{}\n", "#".repeat(MAX_LINE - 1));
        let big = format!("-R\n{}\n", line.repeat(MAX_RESTORE_BYTES / MAX_LINE + 1));
        let e = read(big.as_bytes()).unwrap_err();
        assert!(matches!(e, ReadError::TooBig), "{e:?}");
    }

    #[test]
    fn a_bracket_line_must_be_json_strings() {
        for wire in [&b"[-A -t 10.0.0.1:80]\n"[..], b"[1, 2]\n", b"[\"-L\"] x\n"] {
            let e = read(wire).unwrap_err();
            assert!(matches!(e, ReadError::NotJson), "{wire:?}: {e:?}");
        }
        assert_eq!(
            read(b"[]\n[\"-Ln\"]\n").unwrap(),
            Some(Request::Command(args(&["-Ln"])))
        );
    }
}
