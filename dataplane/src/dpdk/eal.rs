//! EAL initialisation and cleanup.

use super::DpdkError;
use std::ffi::{c_char, CString};

/// The initialised Environment Abstraction Layer. Dropping it runs
/// `rte_eal_cleanup`. EAL can be initialised only once per process.
pub struct Eal {
    _private: (),
}

impl Eal {
    /// Initialises EAL with `args` (without a program name; one is added).
    /// The strings are leaked on purpose: EAL may permute and keep `argv`.
    pub fn init(args: &[String]) -> Result<Eal, DpdkError> {
        let argv: Vec<*mut c_char> = std::iter::once("rvs")
            .chain(args.iter().map(String::as_str))
            .map(|a| {
                CString::new(a)
                    .map_err(|_| DpdkError::from_ret(format!("EAL argument {a:?}"), libc::EINVAL))
                    .map(CString::into_raw)
            })
            .collect::<Result<_, _>>()?;
        let argv: &'static mut [*mut c_char] = argv.leak();
        // SAFETY: argv holds argc valid NUL-terminated strings; strings and
        // array are leaked, so EAL may permute and keep them.
        let ret = unsafe { dpdk_sys::rte_eal_init(argv.len() as i32, argv.as_mut_ptr()) };
        if ret < 0 {
            return Err(DpdkError::from_rte_errno("rte_eal_init"));
        }
        log::info!("EAL initialised ({} lcores)", lcore_count());
        Ok(Eal { _private: () })
    }
}

/// Number of lcores EAL enabled (main included).
pub fn lcore_count() -> u32 {
    // SAFETY: reads EAL's lcore configuration; no memory is passed.
    unsafe { dpdk_sys::rte_lcore_count() }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: called once, after every port was closed and every worker
        // lcore returned (owners of ports and lcores borrow the Eal).
        let ret = unsafe { dpdk_sys::rte_eal_cleanup() };
        if ret < 0 {
            log::warn!("rte_eal_cleanup failed: {ret}");
        } else {
            log::info!("EAL cleaned up");
        }
    }
}
