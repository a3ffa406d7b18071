//! The real worker loop over in-memory ports: frames in, frames out,
//! counters by reason.

use dataplane::port::MemPort;
use dataplane::shared::{Dataplane, Mode};
use dataplane::stats::{Counters, DropReason};
use dataplane::worker;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RVS0: [u8; 6] = [2, 0, 0, 0, 0, 1];
const RVS1: [u8; 6] = [2, 0, 0, 0, 0, 2];
const CLIENT: [u8; 6] = [2, 0, 0, 0, 0, 0xfe];

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn dataplane(mode: Mode) -> Arc<Dataplane<MemPort>> {
    let addrs = vec![
        vec![(Ipv4Addr::new(10, 0, 1, 1), 24)],
        vec![(Ipv4Addr::new(10, 0, 2, 1), 24)],
    ];
    Arc::new(
        Dataplane::new(
            vec![MemPort::new(RVS0), MemPort::new(RVS1)],
            addrs,
            &[],
            mode,
        )
        .unwrap(),
    )
}

/// Runs the worker until it has dealt with `frames` input frames (sent or
/// dropped) or 5 s passed.
fn run_until(dp: &Arc<Dataplane<MemPort>>, frames: u64) -> (Vec<Vec<Vec<u8>>>, Counters) {
    let counters = Arc::new(Counters::new());
    let halt = Arc::new(AtomicBool::new(false));
    let t = {
        let (dp, c, h) = (dp.clone(), counters.clone(), halt.clone());
        std::thread::spawn(move || worker::run(&dp, 0, &c, &h))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let done = |s: dataplane::stats::CountersSnapshot| s.tx_packets + s.total_drops() >= frames;
    while !done(counters.snapshot()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    halt.store(true, Ordering::Relaxed);
    t.join().unwrap();
    let out = dp.ports.iter().map(MemPort::take_tx).collect();
    (out, Arc::try_unwrap(counters).ok().unwrap())
}

#[test]
fn answers_arp_and_ping_for_own_addresses_and_counts_the_rest() {
    let dp = dataplane(Mode::Balance);
    let arp_req = hex(
        "ffffffffffff 0200000000fe 0806 0001 0800 06 04 0001 0200000000fe 0a000102 000000000000 0a000101",
    );
    // Frames made with scapy (see tests/py/local_frames.py for the recipe).
    let ping =
        hex("0200000000010200000000fe08004500001c000700003d0167d80a0001020a0001010800e5c212340009");
    dp.ports[0].push_rx(&arp_req);
    dp.ports[0].push_rx(&ping);
    dp.ports[0].push_rx(&hex("020000000001 0200000000fe 88b5 00"));
    dp.ports[0].push_rx(&hex("0200000000"));
    let (out, counters) = run_until(&dp, 4);

    // Replies keep the request's length: padding to 60 bytes is the NIC's job.
    let expected_arp = hex(
        "0200000000fe 020000000001 0806 0001 0800 06 04 0002 020000000001 0a000101 0200000000fe 0a000102",
    );
    let expected_ping =
        hex("0200000000fe02000000000108004500001c00070000400164d80a0001010a0001020000edc212340009");
    assert_eq!(out[0], vec![expected_arp, expected_ping]);
    assert!(out[1].is_empty());
    let s = counters.snapshot();
    assert_eq!((s.rx_packets, s.tx_packets), (4, 2));
    assert_eq!(s.drop_count(DropReason::UnknownEtherType), 1);
    assert_eq!(s.drop_count(DropReason::EthernetTruncated), 1);
    assert_eq!(s.total_drops(), 2);
    // The requester was learned from its ARP request.
    assert_eq!(dp.neigh.get(Ipv4Addr::new(10, 0, 1, 2)), Some(CLIENT));
}

#[test]
fn l2fwd_sends_out_of_the_paired_port_with_macs_swapped() {
    let dp = dataplane(Mode::L2Fwd);
    let f = hex("020000000001 0200000000fe 0800 45");
    dp.ports[1].push_rx(&f);
    let (out, _) = run_until(&dp, 1);
    assert_eq!(out[0], vec![hex("0200000000fe 020000000001 0800 45")]);
}

#[test]
fn a_full_tx_ring_frees_and_counts() {
    let mut ports = vec![MemPort::new(RVS0), MemPort::new(RVS1)];
    ports[0].tx_room = 0;
    let dp = Arc::new(Dataplane::new(ports, vec![vec![], vec![]], &[], Mode::L2Fwd).unwrap());
    dp.ports[1].push_rx(&hex("020000000001 0200000000fe 0800 45"));
    let (out, counters) = run_until(&dp, 1);
    assert!(out[0].is_empty());
    assert_eq!(counters.snapshot().drop_count(DropReason::TxFull), 1);
}
