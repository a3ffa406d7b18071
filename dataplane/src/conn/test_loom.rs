//! Model-checked races of the connection table (loom; docs/reliability.md, "Concurrency"):
//! every interleaving of two threads, within loom's preemption bound, and the stale values
//! the memory model lets each relaxed load see. Built and run only under `--cfg loom`
//! (scripts/test.sh), where `crate::sync` hands the table loom's atomics.

use std::net::Ipv4Addr;
use std::sync::atomic::Ordering::{AcqRel, Release};
use std::sync::Arc;

use loom::thread;

use super::entry::{self, Entry, LIVE};
use super::state::{PROTO_TCP, TCP_ACK, TCP_RST, TCP_SYN};
use super::*;
use crate::dest::{DestTable, Method};

/// Preemptions per execution unless `LOOM_MAX_PREEMPTIONS` says otherwise. These races are
/// small: from 10 preemptions on loom tries the same executions as without a bound (every
/// one, in about 3 s); the bound keeps a bigger test added here from running for hours.
const PREEMPTIONS: usize = 10;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = b.preemption_bound.or(Some(PREEMPTIONS));
    b.check(f);
}

/// A connection of client port 40000 to the VIP, to real server `n` (slot `n`): the same
/// in-key whatever `n`, every other field of it different.
fn conn(n: u8) -> Conn<Ipv4Addr> {
    Conn {
        proto: PROTO_TCP,
        caddr: Ipv4Addr::new(203, 0, 113, 10),
        cport: 40000,
        vaddr: Ipv4Addr::new(198, 51, 100, 1),
        vport: 80,
        daddr: Ipv4Addr::new(10, 0, 0, n),
        dport: 8000 + u16::from(n),
        fwd: if n.is_multiple_of(2) {
            Method::Masq
        } else {
            Method::Route
        },
        dest: u32::from(n),
    }
}

/// A one-entry table (so a reclaimed entry is the next one handed out) over two real-server
/// slots, and its owner.
fn table() -> (Arc<ConnTable<Ipv4Addr>>, ConnOwner<Ipv4Addr>) {
    let dests = Arc::new(DestTable::new(2));
    let (table, mut owners) = ConnTable::with_seed(1, 1, dests, Arc::default(), 7);
    (table, owners.pop().unwrap())
}

/// The seqlock itself: a reader racing an owner that kills, reclaims and re-inits the entry
/// with a connection differing in every key word sees the old connection with the old
/// generation, the new one with the new generation, or nothing; never a mix.
#[test]
fn a_read_racing_a_reuse_sees_one_incarnation_whole() {
    model(|| {
        let e = Arc::new(Entry::<Ipv4Addr>::default());
        let a = conn(0);
        let b = Conn {
            caddr: Ipv4Addr::new(192, 0, 2, 9),
            cport: 1,
            vaddr: Ipv4Addr::new(198, 51, 100, 9),
            vport: 2,
            ..conn(1)
        };
        let gen_a = e.init(&a, 0, 0, 1000);
        let reader = {
            let e = e.clone();
            thread::spawn(move || e.read())
        };
        // The owner's steps: expire (LIVE off), reclaim (next generation), reuse.
        let ctl = e.ctl.fetch_and(!LIVE, AcqRel);
        e.ctl.store(entry::reclaimed(ctl), Release);
        let gen_b = e.init(&b, 0, 0, 1000);
        if let Some((ctl, seen)) = reader.join().unwrap() {
            let whole =
                (entry::gen(ctl), seen) == (gen_a, a) || (entry::gen(ctl), seen) == (gen_b, b);
            assert!(
                whole,
                "mixed read: generation {} of {seen:?}",
                entry::gen(ctl)
            );
        }
    });
}

