//! ipvsadm's option table and its command × option legality table, as data
//! (ipvsadm-spec §4.1-§4.3; `options[]` and `commands_v_options` in ipvsadm.c).

/// What a popt option returns: a command or an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Cmd(Cmd),
    Help,
    Version,
    Opt(Opt),
    /// `-6`: not an option of the matrix, may repeat (ipvsadm-spec §4.2).
    Ipv6,
    /// `--sort`: accepted and ignored.
    Sort,
}

/// Commands, with the names used in messages (ipvsadm-spec §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    AddService,
    EditService,
    DeleteService,
    Flush,
    List,
    Zero,
    AddServer,
    EditServer,
    DeleteServer,
    Set,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
}

impl Cmd {
    pub fn name(self) -> &'static str {
        match self {
            Cmd::AddService => "add-service",
            Cmd::EditService => "edit-service",
            Cmd::DeleteService => "delete-service",
            Cmd::Flush => "flush",
            Cmd::List => "list",
            Cmd::Zero => "zero",
            Cmd::AddServer => "add-server",
            Cmd::EditServer => "edit-server",
            Cmd::DeleteServer => "delete-server",
            Cmd::Set => "set",
            Cmd::StartDaemon => "start-daemon",
            Cmd::StopDaemon => "stop-daemon",
            Cmd::Restore => "restore",
            Cmd::Save => "save",
        }
    }
}

/// Options in matrix column order; the discriminant is the index of ipvsadm-spec §4.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opt {
    Numeric = 0,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    Nosort,
    Syncid,
    Exact,
    Ops,
    Pe,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
}

/// Number of matrix columns.
pub const OPT_COUNT: usize = 34;

/// All options in index order, for walking the matrix.
pub const ALL_OPTS: [Opt; OPT_COUNT] = [
    Opt::Numeric,
    Opt::Connection,
    Opt::Service,
    Opt::Scheduler,
    Opt::Persistent,
    Opt::Netmask,
    Opt::RealServer,
    Opt::Forward,
    Opt::Weight,
    Opt::UThreshold,
    Opt::LThreshold,
    Opt::McastInterface,
    Opt::Timeout,
    Opt::Daemon,
    Opt::Stats,
    Opt::Rate,
    Opt::Thresholds,
    Opt::PersistentConn,
    Opt::Nosort,
    Opt::Syncid,
    Opt::Exact,
    Opt::Ops,
    Opt::Pe,
    Opt::SchedFlags,
    Opt::McastGroup,
    Opt::McastPort,
    Opt::McastTtl,
    Opt::SyncMaxlen,
    Opt::TunInfo,
    Opt::TunType,
    Opt::TunPort,
    Opt::TunNocsum,
    Opt::TunCsum,
    Opt::TunRemcsum,
];

impl Opt {
    /// The word used in `multiple '...'` and matrix messages (ipvsadm-spec §4.2).
    pub fn name(self) -> &'static str {
        const NAMES: [&str; OPT_COUNT] = [
            "numeric",
            "connection",
            "service-address",
            "scheduler",
            "persistent",
            "netmask",
            "real-server",
            "forwarding-method",
            "weight",
            "u-threshold",
            "l-threshold",
            "mcast-interface",
            "timeout",
            "daemon",
            "stats",
            "rate",
            "thresholds",
            "persistent-conn",
            "nosort",
            "syncid",
            "exact",
            "ops",
            "pe",
            "sched-flags",
            "mcast-group",
            "mcast-port",
            "mcast-ttl",
            "sync-maxlen",
            "tun-info",
            "tun-type",
            "tun-port",
            "tun-nocsum",
            "tun-csum",
            "tun-remcsum",
        ];
        NAMES[self as usize]
    }

    pub fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

/// Which argument a popt option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Required,
    /// Only `-p`: takes the next word only if it does not begin with `-` (ipvsadm-spec §3).
    Optional,
}

/// What exactly was given, beyond the matrix column (`-t` vs `-u`, `-g` vs `-m`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Plain,
    Tcp,
    Udp,
    Sctp,
    Fwmark,
    Route,
    Tunnel,
    Masq,
}

/// One row of ipvsadm's popt table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptDef {
    pub short: Option<char>,
    pub long: &'static str,
    pub arg: ArgKind,
    pub id: Id,
    pub which: Which,
}

const fn def(
    short: Option<char>,
    long: &'static str,
    arg: ArgKind,
    id: Id,
    which: Which,
) -> OptDef {
    OptDef {
        short,
        long,
        arg,
        id,
        which,
    }
}

const fn cmd(short: Option<char>, long: &'static str, c: Cmd) -> OptDef {
    def(short, long, ArgKind::None, Id::Cmd(c), Which::Plain)
}

const fn opt(short: Option<char>, long: &'static str, arg: ArgKind, o: Opt) -> OptDef {
    def(short, long, arg, Id::Opt(o), Which::Plain)
}

use ArgKind::{None as NoArg, Optional, Required};

