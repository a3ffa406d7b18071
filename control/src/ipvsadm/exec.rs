//! The daemon's one entry point: an ipvsadm command line in, ipvsadm's output and exit code
//! out, the model changed all-or-nothing.

use super::command::{Command, ServiceKey};
use super::error::{Failure, EXIT_KERNEL};
use super::format;
use super::help::{help_text, version_line};
use super::live::LiveCounters;
use super::names::{Names, SystemNames};
use super::parse::{parse, parse_with};
use crate::model::{Model, State, Transaction};

/// What one request produced: ipvsadm's streams and exit status, and what the caller must do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// The model changed: publish a new snapshot.
    pub changed: bool,
    /// Counters to zero (`-Z`): `None` means every service, `Some(key)` one service.
    pub zero: Vec<Option<ServiceKey>>,
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome {
            stdout: f.stdout,
            stderr: f.stderr,
            code: f.code,
            ..Outcome::default()
        }
    }
}

/// Where a command reads and changes the model: the model itself, or `-R`'s working copy.
trait Target {
    fn state(&self) -> &State;
    fn apply(&mut self, cmd: &Command) -> Result<(), Failure>;
}

impl Target for Model {
    fn state(&self) -> &State {
        Model::state(self)
    }
    fn apply(&mut self, cmd: &Command) -> Result<(), Failure> {
        Model::apply(self, cmd)
    }
}

impl Target for Transaction<'_> {
    fn state(&self) -> &State {
        Transaction::state(self)
    }
    fn apply(&mut self, cmd: &Command) -> Result<(), Failure> {
        Transaction::apply(self, cmd)
    }
}

/// Runs one ipvsadm command line (argv without argv0) against the model, with the system's
/// names. `-R` must go to [`execute_restore`] with its input lines; here it restores nothing.
pub fn execute(
    argv0: &str,
    args: &[String],
    model: &mut Model,
    live: &dyn LiveCounters,
) -> Outcome {
    execute_with(&SystemNames::load(), argv0, args, model, live)
}

/// [`execute`] with the given name look-ups.
pub fn execute_with(
    names: &dyn Names,
    argv0: &str,
    args: &[String],
    model: &mut Model,
    live: &dyn LiveCounters,
) -> Outcome {
    match parse_with(names, argv0, args) {
        Ok(cmd) => run(names, argv0, &cmd, model, live).unwrap_or_else(Outcome::from),
        Err(f) => f.into(),
    }
}

/// `rvsadm --json ARGS`: list command `args` as JSON ([`super::json`]); anything but a
/// list command is refused (exit 2, rvs's own message).
pub fn execute_json(
    argv0: &str,
    args: &[String],
    model: &Model,
    live: &dyn LiveCounters,
) -> Outcome {
    let listed = match parse(argv0, args) {
        Ok(Command::List(opts)) => super::json::list(model.state(), live, &opts),
        Ok(_) => Err(Failure::usage(&format!(
            "{argv0}: --json goes with a list command (-L or -l)"
        ))),
        Err(f) => Err(f),
    };
    match listed {
        Ok(stdout) => Outcome {
            stdout,
            ..Outcome::default()
        },
        Err(f) => f.into(),
    }
}

/// One parsed command: listings print, modifying commands change the target.
fn run(
    names: &dyn Names,
    argv0: &str,
    cmd: &Command,
    target: &mut dyn Target,
    live: &dyn LiveCounters,
) -> Result<Outcome, Failure> {
    let stdout = match cmd {
        Command::Help => help_text(argv0),
        Command::Version => version_line(),
        Command::List(opts) => format::list(target.state(), live, names, opts)?,
        Command::Save { numeric } => format::save(target.state(), names, *numeric),
        Command::Restore => String::new(),
        Command::Zero(scope) => {
            target.apply(cmd)?;
            return Ok(Outcome {
                zero: vec![*scope],
                ..Outcome::default()
            });
        }
        _ => {
            target.apply(cmd)?;
            return Ok(Outcome {
                changed: true,
                ..Outcome::default()
            });
        }
    };
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}

/// Words of one `-R` line: split at spaces, tabs and CRs; every word `ipvsadm` (or `rvsadm`)
/// is dropped, wherever it is (ipvsadm-spec §8).
fn restore_words(line: &str) -> Vec<String> {
    line.split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty() && *w != "ipvsadm" && *w != "rvsadm")
        .map(str::to_string)
        .collect()
}

