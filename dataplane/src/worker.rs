//! The worker loop, and nothing else: receive a burst on every port, let
//! [`process`](crate::process::process) decide each frame's fate, transmit
//! grouped by port. Run-to-completion: no locks, no allocation, no syscalls
//! once the loop runs.

use crate::port::{Frame, PortIo, BURST};
use crate::process::{process, Verdict};
use crate::shared::Dataplane;
use crate::stats::Counters;
use crate::txbuf::TxBuffers;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Loop iterations between link checks (reading link state is a driver
/// call; memif must not be polled while its peer is gone).
const LINK_CHECK_EVERY: u32 = 4096;

/// Runs until `halt` is set, using queue `queue` of every port.
pub fn run<P: PortIo>(dp: &Dataplane<P>, queue: u16, counters: &Counters, halt: &AtomicBool) {
    log::info!("worker on queue {queue} started");
    let mut tx = TxBuffers::new(dp.ports.len());
    let mut burst: [Option<P::Frame>; BURST] = std::array::from_fn(|_| None);
    let mut up: Vec<bool> = dp.ports.iter().map(PortIo::link_up).collect();
    let mut iter = 0u32;
    while !halt.load(Relaxed) {
        for (in_port, port) in dp.ports.iter().enumerate() {
            if up[in_port] {
                let n = port.rx_burst(queue, &mut burst);
                handle_burst(dp, in_port, queue, &mut burst[..n], &mut tx, counters);
            }
        }
        tx.flush(&dp.ports, queue, counters);
        iter = iter.wrapping_add(1);
        if iter % LINK_CHECK_EVERY == 0 {
            up.iter_mut()
                .zip(&dp.ports)
                .for_each(|(u, p)| *u = p.link_up());
        }
    }
    tx.flush(&dp.ports, queue, counters);
    log::info!("worker on queue {queue} stopped");
}

fn handle_burst<P: PortIo>(
    dp: &Dataplane<P>,
    in_port: usize,
    queue: u16,
    burst: &mut [Option<P::Frame>],
    tx: &mut TxBuffers<P::Frame>,
    counters: &Counters,
) {
    let bytes: usize = burst.iter().flatten().map(|f| f.data().len()).sum();
    counters.add_rx(burst.len() as u64, bytes as u64);
    for slot in burst {
        let Some(mut frame) = slot.take() else {
            continue;
        };
        match process(dp, in_port, frame.data_mut(), counters) {
            Verdict::Tx { port, len } => {
                frame.truncate(len);
                tx.push(&dp.ports, port, queue, frame, counters);
            }
            // Dropping the frame frees it.
            Verdict::Drop(reason) => counters.add_drop(reason),
        }
    }
}
