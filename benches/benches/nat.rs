//! The packet path through `process()` for NAT, DR and TUN (ipip), the
//! connection table alone, and the new-connection path (schedule + insert).
//! Each figure is ns per packet (or per connection); compare them within
//! one run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dataplane::conn::{ConnTable, Timeouts};
use dataplane::ctx::Ctx;
use dataplane::dest::{DestParams, DestTable, Method, Tunnel};
use dataplane::flow::FlowKey;
use dataplane::port::MemPort;
use dataplane::process::process;
use dataplane::service::{Dest, Service, ServiceKey, Snapshot};
use dataplane::shared::{Dataplane, Mode, Net, Owners, Sizes};
use dataplane::stats::Counters;
use dataplane::verdict::Verdict;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const VIP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

/// UDP 203.0.113.10:`sport` → VIP:53, 64 bytes with a valid IP checksum.
fn udp_frame(sport: u16) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..12].copy_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xfe]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14..34].copy_from_slice(&[
        0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 203, 0, 113, 10, 198, 51, 100, 1,
    ]);
    fix_ip_checksum(&mut f);
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    f[38..40].copy_from_slice(&26u16.to_be_bytes());
    f
}

fn plane(conns: usize, method: Method) -> (Dataplane<MemPort>, Owners) {
    let (dp, mut owners) = Dataplane::new(
        vec![
            MemPort::new([2, 0, 0, 0, 0, 1]),
            MemPort::new([2, 0, 0, 0, 0, 2]),
        ],
        Net::new(
            vec![
                vec![(Ipv4Addr::new(203, 0, 113, 1), 24)],
                vec![(Ipv4Addr::new(10, 0, 0, 1), 24)],
            ],
            &[],
        )
        .unwrap(),
        Mode::Balance,
        Sizes {
            workers: 1,
            conns,
            conns_v6: 1,
        },
    )
    .unwrap();
    dp.v4
        .add_static(0, Ipv4Addr::new(203, 0, 113, 10), [2, 0, 0, 0, 0, 0xfe])
        .unwrap();
    let dests: Vec<Dest> = (0..3)
        .map(|i| {
            let addr = Ipv4Addr::new(10, 0, 0, 11 + i);
            dp.v4
                .add_static(1, addr, [2, 0, 0, 0, 0, 0x11 + i])
                .unwrap();
            Dest {
                params: DestParams {
                    addr: addr.into(),
                    port: 53,
                    method,
                    tunnel: Tunnel::default(),
                },
                weight: 1,
                last_weight: 1,
                slot: u32::from(i),
            }
        })
        .collect();
    let key = ServiceKey {
        proto: 17,
        addr: VIP.into(),
        port: 53,
    };
    let rr = dataplane::sched::by_name("rr").unwrap();
    dp.services
        .publish(Snapshot::new(vec![Service::new(key, rr, dests, 1)], &[]));
    (dp, owners.pop().unwrap())
}

fn ctx(counters: &Counters, conns: Owners) -> Ctx<'_> {
    Ctx::new(0, counters, conns, 0)
}

/// Runs `process` over `frames` (restored before each pass: NAT rewrites in
/// place) `iters` times in all; returns the time spent in `process`.
fn run(dp: &Dataplane<MemPort>, c: &mut Ctx, frames: &[Vec<u8>], iters: u64) -> Duration {
    let snap = dp.services.load();
    c.cursors.refresh(&snap);
    let mut buf = frames.to_vec();
    let mut spent = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        for (b, f) in buf.iter_mut().zip(frames) {
            // TUN grows the frame at the front: restore the length too.
            b.clear();
            b.extend_from_slice(f);
        }
        let n = (iters - done).min(buf.len() as u64) as usize;
        let t = Instant::now();
        for b in &mut buf[..n] {
            let v = process(dp, c, &snap, 0, b);
            debug_assert!(matches!(v, Verdict::Tx { .. }), "{v:?}");
            black_box(v);
        }
        spent += t.elapsed();
        done += n as u64;
    }
    spent
}

fn bench_process(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("nat");
    g.throughput(Throughput::Elements(1));
    // 4096 established flows: the table's lines stay in cache, as for a
    // moderate number of hot flows.
    let frames: Vec<Vec<u8>> = (0..4096u16).map(|i| udp_frame(10_000 + i)).collect();
    for (name, method) in [
        ("process_established_udp", Method::Masq),
        ("dr_process_established_udp", Method::Route),
        ("tun_ipip_process_established_udp", Method::Tunnel),
    ] {
        let (dp, owner) = plane(1 << 16, method);
        let counters = Counters::new();
        let mut c = ctx(&counters, owner);
        run(&dp, &mut c, &frames, frames.len() as u64);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| run(&dp, &mut c, &frames, iters))
        });
    }
    // Every packet a new flow: schedule, insert, rewrite. A fresh table
    // per sample, big enough that no insert fails.
    g.sample_size(10);
    g.bench_function("process_new_udp_conn", |b| {
        b.iter_custom(|iters| {
            let (dp, owner) = plane(
                (iters as usize).next_power_of_two().max(1 << 16),
                Method::Masq,
            );
            let counters = Counters::new();
            let mut c = ctx(&counters, owner);
            let frames: Vec<Vec<u8>> = (0..iters)
                .map(|i| {
                    let mut f = udp_frame(i as u16);
                    f[28] = (i >> 16) as u8; // vary the client address too
                    fix_ip_checksum(&mut f);
                    f
                })
                .collect();
            run(&dp, &mut c, &frames, iters)
        })
    });
    g.finish();
}

fn fix_ip_checksum(f: &mut [u8]) {
    f[24..26].fill(0);
    let sum = f[14..34]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    let csum = !((sum & 0xffff) + (sum >> 16)) as u16;
    f[24..26].copy_from_slice(&csum.to_be_bytes());
}

fn bench_table(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("conn_table");
    g.throughput(Throughput::Elements(1));
    let (table, mut owners) = ConnTable::<Ipv4Addr>::new(
        1 << 20,
        1,
        Arc::new(DestTable::new(16)),
        Arc::new(Timeouts::default()),
    );
    let mut owner = owners.pop().unwrap();
    let n = 1u32 << 19;
    for i in 0..n {
        let conn = dataplane::conn::Conn {
            proto: 17,
            caddr: Ipv4Addr::from(0x0a00_0000 + (i >> 8)),
            cport: i as u16,
            vaddr: VIP,
            vport: 53,
            daddr: Ipv4Addr::new(10, 0, 0, 11),
            dport: 53,
            fwd: Method::Masq,
            dest: 0,
        };
        owner.insert(&conn, 0).unwrap();
    }
    let mut i = 0u32;
    g.bench_function("lookup_in_hit_512k_of_1M", |b| {
        b.iter(|| {
            i = (i.wrapping_mul(2_654_435_761)) % n;
            black_box(table.lookup_in(&FlowKey {
                proto: 17,
                saddr: Ipv4Addr::from(0x0a00_0000 + (i >> 8)),
                sport: i as u16,
                daddr: VIP,
                dport: 53,
            }))
        })
    });
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
