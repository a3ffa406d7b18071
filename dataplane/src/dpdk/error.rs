//! One error type for every failing DPDK call: what was called and `rte_errno`.

use std::ffi::CStr;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpdkError {
    /// The DPDK call (and object) that failed.
    pub what: String,
    /// The errno it reported (positive).
    pub errno: i32,
}

impl DpdkError {
    /// An error from a call that returned a negative errno.
    pub fn from_ret(what: impl Into<String>, ret: i32) -> Self {
        DpdkError {
            what: what.into(),
            errno: ret.abs(),
        }
    }

    /// An error from a call that set `rte_errno`.
    pub fn from_rte_errno(what: impl Into<String>) -> Self {
        // SAFETY: reads EAL's thread-local rte_errno through the shim.
        let errno = unsafe { dpdk_sys::rvs_errno() };
        DpdkError {
            what: what.into(),
            errno,
        }
    }
}

impl fmt::Display for DpdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: rte_strerror returns a pointer to a static or thread-local
        // NUL-terminated string for any errno value.
        let text = unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(self.errno)) };
        write!(f, "{}: {}", self.what, text.to_string_lossy())
    }
}

impl std::error::Error for DpdkError {}
