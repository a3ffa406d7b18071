//! Connection table tests: both directions, expiry on a test clock, full table, counters,
//! reuse, and concurrency against a model.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::state::{reuse_on_syn, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use super::*;
use crate::dest::{DestTable, Method};
use crate::flow::FlowKey;

// The table is generic over the family; these tests run it with IPv4 (the IPv6 entry has its
// own tests below the IPv4 ones where it differs).
type Conn = super::Conn<Ipv4Addr>;
type ConnHit = super::ConnHit<Ipv4Addr>;
type ConnTable = super::ConnTable<Ipv4Addr>;
type ConnOwner = super::ConnOwner<Ipv4Addr>;

const C: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
const V: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const R1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
const R2: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 21);
const SEC: u64 = 1000;

fn table(capacity: usize, workers: usize) -> (Arc<ConnTable>, Vec<ConnOwner>) {
    let dests = Arc::new(DestTable::new(16));
    ConnTable::with_seed(capacity, workers, dests, Arc::default(), 7)
}

/// ipvs-forwarding §7.0: C:40000 → V:80 NAT to R1:8080 (dest slot 1).
fn nat(cport: u16) -> Conn {
    Conn {
        proto: PROTO_TCP,
        caddr: C,
        cport,
        vaddr: V,
        vport: 80,
        daddr: R1,
        dport: 8080,
        fwd: Method::Masq,
        dest: 1,
    }
}

/// The same client to DR server R2 (dest slot 2).
fn dr(cport: u16) -> Conn {
    Conn {
        daddr: R2,
        dport: 80,
        fwd: Method::Route,
        dest: 2,
        ..nat(cport)
    }
}

fn key(proto: u8, saddr: Ipv4Addr, sport: u16, daddr: Ipv4Addr, dport: u16) -> FlowKey<Ipv4Addr> {
    FlowKey {
        proto,
        saddr,
        sport,
        daddr,
        dport,
    }
}

fn find_in(t: &ConnTable, c: &Conn) -> Option<ConnHit> {
    t.lookup_in(&c.in_key())
}

fn find_out(t: &ConnTable, c: &Conn) -> Option<ConnHit> {
    t.lookup_out(&c.out_key())
}

fn name(t: &ConnTable, c: &Conn) -> &'static str {
    state::state_name(c.proto, find_in(t, c).expect("entry").state)
}

/// Looks the entry up in `dir` and applies one packet.
fn packet(t: &ConnTable, c: &Conn, dir: Dir, flags: u8, now: u64) -> &'static str {
    let hit = match dir {
        Dir::Output => find_out(t, c),
        _ => find_in(t, c),
    }
    .expect("entry");
    let tr = t.update(&hit, dir, flags, now).expect("live");
    state::state_name(c.proto, tr.new)
}

fn expires(t: &ConnTable, now: u64) -> Vec<(&'static str, u32)> {
    let mut v = vec![];
    t.for_each_live(now, |cv| v.push((cv.state_name, cv.expires_ms)));
    v
}

#[test]
fn both_directions_find_the_same_entry() {
    let (t, mut owners) = table(64, 1);
    let w = &mut owners[0];
    let a = w.insert(&nat(40000), 0).unwrap();
    let b = w.insert(&dr(40001), 0).unwrap();
    assert_eq!(find_in(&t, &nat(40000)), Some(a));
    assert_eq!(
        find_out(&t, &nat(40000)).map(|h| h.index()),
        Some(a.index())
    );
    // NAT replies come from the real server; others are matched on the VIP (§2.1).
    assert!(t.lookup_out(&key(PROTO_TCP, V, 80, C, 40000)).is_none());
    assert_eq!(
        t.lookup_out(&key(PROTO_TCP, V, 80, C, 40001))
            .map(|h| h.index()),
        Some(b.index())
    );
    assert!(t.lookup_out(&key(PROTO_TCP, R2, 80, C, 40001)).is_none());
    // Every key field matters.
    assert!(t.lookup_in(&key(PROTO_UDP, C, 40000, V, 80)).is_none());
    assert!(t.lookup_in(&key(PROTO_TCP, C, 40002, V, 80)).is_none());
    assert!(t.lookup_in(&key(PROTO_TCP, C, 40000, V, 81)).is_none());
    assert!(t.lookup_in(&key(PROTO_TCP, R1, 40000, V, 80)).is_none());
    assert_eq!(a.conn, nat(40000));
    assert!(b.no_output && !a.no_output);
    assert_eq!(t.len(), 2);
}

