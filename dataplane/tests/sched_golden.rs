//! Schedulers against the real kernel (Linux 6.12 IPVS in the oracle VM).
//!
//! Hashing: the services of `golden/sched/hashing.cmd`, fed the same clients;
//! `golden/sched/hashing.golden` is what `ipvsadm -Lnc` showed there (client, virtual
//! service, real server). rvs must pick the same real server for every client, and no server
//! for the clients the kernel left without one (ipvs-schedulers §2.7–§2.9).
//!
//! Load: `golden/sched/least.cmd`, twelve sequential connections through wlc, sed and nq
//! services; `least.golden` is the real server that answered each (§2.4–§2.6).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use dataplane::dest::{DestParams, DestTable, Method, Tunnel};
use dataplane::flow::{Flow, FlowKey};
use dataplane::sched::{by_name, flags};
use dataplane::service::{Dest, Service, ServiceKey};

const GOLDEN: &str = include_str!("golden/sched/hashing.golden");
const LEAST: &str = include_str!("golden/sched/least.golden");

/// One service of hashing.cmd: weights (and weights after the command file's `-e`) in add
/// order rs1, rs2, rs3, and how many clients tests/py/syn.py sent.
struct Case {
    vip: &'static str,
    port: u16,
    sched: &'static str,
    flags: u32,
    added: [u32; 3],
    edited: [u32; 3],
    clients: u32,
}

const V4: &str = "10.10.0.100";
const V6: &str = "2001:db8:10::100";

fn cases() -> Vec<Case> {
    let case = |vip, port, sched, flags, added: [u32; 3], clients| Case {
        vip,
        port,
        sched,
        flags,
        added,
        edited: added,
        clients,
    };
    let mut all = vec![
        case(V4, 80, "sh", 0, [1, 1, 1], 200),
        case(V4, 81, "sh", flags::SCHED2, [3, 2, 1], 200),
        case(V4, 82, "sh", flags::SCHED1, [2, 0, 1], 200),
        case(V4, 83, "sh", 0, [200, 100, 0], 200),
        case(V4, 8080, "mh", 0, [1, 1, 1], 200),
        case(V4, 8081, "mh", flags::SCHED2, [2, 1, 1], 200),
        Case {
            edited: [100, 1, 0],
            ..case(V4, 8082, "mh", flags::SCHED1, [100, 1, 1], 200)
        },
        case(V4, 8083, "mh", 0, [5, 3, 1], 200),
        case(V6, 80, "sh", 0, [1, 1, 1], 100),
        case(V6, 8080, "mh", 0, [1, 1, 1], 100),
    ];
    let dh_vips: Vec<&'static str> = (101..=140)
        .map(|i| &*format!("10.10.0.{i}").leak())
        .collect();
    all.extend(
        dh_vips
            .into_iter()
            .map(|v| case(v, 80, "dh", 0, [1, 1, 1], 1)),
    );
    all
}

/// Real server `n` (1..=3) of the family of `vip`.
fn rs(vip: IpAddr, n: u8) -> IpAddr {
    match vip {
        IpAddr::V4(_) => Ipv4Addr::new(10, 20, 0, 10 + n).into(),
        IpAddr::V6(_) => Ipv6Addr::new(0x2001, 0xdb8, 0x20, 0, 0, 0, 0, 0x10 + u16::from(n)).into(),
    }
}

/// The service as rvs publishes it: list order is the reverse of the add order (§0).
fn service(c: &Case) -> Service {
    let vip: IpAddr = c.vip.parse().unwrap();
    let dests = (1..=3u8)
        .rev()
        .map(|n| Dest {
            params: DestParams {
                addr: rs(vip, n),
                port: c.port,
                method: Method::Route,
                tunnel: Tunnel::default(),
            },
            weight: c.edited[usize::from(n - 1)],
            // §1.4: an edit to weight 0 keeps the last non-zero weight.
            last_weight: match c.edited[usize::from(n - 1)] {
                0 => c.added[usize::from(n - 1)],
                w => w,
            },
            slot: u32::from(n),
        })
        .collect();
    let key = ServiceKey {
        proto: 6,
        addr: vip,
        port: c.port,
    };
    Service::new(key, by_name(c.sched).unwrap(), dests, 1).with_flags(c.flags)
}

