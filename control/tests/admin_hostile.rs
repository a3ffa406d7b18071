//! Hostile input on the admin socket, against the real daemon (on a net_null port): control
//! characters in arguments, arguments that must travel exactly, the socket's mode, directory
//! and peer check, the client cap and timeout, oversized requests, and `-R` input that is cut
//! short, not UTF-8 or holds help. Each is refused with its message and exit code, nothing
//! changes (`-Ln` as before) and the daemon goes on answering.

mod common;
use common::*;
use control::admin::protocol::read_reply;
use std::io::{BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SERVICES: &[&str] = &[
    "-A -t 10.0.0.5:80 -s rr",
    "-a -t 10.0.0.5:80 -r 10.0.0.11:80 -m -w 2",
    "-A -u 10.0.0.5:53 -s wlc",
];

/// The limits of `control::admin` (protocol::MAX_*, server::MAX_CLIENTS and TIMEOUT), as a
/// user meets them.
const MAX_LINE: usize = 4096;
const MAX_RESTORE_BYTES: usize = 16 << 20;
const MAX_CLIENTS: usize = 16;
const TIMEOUT_SECS: u64 = 30;

fn daemon(dir: &TempDir) -> Rvsd {
    Rvsd::start(dir, &null_config(SERVICES), None)
}

fn run(d: &Rvsd, args: &[&str]) -> (i32, String, String) {
    let o = d.adm(args);
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr))
}

/// `-Ln`, which must succeed.
fn listing(d: &Rvsd) -> String {
    let (code, out, err) = run(d, &["-Ln"]);
    assert_eq!((code, err.as_str()), (0, ""), "-Ln");
    out
}

/// Sends `wire` on a connection of its own, ends its sending side and returns all the daemon
/// wrote back. A daemon that refuses stops reading and may close before all is sent.
fn raw(socket: &Path, wire: &[u8]) -> String {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let _ = s.write_all(wire);
    let _ = s.shutdown(Shutdown::Write);
    read_all(s)
}

/// What is left to read on `s`, up to its end (or the reset of a daemon that closed without
/// reading everything).
fn read_all(mut s: UnixStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    text(&out)
}

/// The daemon's whole reply to a refused request or connection: `message` on stderr, exit 2.
fn refusal(message: &str) -> String {
    format!(
        "{message}\nrvs-status exit=2 stdout=0 stderr={}\n",
        message.len() + 1
    )
}

fn refused_request(why: &str) -> String {
    refusal(&format!("rvsd: request refused, nothing was done: {why}"))
}

#[test]
fn control_characters_in_arguments_are_refused() {
    let dir = TempDir::new("hostile-ctl");
    let d = daemon(&dir);
    let before = listing(&d);
    // Once `-s $'rr\n-C'` reached the daemon as two lines, and -C flushed everything.
    for arg in ["rr\n-C", "rr\r", "r\tr", "\x1b[2J", "rr\x7f"] {
        let got = run(&d, &["-A", "-t", "10.0.0.2:80", "-s", arg]);
        let err = format!("rvsadm: refused, nothing was done: a control character in {arg:?}\n");
        assert_eq!(got, (2, String::new(), err), "{arg:?}");
        assert_eq!(listing(&d), before, "after {arg:?}");
    }
    // A client other than rvsadm: a socket line is one command, whatever it holds.
    let json = br#"["-A","-t","10.0.0.2:80","-s","rr\n-C"]"#;
    for (wire, arg) in [
        (&[&json[..], b"\n"].concat()[..], "rr\n-C"),
        (b"[\"-L\",\"\\u0000\"]\n", "\0"),
        (b"-A -t 10.0.0.2:80 -s rr\x00\n", "rr\0"),
        (b"-L \x1b[2J\n", "\x1b[2J"),
    ] {
        let why = format!("a control character in {arg:?}");
        assert_eq!(raw(&d.socket, wire), refused_request(&why), "{wire:?}");
        assert_eq!(listing(&d), before, "after {wire:?}");
    }
    // The log is read as it comes: wait for the line.
    wait_until("refused requests so far in the log", || {
        d.log().contains("refused requests so far")
    });
    assert_eq!(d.stop().0, 0);
}

