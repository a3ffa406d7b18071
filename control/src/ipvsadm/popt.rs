//! popt 1.19's way of reading argv, as ipvsadm sees it (ipvsadm-spec §3): clusters, attached
//! and detached arguments, `-p`'s optional argument, `--name=value`, `--`, and positional words
//! collected wherever they appear.

use super::options::{by_long, by_short, ArgKind, OptDef};

/// popt's errors, with their C-locale texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoptError {
    Unknown,
    MissingArg,
    UnwantedArg,
}

impl PoptError {
    pub fn text(self) -> &'static str {
        match self {
            PoptError::Unknown => "unknown option",
            PoptError::MissingArg => "missing argument",
            PoptError::UnwantedArg => "option does not take an argument",
        }
    }
}

/// One step of `poptGetNextOpt`. `word` is the argv element at fault or containing the option
/// (what `poptBadOption` returns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    Opt {
        def: &'static OptDef,
        value: Option<String>,
        word: &'a str,
    },
    Error {
        error: PoptError,
        word: &'a str,
    },
}

/// The argv reader; positional words pile up in `leftovers`.
pub struct Popt<'a> {
    args: &'a [String],
    next: usize,
    /// Rest of a short-option cluster still to read, and the word it came from.
    cluster: Option<(&'a str, &'a str)>,
    rest_leftover: bool,
    pub leftovers: Vec<&'a str>,
}

impl<'a> Popt<'a> {
    pub fn new(args: &'a [String]) -> Popt<'a> {
        Popt {
            args,
            next: 0,
            cluster: None,
            rest_leftover: false,
            leftovers: Vec::new(),
        }
    }

    /// The next option, `None` at the end of argv.
    pub fn next_event(&mut self) -> Option<Event<'a>> {
        if let Some((rest, word)) = self.cluster.take() {
            return Some(self.short(rest, word));
        }
        loop {
            let word = self.args.get(self.next)?.as_str();
            self.next += 1;
            if self.rest_leftover || !word.starts_with('-') || word == "-" {
                self.leftovers.push(word);
            } else if word == "--" {
                self.rest_leftover = true;
            } else if let Some(long) = word.strip_prefix("--") {
                return Some(self.long(long, word));
            } else {
                return Some(self.short(&word[1..], word));
            }
        }
    }

    fn long(&mut self, text: &'a str, word: &'a str) -> Event<'a> {
        let (name, attached) = match text.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        let Some(def) = by_long(name) else {
            return error(PoptError::Unknown, word);
        };
        if def.arg == ArgKind::None && attached.is_some() {
            return error(PoptError::UnwantedArg, word);
        }
        self.with_arg(def, attached, word)
    }

    /// The first character of `rest` is the option; what follows it (less one `=`) is either
    /// its attached argument or more of the cluster.
    fn short(&mut self, rest: &'a str, word: &'a str) -> Event<'a> {
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return error(PoptError::Unknown, word);
        };
        let after = chars.as_str();
        let after = after.strip_prefix('=').unwrap_or(after);
        let Some(def) = by_short(c) else {
            return error(PoptError::Unknown, word);
        };
        if def.arg == ArgKind::None {
            if !after.is_empty() {
                self.cluster = Some((after, word));
            }
            return Event::Opt {
                def,
                value: None,
                word,
            };
        }
        let attached = (!after.is_empty()).then_some(after);
        self.with_arg(def, attached, word)
    }

    fn with_arg(
        &mut self,
        def: &'static OptDef,
        attached: Option<&str>,
        word: &'a str,
    ) -> Event<'a> {
        let value = match (def.arg, attached) {
            (ArgKind::None, _) => None,
            (_, Some(v)) => Some(v.to_string()),
            (ArgKind::Required, None) => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Some(v.clone())
                }
                None => return error(PoptError::MissingArg, word),
            },
            (ArgKind::Optional, None) => match self.args.get(self.next) {
                Some(v) if !v.starts_with('-') => {
                    self.next += 1;
                    Some(v.clone())
                }
                _ => None,
            },
        };
        Event::Opt { def, value, word }
    }
}

fn error(error: PoptError, word: &str) -> Event<'_> {
    Event::Error { error, word }
}

#[cfg(test)]
mod test {
    use super::*;

    fn shorts(args: &[&str]) -> (Vec<String>, Vec<String>) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut p = Popt::new(&args);
        let mut seen = Vec::new();
        while let Some(e) = p.next_event() {
            seen.push(match e {
                Event::Opt { def, value, .. } => format!("{}={:?}", def.long, value),
                Event::Error { error, word } => format!("{word}: {}", error.text()),
            });
        }
        let left = p.leftovers.iter().map(|s| s.to_string()).collect();
        (seen, left)
    }

    #[test]
    fn clusters_and_arguments() {
        let (seen, left) = shorts(&["-list"]);
        assert_eq!(seen, ["list=None", "ipip=None", "scheduler=Some(\"t\")"]);
        assert!(left.is_empty());
        let (seen, left) = shorts(&["-sp", "rr"]);
        assert_eq!(seen, ["scheduler=Some(\"p\")"]);
        assert_eq!(left, ["rr"]);
        let (seen, _) = shorts(&["-w", "-1", "-p", "-5"]);
        assert_eq!(
            seen,
            [
                "weight=Some(\"-1\")",
                "persistent=None",
                "-5: unknown option"
            ]
        );
    }

    #[test]
    fn long_forms_and_double_dash() {
        let (seen, left) = shorts(&["900", "--set", "--stats=1", "--", "-n"]);
        assert_eq!(
            seen,
            ["set=None", "--stats=1: option does not take an argument"]
        );
        assert_eq!(left, ["900", "-n"]);
        let (seen, _) = shorts(&["--persistent=600", "--lis", "-t"]);
        assert_eq!(
            seen,
            [
                "persistent=Some(\"600\")",
                "--lis: unknown option",
                "-t: missing argument"
            ]
        );
    }
}
