//! Running closures on EAL worker lcores.

use super::DpdkError;
use std::ffi::{c_int, c_void};

/// The worker lcores EAL enabled, in order (the main lcore excluded).
pub fn workers() -> Vec<u32> {
    let mut out = Vec::new();
    // SAFETY: iterates EAL's lcore table; -1 as start means "first".
    let mut id = unsafe { dpdk_sys::rte_get_next_lcore(u32::MAX, 1, 0) };
    while id < dpdk_sys::RTE_MAX_LCORE {
        out.push(id);
        // SAFETY: as above.
        id = unsafe { dpdk_sys::rte_get_next_lcore(id, 1, 0) };
    }
    out
}

/// The lcore the calling thread runs on (`u32::MAX` for a non-EAL thread).
pub fn current() -> u32 {
    // SAFETY: reads a thread-local set by EAL.
    unsafe { dpdk_sys::rvs_lcore_id() }
}

extern "C" fn trampoline<F: FnOnce() + Send + 'static>(arg: *mut c_void) -> c_int {
    // SAFETY: arg is the Box<F> leaked by `launch`, handed over exactly once.
    let f = unsafe { Box::from_raw(arg.cast::<F>()) };
    f();
    0
}

/// Starts `f` on worker lcore `lcore`. Join with [`wait_all`].
pub fn launch<F: FnOnce() + Send + 'static>(lcore: u32, f: F) -> Result<(), DpdkError> {
    let arg = Box::into_raw(Box::new(f)).cast::<c_void>();
    // SAFETY: the trampoline matches lcore_function_t and takes ownership of
    // arg; on failure we take it back below.
    let ret = unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline::<F>), arg, lcore) };
    if ret < 0 {
        // SAFETY: the launch failed, so the trampoline never ran: still ours.
        drop(unsafe { Box::from_raw(arg.cast::<F>()) });
        return Err(DpdkError::from_ret(format!("launch on lcore {lcore}"), ret));
    }
    Ok(())
}

/// Waits until every worker lcore has returned.
pub fn wait_all() {
    // SAFETY: blocks until all launched lcore functions returned.
    unsafe { dpdk_sys::rte_eal_mp_wait_lcore() }
}
