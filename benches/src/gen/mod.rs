//! rvs-gen, the benchmark harness's traffic generator (`src/bin/rvs-gen.rs`): what testpmd's
//! `txonly` cannot send. UDP or TCP with correct checksums, any frame size, a fixed set of
//! clients (`--flows N`) or a new one every packet (`--new`), at a paced rate, with every
//! frame's TSC stamp read back from what the forwarder returns as its latency.
//!
//! - [`args`]: the command line and the checked plan it makes.
//! - [`frame`]: the frames, built once with rvs's wire views and patched per packet.
//! - [`flows`]: which client sends each packet.
//! - [`pace`]: the token bucket behind `--rate`.
//! - [`hist`]: the latency histogram.
//! - [`report`]: the per-second lines and the JSON summary.
//! - [`run`]: EAL, the port and the loop.

pub mod args;
pub mod flows;
pub mod frame;
pub mod hist;
pub mod pace;
pub mod report;
pub mod run;