/// `-R`, atomic (rvs decision, overriding ipvsadm-spec §8's line-by-line behaviour).
///
/// Every line is parsed and applied, in order, to a working copy of the model; listing and
/// save lines print the copy as it is at that line. Blank lines and lines whose first
/// non-blank character is `#` are skipped. On the first line that fails in any way (a
/// validation error, the "Try" line, a popt error, a kernel error, a listing failure, or `-R`
/// itself) nothing is applied: stdout keeps what earlier lines printed, stderr carries
/// ipvsadm's message for that line followed by
/// `ARGV0 -R: line N failed, no line was applied` (N counts every input line from 1), and the
/// exit status is that line's. A `-h` or `-v` line fails too (exit 2): ipvsadm prints its
/// text and ends the restore there with exit 0, keeping the lines before it, which would
/// apply a prefix and drop the rest unsaid.
pub fn execute_restore(
    argv0: &str,
    lines: &[String],
    model: &mut Model,
    live: &dyn LiveCounters,
) -> Outcome {
    execute_restore_with(&SystemNames::load(), argv0, lines, model, live)
}

/// [`execute_restore`] with the given name look-ups.
pub fn execute_restore_with(
    names: &dyn Names,
    argv0: &str,
    lines: &[String],
    model: &mut Model,
    live: &dyn LiveCounters,
) -> Outcome {
    let mut total = Outcome::default();
    let result = model.transaction(|tx| {
        for (i, line) in lines.iter().enumerate() {
            let fail = |f: Failure| (i + 1, f);
            let words = restore_words(line);
            if words.is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cmd = parse_with(names, argv0, &words).map_err(fail)?;
            match cmd {
                Command::Restore => return Err(fail(try_help(argv0))),
                Command::Help | Command::Version => return Err(fail(Failure::usage(NOT_RESTORED))),
                _ => {}
            }
            let out = run(names, argv0, &cmd, tx, live).map_err(fail)?;
            total.stdout.push_str(&out.stdout);
            total.changed |= out.changed;
            total.zero.extend(out.zero);
        }
        Ok(())
    });
    match result {
        Ok(()) => total,
        Err((n, f)) => Outcome {
            stdout: total.stdout + &f.stdout,
            stderr: format!(
                "{}{argv0} -R: line {n} failed, no line was applied\n",
                f.stderr
            ),
            code: f.code,
            ..Outcome::default()
        },
    }
}

/// Why a `-h` or `-v` line fails `-R` (rvs's own message).
const NOT_RESTORED: &str = "help and version lines are not restored";

