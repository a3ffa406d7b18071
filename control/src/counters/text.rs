//! [`RuntimeCounters`] as `rvsadm --counters` prints it: a heading per port, worker and
//! table, indented figures under it; extended port counters and drop reasons only where
//! non-zero.

use super::{RuntimeCounters, TableFill, WorkerCounters};
use std::fmt::{self, Display, Formatter};

impl Display for RuntimeCounters {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for p in &self.ports {
            let s = &p.stats;
            writeln!(f, "Port {}", p.name)?;
            writeln!(
                f,
                "  rx {} packets {} bytes, tx {} packets {} bytes",
                s.ipackets, s.ibytes, s.opackets, s.obytes
            )?;
            writeln!(
                f,
                "  missed {}, rx errors {}, tx errors {}, no mbuf {}",
                s.imissed, s.ierrors, s.oerrors, s.rx_nombuf
            )?;
            for x in p.xstats.iter().filter(|x| x.value != 0) {
                writeln!(f, "  {} {}", x.name, x.value)?;
            }
        }
        let own = &self.own;
        for (i, w) in own.workers.iter().enumerate() {
            writeln!(f, "Worker {i}")?;
            write_worker(f, w)?;
        }
        writeln!(f, "Drops")?;
        for (reason, n) in &own.drops {
            writeln!(f, "  {reason} {n}")?;
        }
        writeln!(f, "Connections")?;
        write_table(f, "ipv4", &own.connections.ipv4)?;
        write_table(f, "ipv6", &own.connections.ipv6)?;
        let m = &own.mbufs;
        writeln!(f, "Mbufs")?;
        writeln!(
            f,
            "  {} {} in use, {} available of {}",
            m.name, m.in_use, m.available, m.size
        )
    }
}

fn write_worker(f: &mut Formatter<'_>, w: &WorkerCounters) -> fmt::Result {
    writeln!(
        f,
        "  rx {} packets {} bytes, tx {} packets {} bytes",
        w.rx_packets, w.rx_bytes, w.tx_packets, w.tx_bytes
    )?;
    let polls = w.busy_polls + w.idle_polls;
    let busy = match polls {
        0 => 0.0,
        n => w.busy_polls as f64 * 100.0 / n as f64,
    };
    writeln!(
        f,
        "  polls {} busy, {} idle ({busy:.1}% busy), {} pauses",
        w.busy_polls, w.idle_polls, w.pauses
    )?;
    writeln!(f, "  connections created {}", w.connections_created)
}

/// `ipv4 2 of 4096 (worker 0: 2 of 2048, worker 1: 0 of 2048)`; a partition that had to
/// evict adds `, N evicted`.
fn write_table(f: &mut Formatter<'_>, family: &str, t: &TableFill) -> fmt::Result {
    let parts: Vec<String> = t
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| match p.evicted {
            0 => format!("worker {i}: {} of {}", p.used, p.capacity),
            n => format!("worker {i}: {} of {}, {n} evicted", p.used, p.capacity),
        })
        .collect();
    writeln!(
        f,
        "  {family} {} of {} ({})",
        t.used,
        t.capacity,
        parts.join(", ")
    )
}

#[cfg(test)]
mod test {
    use super::super::{OwnCounters, Partition, Pool, PortCounters, Tables};
    use super::*;
    use dataplane::dpdk::{PortStats, XStat};

    fn table(parts: &[(u64, u64)]) -> TableFill {
        TableFill {
            used: parts.iter().map(|p| p.0).sum(),
            capacity: parts.iter().map(|p| p.1).sum(),
            partitions: parts
                .iter()
                .map(|&(used, capacity)| Partition {
                    used,
                    capacity,
                    evicted: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn prints_every_section_and_only_nonzero_details() {
        let xstat = |name: &str, value| XStat {
            name: name.into(),
            value,
        };
        let c = RuntimeCounters {
            ports: vec![PortCounters {
                name: "net_pcap0".into(),
                stats: PortStats {
                    ipackets: 4,
                    ibytes: 336,
                    opackets: 3,
                    obytes: 222,
                    imissed: 1,
                    ..PortStats::default()
                },
                xstats: vec![xstat("rx_good_packets", 4), xstat("rx_errors", 0)],
            }],
            own: OwnCounters {
                workers: vec![WorkerCounters {
                    rx_packets: 4,
                    rx_bytes: 336,
                    tx_packets: 3,
                    tx_bytes: 222,
                    busy_polls: 1,
                    idle_polls: 3,
                    pauses: 2,
                    connections_created: 2,
                }],
                drops: vec![("no_service", 1)],
                connections: Tables {
                    ipv4: table(&[(2, 2048), (0, 2048)]),
                    ipv6: table(&[(0, 512), (0, 512)]),
                },
                mbufs: Pool {
                    name: "rvs_mbufs".into(),
                    size: 2047,
                    in_use: 130,
                    available: 1917,
                },
            },
        };
        assert_eq!(
            c.to_string(),
            "Port net_pcap0\n\
             \x20 rx 4 packets 336 bytes, tx 3 packets 222 bytes\n\
             \x20 missed 1, rx errors 0, tx errors 0, no mbuf 0\n\
             \x20 rx_good_packets 4\n\
             Worker 0\n\
             \x20 rx 4 packets 336 bytes, tx 3 packets 222 bytes\n\
             \x20 polls 1 busy, 3 idle (25.0% busy), 2 pauses\n\
             \x20 connections created 2\n\
             Drops\n\
             \x20 no_service 1\n\
             Connections\n\
             \x20 ipv4 2 of 4096 (worker 0: 2 of 2048, worker 1: 0 of 2048)\n\
             \x20 ipv6 0 of 1024 (worker 0: 0 of 512, worker 1: 0 of 512)\n\
             Mbufs\n\
             \x20 rvs_mbufs 130 in use, 1917 available of 2047\n"
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["ports"][0]["ipackets"], 4);
        assert_eq!(json["ports"][0]["xstats"][0]["name"], "rx_good_packets");
        assert_eq!(json["workers"][0]["busy_polls"], 1);
        assert_eq!(json["workers"][0]["pauses"], 2);
        assert_eq!(json["workers"][0]["connections_created"], 2);
        assert_eq!(json["drops"]["no_service"], 1);
        assert_eq!(json["connections"]["ipv4"]["partitions"][0]["used"], 2);
        assert_eq!(json["mbufs"]["in_use"], 130);
    }
}
