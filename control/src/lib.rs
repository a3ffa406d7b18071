//! rvs control plane.

pub mod ipvsadm;
pub mod model;
