//! Packet-buffer pools.

use super::{DpdkError, Mbuf};
use std::ffi::{CStr, CString};
use std::ptr::NonNull;

/// A pool of packet buffers (`rte_pktmbuf_pool_create`). Pools live until
/// EAL cleanup: DPDK ports keep pointers to them, so they are never freed
/// earlier.
#[derive(Clone, Copy)]
pub struct Mempool {
    raw: NonNull<dpdk_sys::rte_mempool>,
}

// SAFETY: rte_mempool is multi-producer/multi-consumer safe (ring_mp_mc)
// with per-lcore caches; the pointer itself is immutable.
unsafe impl Send for Mempool {}
// SAFETY: as above, every operation on a pool is thread-safe.
unsafe impl Sync for Mempool {}

/// Per-lcore cache size: DPDK's recommended value for bursts of 32.
const CACHE: u32 = 256;

impl Mempool {
    /// Creates a pool of `n` buffers with the default data room (2 KiB plus
    /// headroom), on any NUMA socket.
    pub fn new(name: &str, n: u32) -> Result<Mempool, DpdkError> {
        let cname = CString::new(name)
            .map_err(|_| DpdkError::from_ret(format!("mempool name {name:?}"), libc::EINVAL))?;
        let room = dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16;
        // SAFETY: cname is a valid C string for the duration of the call;
        // EAL is initialised (an Eal exists before any pool is made).
        let raw = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(cname.as_ptr(), n, CACHE.min(n / 2), 0, room, -1)
        };
        NonNull::new(raw)
            .map(|raw| Mempool { raw })
            .ok_or_else(|| DpdkError::from_rte_errno(format!("rte_pktmbuf_pool_create {name}")))
    }

    /// A new, empty buffer, or `None` when the pool is exhausted.
    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: the pool pointer is valid for the life of the process.
        let m = unsafe { dpdk_sys::rvs_pktmbuf_alloc(self.raw.as_ptr()) };
        NonNull::new(m).map(Mbuf::from_raw)
    }

    /// Fills the first `min(out.len(), 64)` slots of `out` with new, empty buffers in one pool
    /// operation, or none of them when the pool has fewer free; returns how many it filled.
    pub fn alloc_bulk(&self, out: &mut [Option<Mbuf>]) -> usize {
        let mut raw = [std::ptr::null_mut(); 64];
        let n = out.len().min(raw.len());
        // SAFETY: raw has room for n pointers; the pool pointer is valid for the life of the
        // process. On success every one of the n pointers is a new mbuf owned by the caller.
        let ret = unsafe {
            dpdk_sys::rvs_pktmbuf_alloc_bulk(self.raw.as_ptr(), raw.as_mut_ptr(), n as u32)
        };
        if ret != 0 {
            return 0;
        }
        for (slot, p) in out.iter_mut().zip(&raw[..n]) {
            *slot = NonNull::new(*p).map(Mbuf::from_raw);
        }
        n
    }

    /// Buffers currently available in the pool (caches included).
    pub fn available(&self) -> u32 {
        // SAFETY: the pool pointer is valid; the call only reads counters.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.raw.as_ptr()) }
    }

    /// Buffers currently taken from the pool (by drivers' rings, workers, frames in flight).
    pub fn in_use(&self) -> u32 {
        // SAFETY: the pool pointer is valid; the call only reads counters.
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.raw.as_ptr()) }
    }

    /// The buffers the pool was made with.
    pub fn size(&self) -> u32 {
        // SAFETY: the pool pointer is valid for the life of the process; `size` is set at
        // creation and never changes.
        unsafe { self.raw.as_ref().size }
    }

    /// The name the pool was created with.
    pub fn name(&self) -> String {
        // SAFETY: as above; `name` is a NUL-terminated array written at creation.
        let name = unsafe { CStr::from_ptr(self.raw.as_ref().name.as_ptr()) };
        name.to_string_lossy().into_owned()
    }

    pub(super) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.raw.as_ptr()
    }
}
