//! Several workers at once, checked against per-worker models: no lost connection, no
//! duplicate, no entry found under a key it does not have, exact destination counters.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;

use super::state::{is_active, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use super::*;
use crate::dest::{DestTable, Method};

// The table is generic over the family; these tests run it with IPv4 (the IPv6 entry has its
// own tests below the IPv4 ones where it differs).
type Conn = super::Conn<Ipv4Addr>;
type ConnHit = super::ConnHit<Ipv4Addr>;
type ConnTable = super::ConnTable<Ipv4Addr>;
type ConnOwner = super::ConnOwner<Ipv4Addr>;

const WORKERS: usize = 4;
const PER_WORKER: usize = 1024;
/// Keys per worker: more than its share of the table, so it also runs full.
const KEYS: u16 = 1400;
const DESTS: u32 = 16;

/// Small deterministic PRNG (xorshift64*), one per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The connection of key `k`: every field is a function of the key, so a reader can tell a
/// torn or misattributed entry from a good one.
fn conn_of(k: u16) -> Conn {
    let k32 = u32::from(k);
    Conn {
        proto: PROTO_TCP,
        caddr: Ipv4Addr::from(0xcb00_0000 | (k32 % 7)),
        cport: k,
        vaddr: Ipv4Addr::new(198, 51, 100, 1),
        vport: 80,
        daddr: Ipv4Addr::from(0x0a00_0000 | k32.wrapping_mul(2_654_435_761) >> 8),
        dport: k ^ 0x5555,
        fwd: if k.is_multiple_of(3) {
            Method::Route
        } else {
            Method::Masq
        },
        dest: k32 % DESTS,
    }
}

fn key_of(w: usize, i: u16) -> u16 {
    w as u16 * 10_000 + i
}

fn check_hit(hit: Option<ConnHit>, k: u16) -> Option<ConnHit> {
    if let Some(h) = hit {
        assert_eq!(
            h.conn,
            conn_of(k),
            "entry found under a key it does not have"
        );
    }
    hit
}

fn lookup_both(t: &ConnTable, k: u16) -> (Option<ConnHit>, Option<ConnHit>) {
    let c = conn_of(k);
    (
        check_hit(t.lookup_in(&c.in_key()), k),
        check_hit(t.lookup_out(&c.out_key()), k),
    )
}

/// What one worker knows of its own connections: key → (state, deadline).
type Model = HashMap<u16, (u8, u64)>;

fn worker(t: Arc<ConnTable>, mut own: ConnOwner, w: usize, start: Arc<Barrier>) -> Model {
    let mut rng = Rng(0x9e37_79b9 + w as u64 * 7919);
    let mut model = Model::new();
    let mut now = 1_000u64;
    start.wait();
    for _ in 0..12_000 {
        now += 23;
        match rng.below(10) {
            0..=3 => insert(
                &t,
                &mut own,
                &mut model,
                key_of(w, rng.below(u64::from(KEYS)) as u16),
                now,
            ),
            4 | 5 => {
                let k = key_of(w, rng.below(u64::from(KEYS)) as u16);
                touch(&t, &mut model, k, now)
            }
            6..=8 => {
                // Anybody's key: whatever is found must be exactly that key's connection.
                let k = key_of(
                    rng.below(WORKERS as u64) as usize,
                    rng.below(u64::from(KEYS)) as u16,
                );
                lookup_both(&t, k);
            }
            _ => expire_all(&mut own, &mut model, now),
        }
    }
    model
}

fn insert(t: &ConnTable, own: &mut ConnOwner, model: &mut Model, k: u16, now: u64) {
    let (hin, hout) = lookup_both(t, k);
    assert_eq!(
        hin.is_some(),
        model.contains_key(&k),
        "lost or phantom (in) {k}"
    );
    assert_eq!(
        hout.is_some(),
        model.contains_key(&k),
        "lost or phantom (out) {k}"
    );
    if hin.is_some() {
        return;
    }
    match own.insert(&conn_of(k), now) {
        Ok(h) => {
            let tr = t.update(&h, Dir::Input, TCP_SYN, now).unwrap();
            model.insert(k, (tr.new, now + 60_000));
        }
        Err(InsertError::Full) => assert_eq!(own.available(), 0, "refused with room left"),
        Err(e) => panic!("{e:?} for a key only this worker inserts"),
    }
}

fn touch(t: &ConnTable, model: &mut Model, k: u16, now: u64) {
    let (hin, hout) = lookup_both(t, k);
    let Some(&(state, _)) = model.get(&k) else {
        assert!(hin.is_none() && hout.is_none(), "phantom {k}");
        return;
    };
    let hit = hin.expect("lost (in)");
    assert_eq!(hout.expect("lost (out)").index(), hit.index());
    assert_eq!(hit.state, state);
    let flags = [TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST, TCP_SYN][(now % 4) as usize];
    let tr = t.update(&hit, Dir::Input, flags, now).unwrap();
    assert_eq!(tr.old, state);
    let secs = u64::from(t.timeouts().secs(PROTO_TCP, tr.new));
    model.insert(k, (tr.new, now + secs * 1000));
}

fn expire_all(own: &mut ConnOwner, model: &mut Model, now: u64) {
    // A full round, so exactly the due entries go.
    let reaped = own.expire_step(now, PER_WORKER);
    let before = model.len();
    model.retain(|_, &mut (_, deadline)| deadline > now);
    assert_eq!(reaped, before - model.len());
    assert_eq!(own.available(), PER_WORKER - model.len());
}

#[test]
fn workers_insert_lookup_expire_at_once() {
    let dests = Arc::new(DestTable::new(DESTS as usize));
    let (t, owners) = ConnTable::new(
        WORKERS * PER_WORKER,
        WORKERS,
        Arc::clone(&dests),
        Arc::default(),
    );
    let start = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = owners
        .into_iter()
        .enumerate()
        .map(|(w, own)| {
            let (t, start) = (Arc::clone(&t), Arc::clone(&start));
            thread::spawn(move || worker(t, own, w, start))
        })
        .collect();
    let models: Vec<Model> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    // Every modelled connection is in the table exactly once, and nothing else is.
    let mut live: HashMap<u16, usize> = HashMap::new();
    t.for_each_live(0, |cv| *live.entry(cv.conn.cport).or_default() += 1);
    let total: usize = models.iter().map(Model::len).sum();
    assert_eq!(live.len(), total);
    assert!(live.values().all(|&n| n == 1), "duplicate entry");
    assert_eq!(t.len(), total);
    // Destination counters are exactly what the final states say.
    let mut want = vec![(0u32, 0u32); DESTS as usize];
    for (&k, &(state, _)) in models.iter().flatten() {
        assert_eq!(live.get(&k), Some(&1), "lost {k}");
        let c = &mut want[conn_of(k).dest as usize];
        if is_active(PROTO_TCP, state) {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    let got: Vec<_> = (0..DESTS).map(|d| dests.counts(d)).collect();
    assert_eq!(got, want);
}

#[test]
fn racing_inserts_of_one_key_leave_one_entry() {
    const SHARED: u16 = 300;
    let dests = Arc::new(DestTable::new(DESTS as usize));
    let (t, owners) = ConnTable::new(WORKERS * 512, WORKERS, Arc::clone(&dests), Arc::default());
    let won = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = owners
        .into_iter()
        .map(|mut own| {
            let (t, start) = (Arc::clone(&t), Arc::clone(&start));
            let (won, lost) = (Arc::clone(&won), Arc::clone(&lost));
            thread::spawn(move || {
                start.wait();
                for k in 0..SHARED {
                    let c = conn_of(k);
                    if t.lookup_in(&c.in_key()).is_some() {
                        continue;
                    }
                    match own.insert(&c, 0) {
                        Ok(_) => {
                            won.fetch_add(1, Relaxed);
                        }
                        Err(InsertError::Exists) => {
                            lost.fetch_add(1, Relaxed);
                        }
                        Err(InsertError::Full) => panic!("full"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut live: HashMap<u16, usize> = HashMap::new();
    t.for_each_live(0, |cv| *live.entry(cv.conn.cport).or_default() += 1);
    assert_eq!(live.len(), usize::from(SHARED), "lost");
    assert!(live.values().all(|&n| n == 1), "duplicate");
    assert_eq!(won.load(Relaxed), usize::from(SHARED));
    eprintln!("{} inserts lost a race", lost.load(Relaxed));
    let inactive: u32 = (0..DESTS).map(|d| dests.counts(d).1).sum();
    assert_eq!(
        inactive,
        u32::from(SHARED),
        "withdrawn entries left no count behind"
    );
}

#[test]
fn concurrent_transitions_count_exactly_once() {
    // Every worker hammers the same entries with random segments in both directions.
    let dests = Arc::new(DestTable::new(DESTS as usize));
    let (t, mut owners) = ConnTable::new(256, WORKERS, Arc::clone(&dests), Arc::default());
    let keys: Vec<u16> = (0..64).collect();
    for &k in &keys {
        owners[usize::from(k) % WORKERS]
            .insert(&conn_of(k), 0)
            .unwrap();
    }
    let start = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (t, start, keys) = (Arc::clone(&t), Arc::clone(&start), keys.clone());
            thread::spawn(move || {
                let mut rng = Rng(w as u64 + 1);
                start.wait();
                for i in 0..20_000u64 {
                    let k = keys[rng.below(keys.len() as u64) as usize];
                    let (hin, hout) = lookup_both(&t, k);
                    let (hit, dir) = match rng.below(2) {
                        0 => (hin.unwrap(), Dir::Input),
                        _ => (hout.unwrap(), Dir::Output),
                    };
                    let flags = [TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, 0][rng.below(5) as usize];
                    t.update(&hit, dir, flags, i).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut want = vec![(0u32, 0u32); DESTS as usize];
    t.for_each_live(0, |cv| {
        let c = &mut want[cv.conn.dest as usize];
        if is_active(PROTO_TCP, cv.state) {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    });
    let got: Vec<_> = (0..DESTS).map(|d| dests.counts(d)).collect();
    assert_eq!(got, want);
}

#[test]
fn chaos_keeps_the_invariants() {
    // Every worker inserts, updates, expires and reuses any key at once; afterwards the live
    // in-keys are unique, the counters match the live states, and a final sweep empties all.
    const SHARED: u64 = 400;
    const SHARE: usize = 96;
    let dests = Arc::new(DestTable::new(DESTS as usize));
    let (t, owners) = ConnTable::new(WORKERS * SHARE, WORKERS, Arc::clone(&dests), Arc::default());
    let start = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = owners
        .into_iter()
        .enumerate()
        .map(|(w, mut own)| {
            let (t, start) = (Arc::clone(&t), Arc::clone(&start));
            thread::spawn(move || {
                let mut rng = Rng(w as u64 * 31 + 5);
                start.wait();
                for i in 0..60_000u64 {
                    let now = i * 50;
                    let k = rng.below(SHARED) as u16;
                    chaos_step(&t, &mut own, &mut rng, k, now);
                    if i % 16 == 0 {
                        own.expire_step(now, 24);
                    }
                }
                own
            })
        })
        .collect();
    let mut owners: Vec<ConnOwner> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let mut keys = HashMap::new();
    let mut want = vec![(0u32, 0u32); DESTS as usize];
    t.for_each_live(0, |cv| {
        assert_eq!(cv.conn, conn_of(cv.conn.cport));
        *keys.entry(cv.conn.cport).or_insert(0) += 1;
        let c = &mut want[cv.conn.dest as usize];
        if is_active(PROTO_TCP, cv.state) {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    });
    assert!(keys.values().all(|&n| n == 1), "duplicate in-key");
    let got: Vec<_> = (0..DESTS).map(|d| dests.counts(d)).collect();
    assert_eq!(got, want);
    for own in &mut owners {
        own.expire_step(u64::from(u32::MAX / 2), SHARE);
        assert_eq!(own.available(), SHARE);
    }
    assert!(t.is_empty());
    assert!((0..DESTS).all(|d| dests.reclaimable(d)));
}

fn chaos_step(t: &ConnTable, own: &mut ConnOwner, rng: &mut Rng, k: u16, now: u64) {
    let (hin, _) = lookup_both(t, k);
    let Some(hit) = hin else {
        if let Ok(h) = own.insert(&conn_of(k), now) {
            let _ = t.update(&h, Dir::Input, TCP_SYN, now);
        }
        return;
    };
    let flags = [TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, 0][rng.below(5) as usize];
    match rng.below(20) {
        0 => {
            t.expire_now(&hit);
        }
        1..=9 => {
            let _ = t.update(&hit, Dir::Input, flags, now);
        }
        _ => {
            if let (_, Some(out)) = lookup_both(t, k) {
                let _ = t.update(&out, Dir::Output, flags, now);
            }
        }
    }
}
