//! EAL's runtime directory, `/var/run/dpdk/<file-prefix>/` for root (its config file, memory
//! segment lists, multi-process socket), which EAL leaves behind even after
//! `rte_eal_cleanup`. rvsd removes its own when it stops, and at start the ones rvsd processes
//! that could not clean up (SIGKILL, a crash) left: those of rvs's own prefix, `rvs-PID`, whose
//! process is gone.

use crate::eal_args;
use std::path::{Path, PathBuf};

/// Where EAL makes the runtime directories of processes running as root (DPDK's
/// `eal_get_runtime_dir`; rvsd needs root for its ports).
const BASE: &str = "/var/run/dpdk";

/// The runtime directory of the EAL started with `args`; removed on drop, so that it goes on
/// every way out of the daemon (keep it alive longer than the EAL).
pub struct RuntimeDir(Option<PathBuf>);

impl RuntimeDir {
    pub fn of(args: &[String]) -> RuntimeDir {
        RuntimeDir(eal_args::given_prefix(args).map(|p| Path::new(BASE).join(p)))
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Removes the runtime directories of rvsd processes that are gone. A process id that is in
/// use again keeps its directory: only the dead are certain.
pub fn remove_stale() {
    let Ok(entries) = std::fs::read_dir(BASE) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(eal_args::prefix_pid) else {
            continue;
        };
        // Our own pid's directory cannot be ours yet: EAL has not started.
        if pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => log::info!(
                "removed {}, left by rvsd process {pid}, which is gone",
                entry.path().display()
            ),
            Err(e) => log::warn!("cannot remove {}: {e}", entry.path().display()),
        }
    }
}
