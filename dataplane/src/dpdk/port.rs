//! [`PortIo`] over a DPDK port and the pool its frames come from.

use super::{EthPort, LinkStatus, Mbuf, Mempool};
use crate::port::{Frame, PortIo};

impl Frame for Mbuf {
    fn data(&self) -> &[u8] {
        Mbuf::data(self)
    }
    fn data_mut(&mut self) -> &mut [u8] {
        Mbuf::data_mut(self)
    }
    fn truncate(&mut self, len: usize) {
        Mbuf::truncate(self, len)
    }
    fn prepend(&mut self, len: usize) -> bool {
        u16::try_from(len).is_ok_and(|len| Mbuf::prepend(self, len))
    }
    fn adj(&mut self, len: usize) -> bool {
        u16::try_from(len).is_ok_and(|len| Mbuf::adj(self, len))
    }
    fn extend_to(&mut self, len: usize) -> bool {
        let short = len.saturating_sub(self.data().len());
        short == 0 || u16::try_from(short).is_ok_and(|n| self.append(n).is_some())
    }
}

pub struct DpdkPort {
    pub eth: EthPort,
    pub pool: Mempool,
}

impl PortIo for DpdkPort {
    type Frame = Mbuf;

    fn rx_burst(&self, queue: u16, out: &mut [Option<Mbuf>]) -> usize {
        self.eth.rx_burst(queue, out)
    }

    fn tx_burst(&self, queue: u16, frames: &mut [Option<Mbuf>]) -> usize {
        self.eth.tx_burst(queue, frames)
    }

    fn alloc(&self, len: usize) -> Option<Mbuf> {
        let mut m = self.pool.alloc()?;
        m.append(u16::try_from(len).ok()?)?;
        Some(m)
    }

    fn mac(&self) -> [u8; 6] {
        self.eth.mac()
    }

    fn link_up(&self) -> bool {
        self.eth.link() == LinkStatus::Up
    }
}
