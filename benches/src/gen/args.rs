//! rvs-gen's command line: EAL arguments before `--`, the generator's options after it, and
//! the checked plan they make.

use super::flows::{FlowSpec, Mode};
use super::frame::{FrameSpec, Proto};
use clap::{ArgGroup, Parser, ValueEnum};
use control::config::{parse_mac, parse_prefix};
use std::net::{IpAddr, SocketAddr};

/// rvs-gen: UDP or TCP frames with correct checksums at a paced or unbounded rate over one
/// DPDK port, everything sent back counted and its latency measured.
#[derive(Parser, Debug)]
#[command(
    name = "rvs-gen",
    override_usage = "rvs-gen [EAL args ...] -- --proto udp|tcp --size BYTES (--flows N | --new) [OPTIONS]",
    group(ArgGroup::new("flow_mode").required(true).args(["flows", "new"]))
)]
pub struct Options {
    #[arg(long, value_enum)]
    pub proto: ProtoArg,
    /// Frame size with the 4-byte FCS (64 sends 60-byte frames: 64 on the wire); raised to
    /// the headers and the 6-byte stamp when shorter (IPv6 UDP 72, IPv6 TCP 84).
    #[arg(long, value_parser = clap::value_parser!(u16).range(64..=1518))]
    pub size: u16,
    /// Cycle over N clients (TCP: a SYN each first, then ACK segments).
    #[arg(long, value_name = "N")]
    pub flows: Option<u64>,
    /// Every packet from a client never seen before (TCP: all SYNs).
    #[arg(long)]
    pub new: bool,
    /// IPv6 instead of IPv4.
    #[arg(long)]
    pub ipv6: bool,
    /// Packets per second (bursts of 32 paced by the TSC); 0: as fast as the link takes.
    #[arg(long, value_name = "PPS", default_value_t = 0)]
    pub rate: u64,
    /// Seconds measured after the warm-up.
    #[arg(long, value_name = "S", default_value_t = 10)]
    pub seconds: u64,
    /// Seconds run first and left out of the medians.
    #[arg(long, value_name = "W", default_value_t = 2)]
    pub warmup: u64,
    #[arg(long, value_name = "MAC", default_value = "02:00:00:00:00:01", value_parser = parse_mac)]
    pub dst_mac: [u8; 6],
    /// Destination [default: 198.18.0.2:9, with --ipv6 [2001:db8:f::2]:9].
    #[arg(long, value_name = "ADDR:PORT")]
    pub vip: Option<SocketAddr>,
    /// Client addresses [default: 10.0.0.0/8, with --ipv6 fd00::/16].
    #[arg(long, value_name = "CIDR", value_parser = parse_prefix)]
    pub src_net: Option<(IpAddr, u8)>,
    /// UDP checksum 0 ("none"; IPv4 UDP only).
    #[arg(long)]
    pub udp_csum0: bool,
    /// Pin the generator (EAL's main lcore, the only one) to CPU N: adds `--lcores 0@N`.
    #[arg(long, value_name = "N")]
    pub lcore_cpu: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtoArg {
    Udp,
    Tcp,
}

/// A checked run: the EAL arguments and what to send.
#[derive(Debug)]
pub struct Plan {
    pub eal: Vec<String>,
    /// The frames; the source MAC is the port's, filled in once it is open.
    pub frame: FrameSpec,
    pub flows: FlowSpec,
    pub rate: u64,
    pub seconds: u64,
    pub warmup: u64,
}

/// Splits `args` (without the program name) at the first `--`: EAL's before, rvs-gen's
/// after (all of them rvs-gen's when there is no `--`).
pub fn split(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (args[..i].to_vec(), args[i + 1..].to_vec()),
        None => (Vec::new(), args),
    }
}

impl Options {
    /// The plan for EAL arguments `eal`, or what is wrong with the options.
    pub fn plan(&self, mut eal: Vec<String>) -> Result<Plan, String> {
        let v6 = self.ipv6;
        let family = |a: IpAddr| if a.is_ipv4() { "IPv4" } else { "IPv6" };
        let want = if v6 { "IPv6" } else { "IPv4" };
        let dst = self.vip.unwrap_or_else(|| {
            let vip = if v6 {
                "[2001:db8:f::2]:9"
            } else {
                "198.18.0.2:9"
            };
            vip.parse().expect("a valid default")
        });
        let (net, len) = self.src_net.unwrap_or_else(|| {
            let net = if v6 { "fd00::/16" } else { "10.0.0.0/8" };
            parse_prefix(net).expect("a valid default")
        });
        for (what, a) in [("--vip", dst.ip()), ("--src-net", net)] {
            if family(a) != want {
                return Err(format!(
                    "{what} {a} is {}: the frames are {want}",
                    family(a)
                ));
            }
        }
        let proto = match self.proto {
            ProtoArg::Udp => Proto::Udp,
            ProtoArg::Tcp => Proto::Tcp,
        };
        if self.udp_csum0 && (proto != Proto::Udp || v6) {
            return Err("--udp-csum0 is for IPv4 UDP only (IPv6 requires a UDP checksum)".into());
        }
        let mut frame = FrameSpec {
            proto,
            len: usize::from(self.size) - 4,
            src_mac: [0; 6],
            dst_mac: self.dst_mac,
            src_net: network(net, len),
            dst,
            udp_csum0: self.udp_csum0,
        };
        if frame.len < frame.min_len() {
            log::warn!(
                "--size {}: {} frames need {} bytes, sent instead",
                self.size,
                want,
                frame.min_len()
            );
            frame.len = frame.min_len();
        }
        let mode = self.flows.map_or(Mode::New, Mode::Cycle);
        let flows = FlowSpec::new(mode, frame.src_net, len, frame.payload_len())?;
        if let Some(cpu) = self.lcore_cpu {
            if eal
                .iter()
                .any(|a| ["-l", "-c", "--lcores"].contains(&a.as_str()))
            {
                return Err("--lcore-cpu and EAL's -l/-c/--lcores: give one".into());
            }
            eal.extend(["--lcores".into(), format!("0@{cpu}")]);
        }
        Ok(Plan {
            eal,
            frame,
            flows,
            rate: self.rate,
            seconds: self.seconds,
            warmup: self.warmup,
        })
    }
}

