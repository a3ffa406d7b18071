//! rvs data plane.
#![deny(unsafe_code)]

pub mod classify;
pub mod dpdk;
pub mod neigh;
pub mod port;
pub mod route;
pub mod stats;
pub mod wire;