/// The same race through the table: a lookup racing expire_now, the owner's reclaim and a
/// new connection under the same in-key (a client reusing its port) in the same entry finds
/// the old connection under the old generation, the new one under the new, or nothing.
#[test]
fn a_lookup_racing_a_reuse_finds_one_connection_whole() {
    model(|| {
        let (t, mut owner) = table();
        let old = owner.insert(&conn(0), 0).unwrap();
        let reader = {
            let t = t.clone();
            thread::spawn(move || t.lookup_in(&conn(0).in_key()))
        };
        assert!(t.expire_now(&old));
        assert_eq!(owner.expire_step(0, 1), 1);
        let new = owner.insert(&conn(1), 0).unwrap();
        assert_eq!(new.index(), old.index(), "the entry is reused");
        if let Some(hit) = reader.join().unwrap() {
            let whole = (hit.gen, hit.conn) == (old.gen, conn(0))
                || (hit.gen, hit.conn) == (new.gen, conn(1));
            assert!(whole, "mixed hit: generation {} of {:?}", hit.gen, hit.conn);
        }
        assert_eq!(t.dests().counts(0), (0, 0));
        assert_eq!(t.dests().counts(1), (0, 1), "the new connection, inactive");
    });
}

/// An established connection (active on its server) gets a RST from one worker (→ CLOSE,
/// inactive) while another expires it now: whichever wins, the server's counters move once
/// per transition and end at zero.
#[test]
fn update_racing_expire_now_moves_the_counters_once() {
    model(|| {
        let (t, mut owner) = table();
        let hit = established(&t, &mut owner);
        let worker = {
            let (t, hit) = (t.clone(), hit);
            thread::spawn(move || t.update(&hit, Dir::Input, TCP_RST, 2))
        };
        assert!(t.expire_now(&hit), "it was live");
        // A RST that came first made it inactive; one that came second found it gone.
        if let Ok(tr) = worker.join().unwrap() {
            let active = |st| state::is_active(PROTO_TCP, st);
            assert!(active(tr.old) && !active(tr.new), "{tr:?}");
        }
        assert_eq!(t.dests().counts(0), (0, 0), "removed exactly once");
        assert!(t.lookup_in(&conn(0).in_key()).is_none());
    });
}

/// Two workers apply the same SYN to a new connection (NONE, inactive): one of them makes
/// it SYN_RECV and moves it to active, the other sees SYN_RECV already; the counters move
/// once.
#[test]
fn two_updates_of_one_transition_move_the_counters_once() {
    model(|| {
        let (t, mut owner) = table();
        let hit = owner.insert(&conn(0), 0).unwrap();
        assert_eq!(t.dests().counts(0), (0, 1));
        let other = {
            let t = t.clone();
            thread::spawn(move || t.update(&hit, Dir::Input, TCP_SYN, 1).unwrap())
        };
        let mine = t.update(&hit, Dir::Input, TCP_SYN, 1).unwrap();
        let theirs = other.join().unwrap();
        let from_none = [mine, theirs].iter().filter(|tr| tr.old == 0).count();
        assert_eq!(from_none, 1, "{mine:?} {theirs:?}");
        assert_eq!(t.dests().counts(0), (1, 0));
    });
}

/// A packet re-arming an established connection races the owner's expiry at its deadline:
/// either the packet came first and the connection stays, counted active, or the expiry did
/// and the update finds it gone with nothing counted.
#[test]
fn update_racing_expiry_at_the_deadline_keeps_or_removes_once() {
    model(|| {
        let (t, mut owner) = table();
        let hit = established(&t, &mut owner);
        let due = u64::from(t.timeouts().ms(PROTO_TCP, TcpState::Established as u8)) + 1;
        let worker = {
            let t = t.clone();
            thread::spawn(move || t.update(&hit, Dir::Input, TCP_ACK, due))
        };
        let reclaimed = owner.expire_step(due + 1, 1);
        match worker.join().unwrap() {
            Ok(_) if reclaimed == 0 => assert_eq!(t.dests().counts(0), (1, 0)),
            _ => assert_eq!((reclaimed, t.dests().counts(0)), (1, (0, 0))),
        }
    });
}

/// Connection 0 through SYN, SYN+ACK and ACK at time 0: ESTABLISHED, active on slot 0.
fn established(t: &ConnTable<Ipv4Addr>, owner: &mut ConnOwner<Ipv4Addr>) -> ConnHit<Ipv4Addr> {
    let hit = owner.insert(&conn(0), 0).unwrap();
    t.update(&hit, Dir::Input, TCP_SYN, 0).unwrap();
    t.update(&hit, Dir::Output, TCP_SYN | TCP_ACK, 0).unwrap();
    t.update(&hit, Dir::Input, TCP_ACK, 0).unwrap();
    assert_eq!(t.dests().counts(0), (1, 0));
    hit
}