/// `a` with its bits past the prefix length `len` cleared.
fn network(a: IpAddr, len: u8) -> IpAddr {
    match a {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::from((u32::from(a) & mask).to_be_bytes())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::from((u128::from(a) & mask).to_be_bytes())
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn plan(line: &str) -> Result<Plan, String> {
        let (eal, own) = split(line.split_whitespace().map(String::from).collect());
        let opts = Options::try_parse_from(std::iter::once("rvs-gen".to_string()).chain(own))
            .map_err(|e| e.to_string())?;
        opts.plan(eal)
    }

    #[test]
    fn defaults() {
        let p = plan("--no-huge --vdev net_null0 -- --proto udp --size 64 --flows 256").unwrap();
        assert_eq!(p.eal, ["--no-huge", "--vdev", "net_null0"]);
        assert_eq!((p.frame.len, p.frame.proto), (60, Proto::Udp));
        assert_eq!(p.frame.dst, "198.18.0.2:9".parse().unwrap());
        assert_eq!(p.frame.dst_mac, [2, 0, 0, 0, 0, 1]);
        assert_eq!(p.frame.src_net, "10.0.0.0".parse::<IpAddr>().unwrap());
        assert!(!p.frame.udp_csum0);
        assert_eq!(p.flows.mode, Mode::Cycle(256));
        assert_eq!((p.rate, p.seconds, p.warmup), (0, 10, 2));
        let p = plan("-- --proto tcp --size 1500 --new --ipv6").unwrap();
        assert_eq!(p.frame.dst, "[2001:db8:f::2]:9".parse().unwrap());
        assert_eq!(p.frame.src_net, "fd00::".parse::<IpAddr>().unwrap());
        assert_eq!((p.frame.len, p.flows.mode), (1496, Mode::New));
    }

    #[test]
    fn every_option() {
        let p = plan(
            "-m 256 -- --proto udp --size 512 --new --rate 1000 --seconds 3 --warmup 1 \
             --dst-mac 02:00:00:00:00:07 --vip 192.0.2.1:53 --src-net 10.1.2.3/24 \
             --udp-csum0 --lcore-cpu 1",
        )
        .unwrap();
        assert_eq!(p.eal, ["-m", "256", "--lcores", "0@1"]);
        assert_eq!(
            (p.frame.len, p.rate, p.seconds, p.warmup),
            (508, 1000, 3, 1)
        );
        assert_eq!(p.frame.dst_mac, [2, 0, 0, 0, 0, 7]);
        assert_eq!(p.frame.dst, "192.0.2.1:53".parse().unwrap());
        assert_eq!(p.frame.src_net, "10.1.2.0".parse::<IpAddr>().unwrap());
        assert!(p.frame.udp_csum0);
    }

    #[test]
    fn short_ipv6_frames_grow_to_the_minimum() {
        let p = plan("-- --proto tcp --size 64 --flows 1 --ipv6").unwrap();
        assert_eq!(p.frame.len, 80);
        let p = plan("-- --proto udp --size 64 --flows 1 --ipv6").unwrap();
        assert_eq!(p.frame.len, 68);
    }

    #[test]
    fn refused() {
        for bad in [
            "-- --proto udp --size 64",
            "-- --proto udp --size 64 --flows 3 --new",
            "-- --proto udp --size 63 --new",
            "-- --proto udp --size 1519 --new",
            "-- --proto sctp --size 64 --new",
            "-- --proto udp --size 64 --new --ipv6 --vip 198.18.0.2:9",
            "-- --proto udp --size 64 --new --src-net fd00::/16",
            "-- --proto tcp --size 64 --new --udp-csum0",
            "-- --proto udp --size 64 --new --ipv6 --udp-csum0",
            "-- --proto udp --size 64 --flows 0",
            "-- --proto udp --size 64 --flows 3 --src-net 10.0.0.0/24 --dst-mac 1:2",
            "-l 0 -- --proto udp --size 64 --new --lcore-cpu 1",
        ] {
            assert!(plan(bad).is_err(), "{bad}");
        }
    }
}
