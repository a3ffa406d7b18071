//! ipvsadm's command line → [`Command`], with ipvsadm's exact texts and exit codes for every
//! error (ipvsadm-spec §3-§5; the order of processing is §4.4).

use std::net::{IpAddr, Ipv4Addr};

use dataplane::sched::SCHEDULERS;

use super::command::{
    sched_flags, Command, DaemonSpec, DaemonState, DestKey, DestSpec, ListFormat, ListOpts,
    ListWhat, Method, Protocol, ServiceKey, ServiceSpec, Timeouts, Tunnel, TunnelCsum, TunnelType,
    DEFAULT_PERSISTENT_TIMEOUT,
};
use super::error::{Failure, EXIT_KERNEL};
use super::names::{Names, SystemNames};
use super::options::{check_matrix, Cmd, Id, Legal, Opt, OptDef, Which};
use super::popt::{Event, Popt};
use super::values::{atoi, cut, ipv4_host, number_in, parse_service_addr};

/// Longest persistence or connection timeout: 31 days (ipvsadm-spec §5.4).
const MAX_TIMEOUT: i64 = 2_678_400;
/// Highest weight (rvs decision: Debian's range).
const MAX_WEIGHT: i64 = 2_147_483_647;
/// Scheduler used for `-A`/`-E` without `-s` (ipvsadm-spec §5.5).
pub const DEFAULT_SCHEDULER: &str = "wlc";

/// Parses one command line with the system's names (`/etc/services`, `/etc/hosts`).
pub fn parse(argv0: &str, args: &[String]) -> Result<Command, Failure> {
    parse_with(&SystemNames::load(), argv0, args)
}

/// Parses one command line (argv without argv0). `-h` and `-v` are successful results.
pub fn parse_with(names: &dyn Names, argv0: &str, args: &[String]) -> Result<Command, Failure> {
    if args.is_empty() {
        // ipvsadm-spec §2.3: no arguments at all is `-L` with names resolved.
        return Ok(Command::List(ListOpts {
            what: ListWhat::Services(None),
            numeric: false,
            format: ListFormat::Default,
            exact: false,
            nosort: false,
            syncid: None,
        }));
    }
    let mut popt = Popt::new(args);
    let mut draft = match first_command(&mut popt, argv0)? {
        First::Done(cmd) => return Ok(cmd),
        First::Draft(draft) => draft,
    };
    while let Some(event) = popt.next_event() {
        match event {
            Event::Opt { def, value, word } => draft.option(def, value, word, names)?,
            Event::Error { error, word } => {
                return Err(Failure::new(
                    EXIT_KERNEL,
                    &format!("{word}: {}", error.text()),
                ))
            }
        }
    }
    draft.positional(&popt.leftovers)?;
    draft.sched_flags()?;
    check_matrix(draft.cmd, draft.given).map_err(|m| Failure::usage(&m))?;
    draft.build()
}

/// The "Try" line, exit 255 (ipvsadm-spec §3).
fn try_help(argv0: &str) -> Failure {
    Failure::new(
        EXIT_KERNEL,
        &format!("Try `{argv0} -h' or '{argv0} --help' for more information."),
    )
}

enum First {
    Done(Command),
    Draft(Box<Draft>),
}

/// The first option must be a command (ipvsadm-spec §3); `-h`/`-v` act at once (§4.1).
fn first_command(popt: &mut Popt, argv0: &str) -> Result<First, Failure> {
    let Some(Event::Opt { def, value, .. }) = popt.next_event() else {
        return Err(try_help(argv0));
    };
    let cmd = match def.id {
        Id::Help => return Ok(First::Done(Command::Help)),
        Id::Version => return Ok(First::Done(Command::Version)),
        Id::Cmd(cmd) => cmd,
        _ => return Err(try_help(argv0)),
    };
    let mut draft = Box::new(Draft::new(cmd));
    let state = match value.as_deref() {
        Some("master") => Some(DaemonState::Master),
        Some("backup") => Some(DaemonState::Backup),
        _ => None,
    };
    match (cmd, state) {
        (Cmd::StartDaemon, None) => {
            return Err(Failure::usage("illegal start-daemon parameter specified"))
        }
        // sic: ipvsadm 1.31 says start_daemon here.
        (Cmd::StopDaemon, None) => return Err(Failure::usage("illegal start_daemon specified")),
        _ => draft.daemon_state = state,
    }
    Ok(First::Draft(draft))
}