#[test]
fn arguments_travel_exactly() {
    let dir = TempDir::new("hostile-args");
    let d = daemon(&dir);
    let before = listing(&d);
    // ipvsadm-spec §6.2 and §5.1: a blank inside an argument is part of it.
    let enoent = "Scheduler or persistence engine not found\n";
    let got = run(&d, &["-A", "-t", "10.0.0.2:80", "-s", "r r"]);
    assert_eq!(got, (255, String::new(), enoent.into()));
    let weight = ["-a", "-t", "10.0.0.5:80", "-r", "10.0.0.12:80", "-m", "-w"];
    let got = run(&d, &[&weight[..], &["7 "]].concat());
    let illegal = "illegal weight specified\n";
    assert_eq!(got, (2, String::new(), illegal.into()));
    let got = run(&d, &["-A", "-t", "", "-s", "rr"]);
    let address = "illegal virtual server address[:port] specified\n";
    assert_eq!(got, (2, String::new(), address.into()));
    assert_eq!(listing(&d), before);
    // The same request by hand, as JSON.
    let reply = raw(
        &d.socket,
        b"[\"-A\",\"-t\",\"10.0.0.2:80\",\"-s\",\"r r\"]\n",
    );
    let status = format!("rvs-status exit=255 stdout=0 stderr={}\n", enoent.len());
    assert_eq!(reply, format!("{enoent}{status}"));
    assert_eq!(listing(&d), before);
    // Leading blanks in a number and an empty flag list are accepted (§5.1, §5.6).
    assert_eq!(run(&d, &[&weight[..], &[" 7"]].concat()).0, 0);
    assert_eq!(
        run(&d, &["-A", "-t", "10.0.0.3:80", "-s", "rr", "-b", ""]).0,
        0
    );
    let (_, save, _) = run(&d, &["-S", "-n"]);
    assert!(
        save.contains("-a -t 10.0.0.5:80 -r 10.0.0.12:80 -m -w 7\n"),
        "{save}"
    );
    assert!(save.contains("-A -t 10.0.0.3:80 -s rr\n"), "{save}");
    assert_eq!(d.stop().0, 0);
}

/// `setpriv` runs rvsadm as nobody.
fn rvsadm_as_nobody(socket: &Path) -> (i32, String) {
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            RVSADM,
            "-Ln",
        ])
        .env("RVS_SOCKET", socket)
        .output()
        .unwrap();
    (o.status.code().unwrap(), text(&o.stderr))
}

#[test]
fn socket_is_private_and_only_root_or_its_owner_may_talk() {
    let dir = TempDir::new("hostile-perm");
    let socket = dir.path("run/rvs.sock");
    let d = Rvsd::start_at(&dir, &null_config(SERVICES), None, socket.clone());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&dir.path("run")), 0o700, "created directory");
    assert_eq!(mode(&socket), 0o600, "socket");
    let before = listing(&d);

    // Even with the file opened to everyone, another user is refused by the daemon.
    let open = |p: &Path, m| std::fs::set_permissions(p, PermissionsExt::from_mode(m)).unwrap();
    open(&dir.path("run"), 0o755);
    open(&socket, 0o666);
    let owner = std::fs::metadata(&socket).unwrap().uid();
    let (code, err) = rvsadm_as_nobody(&socket);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("rvsd: connection refused: uid 65534 (pid ")
            && err.ends_with(&format!(
                "is neither root nor the admin socket's owner (uid {owner})\n"
            )),
        "{err}"
    );
    // The log is read as it comes: wait for the line.
    wait_until("refused peers so far in the log", || {
        d.log().contains("refused peers so far")
    });
    assert_eq!(listing(&d), before);
    assert_eq!(d.stop().0, 0);

    // A directory others can write is refused: they could replace the socket.
    let shared = dir.path("shared");
    std::fs::create_dir(&shared).unwrap();
    open(&shared, 0o777);
    let (code, err) = rvsd_fails(&dir, &shared.join("rvs.sock"));
    assert_ne!(code, 0);
    let why = format!(
        "admin socket directory {} is writable by others (mode 777)",
        shared.display()
    );
    assert!(err.contains(&why), "{err}");
}

/// Starts rvsd with its socket at `socket`, expecting it to stop by itself: its exit code and
/// stderr.
fn rvsd_fails(dir: &TempDir, socket: &Path) -> (i32, String) {
    std::fs::write(dir.path("rvsd.json"), null_config(SERVICES)).unwrap();
    let mut child = Command::new(RVSD)
        .arg("--config")
        .arg(dir.path("rvsd.json"))
        .arg("--socket")
        .arg(socket)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rvsd started with its socket at {}", socket.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), err)
}

/// A connection that has had a reply to `-Ln`, so holds one of the daemon's places; `None`
/// if it was refused.
fn served(socket: &Path) -> Option<UnixStream> {
    let mut s = UnixStream::connect(socket).unwrap();
    let _ = s.write_all(b"-Ln\n");
    let reply = read_reply(&mut BufReader::new(&s)).ok()?;
    (reply.code == 0).then_some(s)
}

