//! rvs data plane.
#![deny(unsafe_code)]

pub mod dpdk;
pub mod neigh;
pub mod port;
pub mod route;