/// Everything one command line says, starting from ipvsadm's defaults (ipvsadm-spec §5.5).
struct Draft {
    cmd: Cmd,
    /// Matrix columns given, bit per [`Opt`].
    given: u64,
    service_kind: Which,
    proto: Option<Protocol>,
    svc_addr: IpAddr,
    svc_port: u16,
    fwmark: u32,
    svc_v6: bool,
    scheduler: Option<String>,
    persistent: Option<u32>,
    netmask: u32,
    pe: Option<String>,
    ops: bool,
    flags_arg: Option<String>,
    flags: u32,
    dest_addr: IpAddr,
    dest_port: u16,
    method: Method,
    weight: u32,
    u_threshold: u32,
    l_threshold: u32,
    tunnel: Tunnel,
    daemon_state: Option<DaemonState>,
    mcast_ifn: Option<String>,
    syncid: Option<u8>,
    mcast_group: Option<IpAddr>,
    mcast_port: Option<u16>,
    mcast_ttl: Option<u8>,
    sync_maxlen: Option<u16>,
    timeouts: Timeouts,
}

/// A value check: the number in range or ipvsadm's message.
fn number(value: &str, min: i64, max: i64, message: &str) -> Result<i64, Failure> {
    number_in(value, min, max).ok_or_else(|| Failure::usage(message))
}

fn timeout(value: &str, min: i64) -> Result<u32, Failure> {
    let message = format!("invalid timeout value `{value}' specified");
    Ok(number(value, min, MAX_TIMEOUT, &message)? as u32)
}

impl Draft {
    fn new(cmd: Cmd) -> Draft {
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        Draft {
            cmd,
            given: 0,
            service_kind: Which::Plain,
            proto: None,
            svc_addr: any,
            svc_port: 0,
            fwmark: 0,
            svc_v6: false,
            scheduler: None,
            persistent: None,
            netmask: 0xffff_ffff,
            pe: None,
            ops: false,
            flags_arg: None,
            flags: 0,
            dest_addr: any,
            dest_port: 0,
            method: Method::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: Tunnel::default(),
            daemon_state: None,
            mcast_ifn: None,
            syncid: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
            sync_maxlen: None,
            timeouts: Timeouts {
                tcp: 0,
                tcp_fin: 0,
                udp: 0,
            },
        }
    }

    fn has(&self, o: Opt) -> bool {
        self.given & o.bit() != 0
    }

    /// One option after the command, checked and read when met (ipvsadm-spec §3).
    fn option(
        &mut self,
        def: &OptDef,
        value: Option<String>,
        word: &str,
        names: &dyn Names,
    ) -> Result<(), Failure> {
        match def.id {
            Id::Opt(o) => {
                if self.has(o) {
                    let m = format!("multiple '{}' options specified", o.name());
                    return Err(Failure::usage(&m));
                }
                self.given |= o.bit();
                self.value(
                    o,
                    def.which,
                    value.as_deref().unwrap_or(""),
                    value.is_some(),
                    names,
                )
            }
            Id::Ipv6 if self.fwmark != 0 => {
                self.svc_v6 = true;
                self.netmask = 128;
                Ok(())
            }
            // The message carries its own newline and ipvsadm adds one (ipvsadm-spec §4.2).
            Id::Ipv6 => Err(Failure::usage("-6 used before -f\n")),
            Id::Sort => Ok(()),
            Id::Cmd(_) | Id::Help | Id::Version => {
                Err(Failure::usage(&format!("invalid option `{word}'")))
            }
        }
    }

