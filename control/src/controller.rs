//! The control thread's state: the service model, the data plane it
//! configures, the workers' counters it sums, the configuration file it
//! reloads and the telemetry commands it keeps answering.

use crate::admin::protocol::{Reply, COUNTERS};
use crate::config::{Config, ConfigFile};
use crate::counters::{self, RuntimeCounters};
use crate::ipvsadm;
use crate::ipvsadm::command::ServiceKey;
use crate::ipvsadm::Counters as ListCounters;
use crate::live::Live;
use crate::metrics;
use crate::model::Model;
use crate::publish::Publisher;
use crate::reload;
use crate::service_stats::Stats;
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
    /// `--stats` and `--rate` per service and real server.
    stats: Stats,
    /// DR real servers already warned about (once each).
    unreachable_dr: HashSet<IpAddr>,
    /// Where the configuration is read again on reload.
    file: ConfigFile,
    /// The configuration in effect: as at start, with the services and marks of the last
    /// reload.
    config: Config,
    /// rvs's telemetry commands, answering while the control thread runs.
    _telemetry: Option<Telemetry>,
}

impl Control {
    pub fn new(
        file: ConfigFile,
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
            stats: Stats::default(),
            unreachable_dr: HashSet::new(),
            file,
            config: cfg.clone(),
            _telemetry: telemetry.transpose()?,
        };
        reload::apply_lines(&mut control.model, &cfg.services)?;
        control.publish();
        Ok(control)
    }

    /// Runs one ipvsadm command line.
    pub fn execute(&mut self, words: &[String]) -> Reply {
        let live = Live {
            dp: &self.dp,
            stats: &self.stats,
        };
        let out = ipvsadm::execute(ARGV0, words, &mut self.model, &live);
        self.commit(out)
    }

    /// `rvsadm --json`: list command `words` as JSON (`ipvsadm::json`), or the live
    /// counters (`--counters`).
    pub fn json(&mut self, words: &[String]) -> Reply {
        if words == [COUNTERS] {
            let mut stdout =
                serde_json::to_string_pretty(&self.counters()).expect("counters serialize");
            stdout.push('\n');
            return Reply {
                stdout,
                ..Reply::default()
            };
        }
        let live = Live {
            dp: &self.dp,
            stats: &self.stats,
        };
        let out = ipvsadm::execute_json(ARGV0, words, &self.model, &live);
        Reply {
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        }
    }

    /// Runs `-R` with its lines (atomic: all or nothing); its messages name `argv0`, the
    /// client's program name, or `rvsadm`.
    pub fn restore(&mut self, argv0: Option<&str>, lines: &[String]) -> Reply {
        let live = Live {
            dp: &self.dp,
            stats: &self.stats,
        };
        let argv0 = argv0.unwrap_or(ARGV0);
        let out = ipvsadm::execute_restore(argv0, lines, &mut self.model, &live);
        self.commit(out)
    }

    /// Reads the configuration file again and applies its services and mark rules (SIGHUP,
    /// `rvsadm --reload`). On any error nothing changes and the reply says why.
    pub fn reload(&mut self) -> Reply {
        let path = self.file.path.display().to_string();
        let cfg = self.file.load();
        match cfg.and_then(|cfg| self.apply_config(cfg).map_err(|e| format!("{path}: {e}"))) {
            Ok(summary) => {
                log::info!("reloaded {path}: {summary}");
                Reply {
                    stdout: format!("rvsd: reloaded {path}: {summary}\n"),
                    ..Reply::default()
                }
            }
            Err(e) => {
                log::warn!("reload refused, nothing changed: {e}");
                Reply {
                    stderr: format!("rvsd: reload refused, nothing changed: {e}\n"),
                    code: 1,
                    ..Reply::default()
                }
            }
        }
    }

    /// Makes the services and mark rules what `cfg` says: the difference from the running
    /// model applied in one transaction, then one snapshot swap.
    fn apply_config(&mut self, cfg: Config) -> Result<String, String> {
        let marks = cfg.marks()?;
        let want = reload::target(&cfg.services, self.model.table_size())?;
        let cmds = reload::difference(self.model.state(), want.state());
        self.model
            .transaction(|tx| cmds.iter().try_for_each(|c| tx.apply(c)))
            .map_err(|f| format!("services in the configuration: {}", f.stderr.trim_end()))?;
        if !self.config.only_reloadable_changes(&cfg) {
            log::warn!(
                "{}: only services and marks are reloaded; the other changes take effect when rvsd restarts",
                self.file.path.display()
            );
        }
        let mut summary = reload::summary(&cmds);
        if cfg.marks != self.config.marks {
            summary.push_str(", mark rules replaced");
        }
        self.publisher.set_marks(marks);
        self.publish();
        self.config.services = cfg.services;
        self.config.marks = cfg.marks;
        Ok(summary)
    }

    /// Publishes what a successful change did to the model.
    fn commit(&mut self, out: ipvsadm::Outcome) -> Reply {
        if out.changed {
            self.publish();
        }
        for scope in out.zero {
            self.zero(scope.as_ref());
        }
        Reply {
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        }
    }

    /// The model's timeouts and a snapshot of its services, swapped in.
    fn publish(&mut self) {
        let t = self.model.timeouts();
        self.dp.conns.timeouts().set(t.tcp, t.tcp_fin, t.udp);
        let snap = self
            .publisher
            .snapshot(&mut self.model, self.dp.conns.dests());
        self.warn_unreachable_dr(&snap);
        self.dp.services.publish(snap);
        let live = |slot| dataplane::traffic::sum(&self.dp.traffic, slot);
        self.stats.sync(&self.model, &live);
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

    /// `-Z` of service `key`, or of everything.
    fn zero(&mut self, key: Option<&ServiceKey>) {
        let id = key.map(|k| self.model.services().iter().find(|s| s.spec.key == *k));
        match id {
            Some(None) => {} // deleted by the same -R
            Some(Some(svc)) => self.stats.zero(Some(svc.id)),
            None => self.stats.zero(None),
        }
    }

    /// The statistics' 2-s estimation (`service_stats::PERIOD_SECS`).
    pub fn estimate(&mut self) {
        let live = |slot| dataplane::traffic::sum(&self.dp.traffic, slot);
        self.stats.tick(&live);
    }

    /// Every counter of the running data plane, read live.
    pub fn counters(&self) -> RuntimeCounters {
        counters::gather(&self.dp, &self.counters)
    }

    /// Every Prometheus series (`crate::metrics`): the services' statistics as the listings
    /// show them, and the live counters.
    pub fn metrics(&self) -> String {
        let live = Live {
            dp: &self.dp,
            stats: &self.stats,
        };
        let total = ListCounters(self.stats.total_counters());
        metrics::render(self.model.services(), &live, total, &self.counters())
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
        ("neigh_requests", c.neigh_requests),
        ("neigh_requests_limited", c.neigh_requests_limited),
        ("neigh_refused", c.neigh_refused),
        ("neigh_table_full", c.neigh_table_full),
    ] {
        let _ = writeln!(s, "  {name} {v}");
    }
    for (reason, n) in c.drops_by_reason().filter(|&(_, n)| n > 0) {
        let _ = writeln!(s, "  drop {} {n}", reason.name());
    }
    s
}
