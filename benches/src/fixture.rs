//! The data plane the packet-path benchmarks drive: two in-memory ports (clients on port
//! 0, real servers on port 1), one virtual service VIP:53 of the protocol asked for over
//! three real servers, and the 64-byte frames of its clients. Shared by the criterion
//! benchmarks (`benches/nat.rs`) and `per-packet` (instructions and cache misses per packet
//! under `perf stat`), so both measure the same thing.

use crate::gen::frame::{build, Fields, FrameSpec, Proto, MIN_FRAME};
use dataplane::ctx::Ctx;
use dataplane::dest::{DestParams, Method, Tunnel};
use dataplane::port::MemPort;
use dataplane::process::process;
use dataplane::service::{Dest, Service, ServiceKey, Snapshot};
use dataplane::shared::{Dataplane, Mode, Net, Owners, Sizes};
use dataplane::stats::Counters;
use dataplane::verdict::Verdict;
use dataplane::worker::Worker;
use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

pub const VIP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const CLIENT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
pub const UDP: u8 = 17;
pub const TCP: u8 = 6;

/// What the clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// UDP with checksum 0 (as testpmd sends it): NAT computes the checksum in full.
    UdpNoChecksum,
    /// UDP with its checksum: NAT updates it.
    Udp,
    /// TCP ACK segments with their checksum: NAT updates it.
    TcpAck,
    /// The SYN that opens a TCP flow (before its ACKs find it established).
    TcpSyn,
}

impl Traffic {
    pub fn proto(self) -> u8 {
        match self {
            Traffic::TcpAck | Traffic::TcpSyn => TCP,
            Traffic::Udp | Traffic::UdpNoChecksum => UDP,
        }
    }
}

/// A 64-byte frame (60 without the FCS, as a NIC hands it over) from client
/// `203.0.113.10 + (flow >> 16)`:`flow` to VIP:53, IP checksum valid, L4 as `traffic` says:
/// built by rvs-gen's frame builder, so the benchmarks and the harness send alike.
pub fn frame(traffic: Traffic, flow: u32) -> Vec<u8> {
    let spec = FrameSpec {
        proto: match traffic.proto() {
            TCP => Proto::Tcp,
            _ => Proto::Udp,
        },
        len: MIN_FRAME,
        src_mac: [2, 0, 0, 0, 0, 0xfe],
        dst_mac: [2, 0, 0, 0, 0, 1],
        src_net: CLIENT.into(),
        dst: SocketAddr::new(VIP.into(), 53),
        udp_csum0: traffic == Traffic::UdpNoChecksum,
    };
    let fields = Fields {
        src_low: u32::from(CLIENT) + (flow >> 16),
        src_port: flow as u16,
        seq: 1000,
        syn: traffic == Traffic::TcpSyn,
        stamp: 0,
    };
    build(&spec, &fields)
}

/// The data plane with room for `conns` connections and the service of protocol `proto`
/// whose real servers are forwarded by `method`, with this worker's share of the table.
pub fn plane(conns: usize, proto: u8, method: Method) -> (Dataplane<MemPort>, Owners) {
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
    dp.v4.add_static(0, CLIENT, [2, 0, 0, 0, 0, 0xfe]).unwrap();
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
        proto,
        addr: VIP.into(),
        port: 53,
    };
    let rr = dataplane::sched::by_name("rr").unwrap();
    dp.services
        .publish(Snapshot::new(vec![Service::new(key, rr, dests, 1)], &[]));
    (dp, owners.pop().unwrap())
}

/// `flows` established flows of `traffic` for `method`: the data plane, its context's table
/// share, and the frames (a TCP flow's SYN has been through already).
pub fn established(
    traffic: Traffic,
    method: Method,
    flows: u32,
) -> (Dataplane<MemPort>, Owners, Vec<Vec<u8>>) {
    let (dp, mut owner) = plane(1 << 16, traffic.proto(), method);
    let opening = match traffic {
        Traffic::TcpAck => Traffic::TcpSyn,
        t => t,
    };
    let counters = Counters::new();
    let first: Vec<Vec<u8>> = (0..flows).map(|i| frame(opening, 10_000 + i)).collect();
    let mut c = ctx(&counters, owner);
    run(&dp, &mut c, &first, u64::from(flows), false);
    owner = c.conns;
    let frames = (0..flows).map(|i| frame(traffic, 10_000 + i)).collect();
    (dp, owner, frames)
}

/// Worker 0's context with the table share `conns`.
pub fn ctx(counters: &Counters, conns: Owners) -> Ctx<'_> {
    Ctx::new(0, counters, conns, 0)
}

/// Runs `process` over `frames` (restored before each pass: the rewrite is in place, TUN
/// grows the frame) `iters` times in all; returns the time spent in `process`. With
/// `restore_only`, `process` is not called: what restoring costs on its own.
pub fn run(
    dp: &Dataplane<MemPort>,
    c: &mut Ctx,
    frames: &[Vec<u8>],
    iters: u64,
    restore_only: bool,
) -> Duration {
    let snap = dp.services.load();
    c.cursors.refresh(&snap);
    let mut buf = frames.to_vec();
    let mut spent = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        for (b, f) in buf.iter_mut().zip(frames) {
            b.clear();
            b.extend_from_slice(f);
        }
        let n = (iters - done).min(buf.len() as u64) as usize;
        let t = Instant::now();
        for b in &mut buf[..n] {
            if restore_only {
                black_box(&b);
                continue;
            }
            let v = process(dp, c, &snap, 0, b);
            debug_assert!(matches!(v, Verdict::Tx { .. }), "{v:?}");
            black_box(v);
        }
        spent += t.elapsed();
        done += n as u64;
    }
    spent
}

/// The worker's own path over `frames`, `iters` packets in all: bursts of 32 pushed into the
/// client port's receive queue, one [`Worker::poll`] each (classify and look up the burst,
/// process, transmit), what was sent taken off the server port. The in-memory port's queue
/// and the frames' copies cost their share; `restore_only` runs the queues alone (the frames
/// go straight from one to the other) to measure it. Returns the time spent.
pub fn run_worker(
    worker: &mut Worker<MemPort>,
    dp: &Dataplane<MemPort>,
    frames: &[Vec<u8>],
    iters: u64,
    restore_only: bool,
) -> Duration {
    let (clients, servers) = (&dp.ports[0], &dp.ports[1]);
    let t = Instant::now();
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(32) as usize;
        let start = (done % frames.len() as u64) as usize;
        for i in 0..n {
            clients.push_rx(&frames[(start + i) % frames.len()]);
        }
        if restore_only {
            let mut rx = clients.rx.lock().unwrap();
            servers.tx.lock().unwrap().extend(rx.drain(..));
        } else {
            worker.poll();
        }
        black_box(servers.take_tx());
        done += n as u64;
    }
    t.elapsed()
}
