//! Per-port transmit buffers of one worker: frames are grouped by output
//! port and sent a burst at a time.

use crate::port::{PortIo, BURST};
use crate::stats::{Counters, DropReason};

pub struct TxBuffers<F> {
    ports: Vec<([Option<F>; BURST], usize)>,
}

impl<F> TxBuffers<F> {
    pub fn new(ports: usize) -> Self {
        TxBuffers {
            ports: (0..ports)
                .map(|_| (std::array::from_fn(|_| None), 0))
                .collect(),
        }
    }
}

impl<F: crate::port::Frame> TxBuffers<F> {
    /// Queues `frame` for `port`, sending the port's buffer first when full.
    pub fn push<P: PortIo<Frame = F>>(
        &mut self,
        ports: &[P],
        port: usize,
        queue: u16,
        frame: F,
        counters: &Counters,
    ) {
        if self.ports[port].1 == BURST {
            self.flush_port(ports, port, queue, counters);
        }
        let (buf, len) = &mut self.ports[port];
        buf[*len] = Some(frame);
        *len += 1;
    }

    /// Sends everything queued; frames a port refuses are freed and counted.
    pub fn flush<P: PortIo<Frame = F>>(&mut self, ports: &[P], queue: u16, counters: &Counters) {
        for port in 0..self.ports.len() {
            self.flush_port(ports, port, queue, counters);
        }
    }

    fn flush_port<P: PortIo<Frame = F>>(
        &mut self,
        ports: &[P],
        port: usize,
        queue: u16,
        counters: &Counters,
    ) {
        let (buf, len) = &mut self.ports[port];
        if *len == 0 {
            return;
        }
        let mut lens = [0usize; BURST];
        for (l, f) in lens.iter_mut().zip(buf[..*len].iter().flatten()) {
            *l = f.data().len();
        }
        // A port sends a prefix of the burst and frees the rest.
        let sent = ports[port].tx_burst(queue, &mut buf[..*len]);
        if sent < *len {
            counters.add_drops(DropReason::TxFull, (*len - sent) as u64);
        }
        counters.add_tx(sent as u64, lens[..sent].iter().sum::<usize>() as u64);
        *len = 0;
    }
}
