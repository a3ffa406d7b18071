//! The IPVS connection state machine as data (ipvs-forwarding §1), like the kernel's
//! `tcp_states[]` in ip_vs_proto_tcp.c: one row per current state, one column per TCP flag
//! class, one table per direction. Only the normal tables (`secure_tcp` off, §1.4.1).
//!
//! UDP has a single state, printed `UDP`, always counted inactive (§1.5, §1.7).

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// IP protocol numbers the table knows.
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// TCP states, numbered as IPVS numbers them (§1.1; also the sync protocol's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TcpState {
    None = 0,
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait = 4,
    TimeWait = 5,
    Close = 6,
    CloseWait = 7,
    LastAck = 8,
    Listen = 9,
    SynAck = 10,
}

/// Number of TCP states (rows of the tables).
pub const TCP_STATES: usize = 11;

impl TcpState {
    pub const ALL: [TcpState; TCP_STATES] = [
        TcpState::None,
        TcpState::Established,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::FinWait,
        TcpState::TimeWait,
        TcpState::Close,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::Listen,
        TcpState::SynAck,
    ];

    /// The state numbered `n`, if any.
    pub fn from_u8(n: u8) -> Option<TcpState> {
        Self::ALL.get(usize::from(n)).copied()
    }

    /// Exactly as `ipvsadm -Lc` prints it (§1.1).
    pub fn name(self) -> &'static str {
        TCP_NAMES[self as usize]
    }

    /// `tcp_state_active_table` (§1.5): pre-established and established states are active.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TcpState::Established | TcpState::SynSent | TcpState::SynRecv | TcpState::SynAck
        )
    }
}

const TCP_NAMES: [&str; TCP_STATES] = [
    "NONE",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "SYNACK",
];

/// Name of a state of any protocol, as `ipvsadm -Lc` prints it (`ERR!` when out of range).
pub fn state_name(proto: u8, state: u8) -> &'static str {
    match proto {
        PROTO_TCP => TcpState::from_u8(state).map_or("ERR!", TcpState::name),
        PROTO_UDP if state == 0 => "UDP",
        _ => "ERR!",
    }
}

/// Whether a connection of `proto` in `state` counts in ActiveConn (else InActConn).
pub fn is_active(proto: u8, state: u8) -> bool {
    proto == PROTO_TCP && TcpState::from_u8(state).is_some_and(TcpState::is_active)
}

/// Which transition table applies (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client → director.
    Input,
    /// Real server → client (a NAT reply).
    Output,
    /// Client → director while no reply has been seen (DR/TUN: `IP_VS_CONN_F_NOOUTPUT`).
    InputOnly,
}

/// Flag class of a segment (`tcp_state_idx`, §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Syn = 0,
    Fin = 1,
    Ack = 2,
    Rst = 3,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;

impl Column {
    /// Priority RST > SYN > FIN > ACK; `None` when none of them is set (§1.2).
    pub fn of(tcp_flags: u8) -> Option<Column> {
        if tcp_flags & TCP_RST != 0 {
            Some(Column::Rst)
        } else if tcp_flags & TCP_SYN != 0 {
            Some(Column::Syn)
        } else if tcp_flags & TCP_FIN != 0 {
            Some(Column::Fin)
        } else if tcp_flags & TCP_ACK != 0 {
            Some(Column::Ack)
        } else {
            None
        }
    }
}

use TcpState::{
    Close as CL, CloseWait as CW, Established as ES, FinWait as FW, LastAck as LA, Listen as LI,
    SynRecv as SR, SynSent as SS, TimeWait as TW,
};

type Table = [[TcpState; 4]; TCP_STATES];

/// INPUT, normal (§1.4.1). Columns: SYN, FIN, ACK, RST.
#[rustfmt::skip]
pub const INPUT: Table = [
    /* NONE        */ [SR, CL, ES, CL],
    /* ESTABLISHED */ [ES, CW, ES, CL],
    /* SYN_SENT    */ [ES, SS, SS, CL],
    /* SYN_RECV    */ [SR, TW, ES, SR],
    /* FIN_WAIT    */ [SR, TW, FW, CL],
    /* TIME_WAIT   */ [SR, TW, TW, CL],
    /* CLOSE       */ [SR, CL, CL, CL],
    /* CLOSE_WAIT  */ [SR, CW, CW, CL],
    /* LAST_ACK    */ [SR, LA, CL, LA],
    /* LISTEN      */ [SR, LI, LI, LI],
    /* SYNACK      */ [SR, TW, ES, SR],
];

