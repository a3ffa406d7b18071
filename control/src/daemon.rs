//! rvsd: brings up EAL and the ports, starts one worker per worker lcore,
//! then runs the control loop (admin requests, housekeeping) on the main
//! lcore until SIGINT or SIGTERM, and shuts everything down in order.

use crate::admin::protocol::{Reply, Request};
use crate::admin::server::{AdminSocket, Pending};
use crate::config::Config;
use crate::controller::Control;
use crate::eal_args;
use crossbeam::channel::{Receiver, RecvTimeoutError};
use dataplane::dpdk::{lcore, DpdkPort, Eal, EthPort, Mempool, PortConfig};
use dataplane::shared::{Dataplane, Mode, Owners, Sizes};
use dataplane::stats::Counters;
use dataplane::worker;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the control loop wakes without requests (to notice a signal).
const TICK: Duration = Duration::from_millis(100);

pub fn run(cfg: Config) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| e.to_string())?;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let args = eal_args::build(&cfg, cpus);
    log::info!("EAL arguments: {}", args.join(" "));
    let eal = Eal::init(&args).map_err(|e| e.to_string())?;
    let result = serve(&cfg, &stop);
    drop(eal);
    remove_runtime_dir(&args);
    result
}

fn serve(cfg: &Config, stop: &Arc<AtomicBool>) -> Result<(), String> {
    let workers = lcore::workers();
    let workers = &workers[..workers.len().min(cfg.workers.into())];
    if workers.is_empty() {
        return Err("EAL gave no worker lcore (check --lcores / -l)".into());
    }
    let pool = Mempool::new("rvs_mbufs", cfg.mbufs).map_err(|e| e.to_string())?;
    let (dp, owners) = build_dataplane(cfg, pool, workers.len() as u16)?;
    let dp = Arc::new(dp);
    let counters: Arc<Vec<Counters>> = Arc::new(workers.iter().map(|_| Counters::new()).collect());
    let mut control = Control::new(cfg, dp.clone(), counters.clone())?;
    let (socket, requests) = AdminSocket::bind(&cfg.socket).map_err(|e| e.to_string())?;

    let halt = Arc::new(AtomicBool::new(false));
    for ((queue, &lc), conns) in workers.iter().enumerate().zip(owners) {
        let (dp, counters, halt) = (dp.clone(), counters.clone(), halt.clone());
        let run = move || worker::run(&dp, queue as u16, &counters[queue], conns, &halt);
        lcore::launch(lc, run).map_err(|e| e.to_string())?;
    }
    log::info!(
        "rvsd running: {} worker(s), {} port(s)",
        workers.len(),
        dp.ports.len()
    );

    control_loop(&mut control, &requests, stop);

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

fn control_loop(control: &mut Control, requests: &Receiver<Pending>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match requests.recv_timeout(TICK) {
            Ok(Pending { request, reply }) => {
                let _ = reply.send(handle(control, request));
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
        Request::Counters => Reply {
            stdout: control.counters().to_string(),
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
            promiscuous: true,
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
    Ok((dp, owners))
}

/// EAL leaves `/var/run/dpdk/<prefix>/` behind; remove the one rvsd chose.
fn remove_runtime_dir(args: &[String]) {
    if let Some(i) = args.iter().position(|a| a == "--file-prefix") {
        if let Some(prefix) = args.get(i + 1) {
            let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{prefix}"));
        }
    }
}
