//! The running data plane's counters in one plain value, [`RuntimeCounters`], read live
//! while the workers run: DPDK's per-port counters, and what rvs counts itself per worker,
//! per drop reason, in the connection tables and the buffer pool. Reading only loads what
//! the workers store; it never writes a worker's line. `rvsadm --counters` prints it
//! ([`text`]); it serializes as it is for JSON consumers (telemetry).

mod text;

use dataplane::conn::{ConnTable, Packed};
use dataplane::dpdk::{DpdkPort, Mempool, PortStats, XStat};
use dataplane::shared::Dataplane;
use dataplane::stats::{Counters, CountersSnapshot};
use dataplane::traffic::Traffic;
use serde::{Serialize, Serializer};

/// Everything `rvsadm --counters` shows.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeCounters {
    pub ports: Vec<PortCounters>,
    #[serde(flatten)]
    pub own: OwnCounters,
}

/// One port as DPDK counts it.
#[derive(Debug, Clone, Serialize)]
pub struct PortCounters {
    pub name: String,
    #[serde(flatten)]
    pub stats: PortStats,
    /// Every extended counter of the driver, zeros included.
    pub xstats: Vec<XStat>,
}

/// What rvs counts itself.
#[derive(Debug, Clone, Serialize)]
pub struct OwnCounters {
    /// Indexed by worker (its queue number on every port).
    pub workers: Vec<WorkerCounters>,
    /// The reasons that dropped anything, summed over the workers, in
    /// [`dataplane::stats::DropReason`] order.
    #[serde(serialize_with = "as_map")]
    pub drops: Vec<(&'static str, u64)>,
    pub connections: Tables,
    /// The packet-buffer pool every port shares.
    pub mbufs: Pool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct WorkerCounters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Polls of every port that received something.
    pub busy_polls: u64,
    /// Polls of every port that received nothing.
    pub idle_polls: u64,
    /// Pauses of the worker when idle (`idle_backoff`); 0 when it busy-polls.
    pub pauses: u64,
    /// Connections the worker made (not persistence templates), summed over the real
    /// servers: every connection is made by one worker, so the workers' figures add up to
    /// every connection rvsd made.
    pub connections_created: u64,
}

/// Both families' connection tables.
#[derive(Debug, Clone, Serialize)]
pub struct Tables {
    pub ipv4: TableFill,
    pub ipv6: TableFill,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableFill {
    pub used: u64,
    pub capacity: u64,
    /// Indexed by worker: each worker inserts into its own partition only, so one full
    /// partition refuses that worker's new connections (`table_full`).
    pub partitions: Vec<Partition>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Partition {
    pub used: u64,
    pub capacity: u64,
    /// Entries evicted to make room for new connections while it was full.
    pub evicted: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Pool {
    pub name: String,
    pub size: u64,
    pub in_use: u64,
    pub available: u64,
}

/// Reads every counter of `dp`, whose workers count into `workers`.
pub fn gather(dp: &Dataplane<DpdkPort>, workers: &[Counters]) -> RuntimeCounters {
    RuntimeCounters {
        ports: dp.ports.iter().map(port).collect(),
        own: own(dp, workers),
    }
}

/// Reads what rvs counts itself (no driver call).
pub fn own(dp: &Dataplane<DpdkPort>, workers: &[Counters]) -> OwnCounters {
    let each: Vec<CountersSnapshot> = workers.iter().map(Counters::snapshot).collect();
    let total: CountersSnapshot = each.iter().sum();
    OwnCounters {
        workers: each.iter().zip(&dp.traffic).map(worker).collect(),
        drops: total
            .drops_by_reason()
            .filter(|&(_, n)| n > 0)
            .map(|(r, n)| (r.name(), n))
            .collect(),
        connections: Tables {
            ipv4: fill(&dp.conns.v4),
            ipv6: fill(&dp.conns.v6),
        },
        // rvsd gives every port the same pool.
        mbufs: dp.ports.first().map(|p| pool(p.pool)).unwrap_or_default(),
    }
}

fn port(p: &DpdkPort) -> PortCounters {
    PortCounters {
        name: p.eth.name().to_owned(),
        stats: p.eth.stats(),
        xstats: p.eth.xstats(),
    }
}

fn worker((c, traffic): (&CountersSnapshot, &Traffic)) -> WorkerCounters {
    WorkerCounters {
        rx_packets: c.rx_packets,
        rx_bytes: c.rx_bytes,
        tx_packets: c.tx_packets,
        tx_bytes: c.tx_bytes,
        busy_polls: c.busy_polls,
        idle_polls: c.idle_polls,
        pauses: c.pauses,
        connections_created: traffic.conns_made(),
    }
}

fn fill<A: Packed>(t: &ConnTable<A>) -> TableFill {
    let partitions: Vec<Partition> = t
        .partitions()
        .map(|p| Partition {
            used: p.used as u64,
            capacity: p.capacity as u64,
            evicted: p.evicted,
        })
        .collect();
    TableFill {
        used: partitions.iter().map(|p| p.used).sum(),
        capacity: t.capacity() as u64,
        partitions,
    }
}

fn pool(p: Mempool) -> Pool {
    Pool {
        name: p.name(),
        size: p.size().into(),
        in_use: p.in_use().into(),
        available: p.available().into(),
    }
}

/// `[(name, n)]` as `{"name": n}`.
fn as_map<S: Serializer>(pairs: &[(&'static str, u64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().copied())
}
