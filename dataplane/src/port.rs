//! What the worker loop needs from a port, so that the same loop runs over
//! DPDK ports in the product and over in-memory ports in unit tests.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Most frames one RX or TX burst moves.
pub const BURST: usize = 32;

/// One packet buffer.
pub trait Frame: Send {
    fn data(&self) -> &[u8];
    fn data_mut(&mut self) -> &mut [u8];
    /// Cuts the frame to `len` bytes.
    fn truncate(&mut self, len: usize);
    /// Grows the frame at its front by `len` bytes of unspecified content
    /// (for encapsulation and ICMP errors); false, and the frame unchanged,
    /// when there is no headroom.
    fn prepend(&mut self, len: usize) -> bool;
    /// Removes `len` bytes from the frame's front (a VLAN tag taken off); false, and the
    /// frame unchanged, when it is shorter.
    fn adj(&mut self, len: usize) -> bool;
    /// Grows the frame at its end to at least `len` bytes (the new bytes are
    /// unspecified); false, and the frame unchanged, when there is no room.
    fn extend_to(&mut self, len: usize) -> bool;
}

/// One port as a worker sees it: its own RX/TX queue pair and a pool to
/// allocate frames it originates (ARP requests).
pub trait PortIo: Sync {
    type Frame: Frame;
    /// Fills `out` from the front; returns how many frames arrived.
    fn rx_burst(&self, queue: u16, out: &mut [Option<Self::Frame>]) -> usize;
    /// Takes the frames out of `frames` and sends them; those the port
    /// refused are freed. Returns how many were sent.
    fn tx_burst(&self, queue: u16, frames: &mut [Option<Self::Frame>]) -> usize;
    /// A new frame of `len` bytes (contents unspecified), if buffers remain.
    fn alloc(&self, len: usize) -> Option<Self::Frame>;
    fn mac(&self) -> [u8; 6];
    /// False while the link is down: memif must not be polled then.
    fn link_up(&self) -> bool {
        true
    }
}

impl Frame for Vec<u8> {
    fn data(&self) -> &[u8] {
        self
    }
    fn data_mut(&mut self) -> &mut [u8] {
        self
    }
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len)
    }
    fn prepend(&mut self, len: usize) -> bool {
        self.splice(0..0, std::iter::repeat_n(0, len));
        true
    }
    fn adj(&mut self, len: usize) -> bool {
        let fits = len <= self.len();
        if fits {
            self.drain(..len);
        }
        fits
    }
    fn extend_to(&mut self, len: usize) -> bool {
        if self.len() < len {
            self.resize(len, 0);
        }
        true
    }
}

/// An in-memory port for unit tests: frames pushed to `rx` come out of
/// `rx_burst`; frames sent are collected in `tx`; `tx_room` limits how many
/// a burst accepts (to test a full TX ring).
pub struct MemPort {
    pub mac: [u8; 6],
    pub rx: Mutex<VecDeque<Vec<u8>>>,
    pub tx: Mutex<Vec<Vec<u8>>>,
    pub tx_room: usize,
}

impl MemPort {
    pub fn new(mac: [u8; 6]) -> MemPort {
        MemPort {
            mac,
            rx: Mutex::new(VecDeque::new()),
            tx: Mutex::new(Vec::new()),
            tx_room: usize::MAX,
        }
    }

    pub fn push_rx(&self, frame: &[u8]) {
        self.rx.lock().unwrap().push_back(frame.to_vec());
    }

    pub fn take_tx(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.tx.lock().unwrap())
    }
}

impl PortIo for MemPort {
    type Frame = Vec<u8>;

    fn rx_burst(&self, _queue: u16, out: &mut [Option<Vec<u8>>]) -> usize {
        let mut rx = self.rx.lock().unwrap();
        let mut n = 0;
        for slot in out.iter_mut() {
            let Some(f) = rx.pop_front() else { break };
            *slot = Some(f);
            n += 1;
        }
        n
    }

    fn tx_burst(&self, _queue: u16, frames: &mut [Option<Vec<u8>>]) -> usize {
        let mut tx = self.tx.lock().unwrap();
        let mut sent = 0;
        for f in frames.iter_mut().filter_map(Option::take) {
            if sent < self.tx_room {
                tx.push(f);
                sent += 1;
            }
        }
        sent
    }

    fn alloc(&self, len: usize) -> Option<Vec<u8>> {
        Some(vec![0; len])
    }

    fn mac(&self) -> [u8; 6] {
        self.mac
    }
}
