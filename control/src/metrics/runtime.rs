//! rvs's own series (`rvs_*`): what `rvsadm --counters` shows ([`RuntimeCounters`]) per
//! port, worker, drop reason, connection-table partition and buffer pool.

use super::family::Family;
use crate::counters::{OwnCounters, PortCounters, RuntimeCounters, WorkerCounters};
use dataplane::dpdk::PortStats;
use dataplane::stats::DropReason;

/// A series per object: its name after the prefix, its help, and its value of the object.
type Series<T> = (&'static str, &'static str, fn(&T) -> u64);

/// DPDK's basic port counters (`rte_eth_stats`).
const PORT_STATS: [Series<PortStats>; 8] = [
    ("rx_packets_total", "Packets received (ipackets).", |s| {
        s.ipackets
    }),
    ("tx_packets_total", "Packets sent (opackets).", |s| {
        s.opackets
    }),
    ("rx_bytes_total", "Bytes received (ibytes).", |s| s.ibytes),
    ("tx_bytes_total", "Bytes sent (obytes).", |s| s.obytes),
    (
        "rx_missed_total",
        "Packets the NIC dropped for want of room in an RX queue (imissed).",
        |s| s.imissed,
    ),
    (
        "rx_errors_total",
        "Erroneous packets received (ierrors).",
        |s| s.ierrors,
    ),
    (
        "tx_errors_total",
        "Packets that failed to be sent (oerrors).",
        |s| s.oerrors,
    ),
    (
        "rx_nombuf_total",
        "Receive buffer allocation failures (rx_nombuf).",
        |s| s.rx_nombuf,
    ),
];

const WORKER_COUNTERS: [Series<WorkerCounters>; 8] = [
    ("rx_packets_total", "Frames the worker received.", |w| {
        w.rx_packets
    }),
    ("rx_bytes_total", "Bytes the worker received.", |w| {
        w.rx_bytes
    }),
    ("tx_packets_total", "Frames the worker sent.", |w| {
        w.tx_packets
    }),
    ("tx_bytes_total", "Bytes the worker sent.", |w| w.tx_bytes),
    (
        "busy_polls_total",
        "Polls of a port that received frames; the worker's load is busy / (busy + idle).",
        |w| w.busy_polls,
    ),
    (
        "idle_polls_total",
        "Polls of a port that received nothing.",
        |w| w.idle_polls,
    ),
    (
        "pauses_total",
        "Pauses of the worker when idle (idle_backoff).",
        |w| w.pauses,
    ),
    (
        "connections_created_total",
        "Connections the worker made; the workers' sum is every connection made.",
        |w| w.connections_created,
    ),
];

pub fn families(c: &RuntimeCounters) -> Vec<Family> {
    let ports: Vec<(&str, &PortStats)> = c
        .ports
        .iter()
        .map(|p| (p.name.as_str(), &p.stats))
        .collect();
    let names: Vec<String> = (0..c.own.workers.len()).map(|i| i.to_string()).collect();
    let workers: Vec<(&str, &WorkerCounters)> = names
        .iter()
        .map(String::as_str)
        .zip(&c.own.workers)
        .collect();
    let mut out = per_object("rvs_port_", &PORT_STATS, "port", &ports);
    out.push(xstats(&c.ports));
    out.extend(per_object(
        "rvs_worker_",
        &WORKER_COUNTERS,
        "worker",
        &workers,
    ));
    out.push(drops(&c.own));
    out.extend(tables(&c.own));
    out.extend(mbufs(&c.own));
    out
}

/// One counter family per series, a sample per object labelled `label`.
fn per_object<T>(
    prefix: &str,
    series: &[Series<T>],
    label: &str,
    objects: &[(&str, &T)],
) -> Vec<Family> {
    series
        .iter()
        .map(|&(name, help, value)| {
            let mut f = Family::counter(&format!("{prefix}{name}"), help);
            for &(id, o) in objects {
                f.sample(&[(label, id)], value(o));
            }
            f
        })
        .collect()
}

fn xstats(ports: &[PortCounters]) -> Family {
    let mut f = Family::counter(
        "rvs_port_xstats_total",
        "The driver's extended counters (rte_eth_xstats), by name.",
    );
    for p in ports {
        for x in &p.xstats {
            f.sample(&[("port", &p.name), ("xstat", &x.name)], x.value);
        }
    }
    f
}

/// Every reason, those that dropped nothing yet at 0, so that each series exists from the
/// start (`RuntimeCounters` keeps the non-zero ones).
fn drops(own: &OwnCounters) -> Family {
    let mut f = Family::counter("rvs_drops_total", "Frames dropped, by reason.");
    for reason in DropReason::ALL {
        let name = reason.name();
        let n = own
            .drops
            .iter()
            .find(|(r, _)| *r == name)
            .map_or(0, |&(_, n)| n);
        f.sample(&[("reason", name)], n);
    }
    f
}

fn tables(own: &OwnCounters) -> [Family; 4] {
    let mut capacity = Family::gauge(
        "rvs_conn_table_capacity",
        "Entries of the connection table (connections and persistence templates).",
    );
    let mut used = Family::gauge(
        "rvs_conn_table_used",
        "Entries in use in a worker's partition of the connection table.",
    );
    let mut part = Family::gauge(
        "rvs_conn_table_partition_capacity",
        "Entries of a worker's partition: a full one refuses that worker's new connections (table_full).",
    );
    let mut evicted = Family::counter(
        "rvs_conn_table_evicted_total",
        "Entries not established (SYN_RECV, closing, UDP) evicted from a full partition to make room for new connections.",
    );
    let t = &own.connections;
    for (family, fill) in [("ipv4", &t.ipv4), ("ipv6", &t.ipv6)] {
        capacity.sample(&[("family", family)], fill.capacity);
        for (worker, p) in fill.partitions.iter().enumerate() {
            let labels = [("family", family), ("worker", &worker.to_string())];
            used.sample(&labels, p.used);
            part.sample(&labels, p.capacity);
            evicted.sample(&labels, p.evicted);
        }
    }
    [capacity, used, part, evicted]
}

fn mbufs(own: &OwnCounters) -> [Family; 3] {
    let m = &own.mbufs;
    let pool = [("pool", m.name.as_str())];
    let gauge = |name: &str, help: &str, n: u64| {
        let mut f = Family::gauge(name, help);
        f.sample(&pool, n);
        f
    };
    [
        gauge(
            "rvs_mbuf_pool_size",
            "Packet buffers in the pool every port shares.",
            m.size,
        ),
        gauge(
            "rvs_mbuf_pool_in_use",
            "Packet buffers in use: in queues, in flight or in a core's cache.",
            m.in_use,
        ),
        gauge(
            "rvs_mbuf_pool_available",
            "Packet buffers free in the pool.",
            m.available,
        ),
    ]
}
