//! The admin socket: a Unix stream socket (mode 0600, served to root and its owner only)
//! speaking a line-oriented protocol that works by hand with socat.
//!
//! A request is one line holding one ipvsadm command line without the program name, as words
//! separated by blanks (`-A -t 10.0.0.1:80 -s rr`, for typing) or, when the line starts with
//! `[`, as a JSON array of strings (`["-A","-t","10.0.0.1:80","-s","r r"]`: every argument
//! exact; rvsadm sends this). An argument with a control character refuses the request.
//! `-R` (restore) takes the following lines, up to an empty line that must come, as its
//! input; `-R --argv0=NAME` names the program in restore's messages as ipvsadm does (default
//! `rvsadm`). A reply is exactly what ipvsadm would print on stdout, then what it would print
//! on stderr, then one status line:
//!
//! ```text
//! rvs-status exit=0 stdout=182 stderr=0
//! ```
//!
//! giving the exit code and the byte counts of the two parts before it.
//! `--reload` alone is rvs's own request: rvsd reads its configuration file again
//! and applies its services and marks (as on SIGHUP); the reply says what changed, or why
//! nothing did (exit 1).
//! A connection may carry any number of requests, within the limits of `protocol` (sizes)
//! and `server` (clients, time).
//!
//! Two requests are rvs's own, not ipvsadm's: `--counters` alone answers with the running
//! data plane's counters (`crate::counters`), `--metrics` with the Prometheus series the
//! metrics endpoint serves (`crate::metrics`).

pub mod client;
pub mod protocol;
pub mod server;
