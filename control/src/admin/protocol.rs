//! Framing of requests and replies (see the module above).

use std::io::{self, BufRead, Read, Write};

/// Longest request line accepted: no ipvsadm command line comes near it.
pub const MAX_LINE: usize = 4096;
/// Most lines a `-R` request may carry.
pub const MAX_RESTORE_LINES: usize = 1 << 20;

/// One request as read off the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// An ipvsadm command line, split into words.
    Command(Vec<String>),
    /// `-R` and the lines that followed it, with the client's argv0 when it sent one: restore
    /// messages name argv0 as ipvsadm's do (`Try `argv0 -h' ...`, `argv0 -R: line N failed`).
    Restore {
        argv0: Option<String>,
        lines: Vec<String>,
    },
    /// `--reload` alone on its line (rvs's own, not ipvsadm's): read the configuration file
    /// again and apply its services and marks.
    Reload,
    /// `--json` and a list command or `--counters` (rvs's own): the same as JSON.
    Json(Vec<String>),
    /// `--counters`, rvs's own request: the running data plane's counters.
    Counters,
    /// `--metrics`, rvs's own request: every Prometheus series as the metrics endpoint
    /// serves it (`crate::metrics`).
    Metrics,
}

/// The lines of [`Request::Reload`], [`Request::Counters`] and [`Request::Metrics`], and the
/// first word of
/// [`Request::Json`]'s: ipvsadm has no such options, so no ipvsadm command line is taken
/// from them.
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

#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    TooLong,
    NotUtf8,
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads one line of at most MAX_LINE bytes, without its newline; `None`
/// at end of stream.
fn read_line(r: &mut impl BufRead) -> Result<Option<String>, ReadError> {
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
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| ReadError::NotUtf8)
}

const ARGV0_WORD: &str = "--argv0=";

/// `-R` (or `--restore`), alone or followed by `--argv0=NAME`: `Some(argv0)`.
fn restore_line(words: &[String]) -> Option<Option<String>> {
    let (first, rest) = words.split_first()?;
    if first != "-R" && first != "--restore" {
        return None;
    }
    match rest {
        [] => Some(None),
        [w] => w.strip_prefix(ARGV0_WORD).map(|a| Some(a.to_string())),
        _ => None,
    }
}

/// Reads the next request; `None` at end of stream. Empty lines between
/// requests are skipped.
pub fn read_request(r: &mut impl BufRead) -> Result<Option<Request>, ReadError> {
    let words = loop {
        match read_line(r)? {
            None => return Ok(None),
            Some(line) => {
                let words: Vec<String> = line.split_whitespace().map(unquote).collect();
                if !words.is_empty() {
                    break words;
                }
            }
        }
    };
    if words == [RELOAD] {
        return Ok(Some(Request::Reload));
    }
    if words == [COUNTERS] {
        return Ok(Some(Request::Counters));
    }
    if words == [METRICS] {
        return Ok(Some(Request::Metrics));
    }
    if let Some(rest) = words.strip_prefix(&[JSON.to_string()]) {
        return Ok(Some(Request::Json(rest.to_vec())));
    }
    let Some(argv0) = restore_line(&words) else {
        return Ok(Some(Request::Command(words)));
    };
    let mut lines = Vec::new();
    while let Some(line) = read_line(r)? {
        if line.is_empty() {
            break;
        }
        if lines.len() == MAX_RESTORE_LINES {
            return Err(ReadError::TooLong);
        }
        lines.push(line);
    }
    Ok(Some(Request::Restore { argv0, lines }))
}

/// How an empty argument travels (`--pe ''`): words are separated by blanks, so an empty
/// one would vanish. A literal `''` argument arrives empty too; no ipvsadm option tells the
/// two apart in a way that matters (both name no scheduler, engine or address).
const EMPTY_WORD: &str = "''";

fn unquote(word: &str) -> String {
    if word == EMPTY_WORD {
        String::new()
    } else {
        word.to_owned()
    }
}

/// Words on one line, an empty one as [`EMPTY_WORD`].
fn line(words: &[String]) -> String {
    let words: Vec<&str> = words
        .iter()
        .map(|w| if w.is_empty() { EMPTY_WORD } else { w.as_str() })
        .collect();
    words.join(" ")
}

/// Writes a request as the daemon reads it.
pub fn write_request(w: &mut impl Write, req: &Request) -> io::Result<()> {
    match req {
        Request::Command(words) => writeln!(w, "{}", line(words))?,
        Request::Json(words) => writeln!(w, "{JSON} {}", line(words))?,
        Request::Restore { argv0, lines } => {
            // The request is read as words: an argv0 holding blanks cannot travel and the
            // daemon's own name is used instead.
            match argv0
                .as_deref()
                .filter(|a| !a.is_empty() && !a.contains(char::is_whitespace))
            {
                Some(a) => writeln!(w, "-R {ARGV0_WORD}{a}")?,
                None => writeln!(w, "-R")?,
            }
            for l in lines {
                writeln!(w, "{l}")?;
            }
            writeln!(w)?;
        }
        Request::Reload => writeln!(w, "{RELOAD}")?,
        Request::Counters => writeln!(w, "{COUNTERS}")?,
        Request::Metrics => writeln!(w, "{METRICS}")?,
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
            if out + err == body.len() {
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
            ]),
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
}
