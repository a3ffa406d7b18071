//! rvsd: brings up EAL and the ports, starts one worker per worker lcore,
//! then runs the control loop (admin requests, reloads, housekeeping) on the main
//! lcore until SIGINT, SIGTERM or SIGQUIT, and shuts everything down in order.

use crate::admin::protocol::{Reply, Request};
use crate::admin::server::{self, AdminSocket, Pending};
use crate::config::{Config, ConfigFile};
use crate::controller::Control;
use crate::eal_args;
use crate::metrics;
use crate::runtime_dir::{self, RuntimeDir};
use crate::service_stats;
use crossbeam::channel::{bounded, Receiver, RecvTimeoutError};
use dataplane::dpdk::{lcore, DpdkPort, Eal, EthPort, Mempool, PortConfig};
use dataplane::shared::{Dataplane, Mode, Owners, Sizes};
use dataplane::stats::Counters;
use dataplane::worker;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the control loop wakes without requests (to notice a signal).
const TICK: Duration = Duration::from_millis(100);

/// What the signals rvsd answers have asked for: SIGINT, SIGTERM and SIGQUIT to stop (cleanly:
/// SIGQUIT's core dump would leave EAL's files behind), SIGHUP to reload.
struct Signals {
    stop: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
}

impl Signals {
    fn register() -> Result<Signals, String> {
        let s = Signals {
            stop: Arc::new(AtomicBool::new(false)),
            reload: Arc::new(AtomicBool::new(false)),
        };
        let flag = |sig, flag: &Arc<AtomicBool>| {
            signal_hook::flag::register(sig, flag.clone()).map_err(|e| e.to_string())
        };
        for sig in [SIGINT, SIGTERM, SIGQUIT] {
            flag(sig, &s.stop)?;
        }
        flag(SIGHUP, &s.reload)?;
        Ok(s)
    }
}

/// Runs the daemon on `cfg`, read from `file` (which reloads read again).
pub fn run(file: ConfigFile, cfg: Config) -> Result<(), String> {
    let signals = Signals::register()?;
    runtime_dir::remove_stale();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let args = eal_args::build(&cfg, cpus);
    log::info!("EAL arguments: {}", args.join(" "));
    // Declared before the EAL: dropped (removed) after its cleanup, on every way out.
    let _runtime_dir = RuntimeDir::of(&args);
    let eal = Eal::init(&args).map_err(|e| e.to_string())?;
    let result = serve(file, &cfg, &signals);
    drop(eal);
    result
}

fn serve(file: ConfigFile, cfg: &Config, signals: &Signals) -> Result<(), String> {
    let workers = lcore::workers();
    let workers = &workers[..workers.len().min(cfg.workers.into())];
    if workers.is_empty() {
        return Err("EAL gave no worker lcore (check --lcores / -l)".into());
    }
    let pool = Mempool::new("rvs_mbufs", cfg.mbufs).map_err(|e| e.to_string())?;
    let (dp, owners) = build_dataplane(cfg, pool, workers.len() as u16)?;
    let dp = Arc::new(dp);
    let counters: Arc<Vec<Counters>> = Arc::new(workers.iter().map(|_| Counters::new()).collect());
    let mut control = Control::new(file, cfg, dp.clone(), counters.clone())?;
    // The control thread's requests: the admin socket's and the metrics endpoint's scrapes.
    let (to_control, requests) = bounded(64);
    if let Some(addr) = cfg.metrics {
        metrics::http::serve(addr, to_control.clone())?;
    }
    let socket = AdminSocket::bind(&cfg.socket, to_control).map_err(|e| e.to_string())?;

    let halt = Arc::new(AtomicBool::new(false));
    for ((queue, &lc), conns) in workers.iter().enumerate().zip(owners) {
        let (dp, counters, stop, idle) =
            (dp.clone(), counters.clone(), halt.clone(), cfg.idle_backoff);
        let run = move || worker::run(&dp, queue as u16, &counters[queue], conns, &stop, idle);
        if let Err(e) = lcore::launch(lc, run) {
            // The workers already running use the ports and the pool: they stop before
            // EAL is cleaned up.
            halt.store(true, Ordering::Relaxed);
            lcore::wait_all();
            return Err(format!("worker {queue} on lcore {lc}: {e}"));
        }
    }
    log::info!(
        "rvsd running: {} worker(s), {} port(s)",
        workers.len(),
        dp.ports.len()
    );

    control_loop(&mut control, &requests, signals);

    log::info!("stopping");
    halt.store(true, Ordering::Relaxed);
    lcore::wait_all();
    drop(socket);
    print!("{}", control.final_report());
    drop(control);
    let dp = Arc::try_unwrap(dp).map_err(|_| "data plane still shared at shutdown")?;
    dp.ports.into_iter().for_each(|p| p.eth.close());
    Ok(())
}

fn control_loop(control: &mut Control, requests: &Receiver<Pending>, signals: &Signals) {
    let period = Duration::from_secs(service_stats::PERIOD_SECS);
    let mut next_estimate = Instant::now() + period;
    while !signals.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= next_estimate {
            control.estimate();
            // Late (a long request): the next one a period from now, not at once.
            next_estimate = (next_estimate + period).max(now + period / 2);
        }
        if signals.reload.swap(false, Ordering::Relaxed) {
            log::info!("SIGHUP: reloading");
            control.reload();
        }
        match requests.recv_timeout(TICK) {
            Ok(Pending { request, reply }) => {
                let _ = reply.send(server::answer(request, |r| handle(control, r)));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
}

fn handle(control: &mut Control, request: Request) -> Reply {
    match request {
        Request::Command(words) => control.execute(&words),
        Request::Restore { argv0, lines } => control.restore(argv0.as_deref(), &lines),
        Request::Reload => control.reload(),
        Request::Json(words) => control.json(&words),
        Request::Counters => Reply {
            stdout: control.counters().to_string(),
            ..Reply::default()
        },
        Request::Metrics => Reply {
            stdout: control.metrics(),
            ..Reply::default()
        },
    }
}

fn build_dataplane(
    cfg: &Config,
    pool: Mempool,
    queues: u16,
) -> Result<(Dataplane<DpdkPort>, Vec<Owners>), String> {
    let mut ports = Vec::new();
    for spec in &cfg.ports {
        let eth = EthPort::open(&PortConfig {
            name: spec.eal_name(),
            queues,
            rx_desc: 1024,
            tx_desc: 1024,
            pool,
            promiscuous: spec.promiscuous,
        })
        .map_err(|e| e.to_string())?;
        if eth.queues() < queues {
            return Err(format!(
                "{} has {} queue pair(s) for {queues} workers; give the PMD more queues (e.g. qpairs=) or use fewer workers",
                spec.device,
                eth.queues()
            ));
        }
        ports.push(DpdkPort { eth, pool });
    }
    let (v4, v6) = cfg.nets()?;
    let mode = if cfg.l2fwd {
        Mode::L2Fwd
    } else {
        Mode::Balance
    };
    let sizes = Sizes {
        workers: queues.into(),
        conns: cfg.conn_table_size as usize,
        conns_v6: cfg.conn_table_size_v6() as usize,
    };
    let (mut dp, owners) = Dataplane::new(ports, v4, mode, sizes)?;
    dp.set_v6(v6);
    dp.mtu = cfg.ports.iter().map(|p| p.mtu).collect();
    for (l2, spec) in dp.l2.iter_mut().zip(&cfg.ports) {
        l2.vlan = spec.vlan;
        l2.promiscuous = spec.promiscuous;
    }
    Ok((dp, owners))
}
