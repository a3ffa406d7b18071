//! ipvsadm-spec §10's transcripts as test data (`control/tests/transcripts/*.txt`) and the one
//! runner that replays them against something that behaves like ipvsadm: the real rvsadm
//! talking to rvsd, or the library on a model with live counters a test cannot make.
//!
//! The files keep the spec's notation so that they can be compared with it by eye:
//! `$ ipvsadm ARGS` starts a command, `[stdout]` / `[stderr]` switch the stream the following
//! lines belong to (each ends in `$`, which is not output, so trailing blanks stay visible),
//! `[exit N]` is its status. A `stdin:` block before a command gives its standard input, one
//! line per 4-space-indented row ending in `$`; a row ending in
//! `$    (no newline at end of input)` is the last one and has no newline. Command words are
//! split at blanks, with no shell: the word `''` stands for an empty argument.

use std::path::PathBuf;

/// One command of a transcript, what it reads and what it must print.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub args: Vec<String>,
    pub stdin: Option<String>,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// What one command printed and returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Anything that runs an ipvsadm command line (argv without argv0, invoked as `ipvsadm`).
pub trait Ipvsadm {
    fn run(&mut self, args: &[String], stdin: Option<&str>) -> Output;
}

const NO_NEWLINE: &str = "$    (no newline at end of input)";

/// The directory of the transcript files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

/// Reads `tests/transcripts/NAME.txt`.
pub fn load(name: &str) -> Vec<Step> {
    let path = dir().join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Reads the notation described above; a malformed line is an error, so that a typo in a
/// golden file cannot silently drop what it should check.
pub fn parse(text: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut stdin: Option<String> = None;
    let mut in_stdin = false;
    let mut to_stderr = false;
    for (n, line) in text.lines().enumerate() {
        let bad = |what: &str| Err(format!("line {}: {what}: {line:?}", n + 1));
        if in_stdin {
            if let Some(row) = line.strip_prefix("    ") {
                let input = stdin.get_or_insert_with(String::new);
                if let Some(last) = row.strip_suffix(NO_NEWLINE) {
                    input.push_str(last);
                } else if let Some(row) = row.strip_suffix('$') {
                    input.push_str(row);
                    input.push('\n');
                } else {
                    return bad("stdin rows end in $");
                }
                continue;
            }
            in_stdin = false;
        }
        if line == "stdin:" {
            in_stdin = true;
            stdin = Some(String::new());
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ipvsadm") {
            if !(cmd.is_empty() || cmd.starts_with(' ')) {
                return bad("not an ipvsadm command");
            }
            steps.push(Step {
                args: cmd
                    .split_whitespace()
                    .map(|w| if w == "''" { "" } else { w }.to_string())
                    .collect(),
                stdin: stdin.take(),
                ..Step::default()
            });
            to_stderr = false;
            continue;
        }
        let Some(step) = steps.last_mut() else {
            return bad("output before the first command");
        };
        match line {
            "[stdout]" => to_stderr = false,
            "[stderr]" => to_stderr = true,
            _ => {
                if let Some(code) = line.strip_prefix("[exit ") {
                    match code.strip_suffix(']').and_then(|c| c.parse().ok()) {
                        Some(c) => step.code = c,
                        None => return bad("exit status"),
                    }
                } else if let Some(text) = line.strip_suffix('$') {
                    let stream = if to_stderr {
                        &mut step.stderr
                    } else {
                        &mut step.stdout
                    };
                    stream.push_str(text);
                    stream.push('\n');
                } else {
                    return bad("output lines end in $");
                }
            }
        }
    }
    if steps.is_empty() {
        return Err("no command".into());
    }
    Ok(steps)
}

/// Replays `steps` in order; returns one message per step whose stdout, stderr or exit status
/// differs from the golden one (empty when all match).
pub fn replay(shell: &mut dyn Ipvsadm, name: &str, steps: &[Step]) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let got = shell.run(&step.args, step.stdin.as_deref());
        let want = Output {
            stdout: step.stdout.clone(),
            stderr: step.stderr.clone(),
            code: step.code,
        };
        if got != want {
            failures.push(format!(
                "{name} step {} `ipvsadm {}`:\n  want {want:?}\n  got  {got:?}",
                i + 1,
                step.args.join(" ")
            ));
        }
    }
    failures
}

/// Fails the test with every difference found.
pub fn assert_none(failures: &[String]) {
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