#[test]
fn nat_walk_moves_state_counters_and_timer() {
    let (t, mut owners) = table(64, 1);
    let d = t.dests();
    let c = nat(40000);
    owners[0].insert(&c, 0).unwrap();
    // Created inactive (§1.5).
    assert_eq!((name(&t, &c), d.counts(1)), ("NONE", (0, 1)));
    assert_eq!(packet(&t, &c, Dir::Input, TCP_SYN, 0), "SYN_RECV");
    assert_eq!(d.counts(1), (1, 0));
    assert_eq!(expires(&t, 0), [("SYN_RECV", 60_000)]);
    assert_eq!(
        packet(&t, &c, Dir::Output, TCP_SYN | TCP_ACK, SEC),
        "SYN_RECV"
    );
    assert_eq!(packet(&t, &c, Dir::Input, TCP_ACK, 2 * SEC), "ESTABLISHED");
    assert_eq!(expires(&t, 3 * SEC), [("ESTABLISHED", 899_000)]);
    assert_eq!(d.counts(1), (1, 0));
    assert_eq!(
        packet(&t, &c, Dir::Input, TCP_FIN | TCP_ACK, 3 * SEC),
        "CLOSE_WAIT"
    );
    assert_eq!(d.counts(1), (0, 1));
    assert_eq!(packet(&t, &c, Dir::Output, TCP_ACK, 3 * SEC), "CLOSE_WAIT");
    assert_eq!(
        packet(&t, &c, Dir::Output, TCP_FIN | TCP_ACK, 3 * SEC),
        "TIME_WAIT"
    );
    assert_eq!(packet(&t, &c, Dir::Input, TCP_ACK, 4 * SEC), "TIME_WAIT");
    assert_eq!(expires(&t, 4 * SEC), [("TIME_WAIT", 120_000)]);
    assert_eq!(d.counts(1), (0, 1));
}

#[test]
fn dr_uses_input_only_until_a_reply() {
    let (t, mut owners) = table(64, 1);
    let c = dr(40000);
    owners[0].insert(&c, 0).unwrap();
    let flags = [TCP_SYN, TCP_ACK, TCP_ACK, TCP_FIN | TCP_ACK, TCP_ACK];
    let states: Vec<_> = flags
        .iter()
        .map(|&f| packet(&t, &c, Dir::Input, f, 0))
        .collect();
    // §1.4.3 DR walk: ends in FIN_WAIT (INPUT-ONLY ES + FIN → FW).
    assert_eq!(
        states,
        [
            "SYN_RECV",
            "ESTABLISHED",
            "ESTABLISHED",
            "FIN_WAIT",
            "FIN_WAIT"
        ]
    );

    let c2 = dr(40001);
    owners[0].insert(&c2, 0).unwrap();
    packet(&t, &c2, Dir::Input, TCP_SYN, 0);
    packet(&t, &c2, Dir::Input, TCP_ACK, 0);
    // A reply clears NOOUTPUT for good: ES + FIN (in) is then CLOSE_WAIT (INPUT table).
    packet(&t, &c2, Dir::Output, TCP_ACK, 0);
    assert!(!find_in(&t, &c2).unwrap().no_output);
    assert_eq!(packet(&t, &c2, Dir::Input, TCP_FIN, 0), "CLOSE_WAIT");
}

#[test]
fn udp_is_one_inactive_state() {
    let (t, mut owners) = table(64, 1);
    let c = Conn {
        proto: PROTO_UDP,
        vport: 53,
        dport: 53,
        ..nat(40001)
    };
    owners[0].insert(&c, 0).unwrap();
    assert_eq!(packet(&t, &c, Dir::Input, 0, 0), "UDP");
    assert_eq!(packet(&t, &c, Dir::Output, 0, 10 * SEC), "UDP");
    assert_eq!(t.dests().counts(1), (0, 1));
    assert_eq!(expires(&t, 10 * SEC), [("UDP", 300_000)]);
    t.timeouts().set(0, 0, 10);
    // A --set change applies at the next packet only (§1.7).
    assert_eq!(expires(&t, 10 * SEC), [("UDP", 300_000)]);
    packet(&t, &c, Dir::Input, 0, 10 * SEC);
    assert_eq!(expires(&t, 10 * SEC), [("UDP", 10_000)]);
}

#[test]
fn expiry_follows_the_clock() {
    let (t, mut owners) = table(64, 1);
    let w = &mut owners[0];
    let c = nat(40000);
    w.insert(&c, 0).unwrap();
    packet(&t, &c, Dir::Input, TCP_SYN, 0); // SYN_RECV, 60 s
    let udp = Conn {
        proto: PROTO_UDP,
        ..nat(40001)
    };
    w.insert(&udp, 0).unwrap();
    packet(&t, &udp, Dir::Input, 0, 0); // 300 s
    assert_eq!(w.expire_step(59_999, 64), 0);
    assert!(find_in(&t, &c).is_some());
    // A packet re-arms the timer (§2.7).
    packet(&t, &c, Dir::Input, TCP_ACK, 59_999); // ESTABLISHED, 900 s
    assert_eq!(w.expire_step(60_000, 64), 0);
    assert_eq!(t.dests().counts(1), (1, 1));
    assert_eq!(w.expire_step(299_999, 64), 0);
    assert_eq!(w.expire_step(300_000, 64), 1, "UDP after 300 s");
    assert_eq!(t.dests().counts(1), (1, 0));
    assert_eq!(w.expire_step(959_998, 64), 0);
    assert_eq!(
        w.expire_step(959_999, 64),
        1,
        "ESTABLISHED 900 s after its last packet"
    );
    assert!(find_in(&t, &c).is_none() && find_out(&t, &c).is_none());
    assert_eq!(t.dests().counts(1), (0, 0));
    assert!(t.is_empty());
    assert_eq!(w.available(), 64);
}

