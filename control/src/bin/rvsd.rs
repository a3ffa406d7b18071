//! rvsd: the rvs load-balancer daemon.

use clap::Parser;
use control::config::ConfigFile;
use std::path::PathBuf;
use std::process::ExitCode;

/// rvs: a DPDK Layer-4 load balancer driven with ipvsadm commands.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// JSON configuration file.
    #[arg(long, required_unless_present = "check_config")]
    config: Option<PathBuf>,
    /// Admin socket path (overrides the configuration).
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Check a configuration file (JSON, ports, routes, marks, services) without starting
    /// anything, and exit: 0 if it is good.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    check_config: Option<PathBuf>,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    if let Some(path) = args.check_config {
        return check(path);
    }
    let file = ConfigFile {
        path: args.config.expect("clap requires --config"),
        socket: args.socket,
    };
    let cfg = match file.load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rvsd: {e}");
            return ExitCode::from(2);
        }
    };
    match control::daemon::run(file, cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("rvsd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--check-config FILE`: exit 0 and say so if the whole configuration is good, else 2 with
/// what is wrong (as a start with it would).
fn check(path: PathBuf) -> ExitCode {
    let shown = path.display().to_string();
    let file = ConfigFile { path, socket: None };
    match file
        .load()
        .and_then(|cfg| cfg.check().map_err(|e| format!("{shown}: {e}")))
    {
        Ok(()) => {
            println!("rvsd: {shown}: configuration OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rvsd: {e}");
            ExitCode::from(2)
        }
    }
}
