//! One packet buffer that frees itself on drop.

use std::ptr::NonNull;

/// An owned single-segment `rte_mbuf`. Dropping it returns it to its pool;
/// transmitting it hands it to the driver.
pub struct Mbuf {
    raw: NonNull<dpdk_sys::rte_mbuf>,
}

// SAFETY: an Mbuf is the only owner of its buffer; moving it to another
// thread moves the ownership (DPDK mbufs are not tied to an lcore).
unsafe impl Send for Mbuf {}

impl Mbuf {
    pub(super) fn from_raw(raw: NonNull<dpdk_sys::rte_mbuf>) -> Mbuf {
        Mbuf { raw }
    }

    /// Gives up ownership (to a TX burst).
    pub(super) fn into_raw(self) -> *mut dpdk_sys::rte_mbuf {
        let p = self.raw.as_ptr();
        std::mem::forget(self);
        p
    }

    fn hdr(&self) -> &dpdk_sys::rte_mbuf {
        // SAFETY: raw points to a live mbuf owned by self.
        unsafe { self.raw.as_ref() }
    }

    /// The packet bytes of the first segment (rvs receives with scatter off,
    /// so that is the whole packet).
    pub fn data(&self) -> &[u8] {
        let h = self.hdr();
        // SAFETY: buf_addr + data_off is the start of data_len valid bytes
        // inside the buffer owned by self (rte_pktmbuf_mtod).
        unsafe {
            let p = (h.buf_addr as *const u8).add(h.data_off as usize);
            std::slice::from_raw_parts(p, h.data_len as usize)
        }
    }

    /// The packet bytes, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        let h = self.hdr();
        let (off, len) = (h.data_off as usize, h.data_len as usize);
        // SAFETY: as in `data`; &mut self guarantees exclusive access.
        unsafe {
            let p = (self.raw.as_ref().buf_addr as *mut u8).add(off);
            std::slice::from_raw_parts_mut(p, len)
        }
    }

    /// Grows the packet at its end by `len` bytes; `None` when the buffer has
    /// no room (the packet is unchanged then).
    pub fn append(&mut self, len: u16) -> Option<&mut [u8]> {
        // SAFETY: self owns the mbuf; append checks the tailroom.
        let p = unsafe { dpdk_sys::rvs_pktmbuf_append(self.raw.as_ptr(), len) };
        // SAFETY: on success p points to `len` new bytes inside the buffer.
        (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len.into()) })
    }

    /// Grows the packet at its front by `len` bytes (for encapsulation);
    /// `None` when the headroom is too small.
    pub fn prepend(&mut self, len: u16) -> bool {
        // SAFETY: self owns the mbuf; prepend checks the headroom.
        !unsafe { dpdk_sys::rvs_pktmbuf_prepend(self.raw.as_ptr(), len) }.is_null()
    }

    /// Removes `len` bytes from the packet's front; false (the packet
    /// unchanged) when it is shorter.
    pub fn adj(&mut self, len: u16) -> bool {
        // SAFETY: self owns the mbuf; adj checks the length against data_len.
        !unsafe { dpdk_sys::rvs_pktmbuf_adj(self.raw.as_ptr(), len) }.is_null()
    }

    /// Cuts the packet to `len` bytes (no-op when it is shorter).
    pub fn truncate(&mut self, len: usize) {
        let cur = self.hdr().data_len as usize;
        if len < cur {
            // SAFETY: self owns the mbuf; trimming less than data_len is valid.
            unsafe { dpdk_sys::rvs_pktmbuf_trim(self.raw.as_ptr(), (cur - len) as u16) };
        }
    }

    /// The port the packet arrived on.
    pub fn port(&self) -> u16 {
        self.hdr().port
    }

    /// Frees the frames in `frames` (taking them out), a burst at a time in one pool operation
    /// instead of one per frame.
    pub fn free_bulk(frames: &mut [Option<Mbuf>]) {
        let mut raw = [std::ptr::null_mut(); 64];
        let mut n = 0;
        for m in frames.iter_mut().filter_map(Option::take) {
            raw[n] = m.into_raw();
            n += 1;
            if n == raw.len() {
                // SAFETY: raw[..n] are owned mbufs, freed once here.
                unsafe { dpdk_sys::rvs_pktmbuf_free_bulk(raw.as_mut_ptr(), n as u32) };
                n = 0;
            }
        }
        // SAFETY: as above.
        unsafe { dpdk_sys::rvs_pktmbuf_free_bulk(raw.as_mut_ptr(), n as u32) };
    }

    /// Hint the CPU to load the packet's first cache line.
    pub fn prefetch(&self) {
        let h = self.hdr();
        // SAFETY: prefetching is a hint; the address is inside the buffer.
        unsafe {
            dpdk_sys::rvs_prefetch0((h.buf_addr as *const u8).add(h.data_off as usize).cast())
        }
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: self is the only owner; the mbuf goes back to its pool.
        unsafe { dpdk_sys::rvs_pktmbuf_free(self.raw.as_ptr()) }
    }
}
