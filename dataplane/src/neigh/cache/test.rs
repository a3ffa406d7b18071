use super::*;
use crate::neigh::{Ask, Learned, Lesson, REACHABLE_MS, RETRANS_MS};
use std::net::{Ipv4Addr, Ipv6Addr};

const M1: MacAddr = [2, 0, 0, 0, 0, 0x11];
const M2: MacAddr = [2, 0, 0, 0, 0, 0x66];

const UNKNOWN: Lookup = Lookup {
    mac: None,
    ask: true,
};

fn v4(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 | i)
}

fn v6(i: u32) -> Ipv6Addr {
    Ipv6Addr::from(0x2001_0db8_000a_u128 << 80 | u128::from(i))
}

fn usable(mac: MacAddr, ask: bool) -> Lookup {
    Lookup {
        mac: Some(mac),
        ask,
    }
}

/// Two ports' tables.
fn tables<A: NeighAddr>() -> Vec<NeighTable<A>> {
    (0..2)
        .map(|seed| NeighTable::with_seed(256, seed))
        .collect()
}

/// Teaches `table` that `ip` is at `mac`, REACHABLE from `now`.
fn confirm<A: NeighAddr>(table: &NeighTable<A>, ip: A, mac: MacAddr, now: u64) {
    let _ = table.learn(ip, mac, Lesson::REQUEST_FOR_US, now);
    assert_eq!(table.learn(ip, mac, Lesson::ANSWER, now), Learned::Stored);
}

impl<A: NeighAddr> NeighCache<A> {
    /// Whether the next lookup of `ip` on `port` at `now` would be answered by the copy.
    fn serves(&self, tables: &[NeighTable<A>], port: usize, ip: A, now: u64) -> bool {
        let k = &self.kept[index(port, ip)];
        (k.port, k.ip) == (port, ip) && now < k.until && k.generation == tables[port].generation()
    }
}

fn hit_gives_the_tables_mac<A: NeighAddr>(addr: fn(u32) -> A) {
    let (t, mut c) = (tables(), NeighCache::default());
    let (a, b) = (addr(1), addr(2));
    assert!(t[0].add_static(a, M1));
    confirm(&t[0], b, M2, 0);
    for now in [0, 10, REACHABLE_MS - 1] {
        assert_eq!(c.lookup(&t, 0, a, now), usable(M1, false));
        assert_eq!(c.lookup(&t, 0, b, now), usable(M2, false));
        assert!(c.serves(&t, 0, a, now) && c.serves(&t, 0, b, now));
        assert_eq!(c.lookup(&t, 0, a, now), t[0].lookup(a, now));
        assert_eq!(c.lookup(&t, 0, b, now), t[0].lookup(b, now));
    }
    // A static entry has no deadline.
    assert_eq!(c.lookup(&t, 0, a, u64::MAX - 1), usable(M1, false));
}

#[test]
fn a_hit_gives_the_tables_mac() {
    hit_gives_the_tables_mac(v4);
    hit_gives_the_tables_mac(v6);
}

fn a_new_mac_replaces_the_copy<A: NeighAddr>(addr: fn(u32) -> A) {
    let (t, mut c) = (tables(), NeighCache::default());
    let a = addr(1);
    confirm(&t[0], a, M1, 0);
    assert_eq!(c.lookup(&t, 0, a, 0), usable(M1, false));
    assert!(c.serves(&t, 0, a, 10));
    // A gratuitous ARP with another MAC: STALE with it, and probed.
    assert_eq!(t[0].learn(a, M2, Lesson::HEARD, 10), Learned::Stored);
    assert!(!c.serves(&t, 0, a, 10));
    assert_eq!(c.lookup(&t, 0, a, 10), usable(M2, true));
    // Confirmed: kept again, with the new MAC.
    assert_eq!(t[0].learn(a, M2, Lesson::ANSWER, 20), Learned::Stored);
    assert_eq!(c.lookup(&t, 0, a, 20), usable(M2, false));
    assert!(c.serves(&t, 0, a, 20));
    assert_eq!(c.lookup(&t, 0, a, 20), usable(M2, false));
}

#[test]
fn a_new_mac_learned_replaces_the_copy() {
    a_new_mac_replaces_the_copy(v4);
    a_new_mac_replaces_the_copy(v6);
}