#[test]
fn expire_step_is_bounded_and_round_robin() {
    let (t, mut owners) = table(8, 1);
    let w = &mut owners[0];
    for p in 0..8 {
        w.insert(&nat(p), 0).unwrap();
    }
    // NONE: 2 s. Three per call, wrapping around the partition.
    assert_eq!(w.expire_step(2 * SEC, 3), 3);
    assert_eq!(w.expire_step(2 * SEC, 3), 3);
    assert_eq!(w.expire_step(2 * SEC, 3), 2);
    assert!(t.is_empty());
    assert_eq!(t.dests().counts(1), (0, 0));
}

#[test]
fn full_table_refuses_and_keeps_established() {
    let (t, mut owners) = table(4, 2);
    let mut ok = 0;
    for p in 0..4 {
        let w = &mut owners[usize::from(p % 2)];
        let h = w.insert(&nat(p), 0).unwrap();
        t.update(&h, Dir::Input, TCP_SYN, 0).unwrap();
        t.update(&h, Dir::Input, TCP_ACK, 0).unwrap();
        ok += 1;
    }
    assert_eq!(ok, 4);
    assert_eq!(owners[0].insert(&nat(100), 0), Err(InsertError::Full));
    assert_eq!(owners[1].insert(&nat(101), 0), Err(InsertError::Full));
    for p in 0..4 {
        assert_eq!(name(&t, &nat(p)), "ESTABLISHED");
    }
    assert_eq!(t.dests().counts(1), (4, 0));
    // Nothing expires before its time, so nothing makes room.
    assert_eq!(owners[0].expire_step(SEC, 10), 0);
    assert_eq!(owners[0].insert(&nat(100), SEC), Err(InsertError::Full));
}

#[test]
fn partitions_report_each_owners_fill() {
    let (t, mut owners) = table(7, 3);
    let fill = |t: &ConnTable| {
        t.partitions()
            .map(|p| (p.used, p.capacity))
            .collect::<Vec<_>>()
    };
    assert_eq!(fill(&t), [(0, 2), (0, 2), (0, 3)]);
    for p in 0..3 {
        owners[2].insert(&nat(p), 0).unwrap();
    }
    owners[0].insert(&nat(10), 0).unwrap();
    assert_eq!(fill(&t), [(1, 2), (0, 2), (3, 3)]);
    let sizes: usize = t.partitions().map(|p| p.capacity).sum();
    assert_eq!((t.len(), sizes), (4, t.capacity()));
    // Full of connections not yet established: one is evicted to make room.
    assert!(owners[2].insert(&nat(20), 0).is_ok());
    let evicted: Vec<u64> = t.partitions().map(|p| p.evicted).collect();
    assert_eq!((fill(&t)[2], evicted), ((3, 3), vec![0, 0, 1]));
}

/// ipvs-forwarding §1.6 (`drop_entry`): a full partition evicts what a flood makes
/// (SYN_RECV, UDP, closing states) to let a new client in, never an established connection
/// nor a template; with only those left it refuses. Counters follow the evicted entries.
#[test]
fn a_full_partition_evicts_what_is_not_established() {
    let (t, mut owners) = table(4, 1);
    let w = &mut owners[0];
    let est = w.insert(&nat(1), 0).unwrap();
    t.update(&est, Dir::Input, TCP_SYN, 0).unwrap();
    t.update(&est, Dir::Input, TCP_ACK, 0).unwrap();
    w.insert_template(&template(), 0, 30_000, None).unwrap();
    let syn = w.insert(&nat(2), 0).unwrap();
    t.update(&syn, Dir::Input, TCP_SYN, 0).unwrap();
    let udp = Conn {
        proto: PROTO_UDP,
        ..nat(3)
    };
    w.insert(&udp, 0).unwrap();
    assert_eq!(
        t.dests().counts(1),
        (2, 1),
        "ESTABLISHED and SYN_RECV active, UDP not"
    );
    // Full: the SYN_RECV entry goes first (the cursor's order), then the UDP one.
    let a = w.insert(&nat(4), SEC).unwrap();
    assert!(find_in(&t, &nat(2)).is_none(), "SYN_RECV evicted");
    assert_eq!(t.dests().counts(1), (1, 2));
    t.update(&a, Dir::Input, TCP_SYN, SEC).unwrap();
    t.update(&a, Dir::Input, TCP_ACK, SEC).unwrap();
    w.insert(&nat(5), SEC).unwrap();
    assert!(find_in(&t, &udp).is_none(), "UDP evicted");
    let b = find_in(&t, &nat(5)).unwrap();
    t.update(&b, Dir::Input, TCP_SYN, SEC).unwrap();
    t.update(&b, Dir::Input, TCP_ACK, SEC).unwrap();
    // Three established connections and a template: nothing may go.
    assert_eq!(w.insert(&nat(6), SEC), Err(InsertError::Full));
    assert!(find_in(&t, &nat(1)).is_some());
    assert!(t.lookup_template(&template().in_key(), None).is_some());
    assert_eq!(t.partitions().next().unwrap().evicted, 2);
    assert_eq!(t.dests().counts(1), (3, 0));
}