    fn value(
        &mut self,
        o: Opt,
        which: Which,
        v: &str,
        present: bool,
        names: &dyn Names,
    ) -> Result<(), Failure> {
        match o {
            Opt::Service => self.service(which, v, names)?,
            Opt::Scheduler => self.scheduler = Some(cut(v, 15)),
            Opt::Persistent => {
                self.persistent = Some(match present {
                    true => timeout(v, 1)?,
                    false => DEFAULT_PERSISTENT_TIMEOUT,
                })
            }
            Opt::Netmask => self.netmask(v, names)?,
            Opt::RealServer => self.real_server(v, names)?,
            Opt::Forward => {
                self.method = match which {
                    Which::Tunnel => Method::Tunnel,
                    Which::Masq => Method::Masq,
                    _ => Method::Route,
                }
            }
            Opt::Weight => {
                self.weight = number(v, 0, MAX_WEIGHT, "illegal weight specified")? as u32
            }
            Opt::UThreshold => {
                self.u_threshold = number(v, 0, MAX_WEIGHT, "illegal u_threshold specified")? as u32
            }
            Opt::LThreshold => {
                self.l_threshold = number(v, 0, MAX_WEIGHT, "illegal l_threshold specified")? as u32
            }
            Opt::McastInterface => self.mcast_ifn = Some(cut(v, 15)),
            Opt::Syncid => self.syncid = Some(number(v, 0, 255, "illegal syncid specified")? as u8),
            Opt::Ops => self.ops = true,
            // An empty name is no engine: ipvsadm sends no pe name then, and the service is
            // listed and saved without one (oracle: 6.12, `--pe ''`).
            Opt::Pe => self.pe = Some(cut(v, 16)).filter(|pe| !pe.is_empty()),
            Opt::SchedFlags => self.flags_arg = Some(v.to_string()),
            Opt::McastGroup => self.mcast_group = Some(mcast_group(v)?),
            Opt::McastPort => {
                self.mcast_port = Some(number(v, 1, 65535, "illegal mcast-port specified")? as u16)
            }
            Opt::McastTtl => {
                self.mcast_ttl = Some(number(v, 1, 255, "illegal mcast-ttl specified")? as u8)
            }
            Opt::SyncMaxlen => {
                let n = number(v, 1, 65535 - 28, "illegal sync-maxlen specified")?;
                self.sync_maxlen = Some(n as u16)
            }
            Opt::TunType => self.tunnel.kind = tunnel_type(v)?,
            Opt::TunPort => {
                self.tunnel.port = number(v, 1, 65535, "illegal tunnel port specified")? as u16
            }
            Opt::TunNocsum => self.tunnel.csum = TunnelCsum::NoCsum,
            Opt::TunCsum => self.tunnel.csum = TunnelCsum::Csum,
            Opt::TunRemcsum => self.tunnel.csum = TunnelCsum::RemCsum,
            _ => {}
        }
        Ok(())
    }

    /// `-t`/`-u`/`--sctp-service`/`-f` (ipvsadm-spec §5.2, §5.3).
    fn service(&mut self, which: Which, v: &str, names: &dyn Names) -> Result<(), Failure> {
        self.service_kind = which;
        if which == Which::Fwmark {
            let m = format!("invalid fwmark value `{v}' specified");
            self.fwmark = number(v, 1, u32::MAX.into(), &m)? as u32;
            return Ok(());
        }
        let proto = match which {
            Which::Udp => Protocol::Udp,
            Which::Sctp => Protocol::Sctp,
            _ => Protocol::Tcp,
        };
        self.proto = Some(proto);
        let (addr, port) = parse_service_addr(v, Some(proto), names)
            .ok_or_else(|| Failure::usage("illegal virtual server address[:port] specified"))?;
        self.svc_addr = addr;
        self.svc_port = port.unwrap_or(0);
        self.svc_v6 = addr.is_ipv6();
        if self.svc_v6 {
            self.netmask = 128;
        }
        Ok(())
    }

