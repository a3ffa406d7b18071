//! rvs-gen: the benchmark harness's traffic generator (see `rvs_benches::gen`).
//!
//! `rvs-gen [EAL args ...] -- --proto udp|tcp --size BYTES (--flows N | --new) [OPTIONS]`
//! prints `t=<s> tx_pps=<n> rx_pps=<n>` every second and a JSON summary at the end, also when
//! stopped early by SIGINT or SIGTERM.

use clap::Parser;
use rvs_benches::gen::args::{split, Options};
use rvs_benches::gen::run;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let (eal, own) = split(std::env::args().skip(1).collect());
    let opts = Options::parse_from(std::iter::once("rvs-gen".to_string()).chain(own));
    let plan = match opts.plan(eal) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rvs-gen: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            eprintln!("rvs-gen: signal {sig}: {e}");
            return ExitCode::FAILURE;
        }
    }
    match run::run(plan, &stop) {
        Ok(summary) => {
            println!(
                "{}",
                serde_json::to_string(&summary).expect("plain numbers")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::error!("{e}");
            eprintln!("rvs-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