#[test]
fn port_reuse_in_time_wait_reschedules() {
    // §7.5: TIME_WAIT + new SYN with conn_reuse_mode=1 → expire, schedule anew.
    let (t, mut owners) = table(16, 2);
    let old = nat(40000);
    owners[1].insert(&old, 0).unwrap();
    for (dir, f) in [
        (Dir::Input, TCP_SYN),
        (Dir::Output, TCP_SYN | TCP_ACK),
        (Dir::Input, TCP_ACK),
        (Dir::Input, TCP_FIN | TCP_ACK),
        (Dir::Output, TCP_FIN | TCP_ACK),
    ] {
        packet(&t, &old, dir, f, 0);
    }
    let hit = find_in(&t, &old).unwrap();
    assert_eq!(state::state_name(PROTO_TCP, hit.state), "TIME_WAIT");
    assert!(reuse_on_syn(PROTO_TCP, hit.state, hit.no_output, 1));
    // Worker 0 gets the SYN, although worker 1 owns the entry.
    assert!(t.expire_now(&hit));
    assert!(!t.expire_now(&hit), "only once");
    assert_eq!(t.update(&hit, Dir::Input, TCP_SYN, 0), Err(Stale));
    assert!(find_in(&t, &old).is_none());
    assert_eq!(t.dests().counts(1), (0, 0));
    let new = Conn {
        daddr: R2,
        dest: 2,
        ..old
    };
    owners[0].insert(&new, SEC).unwrap();
    assert_eq!(packet(&t, &new, Dir::Input, TCP_SYN, SEC), "SYN_RECV");
    assert_eq!(find_in(&t, &old).unwrap().conn.daddr, R2);
    assert_eq!(t.dests().counts(2), (1, 0));
    // The owner reclaims the dead entry whenever its scan comes by.
    assert_eq!(t.len(), 2);
    assert_eq!(owners[1].expire_step(SEC, 8), 1);
    assert_eq!(t.len(), 1);
}

#[test]
fn a_late_duplicate_loses_to_the_existing_entry() {
    // A worker that inserts a key another worker already has (it raced the lookup) loses,
    // leaves no trace, and its caller uses the existing entry.
    let (t, mut owners) = table(16, 2);
    let first = owners[1].insert(&nat(1), 0).unwrap();
    assert_eq!(owners[0].insert(&nat(1), 0), Err(InsertError::Exists));
    assert_eq!(find_in(&t, &nat(1)), Some(first));
    assert_eq!(t.len(), 1);
    assert_eq!(owners[0].available(), 8);
    assert_eq!(t.dests().counts(1), (0, 1));
}

#[test]
fn a_stale_hit_cannot_touch_the_next_connection() {
    let (t, mut owners) = table(1, 1);
    let w = &mut owners[0];
    let first = w.insert(&nat(1), 0).unwrap();
    assert_eq!(w.expire_step(2 * SEC, 1), 1);
    let second = w.insert(&nat(2), 2 * SEC).unwrap();
    assert_eq!(first.index(), second.index(), "same entry reused");
    assert_eq!(t.update(&first, Dir::Input, TCP_RST, 2 * SEC), Err(Stale));
    assert!(!t.expire_now(&first));
    assert!(find_in(&t, &nat(1)).is_none());
    assert_eq!(name(&t, &nat(2)), "NONE");
}

#[test]
fn rst_and_bare_segments() {
    let (t, mut owners) = table(8, 1);
    let c = nat(1);
    owners[0].insert(&c, 0).unwrap();
    packet(&t, &c, Dir::Input, TCP_SYN, 0);
    packet(&t, &c, Dir::Input, TCP_ACK, 0);
    // A PSH-only segment forces CLOSE, 10 s (§1.2).
    assert_eq!(packet(&t, &c, Dir::Input, 0x08, 0), "CLOSE");
    assert_eq!(expires(&t, 0), [("CLOSE", 10_000)]);
    assert_eq!(t.dests().counts(1), (0, 1));
}

#[test]
fn view_lists_every_live_entry() {
    let (t, mut owners) = table(64, 2);
    owners[0].insert(&nat(1), 0).unwrap();
    owners[1].insert(&dr(2), 0).unwrap();
    let mut v = vec![];
    t.for_each_live(500, |cv| v.push(cv.clone()));
    v.sort_by_key(|cv| cv.conn.cport);
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0].conn, v[0].state_name, v[0].expires_ms),
        (nat(1), "NONE", 1500)
    );
    assert!(v[1].no_output);
    // Past the deadline but not reaped yet: shown with 0 left.
    t.for_each_live(10 * SEC, |cv| assert_eq!(cv.expires_ms, 0));
}

