//! The packet path through `process()` for NAT, DR and TUN (ipip), the
//! connection table alone, and the new-connection path (schedule + insert).
//! Each figure is ns per packet (or per connection); compare them within
//! one run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dataplane::conn::{ConnTable, Timeouts};
use dataplane::dest::{DestTable, Method};
use dataplane::flow::FlowKey;
use dataplane::stats::Counters;
use dataplane::worker::Worker;
use rvs_benches::fixture::{ctx, established, frame, plane, run, run_worker, Traffic, VIP};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Arc;

fn bench_process(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("nat");
    g.throughput(Throughput::Elements(1));
    // 4096 established flows: the table's lines stay in cache, as for a
    // moderate number of hot flows.
    for (name, traffic, method) in [
        // UDP checksum 0, as testpmd sends it: computed in full.
        (
            "process_established_udp",
            Traffic::UdpNoChecksum,
            Method::Masq,
        ),
        ("process_established_udp_csum", Traffic::Udp, Method::Masq),
        ("process_established_tcp", Traffic::TcpAck, Method::Masq),
        (
            "dr_process_established_udp",
            Traffic::UdpNoChecksum,
            Method::Route,
        ),
        (
            "tun_ipip_process_established_udp",
            Traffic::UdpNoChecksum,
            Method::Tunnel,
        ),
    ] {
        let (dp, owner, frames) = established(traffic, method, 4096);
        let counters = Counters::new();
        let mut c = ctx(&counters, owner);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| run(&dp, &mut c, &frames, iters, false))
        });
    }
    // The worker's loop: bursts classified and looked up (prefetched) first. The in-memory
    // port's queues and frame copies are in the figure: compare it with itself.
    let (dp, owner, frames) = established(Traffic::UdpNoChecksum, Method::Masq, 4096);
    let counters = Counters::new();
    let mut worker = Worker::new(&dp, 0, &counters, owner);
    g.bench_function("worker_established_udp", |b| {
        b.iter_custom(|iters| run_worker(&mut worker, &dp, &frames, iters, false))
    });
    // Every packet a new flow: schedule, insert, rewrite. A fresh table
    // per sample, big enough that no insert fails.
    g.sample_size(10);
    for (name, traffic) in [
        ("process_new_udp_conn", Traffic::UdpNoChecksum),
        ("process_new_tcp_conn", Traffic::TcpSyn),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let size = (iters as usize).next_power_of_two().max(1 << 16);
                let (dp, owner) = plane(size, traffic.proto(), Method::Masq);
                let counters = Counters::new();
                let mut c = ctx(&counters, owner);
                let frames: Vec<Vec<u8>> = (0..iters).map(|i| frame(traffic, i as u32)).collect();
                run(&dp, &mut c, &frames, iters, false)
            })
        });
    }
    g.finish();
}

/// The key of connection `i` of the table benchmarks.
fn table_key(i: u32) -> FlowKey<Ipv4Addr> {
    FlowKey {
        proto: 17,
        saddr: Ipv4Addr::from(0x0a00_0000 + (i >> 8)),
        sport: i as u16,
        daddr: VIP,
        dport: 53,
    }
}

/// A table of `capacity` entries holding `n` connections ([`table_key`] 0 to n − 1).
fn filled_table(capacity: usize, n: u32) -> Arc<ConnTable<Ipv4Addr>> {
    let (table, mut owners) = ConnTable::<Ipv4Addr>::new(
        capacity,
        1,
        Arc::new(DestTable::new(16)),
        Arc::new(Timeouts::default()),
    );
    let mut owner = owners.pop().unwrap();
    for i in 0..n {
        let k = table_key(i);
        let conn = dataplane::conn::Conn {
            proto: k.proto,
            caddr: k.saddr,
            cport: k.sport,
            vaddr: k.daddr,
            vport: k.dport,
            daddr: Ipv4Addr::new(10, 0, 0, 11),
            dport: 53,
            fwd: Method::Masq,
            dest: 0,
        };
        owner.insert(&conn, 0).unwrap();
    }
    table
}

/// Lookups as the worker makes them: a burst of 32 random keys of the `n` in the table
/// prefetched first, then looked up. Per lookup, from 1 K to 16 M entries: with the burst
/// prefetch the cost should stay flat while the table outgrows the caches.
fn bench_table(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("conn_table");
    g.throughput(Throughput::Elements(32));
    g.sample_size(20);
    for (name, n) in [
        ("burst_lookup_1k", 1u32 << 10),
        ("burst_lookup_64k", 1 << 16),
        ("burst_lookup_1m", 1 << 20),
        ("burst_lookup_16m", 1 << 24),
    ] {
        let table = filled_table(n as usize, n);
        let mut i = 0u32;
        g.bench_function(name, |b| {
            b.iter(|| {
                let keys: [FlowKey<Ipv4Addr>; 32] = std::array::from_fn(|_| {
                    i = i.wrapping_mul(2_654_435_761).wrapping_add(1);
                    table_key(i % n)
                });
                let hashes = keys.each_ref().map(|k| table.hash(k));
                for &h in &hashes {
                    table.prefetch_in(h);
                }
                for (k, &h) in keys.iter().zip(&hashes) {
                    black_box(table.lookup_in_hashed(k, h));
                }
            })
        });
        drop(table);
    }
    let table = filled_table(1 << 20, 1 << 19);
    let mut i = 0u32;
    g.throughput(Throughput::Elements(1));
    g.bench_function("lookup_in_miss", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(table.lookup_in(&FlowKey {
                proto: 17,
                saddr: Ipv4Addr::new(192, 0, 2, 1),
                sport: i as u16,
                daddr: VIP,
                dport: 53,
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_process, bench_table);
criterion_main!(benches);
