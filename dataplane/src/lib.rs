//! rvs data plane.
#![deny(unsafe_code)]

pub mod classify;
pub mod dpdk;
pub mod reply;
pub mod stats;
pub mod wire;