/// OUTPUT, normal (§1.4.1).
#[rustfmt::skip]
pub const OUTPUT: Table = [
    /* NONE        */ [SS, TW, ES, CL],
    /* ESTABLISHED */ [ES, FW, ES, CL],
    /* SYN_SENT    */ [SS, SS, SS, SS],
    /* SYN_RECV    */ [SR, TW, ES, CL],
    /* FIN_WAIT    */ [SS, FW, FW, CL],
    /* TIME_WAIT   */ [SS, TW, TW, TW],
    /* CLOSE       */ [SS, CL, CL, CL],
    /* CLOSE_WAIT  */ [SS, TW, CW, CL],
    /* LAST_ACK    */ [SS, LA, LA, CL],
    /* LISTEN      */ [LI, LI, ES, CL],
    /* SYNACK      */ [SR, TW, ES, CL],
];

/// INPUT-ONLY, normal (§1.4.1): DR/TUN before any reply was seen.
#[rustfmt::skip]
pub const INPUT_ONLY: Table = [
    /* NONE        */ [SR, CL, ES, CL],
    /* ESTABLISHED */ [ES, FW, ES, CL],
    /* SYN_SENT    */ [ES, SS, SS, CL],
    /* SYN_RECV    */ [SR, TW, ES, SR],
    /* FIN_WAIT    */ [SR, FW, FW, CL],
    /* TIME_WAIT   */ [SR, TW, TW, CL],
    /* CLOSE       */ [SR, CL, CL, CL],
    /* CLOSE_WAIT  */ [SR, CW, CW, CL],
    /* LAST_ACK    */ [SR, LA, CL, LA],
    /* LISTEN      */ [SR, LI, LI, LI],
    /* SYNACK      */ [SR, TW, ES, CL],
];

/// The next TCP state for a segment with `tcp_flags` seen in direction `dir` (§1.2–§1.4).
pub fn next_tcp_state(dir: Dir, cur: TcpState, tcp_flags: u8) -> TcpState {
    let table = match dir {
        Dir::Input => &INPUT,
        Dir::Output => &OUTPUT,
        Dir::InputOnly => &INPUT_ONLY,
    };
    match Column::of(tcp_flags) {
        Some(col) => table[cur as usize][col as usize],
        // No RST/SYN/FIN/ACK: forced to CLOSE, not "unchanged" (§1.2 rule 5).
        None => TcpState::Close,
    }
}

/// IPVS default timeouts in seconds, by TCP state number (§1.1).
const TCP_DEFAULT_SECS: [u32; TCP_STATES] = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];
const UDP_DEFAULT_SECS: u32 = 300;

/// Longest timeout the table can hold: deadlines are 32-bit wrapping milliseconds, compared
/// as signed differences, so a timeout must stay below 2^31 ms (about 24.8 days). The kernel
/// accepts up to INT_MAX/HZ s (§1.7); larger values are clamped here.
pub const MAX_TIMEOUT_SECS: u32 = (i32::MAX as u32) / 1000;

/// Timeouts settable with `ipvsadm --set tcp tcpfin udp` (§1.7): TCP ESTABLISHED, TCP
/// FIN_WAIT and UDP. Every other state keeps its default. Atomics so the control thread can
/// change them while workers read them; a change applies at a connection's next packet.
#[derive(Debug)]
pub struct Timeouts {
    tcp: AtomicU32,
    tcp_fin: AtomicU32,
    udp: AtomicU32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp: AtomicU32::new(TCP_DEFAULT_SECS[TcpState::Established as usize]),
            tcp_fin: AtomicU32::new(TCP_DEFAULT_SECS[TcpState::FinWait as usize]),
            udp: AtomicU32::new(UDP_DEFAULT_SECS),
        }
    }
}

impl Timeouts {
    /// `--set tcp tcpfin udp` in seconds; 0 leaves a value unchanged (§1.7).
    pub fn set(&self, tcp: u32, tcp_fin: u32, udp: u32) {
        for (cell, v) in [(&self.tcp, tcp), (&self.tcp_fin, tcp_fin), (&self.udp, udp)] {
            if v != 0 {
                cell.store(v.min(MAX_TIMEOUT_SECS), Relaxed);
            }
        }
    }

    /// `(tcp, tcpfin, udp)` in seconds, as `ipvsadm -L --timeout` prints them.
    pub fn get(&self) -> (u32, u32, u32) {
        (
            self.tcp.load(Relaxed),
            self.tcp_fin.load(Relaxed),
            self.udp.load(Relaxed),
        )
    }

