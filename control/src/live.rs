//! What listings read from a running data plane ([`Live`]): the numbers `-Ln` prints next
//! to each real server and the entries `-Lnc` lists. Reading never writes what a worker
//! writes: the counters are loads, the connection entries seqlock reads
//! (`ConnTable::for_each_live`).

use crate::ipvsadm::command::Protocol;
use crate::ipvsadm::live::ConnEntry;
use crate::ipvsadm::live::Counters;
use crate::ipvsadm::LiveCounters;
use crate::service_stats::Stats;
use dataplane::conn::ConnView;
use dataplane::flow::Addr;
use dataplane::port::PortIo;
use dataplane::service::{Snapshot, FWMARK_PROTO};
use dataplane::shared::Dataplane;

/// What listings show live from the data plane `dp`: per real server its connection and
/// template counts, the (IPv4) table's capacity, and every connection entry; `--stats` and
/// `--rate` from `stats`.
pub struct Live<'a, P: PortIo> {
    pub dp: &'a Dataplane<P>,
    pub stats: &'a Stats,
}

impl<P: PortIo> LiveCounters for Live<'_, P> {
    fn conns(&self, slot: u32) -> (u32, u32) {
        self.dp.conns.dests().counts(slot)
    }
    fn table_size(&self) -> u32 {
        self.dp.conns.v4.capacity() as u32
    }
    fn dest_stats(&self, slot: u32) -> Counters {
        Counters(self.stats.dest_counters(slot))
    }
    fn dest_rates(&self, slot: u32) -> Counters {
        Counters(self.stats.dest_rates(slot))
    }
    fn service_stats(&self, id: u64) -> Counters {
        Counters(self.stats.service_counters(id))
    }
    fn service_rates(&self, id: u64) -> Counters {
        Counters(self.stats.service_rates(id))
    }
    fn persistent_conns(&self, slot: u32) -> u32 {
        self.dp.conns.dests().templates(slot)
    }
    /// Both families' tables, IPv4 first, each in entry order.
    fn for_each_connection(&self, f: &mut dyn FnMut(&ConnEntry)) {
        let now = self.dp.now_ms();
        let snap = self.dp.services.load();
        self.dp
            .conns
            .v4
            .for_each_live(now, |v| conn_entry(v, &snap).iter().for_each(&mut *f));
        self.dp
            .conns
            .v6
            .for_each_live(now, |v| conn_entry(v, &snap).iter().for_each(&mut *f));
    }
}

/// A live connection as `-L -c` lists it: TCP, UDP, or a fwmark service's template (`IP`).
fn conn_entry<A: Addr>(v: &ConnView<A>, snap: &Snapshot) -> Option<ConnEntry> {
    let c = &v.conn;
    let protocol = match c.proto {
        6 => Some(Protocol::Tcp),
        17 => Some(Protocol::Udp),
        FWMARK_PROTO => None,
        _ => return None,
    };
    Some(ConnEntry {
        protocol,
        expires: v.expires_ms / 1000,
        state: v.state_name,
        client: (c.caddr.into(), c.cport),
        virtual_service: (c.vaddr.into(), c.vport),
        dest: (c.server_addr(snap.dest(c.dest)), c.dport),
        pe: v
            .pe_data
            .as_ref()
            .map(|(e, data)| (e.name(), String::from_utf8_lossy(data).into_owned())),
    })
}
