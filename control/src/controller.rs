//! The control thread's state: the service model, the data plane it
//! configures, the workers' counters it sums and the telemetry commands it
//! keeps answering.

use crate::admin::protocol::Reply;
use crate::config::Config;
use crate::counters::{self, RuntimeCounters};
use crate::ipvsadm;
use crate::live::Live;
use crate::model::Model;
use crate::publish::Publisher;
use crate::slots::DestSlots;
use crate::telemetry::{self, Telemetry};
use dataplane::dest::Method;
use dataplane::dpdk::DpdkPort;
use dataplane::shared::Dataplane;
use dataplane::stats::{Counters, CountersSnapshot};
use std::collections::HashSet;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::Arc;

/// The program name the daemon uses in ipvsadm messages ("Try `rvsadm -h'").
const ARGV0: &str = "rvsadm";

pub struct Control {
    model: Model,
    publisher: Publisher,
    dp: Arc<Dataplane<DpdkPort>>,
    counters: Arc<Vec<Counters>>,
    /// DR real servers already warned about (once each).
    unreachable_dr: HashSet<IpAddr>,
    /// rvs's telemetry commands, answering while the control thread runs.
    _telemetry: Option<Telemetry>,
}

impl Control {
    pub fn new(
        cfg: &Config,
        dp: Arc<Dataplane<DpdkPort>>,
        counters: Arc<Vec<Counters>>,
    ) -> Result<Control, String> {
        let slots = DestSlots::new(dp.conns.dests().clone());
        let telemetry = cfg
            .telemetry()
            .then(|| telemetry::serve(dp.clone(), counters.clone()));
        let mut control = Control {
            model: Model::with_slots(cfg.conn_table_size, Box::new(slots)),
            publisher: Publisher::new(cfg.marks()?),
            dp,
            counters,
            unreachable_dr: HashSet::new(),
            _telemetry: telemetry.transpose()?,
        };
        control.load_services(&cfg.services)?;
        Ok(control)
    }

    /// Applies the configuration's services as one restore: all or nothing.
    fn load_services(&mut self, lines: &[String]) -> Result<(), String> {
        if lines.is_empty() {
            return Ok(());
        }
        let r = self.restore(None, lines);
        if r.code != 0 {
            return Err(format!(
                "services in the configuration: {}",
                r.stderr.trim_end()
            ));
        }
        Ok(())
    }

    /// Runs one ipvsadm command line.
    pub fn execute(&mut self, words: &[String]) -> Reply {
        let live = Live { dp: &self.dp };
        let out = ipvsadm::execute(ARGV0, words, &mut self.model, &live);
        self.commit(out)
    }

    /// Runs `-R` with its lines (atomic: all or nothing); its messages name `argv0`, the
    /// client's program name, or `rvsadm`.
    pub fn restore(&mut self, argv0: Option<&str>, lines: &[String]) -> Reply {
        let live = Live { dp: &self.dp };
        let argv0 = argv0.unwrap_or(ARGV0);
        let out = ipvsadm::execute_restore(argv0, lines, &mut self.model, &live);
        self.commit(out)
    }

    /// Publishes what a successful change did to the model.
    fn commit(&mut self, out: ipvsadm::Outcome) -> Reply {
        if out.changed {
            let t = self.model.timeouts();
            self.dp.conns.timeouts().set(t.tcp, t.tcp_fin, t.udp);
            let snap = self
                .publisher
                .snapshot(&mut self.model, self.dp.conns.dests());
            self.warn_unreachable_dr(&snap);
            self.dp.services.publish(snap);
        }
        Reply {
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        }
    }

    /// A DR real server must be on a connected prefix (ipvs-forwarding §3.2). ipvsadm
    /// accepts any, and saved configurations must restore on any box, so rvs accepts it
    /// too, says so once, and drops its packets (`dr_not_connected`).
    fn warn_unreachable_dr(&mut self, snap: &dataplane::service::Snapshot) {
        let dr = snap
            .services
            .iter()
            .flat_map(|s| &s.dests)
            .map(|d| d.params);
        for p in dr.filter(|p| p.method == Method::Route) {
            let IpAddr::V4(a) = p.addr else { continue };
            let connected = self.dp.v4.routes.lookup(a).is_some_and(|h| h.connected);
            if !connected && self.unreachable_dr.insert(p.addr) {
                log::warn!(
                    "DR real server {a} is not on a connected prefix of any port: its packets are dropped (dr_not_connected)"
                );
            }
        }
    }

    /// Every counter of the running data plane, read live.
    pub fn counters(&self) -> RuntimeCounters {
        counters::gather(&self.dp, &self.counters)
    }

    pub fn totals(&self) -> CountersSnapshot {
        self.counters.iter().map(Counters::snapshot).sum()
    }

    /// Every counter, printed when rvsd stops: what `rvsadm --counters` shows, then the
    /// workers' totals.
    pub fn final_report(&self) -> String {
        let totals = report_counters(&self.totals());
        format!("rvsd counters\n{}Totals\n{totals}", self.counters())
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
        ("nd_replies", c.nd_replies),
        ("nd_learned", c.nd_learned),
        ("icmp_errors_sent", c.icmp_errors_sent),
        ("icmp_errors_limited", c.icmp_errors_limited),
    ] {
        let _ = writeln!(s, "  {name} {v}");
    }
    for (reason, n) in c.drops_by_reason().filter(|&(_, n)| n > 0) {
        let _ = writeln!(s, "  drop {} {n}", reason.name());
    }
    s
}
