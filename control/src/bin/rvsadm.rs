//! rvsadm: a drop-in ipvsadm that talks to rvsd's admin socket.
//!
//! Same arguments, output, messages and exit codes as ipvsadm 1.31, plus
//! `--socket PATH` (or `RVS_SOCKET`) to name the daemon's socket, and rvs's own options:
//! `--counters` (the running data plane's counters), `--reload` (rvsd re-reads its
//! configuration file's services and marks), `--json` before a list command or
//! `--counters` (the same as JSON), and `--watch [SECONDS]` (a live view).

use control::admin::client::Client;
use control::admin::protocol::{
    check_args, read_line, restore_line, ReadError, Reply, Request, RestoreSize, COUNTERS, JSON,
    RELOAD,
};
use control::ipvsadm::live::NoTraffic;
use control::ipvsadm::{self, Command};
use control::model::Model;
use control::watch;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let argv0 = args.remove(0);
    let socket = take_socket_option(&mut args);
    let reply = run(&argv0, args, &socket);
    let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
    let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
    ExitCode::from(reply.code as u8)
}

/// Removes rvsadm's own `--socket PATH` / `--socket=PATH` from the
/// arguments; falls back to `RVS_SOCKET`, then the default path.
fn take_socket_option(args: &mut Vec<String>) -> PathBuf {
    let mut path = std::env::var_os("RVS_SOCKET").map(PathBuf::from);
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--" {
            break;
        }
        if let Some(p) = args[i].strip_prefix("--socket=") {
            path = Some(p.into());
            args.remove(i);
        } else if args[i] == "--socket" && i + 1 < args.len() {
            path = Some(args[i + 1].clone().into());
            args.drain(i..i + 2);
        } else {
            i += 1;
        }
    }
    path.unwrap_or_else(|| control::config::DEFAULT_SOCKET.into())
}

fn run(argv0: &str, args: Vec<String>, socket: &Path) -> Reply {
    // ipvsadm-spec §2: the kernel interface is opened before any argument
    // is looked at, even for -h and -v.
    let Ok(mut client) = Client::connect(socket) else {
        return refused(
            "Can't initialize ipvs: Protocol not available\n\
             Are you sure that IP Virtual Server is built in the kernel or as module?",
        );
    };
    // A control character (`-s $'rr\n-C'`) is no part of any ipvsadm argument.
    if let Err(e) = check_args(&args) {
        return refused(&format!("rvsadm: refused, nothing was done: {e}"));
    }
    // §2.3: no arguments at all lists like -L.
    let args = if args.is_empty() {
        vec!["-L".to_string()]
    } else {
        args
    };
    if let Some(rest) = args.strip_prefix(&["--watch".to_string()]) {
        return watch(client, rest, socket);
    }
    let request = match rvs_request(&args) {
        Some(request) => request,
        None => match ipvsadm_request(argv0, args) {
            Ok(request) => request,
            Err(reply) => return reply,
        },
    };
    ask(&mut client, &request, socket)
}

/// rvsadm's own failure: `message` on stderr, exit 2.
fn refused(message: &str) -> Reply {
    Reply {
        stderr: format!("{message}\n"),
        code: 2,
        ..Reply::default()
    }
}

fn socket_error(socket: &Path, e: std::io::Error) -> Reply {
    refused(&format!("rvsadm: admin socket {}: {e}", socket.display()))
}

/// The daemon's reply to `request`, or why there is none.
fn ask(client: &mut Client, request: &Request, socket: &Path) -> Reply {
    client
        .call(request)
        .unwrap_or_else(|e| socket_error(socket, e))
}

