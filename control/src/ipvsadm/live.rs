//! What listings read from the data plane: live per-real-server counters and the
//! connection entries.

use std::net::IpAddr;

use super::command::Protocol;

/// Five counters of `--stats` (conns, inpkts, outpkts, inbytes, outbytes) or of `--rate`
/// (cps, inpps, outpps, inbps, outbps) (ipvsadm-spec §7.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters(pub [u64; 5]);

/// One connection entry of `-L -c` (ipvsadm-spec §7.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnEntry {
    /// `None`: a fwmark service's template (protocol IPPROTO_IP, listed as `IP`).
    pub protocol: Option<Protocol>,
    /// Whole seconds until it expires.
    pub expires: u32,
    /// As the kernel names it: `ESTABLISHED`, `UDP`, ...
    pub state: &'static str,
    pub client: (IpAddr, u16),
    pub virtual_service: (IpAddr, u16),
    /// The real server (its family may differ from the others' for a tunnel).
    pub dest: (IpAddr, u16),
    /// A template's persistence engine and its data (`sip` and the Call-ID).
    pub pe: Option<(&'static str, String)>,
}

/// Live values, addressed by a real server's slot (see `model::SlotAllocator`).
pub trait LiveCounters {
    /// Active and inactive connections of the real server in `slot` (the -Ln columns).
    fn conns(&self, slot: u32) -> (u32, u32);
    /// Connection-table capacity, printed as `(size=N)` in the table header (ipvsadm-spec §1.2).
    fn table_size(&self) -> u32;
    /// `--stats` counters of a real server.
    fn dest_stats(&self, _slot: u32) -> Counters {
        Counters::default()
    }
    /// `--rate` values of a real server.
    fn dest_rates(&self, _slot: u32) -> Counters {
        Counters::default()
    }
    /// `--stats` counters of the service whose model id is `id`.
    fn service_stats(&self, _id: u64) -> Counters {
        Counters::default()
    }
    /// `--rate` values of the service whose model id is `id`.
    fn service_rates(&self, _id: u64) -> Counters {
        Counters::default()
    }
    /// Persistence templates pointing at a real server (`--persistent-conn`).
    fn persistent_conns(&self, _slot: u32) -> u32 {
        0
    }
    /// Calls `f` with every connection entry, in the data plane's order; none by default.
    fn for_each_connection(&self, _f: &mut dyn FnMut(&ConnEntry)) {}
}

/// A data plane with nothing on it: every counter zero, no connection entry. For what runs
/// ipvsadm lines without a running data plane: rvsadm's `-h` and `-v`, and the
/// configuration's service lines checked or built on the side (`crate::reload`).
pub struct NoTraffic;

impl LiveCounters for NoTraffic {
    fn conns(&self, _slot: u32) -> (u32, u32) {
        (0, 0)
    }
    fn table_size(&self) -> u32 {
        0
    }
}