#[test]
fn deadlines_wrap_around_32_bit_milliseconds() {
    let (t, mut owners) = table(4, 1);
    let start = u64::from(u32::MAX) - 500; // the u32 clock wraps 501 ms later
    let c = nat(1);
    owners[0].insert(&c, start).unwrap();
    packet(&t, &c, Dir::Input, TCP_SYN, start);
    assert_eq!(expires(&t, start + 1000), [("SYN_RECV", 59_000)]);
    assert_eq!(owners[0].expire_step(start + 59_999, 4), 0);
    assert_eq!(owners[0].expire_step(start + 60_000, 4), 1);
}

#[test]
fn memory_per_entry() {
    assert_eq!(std::mem::size_of::<entry::Entry<Ipv4Addr>>(), 32);
    let (t, _) = table(1 << 16, 2);
    assert_eq!(t.memory_bytes(), (1 << 16) * bytes_per_entry::<Ipv4Addr>());
    assert_eq!(bytes_per_entry::<Ipv4Addr>(), 80);
    // IPv6: three 128-bit addresses; still within 128 bytes a connection.
    assert_eq!(std::mem::size_of::<entry::Entry<Ipv6Addr>>(), 72);
    let dests = Arc::new(DestTable::new(16));
    let (t6, _) = super::ConnTable::<Ipv6Addr>::new(1 << 16, 2, dests, Arc::default());
    assert_eq!(t6.memory_bytes(), (1 << 16) * bytes_per_entry::<Ipv6Addr>());
    assert_eq!(bytes_per_entry::<Ipv6Addr>(), 120);
}

/// ipvs-forwarding §7.0 in IPv6: C 2001:db8:c::10 → V 2001:db8:f::1, NAT to R1 2001:db8:a::11.
fn nat6(cport: u16) -> super::Conn<Ipv6Addr> {
    let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    super::Conn {
        proto: PROTO_TCP,
        caddr: ip("2001:db8:c::10"),
        cport,
        vaddr: ip("2001:db8:f::1"),
        vport: 80,
        daddr: ip("2001:db8:a::11"),
        dport: 8080,
        fwd: Method::Masq,
        dest: 3,
    }
}

#[test]
fn ipv6_entries_are_found_both_ways_and_keep_every_field() {
    let dests = Arc::new(DestTable::new(16));
    let (t, mut owners) =
        super::ConnTable::<Ipv6Addr>::with_seed(64, 1, dests.clone(), Arc::default(), 7);
    let c = nat6(40000);
    let tun = super::Conn {
        fwd: Method::Tunnel,
        dest: 0xdead_beef % 16,
        ..nat6(40001)
    };
    let h = owners[0].insert(&c, 0).unwrap();
    owners[0].insert(&tun, 0).unwrap();
    assert_eq!(t.lookup_in(&c.in_key()).unwrap().conn, c);
    assert_eq!(t.lookup_out(&c.out_key()).unwrap().index(), h.index());
    assert_eq!(t.lookup_in(&tun.in_key()).unwrap().conn, tun);
    // A TUN entry's replies come from the VIP.
    assert_eq!(t.lookup_out(&tun.out_key()).unwrap().conn, tun);
    assert_eq!(tun.out_key().saddr, tun.vaddr);
    assert!(t.lookup_in(&nat6(40002).in_key()).is_none());
    t.update(&h, Dir::Input, TCP_SYN, 0).unwrap();
    assert_eq!(dests.counts(3), (1, 0));
    assert_eq!(owners[0].expire_step(61 * SEC, 64), 2);
    assert_eq!(dests.counts(3), (0, 0));
}

/// Connection number `i` of a big fill: distinct in-keys and out-keys.
fn numbered(i: u32) -> Conn {
    Conn {
        caddr: Ipv4Addr::from(0x6400_0000 | i >> 16),
        cport: i as u16,
        ..nat(0)
    }
}

/// Allocates a table of `cap`, fills it completely (both indexes at 50 %), looks up a
/// sample in both directions, checks the next insert is refused, prints the times.
fn fill_and_probe(cap: usize) {
    use std::time::Instant;
    let t0 = Instant::now();
    let dests = Arc::new(DestTable::new(16));
    let (t, mut owners) = ConnTable::new(cap, 2, dests, Arc::default());
    let alloc = t0.elapsed();
    assert_eq!(t.memory_bytes(), cap * bytes_per_entry::<Ipv4Addr>());
    let t1 = Instant::now();
    for i in 0..cap as u32 {
        let own = &mut owners[(i & 1) as usize];
        own.insert(&numbered(i), 0).expect("room for every entry");
    }
    let fill = t1.elapsed();
    assert_eq!(t.len(), cap);
    assert_eq!(
        owners[0].insert(&numbered(u32::MAX), 0),
        Err(InsertError::Full)
    );
    let t2 = Instant::now();
    let mut n = 0;
    for i in (0..cap as u32).step_by(97) {
        let c = numbered(i);
        assert_eq!(find_in(&t, &c).unwrap().conn, c);
        assert_eq!(find_out(&t, &c).unwrap().conn, c);
        n += 1;
    }
    let look = t2.elapsed();
    eprintln!(
        "{cap} entries: {} MiB, alloc {alloc:?}, insert {:?} each, lookup {:?} each",
        t.memory_bytes() >> 20,
        fill / cap as u32,
        look / (2 * n),
    );
}

