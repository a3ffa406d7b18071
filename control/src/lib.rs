//! rvs control plane.

pub mod ipvsadm;