/// Client `k` of tests/py/syn.py, with its source port.
fn client(vip: IpAddr, k: u32) -> SocketAddr {
    let addr: IpAddr = match vip {
        IpAddr::V4(_) => Ipv4Addr::new(192, 168, (3 + k / 250) as u8, (1 + k % 250) as u8).into(),
        IpAddr::V6(_) => {
            Ipv6Addr::from(0x2001_0db8_0099_0000_0000_0000_0000_0001 + u128::from(k)).into()
        }
    };
    SocketAddr::new(addr, 40000 + k as u16)
}

fn flow(from: SocketAddr, to: SocketAddr) -> Flow {
    match (from.ip(), to.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Flow::V4(FlowKey {
            proto: 6,
            saddr: s,
            sport: from.port(),
            daddr: d,
            dport: to.port(),
        }),
        (IpAddr::V6(s), IpAddr::V6(d)) => Flow::V6(FlowKey {
            proto: 6,
            saddr: s,
            sport: from.port(),
            daddr: d,
            dport: to.port(),
        }),
        _ => panic!("mixed families"),
    }
}

/// (client, virtual service) → real server, as the kernel chose.
fn golden() -> HashMap<(SocketAddr, SocketAddr), SocketAddr> {
    GOLDEN
        .lines()
        .map(|l| {
            let f: Vec<SocketAddr> = l.split(' ').skip(1).map(|a| a.parse().unwrap()).collect();
            ((f[0], f[1]), f[2])
        })
        .collect()
}

#[test]
fn hashing_schedulers_pick_what_linux_picks() {
    let kernel = golden();
    let counters = DestTable::new(4);
    let mut checked = 0;
    for c in cases() {
        let svc = service(&c);
        let vs = SocketAddr::new(svc.key.addr, c.port);
        let mut cursor = svc.sched.init_state(&svc.info);
        for k in 0..c.clients {
            let from = client(vs.ip(), k);
            let got = svc
                .pick(&mut cursor, &counters, &flow(from, vs), 0)
                .map(|i| SocketAddr::new(svc.dests[i].params.addr, svc.dests[i].params.port));
            assert_eq!(
                got,
                kernel.get(&(from, vs)).copied(),
                "{} {from} → {vs}",
                c.sched
            );
            checked += 1;
        }
    }
    // Every kernel entry was one of the clients above; one client of sh :83 had none.
    assert_eq!(checked, kernel.len() + 1);
}

/// least.cmd: rs1, rs2, rs3 added with weights 3, 2, 1; each connection is closed (inactive)
/// before the next is scheduled.
#[test]
fn least_load_schedulers_follow_linux_over_sequential_connections() {
    let vip: IpAddr = V4.parse().unwrap();
    for sched in ["wlc", "sed", "nq"] {
        let c = Case {
            vip: V4,
            port: 80,
            sched,
            flags: 0,
            added: [3, 2, 1],
            edited: [3, 2, 1],
            clients: 12,
        };
        let svc = service(&c);
        let counters = DestTable::new(4);
        let mut cursor = svc.sched.init_state(&svc.info);
        let got: Vec<String> = (0..c.clients)
            .map(|k| {
                let to = SocketAddr::new(vip, 80);
                let i = svc.pick(&mut cursor, &counters, &flow(client(vip, k), to), 0);
                let slot = svc.dests[i.unwrap()].slot;
                counters.conn_created(slot);
                format!("{sched} {} rs{slot}", k + 1)
            })
            .collect();
        let want: Vec<&str> = LEAST
            .lines()
            .filter(|l| l.starts_with(&format!("{sched} ")))
            .collect();
        assert_eq!(got, want);
    }
}
