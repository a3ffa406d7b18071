//! rvs control plane: configuration, the admin socket, the ipvsadm command
//! language and the daemon that ties them to the data plane.

pub mod admin;
pub mod config;
pub mod controller;
pub mod daemon;
pub mod eal_args;
