//! rvs data plane: everything a packet touches.
//!
//! A packet's way (see `docs/architecture.md`):
//! 1. [`worker`] receives a burst on every port (through [`port::PortIo`]:
//!    [`dpdk::DpdkPort`] in the product, [`port::MemPort`] in tests);
//! 2. it [`classify`]s the burst (what the port admits, [`l2`]; [`wire`]
//!    views, checked once; each IP packet's [`flow`] key built once) and
//!    prefetches the connection buckets the burst will look up ([`lb`]);
//! 3. [`process`] decides each frame's fate, a [`verdict`]: ARP and ICMP echo
//!    for the box are answered in place ([`reply`]), neighbours learned
//!    ([`neigh`]); TCP/UDP to a virtual service ([`service`]) finds or
//!    creates its connection ([`conn`], [`sched`]), NAT replies from real
//!    servers find theirs; either leaves by [`fwd::Forward::transmit`]: route
//!    ([`route`]), TTL, MTU, the method's rewrite (NAT, DR, TUN), neighbour,
//!    Ethernet header of the output port ([`l2`]);
//! 4. the worker transmits grouped by port ([`txbuf`]), fragmenting where
//!    the verdict says, or frees the frame, counting why
//!    ([`stats::DropReason`]).
//!
//! Per-worker state is [`ctx::Ctx`]; what all workers share is
//! [`shared::Dataplane`].
#![deny(unsafe_code)]

pub mod classify;
pub mod conn;
pub mod ctx;
pub mod dest;
pub mod dpdk;
pub mod flow;
pub mod frag;
pub mod fwd;
pub mod idle;
pub mod l2;
pub mod lb;
pub mod mark;
pub mod nd;
pub mod neigh;
pub mod persist;
pub mod port;
pub mod process;
pub mod related;
pub mod reply;
pub mod route;
pub mod rss;
pub mod sched;
pub mod service;
pub mod shared;
pub mod sip;
pub mod stats;
mod sync;
pub mod traffic;
pub mod txbuf;
pub mod verdict;
pub mod wire;
pub mod worker;
