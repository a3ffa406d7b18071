//! Micro-benchmarks of the first steps of a packet's way: classification of a minimum-size TCP
//! frame and an ARP request, and the NAT destination rewrite.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dataplane::classify::classify_on;
use dataplane::fwd::dnat;
use dataplane::l2::PortL2;

/// Ethernet + S0 of ipvs-forwarding §7.0 (TCP SYN with MSS), zero-padded to 64 bytes.
const TCP_FRAME: [u8; 64] = {
    let head: [u8; 58] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x08,
        0x00, // eth
        0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb8, 0x46, 0xcb, 0x00, 0x71,
        0x0a, 0xc6, 0x33, 0x64, 0x01, // ipv4
        0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa,
        0xf0, 0x96, 0x7d, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, // tcp
    ];
    let mut f = [0u8; 64];
    let mut i = 0;
    while i < head.len() {
        f[i] = head[i];
        i += 1;
    }
    f
};

/// Broadcast "who has 10.0.0.1? tell 10.0.0.11", zero-padded to 60 bytes.
const ARP_FRAME: [u8; 60] = {
    let head: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x11, 0x08,
        0x06, // eth
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x11, 0x0a,
        0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, // arp
    ];
    let mut f = [0u8; 60];
    let mut i = 0;
    while i < head.len() {
        f[i] = head[i];
        i += 1;
    }
    f
};

/// As the worker classifies: on the port the TCP frame is addressed to (untagged, not
/// promiscuous), its destination MAC and VLAN checked.
fn bench_classify(c: &mut Criterion) {
    let port = PortL2::new([0x02, 0, 0, 0, 0, 0x01]);
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("tcp_syn_64B", |b| {
        b.iter(|| classify_on(black_box(&TCP_FRAME), &port))
    });
    g.bench_function("arp_request_60B", |b| {
        b.iter(|| classify_on(black_box(&ARP_FRAME), &port))
    });
    g.finish();
}

fn bench_dnat(c: &mut Criterion) {
    let r1 = Ipv4Addr::new(10, 0, 0, 11);
    let mut g = c.benchmark_group("nat");
    g.throughput(Throughput::Elements(1));
    g.bench_function("dnat_tcp_64B", |b| {
        b.iter_batched_ref(
            || TCP_FRAME,
            |f| dnat(black_box(&mut f[14..]), black_box(r1), black_box(8080)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_classify, bench_dnat);
criterion_main!(benches);
