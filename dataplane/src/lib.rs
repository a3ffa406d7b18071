//! rvs data plane.
#![deny(unsafe_code)]

pub mod dpdk;
