//! rvsd's signals through the real daemon (on a net_null port): SIGINT, SIGTERM and SIGQUIT
//! stop it cleanly, SIGHUP reloads its configuration and nothing else, and none of them leaves
//! EAL's runtime directory behind; the one a SIGKILL leaves is removed by the next start.

mod common;
use common::*;
use std::path::PathBuf;

/// EAL's runtime directory of rvsd process `pid` (rvsd runs as root, with its own prefix).
fn runtime_dir(pid: u32) -> PathBuf {
    PathBuf::from(format!("/var/run/dpdk/rvs-{pid}"))
}

fn save(d: &Rvsd) -> String {
    text(&d.adm(&["-S", "-n"]).stdout)
}

#[test]
fn int_term_and_quit_stop_cleanly_and_leave_nothing() {
    for sig in ["INT", "TERM", "QUIT"] {
        let dir = TempDir::new(&format!("signal-{sig}"));
        let d = Rvsd::start(&dir, &null_config(&[]), None);
        let run = runtime_dir(d.pid());
        assert!(run.is_dir(), "EAL's runtime dir {run:?} while rvsd runs");
        let socket = d.socket.clone();
        let (code, out, err) = d.stop_with(sig);
        assert_eq!(code, 0, "SIG{sig}: {err}");
        assert!(out.starts_with("rvsd counters\n"), "SIG{sig}: {out}");
        assert!(err.contains("stopping"), "SIG{sig}: {err}");
        assert!(!run.exists(), "SIG{sig} left {run:?}");
        assert!(!socket.exists(), "SIG{sig} left the admin socket");
    }
}

#[test]
fn hup_reloads_and_nothing_else() {
    let dir = TempDir::new("signal-hup");
    let d = Rvsd::start(&dir, &null_config(&["-A -t 10.0.0.100:80 -s rr"]), None);
    let want = "-A -t 10.0.0.100:80 -s wrr\n-a -t 10.0.0.100:80 -r 10.0.0.11:80 -m -w 2\n";
    let lines: Vec<&str> = want.lines().collect();
    std::fs::write(dir.path("rvsd.json"), null_config(&lines)).unwrap();
    signal(d.pid(), "HUP");
    wait_until("the reloaded services", || save(&d) == want);
    // A bad file: refused, logged, nothing changes, rvsd keeps running.
    std::fs::write(dir.path("rvsd.json"), "{\"ports\": [").unwrap();
    signal(d.pid(), "HUP");
    wait_until("the refusal in the log", || {
        d.log().contains("reload refused, nothing changed")
    });
    assert_eq!(save(&d), want);
    let run = runtime_dir(d.pid());
    let (code, _, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("reloaded"), "{err}");
    assert!(!run.exists(), "{run:?} left behind");
}

#[test]
fn the_runtime_dir_a_sigkill_leaves_is_removed_by_the_next_start() {
    let dir = TempDir::new("signal-kill");
    let killed = Rvsd::start(&dir, &null_config(&[]), None);
    let left = runtime_dir(killed.pid());
    let (code, ..) = killed.stop_with("KILL");
    assert_eq!(code, -1, "killed by the signal");
    assert!(left.is_dir(), "SIGKILL gives EAL no chance: {left:?} stays");

    let next_dir = TempDir::new("signal-kill-next");
    let next = Rvsd::start(&next_dir, &null_config(&[]), None);
    assert!(!left.exists(), "{left:?} still there after the next start");
    let removed = format!("removed {}", left.display());
    wait_until("the removal in the log", || next.log().contains(&removed));
    // A running daemon's directory is not stale: a third start keeps it.
    let third_dir = TempDir::new("signal-kill-third");
    let third = Rvsd::start(&third_dir, &null_config(&[]), None);
    assert!(
        runtime_dir(next.pid()).is_dir(),
        "a live daemon's dir removed"
    );
    for d in [next, third] {
        assert_eq!(d.stop().0, 0);
    }
}
