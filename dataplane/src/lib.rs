//! rvs data plane.
#![deny(unsafe_code)]

pub mod conn;
pub mod dest;
pub mod dpdk;
pub mod sched;
