//! `rvsadm -Lnc` over 100 000 connections: the control thread reads both connection tables
//! (seqlock reads, nothing a worker writes) and formats ipvsadm's lines. One figure: the
//! time of one whole listing (issue 13 asks for well under a second).

use control::ipvsadm::execute_with;
use control::ipvsadm::names::SystemNames;
use control::live::Live;
use control::model::Model;
use criterion::{criterion_group, criterion_main, Criterion};
use dataplane::conn::Conn;
use dataplane::dest::{DestParams, Method, Tunnel};
use dataplane::port::MemPort;
use dataplane::service::{Dest, Service, ServiceKey, Snapshot};
use dataplane::shared::{Dataplane, Mode, Net, Sizes};
use std::net::Ipv4Addr;

const CONNS: u32 = 100_000;
const VIP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

/// A data plane whose IPv4 table holds `CONNS` NAT connections to one of three servers.
fn plane() -> Dataplane<MemPort> {
    let (dp, mut owners) = Dataplane::new(
        vec![MemPort::new([2, 0, 0, 0, 0, 1])],
        Net::new(vec![vec![(Ipv4Addr::new(10, 0, 0, 1), 24)]], &[]).unwrap(),
        Mode::Balance,
        Sizes {
            workers: 1,
            conns: 1 << 17,
            conns_v6: 1,
        },
    )
    .unwrap();
    let servers: Vec<Dest> = (0..3u8)
        .map(|i| Dest {
            params: DestParams {
                addr: Ipv4Addr::new(10, 0, 0, 11 + i).into(),
                port: 8080,
                method: Method::Masq,
                tunnel: Tunnel::default(),
            },
            weight: 1,
            last_weight: 1,
            slot: u32::from(i),
        })
        .collect();
    let key = ServiceKey {
        proto: 6,
        addr: VIP.into(),
        port: 80,
    };
    let rr = dataplane::sched::by_name("rr").unwrap();
    let snap = Snapshot::new(vec![Service::new(key, rr, servers.clone(), 1)], &[]);
    dp.services.publish(snap);
    let owner = &mut owners.pop().unwrap().v4;
    for i in 0..CONNS {
        let d = &servers[(i % 3) as usize];
        let conn = Conn {
            proto: 6,
            caddr: Ipv4Addr::from(0x0a01_0000 + i),
            cport: 40000 + (i % 20000) as u16,
            vaddr: VIP,
            vport: 80,
            daddr: Ipv4Addr::new(10, 0, 0, 11 + (i % 3) as u8),
            dport: d.params.port,
            fwd: Method::Masq,
            dest: d.slot,
        };
        owner.insert(&conn, 0).unwrap();
    }
    dp
}

fn bench_listing(c: &mut Criterion) {
    let dp = plane();
    let stats = control::service_stats::Stats::default();
    let live = Live {
        dp: &dp,
        stats: &stats,
    };
    let mut model = Model::new(1 << 17);
    let args: Vec<String> = ["-L", "-n", "-c"].map(String::from).to_vec();
    let names = SystemNames::default();
    let out = execute_with(&names, "rvsadm", &args, &mut model, &live);
    assert_eq!(out.stdout.lines().count(), 2 + CONNS as usize);
    let mut g = c.benchmark_group("listing");
    g.sample_size(10);
    g.bench_function("lnc_100k_connections", |b| {
        b.iter(|| {
            execute_with(&names, "rvsadm", &args, &mut model, &live)
                .stdout
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_listing);
criterion_main!(benches);