    /// `-M`: read by the service's family as known so far (ipvsadm-spec §5.3).
    fn netmask(&mut self, v: &str, names: &dyn Names) -> Result<(), Failure> {
        if self.svc_v6 {
            let n = atoi(v);
            if !(1..=128).contains(&n) {
                return Err(Failure::usage("illegal ipv6 netmask specified"));
            }
            self.netmask = n as u32;
        } else {
            let mask = ipv4_host(v, names).ok_or_else(|| {
                Failure::usage("illegal virtual server persistent mask specified")
            })?;
            self.netmask = u32::from(mask);
        }
        Ok(())
    }

    /// `-r`: port names use the service's protocol so far; no port means the service's port
    /// so far (ipvsadm-spec §5.2 items 4-5).
    fn real_server(&mut self, v: &str, names: &dyn Names) -> Result<(), Failure> {
        let proto = if self.fwmark != 0 { None } else { self.proto };
        let (addr, port) = parse_service_addr(v, proto, names)
            .ok_or_else(|| Failure::usage("illegal real server address[:port] specified"))?;
        self.dest_addr = addr;
        self.dest_port = port.unwrap_or(self.svc_port);
        Ok(())
    }

    /// `--set` takes three positional words; any other leftover word is an error
    /// (ipvsadm-spec §4.4 steps 3-4).
    fn positional(&mut self, words: &[&str]) -> Result<(), Failure> {
        let mut rest = words;
        if self.cmd == Cmd::Set {
            let [tcp, fin, udp, more @ ..] = words else {
                return Err(Failure::usage("--set option requires 3 timeout values"));
            };
            self.timeouts = Timeouts {
                tcp: timeout(tcp, 0)?,
                tcp_fin: timeout(fin, 0)?,
                udp: timeout(udp, 0)?,
            };
            rest = more;
        }
        match rest.first() {
            Some(word) => Err(Failure::usage(&format!("unexpected argument {word}"))),
            None => Ok(()),
        }
    }