/// ipvsadm 1.31's popt table (`-l` is a second short name of `--list`).
pub const OPTIONS: &[OptDef] = &[
    cmd(Some('A'), "add-service", Cmd::AddService),
    cmd(Some('E'), "edit-service", Cmd::EditService),
    cmd(Some('D'), "delete-service", Cmd::DeleteService),
    cmd(Some('C'), "clear", Cmd::Flush),
    cmd(Some('L'), "list", Cmd::List),
    cmd(Some('l'), "list", Cmd::List),
    cmd(Some('Z'), "zero", Cmd::Zero),
    cmd(Some('a'), "add-server", Cmd::AddServer),
    cmd(Some('e'), "edit-server", Cmd::EditServer),
    cmd(Some('d'), "delete-server", Cmd::DeleteServer),
    cmd(None, "set", Cmd::Set),
    def(
        None,
        "start-daemon",
        Required,
        Id::Cmd(Cmd::StartDaemon),
        Which::Plain,
    ),
    def(
        None,
        "stop-daemon",
        Required,
        Id::Cmd(Cmd::StopDaemon),
        Which::Plain,
    ),
    cmd(Some('R'), "restore", Cmd::Restore),
    cmd(Some('S'), "save", Cmd::Save),
    def(Some('h'), "help", NoArg, Id::Help, Which::Plain),
    def(Some('v'), "version", NoArg, Id::Version, Which::Plain),
    opt(Some('n'), "numeric", NoArg, Opt::Numeric),
    opt(Some('c'), "connection", NoArg, Opt::Connection),
    def(
        Some('t'),
        "tcp-service",
        Required,
        Id::Opt(Opt::Service),
        Which::Tcp,
    ),
    def(
        Some('u'),
        "udp-service",
        Required,
        Id::Opt(Opt::Service),
        Which::Udp,
    ),
    def(
        None,
        "sctp-service",
        Required,
        Id::Opt(Opt::Service),
        Which::Sctp,
    ),
    def(
        Some('f'),
        "fwmark-service",
        Required,
        Id::Opt(Opt::Service),
        Which::Fwmark,
    ),
    opt(Some('s'), "scheduler", Required, Opt::Scheduler),
    opt(Some('p'), "persistent", Optional, Opt::Persistent),
    opt(Some('M'), "netmask", Required, Opt::Netmask),
    opt(Some('r'), "real-server", Required, Opt::RealServer),
    def(
        Some('g'),
        "gatewaying",
        NoArg,
        Id::Opt(Opt::Forward),
        Which::Route,
    ),
    def(
        Some('i'),
        "ipip",
        NoArg,
        Id::Opt(Opt::Forward),
        Which::Tunnel,
    ),
    def(
        Some('m'),
        "masquerading",
        NoArg,
        Id::Opt(Opt::Forward),
        Which::Masq,
    ),
    opt(Some('w'), "weight", Required, Opt::Weight),
    opt(Some('x'), "u-threshold", Required, Opt::UThreshold),
    opt(Some('y'), "l-threshold", Required, Opt::LThreshold),
    opt(None, "mcast-interface", Required, Opt::McastInterface),
    opt(None, "timeout", NoArg, Opt::Timeout),
    opt(None, "daemon", NoArg, Opt::Daemon),
    opt(None, "stats", NoArg, Opt::Stats),
    opt(None, "rate", NoArg, Opt::Rate),
    opt(None, "thresholds", NoArg, Opt::Thresholds),
    opt(None, "persistent-conn", NoArg, Opt::PersistentConn),
    opt(None, "nosort", NoArg, Opt::Nosort),
    def(None, "sort", NoArg, Id::Sort, Which::Plain),
    opt(None, "syncid", Required, Opt::Syncid),
    opt(Some('X'), "exact", NoArg, Opt::Exact),
    def(Some('6'), "ipv6", NoArg, Id::Ipv6, Which::Plain),
    opt(Some('o'), "ops", NoArg, Opt::Ops),
    opt(None, "pe", Required, Opt::Pe),
    opt(Some('b'), "sched-flags", Required, Opt::SchedFlags),
    opt(None, "mcast-group", Required, Opt::McastGroup),
    opt(None, "mcast-port", Required, Opt::McastPort),
    opt(None, "mcast-ttl", Required, Opt::McastTtl),
    opt(None, "sync-maxlen", Required, Opt::SyncMaxlen),
    opt(None, "tun-info", NoArg, Opt::TunInfo),
    opt(None, "tun-type", Required, Opt::TunType),
    opt(None, "tun-port", Required, Opt::TunPort),
    opt(None, "tun-nocsum", NoArg, Opt::TunNocsum),
    opt(None, "tun-csum", NoArg, Opt::TunCsum),
    opt(None, "tun-remcsum", NoArg, Opt::TunRemcsum),
];

pub fn by_short(c: char) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|d| d.short == Some(c))
}

pub fn by_long(name: &str) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|d| d.long == name)
}

/// A matrix cell (`commands_v_options`: ' ', 'x', '+', '1').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legal {
    Optional,
    Illegal,
    Required,
    /// At most one of the options so marked.
    OneOf,
}

type Row = [Legal; OPT_COUNT];