/// 1M entries (the default capacity), about 80 MiB.
#[test]
#[ignore = "slow in debug builds; run in release with --ignored"]
fn one_million_entries() {
    fill_and_probe(1 << 20);
}

/// 16M entries, about 1.1 GiB.
#[test]
#[ignore = "allocates 1.1 GiB; run in release with --ignored"]
fn sixteen_million_entries() {
    fill_and_probe(16 << 20);
}

mod model_check {
    //! Random operation sequences on one worker's table against a plain map.
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert { port: u16, dr: bool },
        Packet { port: u16, out: bool, flags: u8 },
        Advance(u64),
        Expire(usize),
        ExpireNow(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        let port = 0u16..12;
        let flags = prop::sample::select(vec![TCP_SYN, TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST, 0]);
        prop_oneof![
            (port.clone(), any::<bool>()).prop_map(|(port, dr)| Op::Insert { port, dr }),
            (port.clone(), any::<bool>(), flags).prop_map(|(port, out, flags)| Op::Packet {
                port,
                out,
                flags
            }),
            (0u64..200_000).prop_map(Op::Advance),
            (1usize..16).prop_map(Op::Expire),
            port.prop_map(Op::ExpireNow),
        ]
    }

    /// What the map knows of a connection.
    #[derive(Debug, Clone, Copy)]
    struct M {
        conn: Conn,
        state: u8,
        deadline: u64,
        no_output: bool,
        dead: bool,
    }

    fn conn(port: u16, dr: bool) -> Conn {
        if dr {
            super::dr(port)
        } else {
            nat(port)
        }
    }

    struct Run {
        t: Arc<ConnTable>,
        own: ConnOwner,
        m: HashMap<u16, M>,
        now: u64,
    }

    impl Run {
        fn apply(&mut self, op: &Op) {
            match *op {
                Op::Insert { port, dr } => self.insert(port, dr),
                Op::Packet { port, out, flags } => self.packet(port, out, flags),
                Op::Advance(ms) => self.now += ms,
                Op::Expire(budget) => {
                    self.own.expire_step(self.now, budget);
                }
                Op::ExpireNow(port) => {
                    if let Some(h) = find_in(&self.t, &nat(port)) {
                        assert!(self.t.expire_now(&h));
                        self.m.get_mut(&port).unwrap().dead = true;
                    }
                }
            }
        }

        fn insert(&mut self, port: u16, dr: bool) {
            let c = conn(port, dr);
            if find_in(&self.t, &c).is_some() {
                return;
            }
            let full = self.own.available() == 0;
            match self.own.insert(&c, self.now) {
                Ok(_) => {
                    if full {
                        self.forget_evicted();
                    }
                    let deadline = self.now + 2000;
                    let no_output = dr;
                    let m = M {
                        conn: c,
                        state: 0,
                        deadline,
                        no_output,
                        dead: false,
                    };
                    assert!(self.m.insert(port, m).is_none_or(|old| old.dead));
                }
                Err(e) => {
                    assert_eq!(e, InsertError::Full);
                    assert_eq!(self.own.available(), 0);
                    // Refused only when nothing could make room: every entry established.
                    for m in self.m.values() {
                        let established = m.state == TcpState::Established as u8;
                        assert!(established && m.deadline > self.now, "{m:?} not evicted");
                    }
                }
            }
        }

        /// A full table made room for an insert: exactly one entry went, one that was due or
        /// not established (a dead one is already forgotten).
        fn forget_evicted(&mut self) {
            let (now, t) = (self.now, &self.t);
            let mut gone = Vec::new();
            self.m.retain(|_, m| {
                let found = find_in(t, &m.conn).is_some();
                if !found {
                    gone.push(*m);
                }
                found
            });
            assert!(gone.len() <= 1, "{gone:?}");
            for m in gone {
                let established = m.state == TcpState::Established as u8;
                assert!(m.deadline <= now || !established, "{m:?} evicted");
            }
        }

        fn packet(&mut self, port: u16, out: bool, flags: u8) {
            let Some(m) = self.m.get_mut(&port).filter(|m| !m.dead) else {
                return;
            };
            let (hit, dir) = if out {
                (find_out(&self.t, &m.conn), Dir::Output)
            } else {
                (find_in(&self.t, &m.conn), Dir::Input)
            };
            let tr = self.t.update(&hit.unwrap(), dir, flags, self.now).unwrap();
            let table_dir = if !out && m.no_output {
                Dir::InputOnly
            } else {
                dir
            };
            let cur = TcpState::from_u8(m.state).unwrap();
            assert_eq!(tr.new, state::next_tcp_state(table_dir, cur, flags) as u8);
            m.state = tr.new;
            m.deadline = self.now + u64::from(self.t.timeouts().ms(PROTO_TCP, tr.new));
            m.no_output &= !out;
        }