/// `--watch [SECONDS]` (rvs's own): a frame every SECONDS until interrupted, or until the
/// daemon stops answering (its reply is then the result).
fn watch(mut client: Client, args: &[String], socket: &Path) -> Reply {
    let secs = match watch::interval(args) {
        Ok(s) => s,
        Err(e) => return refused(&format!("rvsadm: {e}")),
    };
    let rates = Request::Command(vec!["-Ln".into(), "--rate".into()]);
    let counters = Request::Json(vec![COUNTERS.into()]);
    let title = format!(
        "rvsadm --watch {secs}: rvsd at {} (Ctrl-C to stop)",
        socket.display()
    );
    let mut before: Option<(Instant, serde_json::Value)> = None;
    loop {
        let r = ask(&mut client, &rates, socket);
        let c = ask(&mut client, &counters, socket);
        let now = match (r.code, c.code, serde_json::from_str(&c.stdout)) {
            (0, 0, Ok(v)) => v,
            (0, 0, Err(e)) => {
                return Reply {
                    stderr: format!("rvsadm: counters: {e}\n"),
                    code: 1,
                    ..Reply::default()
                }
            }
            (0, _, _) => return c,
            _ => return r,
        };
        let t = Instant::now();
        let elapsed = before
            .as_ref()
            .map_or(secs as f64, |(t0, _)| t.duration_since(*t0).as_secs_f64());
        let previous = before.as_ref().map(|(_, v)| v);
        let frame = watch::frame(&title, &r.stdout, &now, previous, elapsed);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(frame.as_bytes()).and_then(|()| out.flush());
        before = Some((t, now));
        std::thread::sleep(Duration::from_secs(secs));
        // rvsd closes a connection that sends nothing for a while: a new one for each frame.
        client = match Client::connect(socket) {
            Ok(c) => c,
            Err(e) => return socket_error(socket, e),
        };
    }
}

/// rvs's own options (with `--socket` already taken out): `--counters` or `--reload` alone,
/// `--json` first. Anything else, these among other words too, is ipvsadm's to accept or
/// refuse.
fn rvs_request(args: &[String]) -> Option<Request> {
    match args {
        [only] if only == COUNTERS => Some(Request::Counters),
        [only] if only == RELOAD => Some(Request::Reload),
        [first, rest @ ..] if first == JSON => Some(Request::Json(rest.to_vec())),
        _ => None,
    }
}

/// Parses here so that usage errors, -h and -v name our own argv0; what is left for the
/// daemon, or the reply that ends it here.
fn ipvsadm_request(argv0: &str, args: Vec<String>) -> Result<Request, Reply> {
    match ipvsadm::parse(argv0, &args) {
        Err(f) => Err(Reply {
            stdout: f.stdout,
            stderr: f.stderr,
            code: f.code,
        }),
        Ok(Command::Help | Command::Version) => Err(offline(argv0, &args)),
        Ok(Command::Restore) => Ok(Request::Restore {
            argv0: Some(argv0.to_string()),
            lines: read_stdin(argv0)?,
        }),
        Ok(_) => Ok(Request::Command(args)),
    }
}

/// -h and -v need no daemon state: run them here, with our own argv0.
fn offline(argv0: &str, args: &[String]) -> Reply {
    let out = ipvsadm::execute(argv0, args, &mut Model::new(0), &NoTraffic);
    Reply {
        stdout: out.stdout,
        stderr: out.stderr,
        code: out.code,
    }
}

/// The restore input, read whole and checked before anything is sent: a line that is not
/// UTF-8, holds a control character or is too long, input over the limits or a read error
/// refuses it all. A blank line would end the request on the wire, so it travels as `#`,
/// which restore skips just the same (line numbers in error messages stay right).
fn read_stdin(argv0: &str) -> Result<Vec<String>, Reply> {
    let mut stdin = std::io::stdin().lock();
    let mut size = RestoreSize::default();
    let mut lines = Vec::new();
    loop {
        let n = lines.len() + 1;
        let refuse =
            |e: ReadError| refused(&format!("{argv0} -R: line {n}: {e}, no line was applied"));
        let next = read_line(&mut stdin).and_then(|l| l.map(restore_line).transpose());
        let Some(line) = next.map_err(refuse)? else {
            return Ok(lines);
        };
        let line = if line.trim().is_empty() {
            "#".to_string()
        } else {
            line
        };
        size.add(&line).map_err(refuse)?;
        lines.push(line);
    }
}