#[test]
fn clients_are_capped_and_idle_ones_timed_out() {
    let dir = TempDir::new("hostile-cap");
    let d = daemon(&dir);
    let before = listing(&d);
    // Every place taken by a client of ours (rvsadm's connection just before may hold one a
    // little longer, and then one of these is refused).
    let start = Instant::now();
    let mut held = Vec::new();
    for _ in 0..100 {
        held.extend(served(&d.socket));
        if held.len() == MAX_CLIENTS {
            break;
        }
    }
    assert_eq!(held.len(), MAX_CLIENTS);
    // One of them trickles: half a request, never finished.
    held[0].write_all(b"-L").unwrap();

    let full = refusal(&format!(
        "rvsd: connection refused: {MAX_CLIENTS} clients already connected, try again later"
    ));
    assert_eq!(raw(&d.socket, b"-Ln\n"), full);
    let (code, out, err) = run(&d, &["-Ln"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        format!("{err}rvs-status exit=2 stdout=0 stderr={}\n", err.len()),
        full
    );
    // A place freed is a place taken.
    drop(held.pop());
    wait_until("a free place", || {
        run(&d, &["-Ln"]) == (0, before.clone(), String::new())
    });
    // The log is read as it comes: wait for the line.
    wait_until("connections over the limit so far in the log", || {
        d.log().contains("connections over the limit so far")
    });

    // The idle and the trickling are closed once their time is up.
    let timeout = refusal(&format!(
        "rvsd: no whole request within {TIMEOUT_SECS} s: connection closed"
    ));
    for s in held {
        s.set_read_timeout(Some(Duration::from_secs(TIMEOUT_SECS + 30)))
            .unwrap();
        assert_eq!(read_all(s), timeout);
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(TIMEOUT_SECS),
        "closed after {waited:?}"
    );
    // The log is read as it comes: wait for the line.
    wait_until("timeouts so far in the log", || {
        d.log().contains("timeouts so far")
    });
    assert_eq!(listing(&d), before);
    assert_eq!(d.stop().0, 0);
}

/// `-R` input with `-A -t 10.0.0.9:80` first, then comment lines of 4000 bytes past
/// MAX_RESTORE_BYTES.
fn huge_restore() -> Vec<u8> {
    let comment = format!("#{}\n", "x".repeat(3999));
    let n = MAX_RESTORE_BYTES / comment.len() + 2;
    format!("-A -t 10.0.0.9:80\n{}", comment.repeat(n)).into_bytes()
}

#[test]
fn oversized_requests_are_refused() {
    let dir = TempDir::new("hostile-size");
    let d = daemon(&dir);
    let before = listing(&d);
    let long = format!("-L {}\n", "x".repeat(MAX_LINE));
    let why = format!("a line longer than {MAX_LINE} bytes");
    assert_eq!(raw(&d.socket, long.as_bytes()), refused_request(&why));
    let too_big = format!("-R input over {MAX_RESTORE_BYTES} bytes or 262144 lines");
    let wire = [&b"-R\n"[..], &huge_restore(), b"\n"].concat();
    assert_eq!(raw(&d.socket, &wire), refused_request(&too_big));
    assert_eq!(listing(&d), before);

    // rvsadm refuses it before sending anything.
    let o = rvsadm_bytes(&d.socket, &["-R"], Some(&huge_restore()));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("{RVSADM} -R: line "))
            && err.ends_with(&format!(": {too_big}, no line was applied\n")),
        "{err}"
    );
    assert_eq!(listing(&d), before);
    assert_eq!(d.stop().0, 0);
}

#[test]
fn restore_applies_all_or_nothing_whatever_its_input() {
    let dir = TempDir::new("hostile-restore");
    let d = daemon(&dir);
    let before = listing(&d);
    // Cut short before its empty line: nothing.
    let cut = refused_request("-R input that ended before its empty line");
    for wire in [
        &b"-R\n-A -t 10.0.0.9:80\n"[..],
        b"[\"-R\"]\n-A -t 10.0.0.9:80",
    ] {
        assert_eq!(raw(&d.socket, wire), cut, "{wire:?}");
        assert_eq!(listing(&d), before, "after {wire:?}");
    }
    // A line that is not UTF-8, or holds a control character: nothing.
    for (input, why) in [
        (
            &b"-A -t 10.0.0.9:80\n-A -t 10.0.0.10:80 \xff\n-C\n"[..],
            "a line that is not UTF-8".to_string(),
        ),
        (
            b"-A -t 10.0.0.9:80\n-A -t 10.0.0.10:80\x1b\n",
            format!("a control character in {:?}", "-A -t 10.0.0.10:80\x1b"),
        ),
    ] {
        let o = rvsadm_bytes(&d.socket, &["-R"], Some(input));
        let err = format!("{RVSADM} -R: line 2: {why}, no line was applied\n");
        assert_eq!(
            (o.status.code(), text(&o.stderr)),
            (Some(2), err),
            "{input:?}"
        );
        assert_eq!(listing(&d), before, "after {input:?}");
    }
    // Help and version are no restore lines: nothing.
    for line in ["-h", "-v", "--version"] {
        let input = format!("-A -t 10.0.0.9:80\n{line}\n-A -t 10.0.0.10:80\n");
        let o = rvsadm(&d.socket, &["-R"], Some(&input));
        let err = format!(
            "help and version lines are not restored\n{RVSADM} -R: line 2 failed, no line was applied\n"
        );
        let got = (o.status.code(), text(&o.stdout), text(&o.stderr));
        assert_eq!(got, (Some(2), String::new(), err), "{line}");
        assert_eq!(listing(&d), before, "after {line}");
    }
    // Whole, it applies.
    let ok = "rvs-status exit=0 stdout=0 stderr=0\n";
    assert_eq!(raw(&d.socket, b"-R\n-A -t 10.0.0.9:80\n\n"), ok);
    assert!(listing(&d).contains("TCP  10.0.0.9:80 wlc\n"));
    assert_eq!(d.stop().0, 0);
}