        /// The table shows exactly the live part of the map; counters match.
        fn check(&mut self) {
            let mut seen = HashMap::new();
            self.t.for_each_live(self.now, |cv| {
                assert!(
                    seen.insert(cv.conn.cport, cv.clone()).is_none(),
                    "duplicate"
                );
            });
            let mut counts = [(0u32, 0u32); 3];
            for (port, m) in &self.m {
                let shown = seen.get(port);
                assert_eq!(shown.is_some(), !m.dead, "port {port}");
                if let Some(cv) = shown {
                    assert_eq!(
                        (cv.conn, cv.state, cv.no_output),
                        (m.conn, m.state, m.no_output)
                    );
                    let left = m.deadline.saturating_sub(self.now) as u32;
                    assert_eq!(cv.expires_ms, left);
                    let c = &mut counts[m.conn.dest as usize];
                    if state::is_active(PROTO_TCP, m.state) {
                        c.0 += 1;
                    } else {
                        c.1 += 1;
                    }
                }
            }
            for (d, want) in counts.iter().enumerate() {
                assert_eq!(self.t.dests().counts(d as u32), *want, "dest {d}");
            }
        }

        /// Entries the owner reclaimed are forgotten; only dead or due ones may have gone.
        fn forget_reclaimed(&mut self) {
            let now = self.now;
            let t = &self.t;
            self.m.retain(|_, m| {
                let found = find_in(t, &m.conn).is_some();
                if !found && !m.dead {
                    assert!(m.deadline <= now, "{m:?} reaped before its time");
                }
                found
            });
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn table_matches_a_map(ops in prop::collection::vec(op(), 1..60)) {
            let (t, mut owners) = table(8, 1);
            let own = owners.pop().unwrap();
            let mut run = Run { t, own, m: HashMap::new(), now: 0 };
            for op in &ops {
                run.apply(op);
                run.forget_reclaimed();
                run.check();
            }
        }
    }
}

/// The persistence template of client C on V:80 (`C:0 → V:80`), bound to R1 (slot 1).
fn template() -> Conn {
    nat(0)
}

/// The templates as listed: (client port, state name, seconds left).
fn templates(t: &ConnTable, now: u64) -> Vec<(u16, &'static str, u32)> {
    let mut v = Vec::new();
    t.for_each_live(now, |cv| {
        if cv.template {
            v.push((cv.conn.vport, cv.state_name, cv.expires_ms / 1000));
        }
    });
    v
}

/// ipvs-schedulers §5.3: a template that runs out while it controls a connection is kept
/// 60 s at a time and refreshes by 60 s from then on; it goes once its last connection has.
#[test]
fn a_template_lives_while_it_controls_connections() {
    let (t, mut owners) = table(64, 1);
    let tpl = owners[0]
        .insert_template(&template(), 0, 30_000, None)
        .unwrap();
    assert!(t.lookup_template(&template().in_key(), None).is_some());
    assert!(find_in(&t, &template()).is_none(), "not a connection");
    let conn = owners[0].insert(&nat(40000), 0).unwrap();
    assert!(t.control(&conn, &tpl, 0, 30_000));
    packet(&t, &nat(40000), Dir::Input, TCP_SYN, 0);
    assert_eq!(t.dests().templates(1), 1);
    // 30 s: due, but it controls the SYN_RECV connection (60 s): postponed.
    owners[0].expire_step(31 * SEC, 64);
    assert_eq!(templates(&t, 31 * SEC), [(80, "NONE", 60)]);
    // A new connection through it now refreshes it by 60 s, not 30.
    let second = owners[0].insert(&nat(40001), 40 * SEC).unwrap();
    assert!(t.control(&second, &tpl, 40 * SEC, 30_000));
    assert_eq!(templates(&t, 40 * SEC), [(80, "NONE", 60)]);
    // Both connections gone (NONE lives 2 s, SYN_RECV 60 s), then the template.
    owners[0].expire_step(100 * SEC, 64);
    assert_eq!(t.len(), 1, "the template waits for its timer");
    owners[0].expire_step(161 * SEC, 64);
    assert_eq!((t.len(), t.dests().templates(1)), (0, 0));
}

/// §5.4: a template whose server left is never found again but stays counted until its
/// timer; a new template for the same client takes its place. §5.3: it is ASSURED once a
/// connection under it is established.
#[test]
fn invalid_templates_hide_and_established_connections_assure() {
    let (t, mut owners) = table(64, 1);
    let tpl = owners[0]
        .insert_template(&template(), 0, 30_000, None)
        .unwrap();
    let conn = owners[0].insert(&nat(40000), 0).unwrap();
    assert!(t.control(&conn, &tpl, 0, 30_000));
    packet(&t, &nat(40000), Dir::Input, TCP_SYN, 0);
    packet(&t, &nat(40000), Dir::Output, TCP_SYN | TCP_ACK, 0);
    packet(&t, &nat(40000), Dir::Input, TCP_ACK, 0);
    assert_eq!(name(&t, &nat(40000)), "ESTABLISHED");
    assert_eq!(templates(&t, 0), [(80, "ASSURED", 30)]);

    t.invalidate(&tpl);
    assert!(t.lookup_template(&template().in_key(), None).is_none());
    assert_eq!(templates(&t, 0), [(u16::MAX, "ASSURED", 30)]);
    assert_eq!(t.dests().templates(1), 1, "still counted");
    let again = Conn {
        dest: 2,
        daddr: R2,
        ..template()
    };
    let fresh = owners[0].insert_template(&again, 0, 30_000, None).unwrap();
    assert_eq!(
        t.lookup_template(&template().in_key(), None)
            .map(|h| h.conn.dest),
        Some(2)
    );
    assert_eq!((t.dests().templates(1), t.dests().templates(2)), (1, 1));
    assert_ne!(fresh.index(), tpl.index());
}

/// ipvs-schedulers §5.6: templates of one client network differ by their engine data. Two
/// Call-IDs with the same tag share a key and both live (neither loses the duplicate check);
/// each lookup finds its own; a template without data is not found with data, nor the
/// reverse; the data is listed and goes with its template.
#[test]
fn engine_data_tells_templates_apart() {
    use crate::persist::Engine::Sip;
    let (t, mut owners) = table(64, 1);
    // Two Call-IDs whose tags collide, found by search.
    let tag = |s: &str| ConnTable::pe_tag((Sip, s.as_bytes()));
    let a = "call-0".to_string();
    let b = (1..)
        .map(|i| format!("call-{i}"))
        .find(|s| tag(s) == tag(&a))
        .unwrap();
    let keyed = |data: &str, dest| Conn {
        cport: tag(data),
        dest,
        ..template()
    };
    let (pa, pb) = ((Sip, a.as_bytes()), (Sip, b.as_bytes()));
    owners[0]
        .insert_template(&keyed(&a, 1), 0, 30_000, Some(pa))
        .unwrap();
    owners[0]
        .insert_template(&keyed(&b, 2), 0, 30_000, Some(pb))
        .unwrap();
    let key = keyed(&a, 1).in_key();
    assert_eq!(
        t.lookup_template(&key, Some(pa)).map(|h| h.conn.dest),
        Some(1)
    );
    assert_eq!(
        t.lookup_template(&key, Some(pb)).map(|h| h.conn.dest),
        Some(2)
    );
    assert!(t.lookup_template(&key, Some((Sip, b"other"))).is_none());
    assert!(t.lookup_template(&key, None).is_none());
    owners[0]
        .insert_template(&template(), 0, 30_000, None)
        .unwrap();
    assert!(t.lookup_template(&template().in_key(), Some(pa)).is_none());
    let mut listed = Vec::new();
    t.for_each_live(0, |v| {
        let data = v
            .pe_data
            .as_ref()
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned());
        listed.push((v.conn.cport, data));
    });
    listed.sort();
    assert_eq!(
        listed,
        [(0, None), (0, Some(a.clone())), (0, Some(b.clone()))]
    );
    owners[0].expire_step(31 * SEC, 64);
    assert!(t.is_empty());
    // A new template in a reused entry carries only its own data.
    owners[0]
        .insert_template(&template(), 40 * SEC, 30_000, None)
        .unwrap();
    t.for_each_live(40 * SEC, |v| assert_eq!(v.pe_data, None));
}

