//! rvsd: the rvs load-balancer daemon.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// rvs: a DPDK Layer-4 load balancer driven with ipvsadm commands.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// JSON configuration file.
    #[arg(long)]
    config: PathBuf,
    /// Admin socket path (overrides the configuration).
    #[arg(long)]
    socket: Option<PathBuf>,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    let mut cfg = match control::config::Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rvsd: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(s) = args.socket {
        cfg.socket = s;
    }
    match control::daemon::run(cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("rvsd: {e}");
            ExitCode::FAILURE
        }
    }
}
