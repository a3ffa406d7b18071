//! Large tables on huge pages where the kernel gives them: the connection table's entries and
//! indexes are read at random, one line per packet, and with 4 KiB pages a table of millions
//! of entries misses the TLB on nearly every lookup; 2 MiB pages cut those misses by 512.
//! The machine's transparent huge pages are usually `madvise` only (Debian's default), so a
//! table gets a mapping of its own, advised before it is first touched (memory from `malloc`
//! may be pages touched before, which stay small). Where the advice is refused (no THP), the
//! table is the same on small pages.

use std::ops::{Deref, DerefMut};

const HUGE: usize = 2 << 20;

/// A slice in an anonymous mapping of its own, advised onto huge pages; freed on drop.
pub struct HugeSlice<T> {
    ptr: *mut T,
    len: usize,
    /// Bytes mapped (0 when nothing is: an empty slice or one of zero-sized values).
    mapped: usize,
}

// SAFETY: a HugeSlice owns its values like a Box<[T]> does; sharing or sending it is sound
// exactly when it is for the values.
unsafe impl<T: Send> Send for HugeSlice<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for HugeSlice<T> {}

impl<T> HugeSlice<T> {
    /// `n` values made by `make`, in a mapping advised onto huge pages before they are
    /// written. Panics if the memory cannot be mapped, as an allocation failure aborts.
    pub fn new(n: usize, mut make: impl FnMut(usize) -> T) -> HugeSlice<T> {
        let bytes = n
            .checked_mul(std::mem::size_of::<T>())
            .expect("table size overflows");
        assert!(
            std::mem::align_of::<T>() <= 4096,
            "a page aligns at most 4096 bytes"
        );
        if bytes == 0 {
            return HugeSlice {
                ptr: std::ptr::NonNull::dangling().as_ptr(),
                len: n,
                mapped: 0,
            };
        }
        let mapped = bytes.next_multiple_of(4096);
        // SAFETY: a new private anonymous mapping; no memory of ours is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert!(
            p != libc::MAP_FAILED,
            "cannot map {mapped} bytes: {}",
            std::io::Error::last_os_error()
        );
        advise(p.cast(), mapped);
        let ptr = p.cast::<T>();
        for i in 0..n {
            // SAFETY: slot i lies inside the mapping (n values fit in `bytes`), page-aligned
            // memory aligns T, and the slot is written once before anything reads it.
            unsafe { ptr.add(i).write(make(i)) };
        }
        HugeSlice {
            ptr,
            len: n,
            mapped,
        }
    }
}

/// Asks for huge pages over the whole 2 MiB pages inside `len` bytes at `start`.
fn advise(start: *mut u8, len: usize) {
    let (from, to) = (start as usize, start as usize + len);
    let (first, end) = (from.next_multiple_of(HUGE), to / HUGE * HUGE);
    if end <= first {
        return;
    }
    // SAFETY: MADV_HUGEPAGE only changes how the kernel backs this range of our own
    // mapping, not its contents or its mapping.
    let rc = unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    if rc != 0 {
        log::debug!(
            "no huge pages for a table: {}",
            std::io::Error::last_os_error()
        );
    }
}

impl<T> Deref for HugeSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` values were written at `ptr` by `new` and live until drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T> DerefMut for HugeSlice<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<T> Drop for HugeSlice<T> {
    fn drop(&mut self) {
        // SAFETY: the values are initialised and dropped once, here.
        unsafe { std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(self.ptr, self.len)) };
        if self.mapped > 0 {
            // SAFETY: unmaps exactly the mapping `new` made; nothing refers to it any more.
            unsafe { libc::munmap(self.ptr.cast(), self.mapped) };
        }
    }
}

#[cfg(test)]
mod test {
    use super::HugeSlice;
    use std::sync::Arc;

    #[test]
    fn makes_every_value_in_order_and_drops_each_once() {
        let s = HugeSlice::new(5 << 20, |i| i as u32);
        assert_eq!(s.len(), 5 << 20);
        assert!(s.iter().enumerate().all(|(i, &v)| v == i as u32));
        assert!(HugeSlice::new(0, |_| 0u8).is_empty());
        let counted = Arc::new(());
        let s = HugeSlice::new(1000, |_| counted.clone());
        assert_eq!(Arc::strong_count(&counted), 1001);
        drop(s);
        assert_eq!(Arc::strong_count(&counted), 1);
    }

    /// Where the kernel gives transparent huge pages on advice (`madvise` or `always`), the
    /// slice's mapping is backed by them.
    #[test]
    fn the_kernel_backs_the_slice_with_huge_pages() {
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if thp.map_or(true, |t| t.contains("[never]")) {
            return;
        }
        let s = HugeSlice::new(16 << 20, |i| i as u8);
        let at = s.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut huge_kb = None;
        for line in smaps.lines() {
            let range = line
                .split_once(' ')
                .map(|(r, _)| r)
                .and_then(|r| r.split_once('-'));
            match range
                .map(|(lo, hi)| (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)))
            {
                Some((Ok(lo), Ok(hi))) => inside = lo <= at && at < hi,
                _ if inside && line.starts_with("AnonHugePages:") => {
                    huge_kb = line
                        .split_whitespace()
                        .nth(1)
                        .and_then(|k| k.parse::<u64>().ok())
                }
                _ => {}
            }
        }
        assert!(
            huge_kb.is_some_and(|kb| kb >= 14 << 10),
            "AnonHugePages {huge_kb:?} kB"
        );
    }
}