/// The default table (`conn_table_size` 1048576, two workers) filled to the last entry
/// with established connections from distinct clients: every insert finds room until the
/// partitions are full (the index never refuses first), the next new connection is refused,
/// and every one of them is still found.
#[test]
fn the_default_table_fills_to_its_last_entry() {
    const CAP: usize = 1 << 20;
    let (t, mut owners) = table(CAP, 2);
    let client = |i: u32| Conn {
        caddr: Ipv4Addr::from(0x0a00_0000 + (i >> 16)),
        cport: i as u16,
        ..nat(0)
    };
    for i in 0..CAP as u32 {
        let h = owners[(i % 2) as usize].insert(&client(i), 0).unwrap();
        t.update(&h, Dir::Input, TCP_SYN, 0).unwrap();
        t.update(&h, Dir::Input, TCP_ACK, 0).unwrap();
    }
    assert_eq!((t.len(), t.dests().counts(1)), (CAP, (CAP as u32, 0)));
    let next = client(CAP as u32);
    assert_eq!(owners[0].insert(&next, SEC), Err(InsertError::Full));
    assert_eq!(owners[1].insert(&next, SEC), Err(InsertError::Full));
    assert!((0..CAP as u32)
        .step_by(997)
        .all(|i| find_in(&t, &client(i)).is_some()));
}
