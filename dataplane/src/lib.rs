//! rvs data plane.
#![deny(unsafe_code)]

pub mod classify;
pub mod dpdk;
pub mod fwd;
pub mod reply;
pub mod stats;
pub mod wire;
