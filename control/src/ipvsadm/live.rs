//! What listings read from the data plane: live per-real-server counters.

/// Five counters of `--stats` (conns, inpkts, outpkts, inbytes, outbytes) or of `--rate`
/// (cps, inpps, outpps, inbps, outbps) (ipvsadm-spec §7.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters(pub [u64; 5]);

/// Live values, addressed by a real server's slot (see `model::SlotAllocator`).
pub trait LiveCounters {
    /// Active and inactive connections of the real server in `slot` (the -Ln columns).
    fn conns(&self, slot: u32) -> (u32, u32);
    /// Connection-table capacity, printed as `(size=N)` in the table header (ipvsadm-spec §1.2).
    fn table_size(&self) -> u32;
    /// `--stats` counters of a real server; zero until the data plane exports them.
    fn dest_stats(&self, _slot: u32) -> Counters {
        Counters::default()
    }
    /// `--rate` values of a real server; zero until the rate estimator exists.
    fn dest_rates(&self, _slot: u32) -> Counters {
        Counters::default()
    }
    /// Persistence templates pointing at a real server (`--persistent-conn`).
    fn persistent_conns(&self, _slot: u32) -> u32 {
        0
    }
}