/// A row where everything not listed is illegal.
const fn row(cells: &[(Opt, Legal)]) -> Row {
    let mut r = [Legal::Illegal; OPT_COUNT];
    let mut i = 0;
    while i < cells.len() {
        r[cells[i].0 as usize] = cells[i].1;
        i += 1;
    }
    r
}

use Legal::{OneOf as ONE, Optional as OPT, Required as REQ};

const SERVICE_ROW: Row = row(&[
    (Opt::Service, REQ),
    (Opt::Scheduler, OPT),
    (Opt::Persistent, OPT),
    (Opt::Netmask, OPT),
    (Opt::Ops, OPT),
    (Opt::Pe, OPT),
    (Opt::SchedFlags, OPT),
]);

const SERVER_ROW: Row = row(&[
    (Opt::Service, REQ),
    (Opt::RealServer, REQ),
    (Opt::Forward, OPT),
    (Opt::Weight, OPT),
    (Opt::UThreshold, OPT),
    (Opt::LThreshold, OPT),
    (Opt::TunType, OPT),
    (Opt::TunPort, OPT),
    (Opt::TunNocsum, OPT),
    (Opt::TunCsum, OPT),
    (Opt::TunRemcsum, OPT),
]);

const LIST_ROW: Row = row(&[
    (Opt::Numeric, OPT),
    (Opt::Connection, ONE),
    (Opt::Service, ONE),
    (Opt::Timeout, ONE),
    (Opt::Daemon, ONE),
    (Opt::Stats, OPT),
    (Opt::Rate, OPT),
    (Opt::Thresholds, OPT),
    (Opt::PersistentConn, OPT),
    (Opt::Nosort, OPT),
    (Opt::Syncid, OPT),
    (Opt::Exact, OPT),
    (Opt::TunInfo, OPT),
]);

/// The command × option legality table of ipvsadm-spec §4.3.
pub fn legality(c: Cmd) -> &'static Row {
    const DELETE_SERVICE: Row = row(&[(Opt::Service, REQ)]);
    const NOTHING: Row = row(&[]);
    const DELETE_SERVER: Row = row(&[(Opt::Service, REQ), (Opt::RealServer, REQ)]);
    const START_DAEMON: Row = row(&[
        (Opt::McastInterface, OPT),
        (Opt::Syncid, OPT),
        (Opt::McastGroup, OPT),
        (Opt::McastPort, OPT),
        (Opt::McastTtl, OPT),
        (Opt::SyncMaxlen, OPT),
    ]);
    const STOP_DAEMON: Row = row(&[(Opt::Syncid, OPT)]);
    const SAVE: Row = row(&[(Opt::Numeric, OPT)]);
    const ZERO: Row = row(&[(Opt::Service, OPT)]);
    match c {
        Cmd::AddService | Cmd::EditService => &SERVICE_ROW,
        Cmd::DeleteService => &DELETE_SERVICE,
        Cmd::Flush | Cmd::Set | Cmd::Restore => &NOTHING,
        Cmd::List => &LIST_ROW,
        Cmd::AddServer | Cmd::EditServer => &SERVER_ROW,
        Cmd::DeleteServer => &DELETE_SERVER,
        Cmd::StartDaemon => &START_DAEMON,
        Cmd::StopDaemon => &STOP_DAEMON,
        Cmd::Save => &SAVE,
        Cmd::Zero => &ZERO,
    }
}

/// ipvsadm's `generic_opt_check`: walk the columns in index order; the lowest offending index
/// decides the message (ipvsadm-spec §4.3).
pub fn check_matrix(c: Cmd, given: u64) -> Result<(), String> {
    let cells = legality(c);
    let mut first_of_group: Option<Opt> = None;
    for o in ALL_OPTS {
        let present = given & o.bit() != 0;
        match (cells[o as usize], present) {
            (Legal::Required, false) => {
                return Err(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    o.name(),
                    c.name()
                ))
            }
            (Legal::Illegal, true) => {
                return Err(format!(
                    "Illegal '{}' option with the '{}' command",
                    o.name(),
                    c.name()
                ))
            }
            (Legal::OneOf, true) => match first_of_group {
                None => first_of_group = Some(o),
                Some(prev) => {
                    return Err(format!(
                        "The option '{}' conflicts with the '{}' option in the '{}' command",
                        o.name(),
                        prev.name(),
                        c.name()
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn option_names_follow_index() {
        for (i, o) in ALL_OPTS.iter().enumerate() {
            assert_eq!(*o as usize, i);
        }
        assert_eq!(Opt::TunRemcsum.name(), "tun-remcsum");
    }

    #[test]
    fn lowest_index_decides() {
        let given = Opt::Service.bit() | Opt::RealServer.bit();
        assert_eq!(
            check_matrix(Cmd::AddService, given).unwrap_err(),
            "Illegal 'real-server' option with the 'add-service' command"
        );
        assert_eq!(
            check_matrix(Cmd::AddServer, Opt::RealServer.bit()).unwrap_err(),
            "You need to supply the 'service-address' option for the 'add-server' command"
        );
        assert!(check_matrix(Cmd::List, Opt::Numeric.bit() | Opt::Service.bit()).is_ok());
    }
}