fn try_help(argv0: &str) -> Failure {
    Failure::new(
        EXIT_KERNEL,
        &format!("Try `{argv0} -h' or '{argv0} --help' for more information."),
    )
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::command::Protocol;
    use crate::ipvsadm::live::ConnEntry;
    use crate::ipvsadm::names::test::DebianNames;

    /// No traffic: every counter is zero, the table has the kernel's default size.
    struct Idle;

    impl LiveCounters for Idle {
        fn conns(&self, _slot: u32) -> (u32, u32) {
            (0, 0)
        }
        fn table_size(&self) -> u32 {
            4096
        }
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    fn run_line(model: &mut Model, line: &str) -> Outcome {
        execute_with(&DebianNames, "ipvsadm", &words(line), model, &Idle)
    }

    fn restore(model: &mut Model, input: &str) -> Outcome {
        let lines: Vec<String> = input.split('\n').map(str::to_string).collect();
        execute_restore_with(&DebianNames, "ipvsadm", &lines, model, &Idle)
    }

    fn model() -> Model {
        Model::new(4096)
    }

    const VERSION: &str = concat!(
        "rvsadm v",
        env!("CARGO_PKG_VERSION"),
        " (ipvsadm 1.31 compatible, IPVS v1.2.1)\n"
    );

    /// ipvsadm-spec §10 T01 with the rvs decision on the version line.
    #[test]
    fn t01_version_is_rvs() {
        let mut m = Model::new(4096);
        for line in ["-v", "--version", "-v -L junk"] {
            let out = run_line(&mut m, line);
            assert_eq!(
                (out.stdout.as_str(), out.stderr.as_str(), out.code),
                (VERSION, "", 0)
            );
        }
        let out = execute_with(&DebianNames, "/sbin/rvsadm", &words("-h"), &mut m, &Idle);
        assert!(out.stdout.starts_with(VERSION));
        assert!(out.stdout.contains("\n  /sbin/rvsadm -D virtual-service\n"));
        assert_eq!(out.code, 0);
    }

    /// Every IPVS scheduler and `none` (ipvs-schedulers §9), ipvsadm's default `wlc` among
    /// them, and the `sip` engine; any other name takes the kernel's ENOENT.
    #[test]
    fn rvs_schedulers() {
        let mut m = Model::new(4096);
        let enoent = "Scheduler or persistence engine not found\n";
        for line in [
            "-A -t 10.0.0.1:80 -s wlcx",
            "-A -t 10.0.0.1:80 -s WLC",
            "-A -u 10.0.0.1:53 -s rr -p --pe sipx",
        ] {
            let out = run_line(&mut m, line);
            assert_eq!(
                (out.stderr.as_str(), out.code, out.changed),
                (enoent, 255, false),
                "{line}"
            );
        }
        let names = "rr wrr lc wlc sed nq sh dh mh lblc lblcr fo ovf twos none";
        for (i, name) in names.split(' ').enumerate() {
            let line = format!("-A -t 10.0.0.{}:80 -s {name}", i + 2);
            let out = run_line(&mut m, &line);
            assert_eq!(
                (out.stderr.as_str(), out.code, out.changed),
                ("", 0, true),
                "{line}"
            );
        }
        let out = run_line(&mut m, "-A -t 10.0.0.1:80");
        assert_eq!(
            (out.stderr.as_str(), out.code),
            ("", 0),
            "ipvsadm's default wlc"
        );
        let out = run_line(&mut m, "-A -u 10.0.0.1:53 -s rr -p --pe sip");
        assert_eq!((out.stderr.as_str(), out.code), ("", 0), "sip");
        let out = run_line(&mut m, "-S -n");
        assert!(out.stdout.contains("-A -t 10.0.0.1:80 -s wlc\n"));
        assert!(out.stdout.contains("-A -t 10.0.0.15:80 -s twos\n"));
        let out = run_line(&mut m, "-E -t 10.0.0.1:80 -s nosuch");
        assert_eq!((out.stderr.as_str(), out.code), (enoent, 255));
    }

    #[test]
    fn failing_commands_leave_model_unchanged() {
        let mut m = model();
        run_line(&mut m, "-A -t 10.0.0.1:80 -s rr");
        run_line(&mut m, "-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        let before = m.state().clone();
        for line in [
            "-A -t 10.0.0.1:80",
            "-a -t 10.0.0.1:80 -r 10.0.1.1 -m",
            "-a -t 10.0.0.1:80 -r 10.0.1.5 -m -y 10",
            "-d -t 10.0.0.1:80 -r 10.0.1.9",
            "-a -t 10.0.0.1:80 -r 10.0.1.1 -w -1",
            "-L --foo",
            "--start-daemon master",
            "--stop-daemon backup",
        ] {
            let out = run_line(&mut m, line);
            assert_ne!(out.code, 0, "{line}");
            assert!(!out.changed, "{line}");
            assert_eq!(m.state(), &before, "{line}");
        }
        assert_eq!(
            run_line(&mut m, "--start-daemon backup").stderr,
            "No such device\n"
        );
        assert_eq!(
            run_line(&mut m, "--stop-daemon master").stderr,
            "No daemon is running\n"
        );
    }

    #[test]
    fn zero_reports_scope() {
        let mut m = model();
        run_line(&mut m, "-A -t 10.0.0.1:80");
        let out = run_line(&mut m, "-Z -t 10.0.0.1:80");
        assert_eq!((out.code, out.changed), (0, false));
        let key = ServiceKey::Addr {
            proto: crate::ipvsadm::command::Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        assert_eq!(out.zero, vec![Some(key)]);
        assert_eq!(run_line(&mut m, "-Z").zero, vec![None]);
    }

    #[test]
    fn nosort_is_creation_order_and_newest_dest_first() {
        let mut m = model();
        for line in [
            "-A -t 192.168.0.1:80",
            "-A -t 10.0.0.1:80",
            "-a -t 10.0.0.1:80 -r 10.0.1.1 -m",
            "-a -t 10.0.0.1:80 -r 10.0.1.2 -m",
        ] {
            assert_eq!(run_line(&mut m, line).code, 0);
        }
        let out = run_line(&mut m, "-L -n --nosort");
        let lines: Vec<&str> = out.stdout.lines().skip(3).collect();
        assert_eq!(lines[0], "TCP  192.168.0.1:80 wlc");
        assert_eq!(lines[1], "TCP  10.0.0.1:80 wlc");
        assert!(lines[2].starts_with("  -> 10.0.1.2:80 "));
        assert!(lines[3].starts_with("  -> 10.0.1.1:80 "));
    }

    #[test]
    fn other_listings() {
        let mut m = model();
        assert_eq!(run_line(&mut m, "-L --daemon"), Outcome::default());
        let out = run_line(&mut m, "-L -c -n");
        assert_eq!(
            out.stdout,
            "IPVS connection entries\npro expire state       source             virtual            destination\n"
        );
        run_line(&mut m, "-A -t 10.0.0.1:80");
        run_line(&mut m, "-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        let out = run_line(&mut m, "-L -n --stats --exact");
        let expected = concat!(
            "IP Virtual Server version 1.2.1 (size=4096)\n",
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
            "  -> RemoteAddress:Port\n",
            "TCP  10.0.0.1:80                         0        0        0        0        0\n",
            "  -> 10.0.1.1:80                         0        0        0        0        0\n",
        );
        assert_eq!(out.stdout, expected);
    }

    /// The connection entries of ipvsadm-spec §10 T21 that rvs keeps (TCP and UDP
    /// connections and templates; an IPv6 one among them), in table order.
    struct T21Entries;

    impl LiveCounters for T21Entries {
        fn conns(&self, _slot: u32) -> (u32, u32) {
            (0, 0)
        }
        fn table_size(&self) -> u32 {
            4096
        }
        fn for_each_connection(&self, f: &mut dyn FnMut(&ConnEntry)) {
            let a = |s: &str, port| (s.parse().unwrap(), port);
            let tcp = |expires, state, client, dest| ConnEntry {
                protocol: Some(Protocol::Tcp),
                expires,
                state,
                client,
                virtual_service: a("10.0.0.1", 80),
                dest,
                pe: None,
            };
            let r = a("192.168.1.10", 80);
            for e in [
                tcp(899, "ESTABLISHED", a("10.0.0.5", 54321), r),
                tcp(65, "FIN_WAIT", a("10.0.0.5", 54322), r),
                ConnEntry {
                    protocol: Some(Protocol::Udp),
                    expires: 299,
                    state: "UDP",
                    client: a("127.0.0.1", 8080),
                    virtual_service: a("10.0.0.1", 53),
                    dest: a("127.0.0.1", 53),
                    pe: None,
                },
                tcp(359, "NONE", a("10.0.0.5", 0), r),
                ConnEntry {
                    virtual_service: a("2001:db8::1", 443),
                    ..tcp(
                        59,
                        "SYN_RECV",
                        a("2001:db8::5", 54321),
                        a("2001:db8::a", 443),
                    )
                },
                ConnEntry {
                    protocol: Some(Protocol::Udp),
                    virtual_service: a("10.0.0.1", 5060),
                    pe: Some(("sip", "abcdef@host".into())),
                    ..tcp(179, "NONE", a("10.0.0.5", 0), a("192.168.1.10", 5060))
                },
                tcp(299, "ASSURED", a("10.0.0.6", 0), r),
            ] {
                f(&e);
            }
        }
    }

    #[test]
    fn connection_entries_as_t21_lists_them() {
        let out = execute_with(
            &DebianNames,
            "ipvsadm",
            &words("-L -c -n"),
            &mut model(),
            &T21Entries,
        );
        let want = concat!(
            "IPVS connection entries\n",
            "pro expire state       source             virtual            destination\n",
            "TCP 14:59  ESTABLISHED 10.0.0.5:54321     10.0.0.1:80        192.168.1.10:80\n",
            "TCP 01:05  FIN_WAIT    10.0.0.5:54322     10.0.0.1:80        192.168.1.10:80\n",
            "UDP 04:59  UDP         127.0.0.1:8080     10.0.0.1:53        127.0.0.1:53\n",
            "TCP 05:59  NONE        10.0.0.5:0         10.0.0.1:80        192.168.1.10:80\n",
            "TCP 00:59  SYN_RECV    [2001:db8::5]:54321 [2001:db8::1]:443  [2001:db8::a]:443\n",
            "UDP 02:59  NONE        10.0.0.5:0         10.0.0.1:5060      192.168.1.10:5060\n",
            "TCP 04:59  ASSURED     10.0.0.6:0         10.0.0.1:80        192.168.1.10:80\n",
        );
        assert_eq!((out.code, out.stdout.as_str()), (0, want));
        let pe = execute_with(
            &DebianNames,
            "ipvsadm",
            &words("-L -c -n --persistent-conn"),
            &mut model(),
            &T21Entries,
        );
        let sip = "UDP 02:59  NONE        10.0.0.5:0         10.0.0.1:5060      \
                   192.168.1.10:5060 sip                abcdef@host\n";
        assert!(pe.stdout.contains(sip), "{}", pe.stdout);
        let plain =
            "TCP 01:05  FIN_WAIT    10.0.0.5:54322     10.0.0.1:80        192.168.1.10:80\n";
        assert!(pe.stdout.contains(plain), "{}", pe.stdout);
        let named = execute_with(
            &DebianNames,
            "ipvsadm",
            &words("-L -c"),
            &mut model(),
            &T21Entries,
        );
        assert!(
            named.stdout.contains(
                "UDP 04:59  UDP         localhost:8080     10.0.0.1:domain    localhost:domain\n"
            ),
            "{}",
            named.stdout
        );
    }

    #[test]
    fn restore_failure_applies_nothing() {
        let mut m = model();
        run_line(&mut m, "-A -t 10.0.0.1:80");
        let before = m.state().clone();
        let cases = [
            (
                "-A -t 10.0.0.6:80\n-A -t 10.0.0.7\n-A -t 10.0.0.8:80",
                "Zero port specified for non-persistent service\n",
                2,
                2,
            ),
            (
                "-A -t 10.0.0.3:80\n-A -t 10.0.0.1:80",
                "Service already exists\n",
                2,
                255,
            ),
            ("-A -t 10.0.0.5:80 # web", "unexpected argument #\n", 1, 2),
            (
                "-A -t 10.0.0.9:80\n-L --foo",
                "--foo: unknown option\n",
                2,
                255,
            ),
            (
                "\n-R",
                "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n",
                2,
                255,
            ),
            (
                "-A -t 10.0.0.9:80\n-L -n -t 10.0.0.2:80",
                "No such service\n",
                2,
                1,
            ),
        ];
        for (input, message, line, code) in cases {
            let out = restore(&mut m, input);
            let stderr = format!("{message}ipvsadm -R: line {line} failed, no line was applied\n");
            assert_eq!(
                (out.stderr, out.code, out.changed),
                (stderr, code, false),
                "{input}"
            );
            assert_eq!(m.state(), &before, "{input}");
        }
    }

    #[test]
    fn restore_lists_the_working_copy_and_refuses_help() {
        let mut m = model();
        let out = restore(&mut m, "-A -t 10.0.0.1:80\n-S -n\n-A -t 10.0.0.2:80");
        assert_eq!(out.stdout, "-A -t 10.0.0.1:80 -s wlc\n");
        assert_eq!((out.code, out.changed, m.services().len()), (0, true, 2));
        let before = m.state().clone();
        for line in ["-v", "--help", "-h -L junk"] {
            let input = format!("-A -t 10.0.0.3:80\n-S -n\n{line}\n-A -t 10.0.0.4:80");
            let out = restore(&mut m, &input);
            let stderr =
                format!("{NOT_RESTORED}\nipvsadm -R: line 3 failed, no line was applied\n");
            assert!(out.stdout.ends_with("-A -t 10.0.0.3:80 -s wlc\n"), "{line}");
            assert_eq!(
                (out.stderr, out.code, out.changed),
                (stderr, 2, false),
                "{line}"
            );
            assert_eq!(m.state(), &before, "{line}");
        }
    }
}