fn past_the_deadline_the_table_decides<A: NeighAddr>(addr: fn(u32) -> A) {
    let (t, mut c) = (tables(), NeighCache::default());
    let a = addr(1);
    confirm(&t[0], a, M1, 0);
    assert_eq!(c.lookup(&t, 0, a, 0), usable(M1, false));
    assert!(!c.serves(&t, 0, a, REACHABLE_MS));
    // STALE now: used, and a probe is due, as the table says.
    assert_eq!(c.lookup(&t, 0, a, REACHABLE_MS), usable(M1, true));
    assert_eq!(t[0].ask(a, REACHABLE_MS), Ask::Probe(M1));
    assert_eq!(c.lookup(&t, 0, a, REACHABLE_MS), usable(M1, false));
    assert!(!c.serves(&t, 0, a, REACHABLE_MS));
    assert_eq!(
        c.lookup(&t, 0, a, REACHABLE_MS + RETRANS_MS),
        usable(M1, true)
    );
}

#[test]
fn a_reachable_entry_past_its_deadline_is_looked_up() {
    past_the_deadline_the_table_decides(v4);
    past_the_deadline_the_table_decides(v6);
}

fn what_asks_is_not_kept<A: NeighAddr>(addr: fn(u32) -> A) {
    let (t, mut c) = (tables(), NeighCache::default());
    let (missing, incomplete, stale) = (addr(1), addr(2), addr(3));
    for _ in 0..2 {
        assert_eq!(c.lookup(&t, 0, missing, 0), UNKNOWN);
        assert!(!c.serves(&t, 0, missing, 0));
    }
    assert_eq!(t[0].ask(incomplete, 0), Ask::Resolve);
    let waiting = Lookup {
        mac: None,
        ask: false,
    };
    assert_eq!(c.lookup(&t, 0, incomplete, 0), waiting);
    assert!(!c.serves(&t, 0, incomplete, 0));
    assert_eq!(c.lookup(&t, 0, incomplete, RETRANS_MS), UNKNOWN);
    assert_eq!(
        t[0].learn(stale, M1, Lesson::REQUEST_FOR_US, 0),
        Learned::Stored
    );
    for _ in 0..2 {
        assert_eq!(c.lookup(&t, 0, stale, 0), usable(M1, true));
        assert!(!c.serves(&t, 0, stale, 0));
    }
}

#[test]
fn stale_incomplete_and_missing_entries_are_not_kept() {
    what_asks_is_not_kept(v4);
    what_asks_is_not_kept(v6);
}

/// The MAC port `port` knows address `i` by.
fn mac_of(port: usize, i: u32) -> MacAddr {
    [2, port as u8, 0, 0, (i >> 8) as u8, i as u8]
}

fn ports_keep_apart<A: NeighAddr>(addr: fn(u32) -> A) {
    let (t, mut c) = (tables(), NeighCache::default());
    let (a, b) = (addr(1), addr(2));
    confirm(&t[0], a, M1, 0);
    confirm(&t[1], a, M2, 0);
    confirm(&t[0], b, M1, 0);
    for _ in 0..3 {
        assert_eq!(c.lookup(&t, 0, a, 0), usable(M1, false));
        assert_eq!(c.lookup(&t, 1, a, 0), usable(M2, false));
        assert_eq!(c.lookup(&t, 0, b, 0), usable(M1, false));
        assert_eq!(c.lookup(&t, 1, b, 0), UNKNOWN);
    }
    // More next hops than places: colliding ones evict each other, never answer for another.
    let n = 2 * SIZE as u32;
    for (port, table) in t.iter().enumerate() {
        for i in 10..10 + n {
            confirm(table, addr(i), mac_of(port, i), 0);
        }
    }
    for round in 0..2 {
        for i in 10..10 + n {
            for port in 0..2 {
                let found = c.lookup(&t, port, addr(i), round);
                assert_eq!(found, usable(mac_of(port, i), false));
            }
        }
    }
}

/// The same address on two ports whose copies share a place, their tables at the same
/// generation: only the port tells the copies apart.
fn ports_sharing_a_place_keep_apart<A: NeighAddr>(addr: fn(u32) -> A) {
    let a = addr(1);
    let p = (1..).find(|&p| index(p, a) == index(0, a)).unwrap();
    let t: Vec<NeighTable<A>> = (0..=p as u64)
        .map(|s| NeighTable::with_seed(64, s))
        .collect();
    confirm(&t[0], a, M1, 0);
    confirm(&t[p], a, M2, 0);
    assert_eq!(t[0].generation(), t[p].generation());
    let mut c = NeighCache::default();
    for _ in 0..3 {
        assert_eq!(c.lookup(&t, 0, a, 0), usable(M1, false));
        assert_eq!(c.lookup(&t, p, a, 0), usable(M2, false));
    }
}

#[test]
fn ports_and_colliding_next_hops_get_their_own_macs() {
    ports_sharing_a_place_keep_apart(v4);
    ports_sharing_a_place_keep_apart(v6);
    ports_keep_apart(v4);
    ports_keep_apart(v6);
}
