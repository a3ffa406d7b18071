//! Forwarding: what each method writes into a packet before it leaves.
//!
//! For now only the NAT rewrite ([`nat`]) and the TTL step shared by every method
//! ([`nat::decrement_ttl`], ipvs-forwarding §3.0 step 3); route, neighbour and TX come later.

pub mod nat;

pub use nat::{decrement_ttl, dnat, snat};
