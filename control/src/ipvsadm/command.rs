//! The typed result of parsing one ipvsadm command line.
//!
//! Every command and every option of ipvsadm 1.31 has a place here, so that parsing is complete
//! even where rvs does not act on a value yet (sync daemons, persistence engines).

use std::net::IpAddr;

/// Layer-4 protocol of an address service (ipvsadm-spec §4.2 `-t`, `-u`, `--sctp-service`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// IP protocol number; the sort comparator uses it (ipvsadm-spec §7.5).
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// Name in the services database (`/etc/services`).
    pub fn db_name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    /// Name in listings: `TCP`, `UDP`, `SCTP` (ipvsadm-spec §7.2).
    pub fn list_name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Option that names it in `-S` output (ipvsadm-spec §7.6).
    pub fn save_option(self) -> &'static str {
        match self {
            Protocol::Tcp => "-t",
            Protocol::Udp => "-u",
            Protocol::Sctp => "--sctp-service",
        }
    }
}

/// What identifies a virtual service: an address service or a firewall mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceKey {
    /// `-t`/`-u`/`--sctp-service ADDR[:PORT]`; the address family is the address's.
    Addr {
        proto: Protocol,
        addr: IpAddr,
        port: u16,
    },
    /// `-f MARK`, IPv4 unless `-6` followed (ipvsadm-spec §5.3).
    Fwmark { mark: u32, ipv6: bool },
}

impl ServiceKey {
    pub fn is_ipv6(&self) -> bool {
        match self {
            ServiceKey::Addr { addr, .. } => addr.is_ipv6(),
            ServiceKey::Fwmark { ipv6, .. } => *ipv6,
        }
    }

    pub fn protocol(&self) -> Option<Protocol> {
        match self {
            ServiceKey::Addr { proto, .. } => Some(*proto),
            ServiceKey::Fwmark { .. } => None,
        }
    }

    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Addr { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
}

/// Scheduler flag bits (ipvsadm-spec §5.6), as the data plane's schedulers read them.
pub use dataplane::sched::flags as sched_flags;

/// Persistence timeout ipvsadm sends for `-p` without a value (ipvsadm-spec §5.4: 360, not 300).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;

/// Everything `-A`/`-E` send; `-E` replaces the whole entry (ipvsadm-spec §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub key: ServiceKey,
    /// Scheduler name, cut to 15 characters; `wlc` when `-s` is absent.
    pub scheduler: String,
    /// Persistence timeout in seconds, `None` when not persistent.
    pub persistent: Option<u32>,
    /// IPv4: the mask as a host-order `u32` (default `0xffff_ffff`); IPv6: the prefix length.
    pub netmask: u32,
    /// Persistence engine (`--pe`), cut to 16 characters.
    pub pe: Option<String>,
    /// One-packet scheduling (`-o`).
    pub ops: bool,
    /// Scheduler flags (`-b`), bits of [`sched_flags`].
    pub flags: u32,
}

/// Forwarding method of a real server (ipvsadm-spec §7.2 FWD column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Masq,
    Local,
    Tunnel,
    Route,
}

/// Tunnel encapsulation (`--tun-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelType {
    Ipip,
    Gue,
    Gre,
}

impl TunnelType {
    pub fn name(self) -> &'static str {
        match self {
            TunnelType::Ipip => "ipip",
            TunnelType::Gue => "gue",
            TunnelType::Gre => "gre",
        }
    }
}

/// Tunnel checksum mode (`--tun-nocsum`, `--tun-csum`, `--tun-remcsum`); default no checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelCsum {
    NoCsum,
    Csum,
    RemCsum,
}

/// Tunnel options of a real server; only meaningful with [`Method::Tunnel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunnel {
    pub kind: TunnelType,
    pub port: u16,
    pub csum: TunnelCsum,
}

impl Default for Tunnel {
    fn default() -> Self {
        Tunnel {
            kind: TunnelType::Ipip,
            port: 0,
            csum: TunnelCsum::NoCsum,
        }
    }
}

/// Everything `-a`/`-e` send; `-e` replaces the whole entry (ipvsadm-spec §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestSpec {
    pub addr: IpAddr,
    pub port: u16,
    /// 0..=2147483647 (rvs decision: Debian's range).
    pub weight: u32,
    pub method: Method,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tunnel: Tunnel,
}

/// A real server named for `-d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestKey {
    pub addr: IpAddr,
    pub port: u16,
}

/// Which listing format wins (ipvsadm-spec §7.4 precedence: stats, rate, thresholds,
/// persistent-conn, tun-info, default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Default,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunInfo,
}

/// What `-L` lists: the exclusive group of ipvsadm-spec §4.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListWhat {
    /// All services (with the table header), or one service (without it).
    Services(Option<ServiceKey>),
    /// `-c`; `--persistent-conn` adds the pe columns.
    Connections { persistent_conn: bool },
    /// `--timeout`.
    Timeout,
    /// `--daemon`.
    Daemon,
}

/// Options of `-L`/`-l` (and of a bare invocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListOpts {
    pub what: ListWhat,
    pub numeric: bool,
    pub format: ListFormat,
    pub exact: bool,
    pub nosort: bool,
    /// `--syncid` is legal with `-L` but has no effect there.
    pub syncid: Option<u8>,
}

/// Sync daemon role (`--start-daemon`/`--stop-daemon`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonState {
    Master,
    Backup,
}

/// `--start-daemon` parameters; unset ones keep the kernel defaults (ipvsadm-spec §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonSpec {
    pub state: DaemonState,
    /// Cut to 15 characters; `eth0` by default.
    pub mcast_ifn: String,
    pub syncid: u8,
    pub sync_maxlen: Option<u16>,
    pub mcast_group: Option<IpAddr>,
    pub mcast_port: Option<u16>,
    pub mcast_ttl: Option<u8>,
}

/// `--set TCP TCPFIN UDP`; 0 leaves a value unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// One ipvsadm command line, parsed and checked (ipvsadm-spec §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    AddService(ServiceSpec),
    EditService(ServiceSpec),
    DeleteService(ServiceKey),
    /// `-C`.
    Clear,
    List(ListOpts),
    /// `-Z` with or without a service.
    Zero(Option<ServiceKey>),
    AddDest {
        svc: ServiceKey,
        dest: DestSpec,
    },
    EditDest {
        svc: ServiceKey,
        dest: DestSpec,
    },
    DeleteDest {
        svc: ServiceKey,
        dest: DestKey,
    },
    SetTimeouts(Timeouts),
    StartDaemon(DaemonSpec),
    StopDaemon {
        state: DaemonState,
        syncid: Option<u8>,
    },
    /// `-R`: the lines follow on the input (see `execute_restore`).
    Restore,
    /// `-S`.
    Save {
        numeric: bool,
    },
    /// `-h`: prints the help text.
    Help,
    /// `-v`: prints the version line.
    Version,
}
