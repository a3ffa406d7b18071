//! The control thread's state: the service model, the data plane it
//! configures and the workers' counters it sums.

use crate::admin::protocol::Reply;
use crate::config::Config;
use crate::ipvsadm::{self, LiveCounters};
use crate::model::Model;
use crate::publish::Publisher;
use crate::slots::DestSlots;
use dataplane::conn::ConnTable;
use dataplane::dpdk::DpdkPort;
use dataplane::shared::Dataplane;
use dataplane::stats::{Counters, CountersSnapshot};
use std::fmt::Write;
use std::sync::Arc;

/// The program name the daemon uses in ipvsadm messages ("Try `rvsadm -h'").
const ARGV0: &str = "rvsadm";

pub struct Control {
    model: Model,
    publisher: Publisher,
    dp: Arc<Dataplane<DpdkPort>>,
    counters: Arc<Vec<Counters>>,
}

/// What listings show live: the workers' connection counts per real
/// server, and the table's capacity.
struct Live {
    conns: Arc<ConnTable>,
}

impl LiveCounters for Live {
    fn conns(&self, slot: u32) -> (u32, u32) {
        self.conns.dests().counts(slot)
    }
    fn table_size(&self) -> u32 {
        self.conns.capacity() as u32
    }
}

impl Control {
    pub fn new(
        cfg: &Config,
        dp: Arc<Dataplane<DpdkPort>>,
        counters: Arc<Vec<Counters>>,
    ) -> Result<Control, String> {
        let slots = DestSlots::new(dp.conns.dests().clone());
        let mut control = Control {
            model: Model::with_slots(cfg.conn_table_size, Box::new(slots)),
            publisher: Publisher::default(),
            dp,
            counters,
        };
        control.load_services(&cfg.services)?;
        Ok(control)
    }

    /// Applies the configuration's services as one restore: all or nothing.
    fn load_services(&mut self, lines: &[String]) -> Result<(), String> {
        if lines.is_empty() {
            return Ok(());
        }
        let r = self.restore(lines);
        if r.code != 0 {
            return Err(format!(
                "services in the configuration: {}",
                r.stderr.trim_end()
            ));
        }
        Ok(())
    }

    fn live(&self) -> Live {
        Live {
            conns: self.dp.conns.clone(),
        }
    }

    /// Runs one ipvsadm command line.
    pub fn execute(&mut self, words: &[String]) -> Reply {
        let live = self.live();
        let out = ipvsadm::execute(ARGV0, words, &mut self.model, &live);
        self.commit(out)
    }

    /// Runs `-R` with its lines (atomic: all or nothing).
    pub fn restore(&mut self, lines: &[String]) -> Reply {
        let live = self.live();
        let out = ipvsadm::execute_restore(ARGV0, lines, &mut self.model, &live);
        self.commit(out)
    }

    /// Publishes what a successful change did to the model.
    fn commit(&mut self, out: ipvsadm::Outcome) -> Reply {
        if out.changed {
            let t = self.model.timeouts();
            self.dp.conns.timeouts().set(t.tcp, t.tcp_fin, t.udp);
            self.dp
                .services
                .publish(self.publisher.snapshot(self.model.state()));
        }
        Reply {
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        }
    }

    pub fn totals(&self) -> CountersSnapshot {
        self.counters.iter().map(Counters::snapshot).sum()
    }

    /// Per-port and per-reason counters, printed when rvsd stops.
    pub fn final_report(&self) -> String {
        let mut s = String::from("rvsd counters\n");
        for p in &self.dp.ports {
            let st = p.eth.stats();
            let _ = writeln!(
                s,
                "  port {}: rx {} pkts {} bytes, tx {} pkts {} bytes, missed {}, rx errors {}, tx errors {}, no mbuf {}",
                p.eth.name(), st.ipackets, st.ibytes, st.opackets, st.obytes, st.imissed, st.ierrors, st.oerrors, st.rx_nombuf
            );
        }
        s.push_str(&report_counters(&self.totals()));
        s
    }
}

/// One `name value` line per counter; drops only where non-zero, one line
/// per reason (`drop ipv4_bad_checksum 3`).
pub fn report_counters(c: &CountersSnapshot) -> String {
    let mut s = String::new();
    for (name, v) in [
        ("rx_packets", c.rx_packets),
        ("rx_bytes", c.rx_bytes),
        ("tx_packets", c.tx_packets),
        ("tx_bytes", c.tx_bytes),
        ("arp_replies", c.arp_replies),
        ("arp_learned", c.arp_learned),
        ("icmp_echo_replies", c.icmp_echo_replies),
    ] {
        let _ = writeln!(s, "  {name} {v}");
    }
    for (reason, n) in c.drops_by_reason().filter(|&(_, n)| n > 0) {
        let _ = writeln!(s, "  drop {} {n}", reason.name());
    }
    s
}
