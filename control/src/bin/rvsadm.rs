//! rvsadm: a drop-in ipvsadm that talks to rvsd's admin socket.
//!
//! Same arguments, output, messages and exit codes as ipvsadm 1.31, plus
//! `--socket PATH` (or `RVS_SOCKET`) to name the daemon's socket, `--reload` (alone) to
//! have rvsd re-read its configuration file's services and marks, and `--json` before a list
//! command for its listing as JSON.

use control::admin::client::Client;
use control::admin::protocol::{Reply, Request};
use control::ipvsadm::live::NoTraffic;
use control::ipvsadm::{self, Command};
use control::model::Model;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
        return Reply {
            stderr: "Can't initialize ipvs: Protocol not available\n\
                     Are you sure that IP Virtual Server is built in the kernel or as module?\n"
                .into(),
            code: 2,
            ..Reply::default()
        };
    };
    // §2.3: no arguments at all lists like -L.
    let args = if args.is_empty() {
        vec!["-L".to_string()]
    } else {
        args
    };
    // Parse here so that usage errors, -h and -v name our own argv0. `--reload` alone is
    // rvs's own; ipvsadm has no such option, and with anything else it stays ipvsadm's
    // unknown option.
    if args == ["--reload"] {
        return call(&mut client, &Request::Reload, socket);
    }
    // `--json` first, then a list command: rvs's own, checked by the daemon.
    if let Some(list) = args.strip_prefix(&["--json".to_string()]) {
        return call(&mut client, &Request::Json(list.to_vec()), socket);
    }
    let request = match ipvsadm::parse(argv0, &args) {
        Err(f) => {
            return Reply {
                stdout: f.stdout,
                stderr: f.stderr,
                code: f.code,
            }
        }
        Ok(Command::Help | Command::Version) => return offline(argv0, &args),
        Ok(Command::Restore) => Request::Restore {
            argv0: Some(argv0.to_string()),
            lines: read_stdin(),
        },
        Ok(_) => Request::Command(args),
    };
    call(&mut client, &request, socket)
}

fn call(client: &mut Client, request: &Request, socket: &Path) -> Reply {
    client.call(request).unwrap_or_else(|e| Reply {
        stderr: format!("rvsadm: admin socket {}: {e}\n", socket.display()),
        code: 2,
        ..Reply::default()
    })
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

/// The restore input. A blank line would end the request on the wire, so it
/// travels as `#`, which restore skips just the same (line numbers in error
/// messages stay right).
fn read_stdin() -> Vec<String> {
    let lines = std::io::stdin().lock().lines().map_while(Result::ok);
    lines
        .map(|l| {
            if l.trim().is_empty() {
                "#".to_string()
            } else {
                l
            }
        })
        .collect()
}
