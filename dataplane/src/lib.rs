//! rvs data plane: everything a packet touches.
//!
//! A packet's way (see `docs/architecture.md`):
//! 1. [`worker`] receives a burst on every port (through [`port::PortIo`]:
//!    [`dpdk::DpdkPort`] in the product, [`port::MemPort`] in tests);
//! 2. [`process`] decides each frame's fate: [`classify`] checks the
//!    headers ([`wire`]), ARP and ICMP echo for the box are answered in
//!    place ([`reply`]), neighbours are learned ([`neigh`]), routes looked
//!    up ([`route`]);
//! 3. the worker transmits grouped by port ([`txbuf`]) or frees the frame,
//!    counting why ([`stats::DropReason`]).
#![deny(unsafe_code)]

pub mod classify;
pub mod conn;
pub mod ctx;
pub mod dest;
pub mod dpdk;
pub mod fwd;
pub mod lb;
pub mod neigh;
pub mod port;
pub mod process;
pub mod reply;
pub mod route;
pub mod sched;
pub mod service;
pub mod shared;
pub mod stats;
pub mod txbuf;
pub mod wire;
pub mod worker;
