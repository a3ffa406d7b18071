//! The atomics shared by workers in the connection table (`conn/`) and the real-server
//! counters (`dest.rs`): std's, or loom's under `--cfg loom`, so that the model checker sees
//! every load, store, CAS and fence of that code and tries their interleavings and the values
//! weak memory allows (docs/reliability.md, "Concurrency"). The normal build is unchanged.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64};
