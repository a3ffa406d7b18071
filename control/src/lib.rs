//! rvs control plane: configuration, the admin socket, the ipvsadm command
//! language, the service model and the daemon that ties them to the data
//! plane.

pub mod admin;
pub mod config;
pub mod controller;
pub mod counters;
pub mod daemon;
pub mod eal_args;
pub mod estimator;
pub mod ipvsadm;
pub mod live;
pub mod metrics;
pub mod model;
pub mod publish;
pub mod reload;
pub mod runtime_dir;
pub mod service_stats;
pub mod slots;
pub mod telemetry;
pub mod watch;