    /// `-b`, read after all options, against `-s` or `wlc` (ipvsadm-spec §5.6).
    fn sched_flags(&mut self) -> Result<(), Failure> {
        let Some(arg) = self.flags_arg.as_deref().filter(|a| !a.is_empty()) else {
            return Ok(());
        };
        let sched = self.scheduler.as_deref().unwrap_or(DEFAULT_SCHEDULER);
        let items: Vec<&str> = arg.split(',').filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            // rvs decision: `-b ,` (ipvsadm crashes) is an unknown flag.
            return Err(Failure::usage("invalid scheduler flag `'"));
        }
        for item in items {
            self.flags |= sched_flag(sched, item)?;
        }
        Ok(())
    }

    fn build(self) -> Result<Command, Failure> {
        match self.cmd {
            Cmd::AddService => Ok(Command::AddService(self.service_spec()?)),
            Cmd::EditService => Ok(Command::EditService(self.service_spec()?)),
            Cmd::DeleteService => Ok(Command::DeleteService(self.key())),
            Cmd::Flush => Ok(Command::Clear),
            Cmd::List => self.list(),
            Cmd::Zero => Ok(Command::Zero(self.has(Opt::Service).then(|| self.key()))),
            Cmd::AddServer => {
                let dest = self.dest_spec()?;
                Ok(Command::AddDest {
                    svc: self.key(),
                    dest,
                })
            }
            Cmd::EditServer => {
                let dest = self.dest_spec()?;
                Ok(Command::EditDest {
                    svc: self.key(),
                    dest,
                })
            }
            Cmd::DeleteServer => Ok(Command::DeleteDest {
                svc: self.key(),
                dest: DestKey {
                    addr: self.dest_addr,
                    port: self.dest_port,
                },
            }),
            Cmd::Set => Ok(Command::SetTimeouts(self.timeouts)),
            Cmd::StartDaemon => Ok(Command::StartDaemon(self.daemon_spec())),
            Cmd::StopDaemon => Ok(Command::StopDaemon {
                state: self.daemon_state.unwrap_or(DaemonState::Master),
                syncid: self.syncid,
            }),
            Cmd::Restore => Ok(Command::Restore),
            Cmd::Save => Ok(Command::Save {
                numeric: self.has(Opt::Numeric),
            }),
        }
    }

    fn key(&self) -> ServiceKey {
        match self.service_kind {
            Which::Fwmark => ServiceKey::Fwmark {
                mark: self.fwmark,
                ipv6: self.svc_v6,
            },
            _ => ServiceKey::Addr {
                proto: self.proto.unwrap_or(Protocol::Tcp),
                addr: self.svc_addr,
                port: self.svc_port,
            },
        }
    }

    /// `-A`/`-E` checks of ipvsadm-spec §4.4 step 7.
    fn service_spec(&self) -> Result<ServiceSpec, Failure> {
        let fwmark = self.fwmark != 0;
        if !fwmark && self.svc_port == 0 && self.persistent.is_none() {
            return Err(Failure::usage(
                "Zero port specified for non-persistent service",
            ));
        }
        if self.ops && !fwmark && self.proto != Some(Protocol::Udp) {
            return Err(Failure::usage(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        Ok(ServiceSpec {
            key: self.key(),
            scheduler: self
                .scheduler
                .clone()
                .unwrap_or(DEFAULT_SCHEDULER.to_string()),
            persistent: self.persistent,
            netmask: self.netmask,
            pe: self.pe.clone(),
            ops: self.ops,
            flags: self.flags,
        })
    }

    /// `-a`/`-e` checks of ipvsadm-spec §4.4 step 9, in order.
    fn dest_spec(&self) -> Result<DestSpec, Failure> {
        let tunnel = self.method == Method::Tunnel;
        let mut port = self.dest_port;
        if self.fwmark == 0 && matches!(self.method, Method::Route | Method::Tunnel) {
            port = self.svc_port;
        }
        if self.dest_addr.is_ipv6() != self.svc_v6 && !tunnel {
            return Err(Failure::usage(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tun_opts = [
            Opt::TunType,
            Opt::TunPort,
            Opt::TunNocsum,
            Opt::TunCsum,
            Opt::TunRemcsum,
        ];
        if !tunnel && tun_opts.iter().any(|&o| self.has(o)) {
            return Err(Failure::usage(
                "Tunnel options conflict with forward method",
            ));
        }
        if tunnel {
            self.check_tunnel()?;
        }
        Ok(DestSpec {
            addr: self.dest_addr,
            port,
            weight: self.weight,
            method: self.method,
            u_threshold: self.u_threshold,
            l_threshold: self.l_threshold,
            tunnel: self.tunnel,
        })
    }

    /// The tunnel-type matrix (ipvsadm-spec §5.7), walked like the command matrix.
    fn check_tunnel(&self) -> Result<(), Failure> {
        use Legal::{Illegal as X, OneOf as ONE, Required as REQ};
        const OPTS: [Opt; 4] = [Opt::TunPort, Opt::TunNocsum, Opt::TunCsum, Opt::TunRemcsum];
        let kind = self.tunnel.kind;
        let cells = match kind {
            TunnelType::Ipip => [X, X, X, X],
            TunnelType::Gue => [REQ, ONE, ONE, ONE],
            TunnelType::Gre => [X, ONE, ONE, X],
        };
        let mut first: Option<Opt> = None;
        for (o, cell) in OPTS.into_iter().zip(cells) {
            let (opt, ty) = (o.name(), kind.name());
            let message = match (cell, self.has(o), first) {
                (REQ, false, _) => {
                    format!("You need to supply the '{opt}' option for the '{ty}' tunnel type")
                }
                (X, true, _) => format!("Illegal '{opt}' option with the '{ty}' tunnel type"),
                (ONE, true, None) => {
                    first = Some(o);
                    continue;
                }
                (ONE, true, Some(prev)) => format!(
                    "The option '{opt}' conflicts with the '{}' option in the '{ty}' tunnel type",
                    prev.name()
                ),
                _ => continue,
            };
            return Err(Failure::usage(&message));
        }
        Ok(())
    }

    /// `-L` checks of ipvsadm-spec §4.4 step 10, then the listing's options.
    fn list(&self) -> Result<Command, Failure> {
        let any = |opts: &[Opt]| opts.iter().any(|&o| self.has(o));
        let conflicts = (any(&[Opt::Connection, Opt::Timeout, Opt::Daemon])
            && any(&[Opt::Stats, Opt::Rate, Opt::Thresholds]))
            || (any(&[Opt::Timeout, Opt::Daemon]) && self.has(Opt::PersistentConn));
        if conflicts {
            return Err(Failure::usage("options conflicts in the list command"));
        }
        let what = if self.has(Opt::Connection) {
            ListWhat::Connections {
                persistent_conn: self.has(Opt::PersistentConn),
            }
        } else if self.has(Opt::Timeout) {
            ListWhat::Timeout
        } else if self.has(Opt::Daemon) {
            ListWhat::Daemon
        } else {
            ListWhat::Services(self.has(Opt::Service).then(|| self.key()))
        };
        // ipvsadm-spec §7.4: the first format in this order wins.
        let formats = [
            (Opt::Stats, ListFormat::Stats),
            (Opt::Rate, ListFormat::Rate),
            (Opt::Thresholds, ListFormat::Thresholds),
            (Opt::PersistentConn, ListFormat::PersistentConn),
            (Opt::TunInfo, ListFormat::TunInfo),
        ];
        let format = formats
            .iter()
            .find(|(o, _)| self.has(*o))
            .map_or(ListFormat::Default, |f| f.1);
        Ok(Command::List(ListOpts {
            what,
            numeric: self.has(Opt::Numeric),
            format,
            exact: self.has(Opt::Exact),
            nosort: self.has(Opt::Nosort),
            syncid: self.syncid,
        }))
    }

    fn daemon_spec(&self) -> DaemonSpec {
        DaemonSpec {
            state: self.daemon_state.unwrap_or(DaemonState::Master),
            // ipvsadm-spec §4.4 step 8.
            mcast_ifn: self.mcast_ifn.clone().unwrap_or("eth0".to_string()),
            syncid: self.syncid.unwrap_or(0),
            sync_maxlen: self.sync_maxlen,
            mcast_group: self.mcast_group,
            mcast_port: self.mcast_port,
            mcast_ttl: self.mcast_ttl,
        }
    }
}

/// One `-b` item (ipvsadm-spec §5.6): `flag-N` for any scheduler, or a name one scheduler
/// gives its bit (sh-fallback, mh-port, ...: `Scheduler::flag_names`) with that scheduler.
fn sched_flag(sched: &str, item: &str) -> Result<u32, Failure> {
    let bit = |names: &[(u32, &str)]| names.iter().find(|(_, n)| *n == item).map(|&(b, _)| b);
    if let Some(b) = bit(sched_flags::GENERIC_NAMES) {
        return Ok(b);
    }
    let (b, owner) = SCHEDULERS
        .iter()
        .find_map(|s| Some((bit(s.flag_names())?, s.name())))
        .ok_or_else(|| Failure::usage(&format!("invalid scheduler flag `{item}'")))?;
    if owner != sched {
        return Err(Failure::usage(&format!(
            "incompatible scheduler flag `{item}'"
        )));
    }
    Ok(b)
}

fn tunnel_type(v: &str) -> Result<TunnelType, Failure> {
    match v {
        "ipip" => Ok(TunnelType::Ipip),
        "gue" => Ok(TunnelType::Gue),
        "gre" => Ok(TunnelType::Gre),
        _ => Err(Failure::usage("illegal tunnel type specified")),
    }
}

/// `--mcast-group`: IPv6 multicast if it contains ':', else strict dotted IPv4 multicast.
fn mcast_group(v: &str) -> Result<IpAddr, Failure> {
    if v.contains(':') {
        match v.parse::<std::net::Ipv6Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V6(a)),
            _ => Err(Failure::usage(&format!("invalid IPv6 mcast-group `{v}'"))),
        }
    } else {
        match v.parse::<Ipv4Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V4(a)),
            _ => Err(Failure::usage(&format!("invalid IPv4 mcast-group `{v}'"))),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::names::test::DebianNames;

    fn p(line: &str) -> Result<Command, Failure> {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        parse_with(&DebianNames, "ipvsadm", &args)
    }

    fn err(line: &str) -> (String, i32) {
        let f = p(line).unwrap_err();
        (f.stderr, f.code)
    }

    #[test]
    fn service_defaults() {
        let Ok(Command::AddService(s)) = p("-A -t 10.0.0.1:80") else {
            panic!("not an add-service")
        };
        assert_eq!(s.scheduler, "wlc");
        assert_eq!(s.netmask, 0xffff_ffff);
        assert_eq!(s.persistent, None);
        let Ok(Command::AddService(s)) = p("-A -f 2 -6 -p -M 64") else {
            panic!("not an add-service")
        };
        assert_eq!(
            s.key,
            ServiceKey::Fwmark {
                mark: 2,
                ipv6: true
            }
        );
        assert_eq!((s.persistent, s.netmask), (Some(360), 64));
    }

    #[test]
    fn real_server_port_rules() {
        let Ok(Command::AddDest { dest, .. }) = p("-a -r 1.1.1.1 -t 10.0.0.1:80 -m") else {
            panic!("not an add-server")
        };
        assert_eq!(dest.port, 0);
        let Ok(Command::AddDest { dest, .. }) = p("-a -t 10.0.0.1:80 -r 10.0.1.1:8080") else {
            panic!("not an add-server")
        };
        assert_eq!((dest.port, dest.method), (80, Method::Route));
        let Ok(Command::DeleteDest { dest, .. }) = p("-d -t 10.0.0.1:80 -r 10.0.1.1:8080") else {
            panic!("not a delete-server")
        };
        assert_eq!(dest.port, 8080);
    }

    #[test]
    fn grammar_quirks() {
        let line = "unexpected argument rr\n";
        assert_eq!(err("-A -t 1.2.3.4:80 -sp rr"), (line.to_string(), 2));
        let line = "invalid timeout value `rr' specified\n";
        assert_eq!(err("-A -t 1.2.3.4:80 -p rr"), (line.to_string(), 2));
        assert_eq!(
            err("-A -t 1.2.3.4:80 -p -5"),
            ("-5: unknown option\n".to_string(), 255)
        );
        let line = "unexpected argument -n\n";
        assert_eq!(err("-L -- -n"), (line.to_string(), 2));
        let line = "invalid timeout value `-3' specified\n";
        assert_eq!(err("--set 1 2 -- -3"), (line.to_string(), 2));
        let line = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";
        assert_eq!(err("--start-daemon"), (line.to_string(), 255));
        assert_eq!(err("-L -v"), ("invalid option `-v'\n".to_string(), 2));
        assert_eq!(p("-h junk"), Ok(Command::Help));
        assert_eq!(err("-L -6"), ("-6 used before -f\n\n".to_string(), 2));
    }

    #[test]
    fn sched_flags_rules() {
        let Ok(Command::AddService(s)) = p("-A -t 10.0.0.1:80 -b flag-1,,flag-3 -s rr") else {
            panic!("not an add-service")
        };
        assert_eq!(s.flags, 0x28);
        let args: Vec<String> = ["-A", "-t", "10.0.0.1:80", "-b", ""]
            .map(String::from)
            .to_vec();
        let Ok(Command::AddService(s)) = parse_with(&DebianNames, "ipvsadm", &args) else {
            panic!("-b '' is accepted")
        };
        assert_eq!(s.flags, 0);
        let line = "invalid scheduler flag `'\n";
        assert_eq!(err("-A -t 10.0.0.1:80 -b ,"), (line.to_string(), 2));
        let line = "You need to supply the 'tun-port' option for the 'gue' tunnel type\n";
        assert_eq!(
            err("-a -t 1.2.3.4:80 -r 1.1.1.1 -i --tun-type gue"),
            (line.to_string(), 2)
        );
    }
}
