//! The thin safe layer over DPDK: the only place outside `dpdk-sys` where
//! `unsafe` FFI is allowed. Every block says what makes it sound.
//!
//! - [`Eal`]: EAL init from owned arguments, cleanup on drop.
//! - [`Mempool`]: a packet-buffer pool (buffers one by one or a burst at once).
//! - [`Mbuf`]: one packet buffer; freed on drop (or a burst at once), consumed by TX.
//! - [`EthPort`]: configure/start/restart/stop a port with N RX and N TX queues; the names of
//!   the ports EAL probed.
//! - [`lcore`]: run a closure on each worker lcore.
//! - [`huge`]: large tables advised onto huge pages.
//! - [`telemetry`]: rvs's own commands on DPDK's telemetry socket.
#![allow(unsafe_code)]

mod eal;
mod error;
mod ethdev;
pub mod huge;
pub mod lcore;
mod mbuf;
mod mempool;
mod port;
pub mod telemetry;

pub use eal::Eal;
pub use error::DpdkError;
pub use ethdev::{EthPort, LinkStatus, PortConfig, PortStats, XStat};
pub use mbuf::Mbuf;
pub use mempool::Mempool;
pub use port::DpdkPort;

/// Asks the CPU to load `r`'s first cache line ahead of use. A hint only:
/// the workers issue it for a whole burst before processing the burst.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    // SAFETY: prefetching is a hint that never faults; `r` is a valid
    // reference anyway.
    unsafe { dpdk_sys::rvs_prefetch0((r as *const T).cast()) }
}

/// Cycles of the time-stamp counter, for coarse clocks on the packet path.
pub fn rdtsc() -> u64 {
    // SAFETY: reads the CPU's time-stamp counter; no memory is touched.
    unsafe { dpdk_sys::rvs_rdtsc() }
}

/// Frequency of [`rdtsc`] in Hz (valid after EAL init).
pub fn tsc_hz() -> u64 {
    // SAFETY: reads a value EAL measured at init; no memory is touched.
    unsafe { dpdk_sys::rvs_tsc_hz() }
}
