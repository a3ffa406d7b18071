//! Runs PACKETS packets of one scenario through `process()` (the fixture of the criterion
//! benchmarks) and nothing else worth counting, so that a counting tool run twice with
//! different PACKETS gives the cost of one packet by difference: `scripts/per_packet.sh`
//! runs it under cachegrind (instructions, L1 and last-level misses; this machine's VM has
//! no hardware counters for `perf stat`).
//!
//! usage: per-packet SCENARIO PACKETS [--restore-only] [--worker]
//!   SCENARIO: nat-udp0 nat-udp nat-tcp dr-udp0 tun-udp0 new-udp new-tcp
//!   --restore-only: the same loop without `process()`, the harness's own share.
//!   --worker: through the worker's loop (bursts of 32 on in-memory ports: classify and
//!             look up the burst, then process it), not `process()` frame by frame.

use dataplane::dest::Method;
use dataplane::stats::Counters;
use dataplane::worker::Worker;
use rvs_benches::fixture::{ctx, established, frame, plane, run, run_worker, Traffic};
use std::process::ExitCode;

/// Established scenarios cycle over this many flows (the criterion benchmarks' 4096).
const FLOWS: u32 = 4096;

fn scenario(name: &str) -> Option<(Traffic, Method, bool)> {
    Some(match name {
        "nat-udp0" => (Traffic::UdpNoChecksum, Method::Masq, false),
        "nat-udp" => (Traffic::Udp, Method::Masq, false),
        "nat-tcp" => (Traffic::TcpAck, Method::Masq, false),
        "dr-udp0" => (Traffic::UdpNoChecksum, Method::Route, false),
        "tun-udp0" => (Traffic::UdpNoChecksum, Method::Tunnel, false),
        "new-udp" => (Traffic::UdpNoChecksum, Method::Masq, true),
        "new-tcp" => (Traffic::TcpSyn, Method::Masq, true),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let restore_only = args.iter().any(|a| a == "--restore-only");
    let through_worker = args.iter().any(|a| a == "--worker");
    let (Some(name), Some(Ok(packets))) = (args.first(), args.get(1).map(|n| n.parse::<u32>()))
    else {
        eprintln!("usage: per-packet SCENARIO PACKETS [--restore-only] [--worker]");
        return ExitCode::from(2);
    };
    let Some((traffic, method, new)) = scenario(name) else {
        eprintln!("per-packet: unknown scenario {name}");
        return ExitCode::from(2);
    };
    let counters = Counters::new();
    let (dp, owner, frames) = match new {
        // Every packet a new flow; the table is sized for the largest run.
        true => {
            let (dp, owner) = plane(1 << 22, traffic.proto(), method);
            let frames = (0..packets).map(|i| frame(traffic, i)).collect();
            (dp, owner, frames)
        }
        false => established(traffic, method, FLOWS),
    };
    let packets = u64::from(packets);
    if through_worker {
        let mut worker = Worker::new(&dp, 0, &counters, owner);
        run_worker(&mut worker, &dp, &frames, packets, restore_only);
    } else {
        let mut c = ctx(&counters, owner);
        run(&dp, &mut c, &frames, packets, restore_only);
    }
    ExitCode::SUCCESS
}