    /// Timeout in seconds of a connection of `proto` in `state`.
    pub fn secs(&self, proto: u8, state: u8) -> u32 {
        match (proto, TcpState::from_u8(state)) {
            (PROTO_TCP, Some(TcpState::Established)) => self.tcp.load(Relaxed),
            (PROTO_TCP, Some(TcpState::FinWait)) => self.tcp_fin.load(Relaxed),
            (PROTO_TCP, Some(s)) => TCP_DEFAULT_SECS[s as usize],
            (PROTO_UDP, _) => self.udp.load(Relaxed),
            // Unknown protocol or state: the shortest default, so it goes away soon.
            _ => TCP_DEFAULT_SECS[0],
        }
    }

    /// Same, in milliseconds.
    pub fn ms(&self, proto: u8, state: u8) -> u32 {
        self.secs(proto, state) * 1000
    }
}

/// `conn_reuse_mode` (§2.5): whether a new SYN that finds an entry should expire it and be
/// scheduled afresh. Mode 1 (the default): TIME_WAIT or CLOSE. Modes 2 and 3 also FIN_WAIT
/// of a DR/TUN entry (`no_output`). Entries under a template or FTP control are not
/// modelled yet (they would never be reused).
pub fn reuse_on_syn(proto: u8, state: u8, no_output: bool, conn_reuse_mode: u8) -> bool {
    if proto != PROTO_TCP || conn_reuse_mode == 0 {
        return false;
    }
    match TcpState::from_u8(state) {
        Some(TcpState::TimeWait | TcpState::Close) => true,
        Some(TcpState::FinWait) => conn_reuse_mode & 2 != 0 && no_output,
        _ => false,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const SYN: u8 = TCP_SYN;
    const FIN: u8 = TCP_FIN;
    const ACK: u8 = TCP_ACK;
    const RST: u8 = TCP_RST;

    /// The spec's tables (§1.4.1) transcribed as text, so each cell is checked against an
    /// independent spelling of the same table.
    const SPEC: [(&str, Dir, [&str; TCP_STATES]); 3] = [
        (
            "INPUT",
            Dir::Input,
            [
                "SR CL ES CL",
                "ES CW ES CL",
                "ES SS SS CL",
                "SR TW ES SR",
                "SR TW FW CL",
                "SR TW TW CL",
                "SR CL CL CL",
                "SR CW CW CL",
                "SR LA CL LA",
                "SR LI LI LI",
                "SR TW ES SR",
            ],
        ),
        (
            "OUTPUT",
            Dir::Output,
            [
                "SS TW ES CL",
                "ES FW ES CL",
                "SS SS SS SS",
                "SR TW ES CL",
                "SS FW FW CL",
                "SS TW TW TW",
                "SS CL CL CL",
                "SS TW CW CL",
                "SS LA LA CL",
                "LI LI ES CL",
                "SR TW ES CL",
            ],
        ),
        (
            "INPUT-ONLY",
            Dir::InputOnly,
            [
                "SR CL ES CL",
                "ES FW ES CL",
                "ES SS SS CL",
                "SR TW ES SR",
                "SR FW FW CL",
                "SR TW TW CL",
                "SR CL CL CL",
                "SR CW CW CL",
                "SR LA CL LA",
                "SR LI LI LI",
                "SR TW ES CL",
            ],
        ),
    ];

    fn abbrev(s: TcpState) -> &'static str {
        [
            "NO", "ES", "SS", "SR", "FW", "TW", "CL", "CW", "LA", "LI", "SA",
        ][s as usize]
    }

    #[test]
    fn every_cell_matches_the_spec() {
        for (name, dir, rows) in SPEC {
            for (cur, row) in TcpState::ALL.iter().zip(rows) {
                let want: Vec<&str> = row.split(' ').collect();
                for (col, flags) in [SYN, FIN, ACK, RST].iter().enumerate() {
                    let got = abbrev(next_tcp_state(dir, *cur, *flags));
                    assert_eq!(got, want[col], "{name} {cur:?} col {col}");
                }
            }
        }
    }

    #[test]
    fn flag_priority_and_no_flag_forces_close() {
        // RST wins over everything, SYN over FIN, FIN over ACK (§1.2).
        let es = TcpState::Established;
        assert_eq!(next_tcp_state(Dir::Input, es, RST | SYN | ACK), CL);
        assert_eq!(next_tcp_state(Dir::Input, TcpState::FinWait, SYN | FIN), SR);
        assert_eq!(next_tcp_state(Dir::Input, es, FIN | ACK), CW);
        // PSH (0x08) alone on ESTABLISHED gives CLOSE (oracle note in §1.2).
        assert_eq!(next_tcp_state(Dir::Input, es, 0x08), CL);
        assert_eq!(next_tcp_state(Dir::Output, es, 0), CL);
    }

    fn walk(steps: &[(Dir, u8)]) -> Vec<&'static str> {
        let mut s = TcpState::None;
        steps
            .iter()
            .map(|&(d, f)| {
                s = next_tcp_state(d, s, f);
                abbrev(s)
            })
            .collect()
    }

    #[test]
    fn typical_walks() {
        use Dir::{Input as I, InputOnly as IO, Output as O};
        // §1.4.3 NAT, client closes.
        let nat_client_close = [
            (I, SYN),
            (O, SYN | ACK),
            (I, ACK),
            (I, ACK),
            (I, FIN | ACK),
            (O, ACK),
            (O, FIN | ACK),
            (I, ACK),
        ];
        assert_eq!(
            walk(&nat_client_close),
            ["SR", "SR", "ES", "ES", "CW", "CW", "TW", "TW"]
        );
        // NAT, server closes.
        let head = [(I, SYN), (O, SYN | ACK), (I, ACK)];
        let mut server_close = head.to_vec();
        server_close.extend([(O, FIN | ACK), (I, ACK), (I, FIN | ACK), (O, ACK)]);
        assert_eq!(&walk(&server_close)[3..], ["FW", "FW", "TW", "TW"]);
        // NAT, RST from either side.
        let mut rst_in = head.to_vec();
        rst_in.push((I, RST));
        assert_eq!(walk(&rst_in)[3], "CL");
        let mut rst_out = head.to_vec();
        rst_out.push((O, RST));
        assert_eq!(walk(&rst_out)[3], "CL");
        // DR/TUN.
        let dr = [(IO, SYN), (IO, ACK), (IO, ACK), (IO, FIN | ACK), (IO, ACK)];
        assert_eq!(walk(&dr), ["SR", "ES", "ES", "FW", "FW"]);
        // DR, RST then SYN: CLOSE, which conn_reuse_mode=1 reuses (§1.4.3, §2.5).
        assert_eq!(walk(&[(IO, SYN), (IO, ACK), (IO, RST)])[2], "CL");
        assert!(reuse_on_syn(PROTO_TCP, CL as u8, true, 1));
    }

    #[test]
    fn names_activity_and_timeouts() {
        let names: Vec<&str> = TcpState::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, TCP_NAMES);
        assert_eq!(state_name(PROTO_TCP, 11), "ERR!");
        assert_eq!(state_name(PROTO_UDP, 0), "UDP");
        let active: Vec<bool> = TcpState::ALL.iter().map(|s| s.is_active()).collect();
        let want = [
            false, true, true, true, false, false, false, false, false, false, true,
        ];
        assert_eq!(active, want);
        assert!(!is_active(PROTO_UDP, 0));

        let t = Timeouts::default();
        let secs: Vec<u32> = (0..11).map(|s| t.secs(PROTO_TCP, s)).collect();
        assert_eq!(secs, [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]);
        assert_eq!(t.secs(PROTO_UDP, 0), 300);
        assert_eq!(t.get(), (900, 120, 300));
        // `--set 60 0 0`: only ESTABLISHED changes; 0 leaves the others (§1.7).
        t.set(60, 0, 0);
        assert_eq!(t.get(), (60, 120, 300));
        assert_eq!(t.ms(PROTO_TCP, ES as u8), 60_000);
        t.set(0, 30, 10);
        assert_eq!(t.secs(PROTO_TCP, FW as u8), 30);
        assert_eq!(
            t.secs(PROTO_TCP, TW as u8),
            120,
            "TIME_WAIT is not settable"
        );
        assert_eq!(t.secs(PROTO_UDP, 0), 10);
        t.set(u32::MAX, 0, 0);
        assert_eq!(t.get().0, MAX_TIMEOUT_SECS);
    }

    #[test]
    fn reuse_rules() {
        let tcp = PROTO_TCP;
        assert!(reuse_on_syn(tcp, TW as u8, false, 1));
        assert!(!reuse_on_syn(tcp, TW as u8, false, 0));
        assert!(!reuse_on_syn(tcp, ES as u8, false, 1));
        assert!(!reuse_on_syn(tcp, FW as u8, true, 1));
        assert!(reuse_on_syn(tcp, FW as u8, true, 2));
        assert!(!reuse_on_syn(tcp, FW as u8, false, 3));
        assert!(!reuse_on_syn(PROTO_UDP, 0, false, 1));
    }
}
