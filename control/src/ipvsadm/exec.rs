//! The daemon's one entry point: an ipvsadm command line in, ipvsadm's output and exit code
//! out, the model changed all-or-nothing.

use super::command::{Command, ServiceKey};
use super::error::{Failure, EXIT_KERNEL};
use super::format;
use super::help::{help_text, version_line};
use super::live::LiveCounters;
use super::names::{Names, SystemNames};
use super::parse::parse_with;
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
/// exit status is that line's. A `-h` or `-v` line prints its text and ends the restore with
/// exit 0, keeping the lines before it, as ipvsadm does.
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
            if cmd == Command::Restore {
                return Err(fail(try_help(argv0)));
            }
            let out = run(names, argv0, &cmd, tx, live).map_err(fail)?;
            total.stdout.push_str(&out.stdout);
            total.changed |= out.changed;
            total.zero.extend(out.zero);
            if matches!(cmd, Command::Help | Command::Version) {
                break;
            }
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

fn try_help(argv0: &str) -> Failure {
    Failure::new(
        EXIT_KERNEL,
        &format!("Try `{argv0} -h' or '{argv0} --help' for more information."),
    )
}
