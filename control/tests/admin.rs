//! The admin socket and rvsadm through the real daemon (on a net_null port:
//! no traffic needed): permissions, ipvsadm's exact texts and exit codes,
//! a bad command changes nothing, restore is atomic, socat works by hand.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

fn daemon(dir: &TempDir) -> Rvsd {
    Rvsd::start(dir, &null_config(&[]), None)
}

fn run(d: &Rvsd, args: &[&str]) -> (i32, String, String) {
    let o = d.adm(args);
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr))
}

const EMPTY: &str = "IP Virtual Server version 1.2.1 (size=4096)\n\
                     Prot LocalAddress:Port Scheduler Flags\n\
                     \x20 -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

#[test]
fn socket_is_private_and_rvsadm_speaks_ipvsadm() {
    let dir = TempDir::new("admin");
    let d = daemon(&dir);
    let mode = std::fs::metadata(&d.socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "admin socket mode {mode:o}");

    assert_eq!(run(&d, &["-Ln"]), (0, EMPTY.into(), String::new()));
    let (code, out, _) = run(&d, &["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "rvsadm v{} (ipvsadm 1.31 compatible, IPVS v1.2.1)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    // ipvsadm-spec §3: the first option must be a command.
    let (code, _, err) = run(&d, &["-n", "-L"]);
    assert_eq!(
        (code, err.as_str()),
        (
            255,
            format!("Try `{RVSADM} -h' or '{RVSADM} --help' for more information.\n").as_str()
        )
    );
    let (code, _, err) = run(&d, &["-L", "--foo"]);
    assert_eq!((code, err.as_str()), (255, "--foo: unknown option\n"));
    let (code, _, err) = run(&d, &["-A", "-t", "10.0.0.1:80", "-s", "nosuch"]);
    assert_eq!(
        (code, err.as_str()),
        (255, "Scheduler or persistence engine not found\n")
    );

    // A bad command changes nothing.
    assert_eq!(run(&d, &["-A", "-t", "10.0.0.1:80", "-s", "rr"]).0, 0);
    let before = run(&d, &["-S", "-n"]);
    for bad in [
        &["-A", "-t", "10.0.0.1:80", "-s", "rr"][..],
        &["-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2:80", "-w", "-1"],
        &["-a", "-t", "10.0.0.9:80", "-r", "10.0.0.2:80"],
        &["-e", "-t", "10.0.0.1:80", "-r", "10.0.0.2:80"],
    ] {
        assert_ne!(run(&d, bad).0, 0, "{bad:?}");
        assert_eq!(run(&d, &["-S", "-n"]), before, "after {bad:?}");
    }

    // -R is atomic: a bad line applies nothing, a good input applies all.
    let bad = rvsadm(
        &d.socket,
        &["-R"],
        Some("-A -u 10.0.0.1:53 -s rr\n-A -t 10.0.0.1:80 -s rr\n"),
    );
    assert_eq!(bad.status.code(), Some(255));
    // Restore's messages name argv0, as ipvsadm's do.
    assert_eq!(
        text(&bad.stderr),
        format!("Service already exists\n{RVSADM} -R: line 2 failed, no line was applied\n")
    );
    assert_eq!(run(&d, &["-S", "-n"]), before);
    let good = rvsadm(
        &d.socket,
        &["-R"],
        Some("-A -u 10.0.0.1:53 -s rr\n\n-a -u 10.0.0.1:53 -r 10.0.0.2:53 -m\n"),
    );
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    assert_eq!(
        run(&d, &["-S", "-n"]).1,
        "-A -t 10.0.0.1:80 -s rr\n-A -u 10.0.0.1:53 -s rr\n-a -u 10.0.0.1:53 -r 10.0.0.2:53 -m -w 1\n"
    );

    // By hand, with socat: output, then the status line.
    let mut socat = Command::new("socat")
        .arg("-")
        .arg(format!("UNIX-CONNECT:{}", d.socket.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    socat.stdin.take().unwrap().write_all(b"-C\n-Ln\n").unwrap();
    let out = text(&socat.wait_with_output().unwrap().stdout);
    assert_eq!(
        out,
        format!(
            "rvs-status exit=0 stdout=0 stderr=0\n{EMPTY}rvs-status exit=0 stdout={} stderr=0\n",
            EMPTY.len()
        )
    );
    let (code, _, _) = d.stop();
    assert_eq!(code, 0);
}

#[test]
fn rvsadm_without_a_daemon_fails_like_ipvsadm_without_ipvs() {
    let dir = TempDir::new("admin-none");
    let out = rvsadm(&dir.path("nothing.sock"), &["-Ln"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "Can't initialize ipvs: Protocol not available\n\
         Are you sure that IP Virtual Server is built in the kernel or as module?\n"
    );
}
