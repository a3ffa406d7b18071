//! The neighbour tables: IP address → MAC, one per port and family (ARP for IPv4, Neighbor
//! Discovery for IPv6), shared by every worker. Fixed capacity, open addressing with a
//! seeded hash, no locks on the read path and no `unsafe`.
//!
//! # What teaches a table (Linux's `arp_process` with `arp_accept=0`, RFC 4861 §7.2.5)
//! A message is heard on one port and can only teach that port's table, and only about a
//! sender on one of that port's connected prefixes (not one of our own addresses). A port is
//! one link (its VLAN, or untagged: `crate::l2`), and it admits no frame of another.
//! The caller says what the message is worth ([`Lesson`]):
//! * a request for one of our addresses (ARP request, NS with a source link-layer option)
//!   may **create** the sender's entry, as `neigh_event_ns` does: STALE (not confirmed);
//! * any other message (an ARP reply or gratuitous ARP, an ARP request for someone else, an
//!   NA) only **updates** an entry that exists, an INCOMPLETE one (a request of ours waits
//!   for it) included: unsolicited answers never create one;
//! * an ARP reply sent to our MAC, or a solicited NA, **confirms**: the entry is REACHABLE
//!   for [`REACHABLE_MS`]; other lessons leave a changed entry STALE;
//! * an NA without Override does not replace a known MAC (§7.2.5);
//! * a **static** entry (the configuration's) never changes, whatever is heard.
//!
//! # Ageing, as the kernel's neighbour states but computed, not timed
//! An entry keeps its MAC, the time it is REACHABLE until, and its last probe (time and
//! count). Its state is a function of those and the clock, so no timer or sweeper writes
//! it: REACHABLE until `fresh`, then STALE: still used, and the first use asks for a unicast
//! probe (no DELAY state), at most one every [`RETRANS_MS`]; [`MAX_PROBES`] unanswered
//! probes make it FAILED. A STALE entry nobody uses (no probe) is gone [`GC_STALE_MS`] after
//! going stale (`gc_stale_time`). An unresolved next hop gets an INCOMPLETE entry: a
//! broadcast request, then one a second, FAILED after [`MAX_PROBES`]; the next packet to it
//! starts again. A FAILED entry is no entry: its slot is free for the next address to claim.
//!
//! # Concurrency
//! Readers (every packet's next hop) only load. Each slot has a *state* word, `gen << 48 |
//! tag << 2 | phase`, and the key words of its family ([`NeighAddr::Key`]):
//! * the tag is the address folded to 46 bits ([`Addr::fold`]): for IPv4 the address itself
//!   (there are no key words), for IPv6 a filter the two key words (the halves) decide;
//! * every write (a new tenant, a lesson, a probe claimed) takes the slot by one CAS of its
//!   state to BUSY with the next generation, writes, and publishes READY: a seqlock whose
//!   writers never wait (a lost CAS gives up; the next message or packet tries again).
//!   Writes happen per lesson that changes something and per probe (one a second per
//!   address), never per forwarded packet, so the workers' lines stay shared;
//! * after each write the table's generation is bumped, so that a worker's private copies
//!   of usable entries ([`cache`]) know when to look again;
//! * a reader loads the state, the fields, then the state again, and retries a few times
//!   while a writer of its tag is busy; the generation tells a reused slot from the old one;
//! * a slot is claimed at the first free place of the address's window (never used, or its
//!   entry FAILED) after checking the whole window for the address, and phases never go back
//!   to EMPTY, so a search stops at the first EMPTY slot. Two workers creating the same
//!   address at the instant an earlier slot of its window fails could store it twice; the
//!   second copy is never found first, never refreshed, and ages out.
//!
//! The hash is seeded at random per table, so nobody can aim addresses at one window.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{fence, AtomicU64, Ordering::*};

use crossbeam::utils::CachePadded;

use crate::conn::mix;
use crate::flow::Addr;
use crate::wire::MacAddr;

/// How long a confirmed entry is REACHABLE (Linux `base_reachable_time`, not randomised).
pub const REACHABLE_MS: u64 = 30_000;
/// At most one request per address this often (Linux `retrans_time`).
pub const RETRANS_MS: u64 = 1_000;
/// Unanswered requests before an entry FAILS (Linux `mcast_solicit`, `ucast_solicit`).
pub const MAX_PROBES: u64 = 3;
/// A STALE entry nobody used is gone this long after going stale (`gc_stale_time`).
pub const GC_STALE_MS: u64 = 60_000;

/// Slots probed before giving up.
const WINDOW: usize = 32;
const TAG_MASK: u64 = (1 << 46) - 1;
const GEN_SHIFT: u32 = 48;
const EMPTY: u64 = 0;
const BUSY: u64 = 1;
const READY: u64 = 2;
/// Reads of a slot a writer of the same tag holds before treating it as absent.
const READ_TRIES: usize = 64;
/// Flags in a slot's MAC word, above the 48 bits of the MAC.
const STATIC: u64 = 1 << 48;
const INCOMPLETE: u64 = 1 << 49;
const MAC_MASK: u64 = (1 << 48) - 1;

/// How a family's address is kept in a slot beyond its tag.
pub trait NeighAddr: Addr {
    /// Atomic words for what the tag cannot hold: nothing for IPv4, both halves for IPv6.
    type Key: Default + Send + Sync;
    /// Writes the key words of a slot this thread has taken.
    fn store_key(self, key: &Self::Key);
    /// Whether the slot's key words hold `self`.
    fn key_is(self, key: &Self::Key) -> bool;
}

impl NeighAddr for Ipv4Addr {
    type Key = ();
    fn store_key(self, _: &()) {}
    fn key_is(self, _: &()) -> bool {
        true
    }
}

impl NeighAddr for Ipv6Addr {
    type Key = [AtomicU64; 2];
    fn store_key(self, key: &[AtomicU64; 2]) {
        let v = u128::from(self);
        key[0].store((v >> 64) as u64, Relaxed);
        key[1].store(v as u64, Relaxed);
    }
    fn key_is(self, key: &[AtomicU64; 2]) -> bool {
        let v = u128::from(self);
        key[0].load(Relaxed) == (v >> 64) as u64 && key[1].load(Relaxed) == v as u64
    }
}

/// What a heard message is worth (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lesson {
    /// It may create the entry (a request for one of our addresses).
    pub create: bool,
    /// It confirms the neighbour reachable (an answer sent to us).
    pub confirm: bool,
    /// It may replace a known MAC (all but an NA without Override).
    pub replace: bool,
}

impl Lesson {
    /// A request for one of our addresses.
    pub const REQUEST_FOR_US: Lesson = Lesson {
        create: true,
        confirm: false,
        replace: true,
    };
    /// An answer sent to us: an ARP reply to our MAC.
    pub const ANSWER: Lesson = Lesson {
        create: false,
        confirm: true,
        replace: true,
    };
    /// Anything else the neighbour says (gratuitous ARP, broadcast reply, others' requests).
    pub const HEARD: Lesson = Lesson {
        create: false,
        confirm: false,
        replace: true,
    };
}

/// What a lesson did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    /// The entry was created, changed or confirmed.
    Stored,
    /// Nothing to change (the same MAC, not a confirmation).
    Unchanged,
    /// The rules refused it: another MAC for a static entry, no Override for another MAC.
    Refused,
    /// No entry to update and the lesson may not create one (ordinary chatter).
    NoEntry,
    /// No free slot in the address's window.
    Full,
    /// Another worker was writing the slot; the next message teaches again.
    Lost,
}

/// What forwarding to a next hop found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The MAC to send to, if there is one (REACHABLE, STALE or static).
    pub mac: Option<MacAddr>,
    /// A request is due: no entry, or a STALE or INCOMPLETE one whose next probe is due.
    pub ask: bool,
}

/// A request [`NeighTable::ask`] claimed for the caller to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Broadcast (ARP) or to the solicited-node group (NS): resolution.
    Resolve,
    /// To the MAC we have: a STALE entry's reachability probe.
    Probe(MacAddr),
    /// Nothing to send: asked less than [`RETRANS_MS`] ago, or another worker just did.
    NotDue,
    /// No free slot for an INCOMPLETE entry.
    Full,
}

/// A consistent copy of a slot's fields.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// MAC and flags.
    mac: u64,
    /// REACHABLE until then (ms).
    fresh: u64,
    /// `last probe (ms) << 8 | probes since the last confirmation`.
    probe: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Static,
    Incomplete,
    Reachable,
    Stale,
    Failed,
}

impl Entry {
    fn probes(&self) -> (u64, u64) {
        (self.probe >> 8, self.probe & 0xff)
    }

    fn state(&self, now: u64) -> State {
        let (last, count) = self.probes();
        let gave_up = count >= MAX_PROBES && now >= last + RETRANS_MS;
        match self.mac {
            m if m & STATIC != 0 => State::Static,
            m if m & INCOMPLETE != 0 && gave_up => State::Failed,
            m if m & INCOMPLETE != 0 => State::Incomplete,
            _ if now < self.fresh => State::Reachable,
            _ if gave_up || (count == 0 && now >= self.fresh + GC_STALE_MS) => State::Failed,
            _ => State::Stale,
        }
    }

    /// Whether another request may go now.
    fn probe_due(&self, now: u64) -> bool {
        let (last, count) = self.probes();
        count == 0 || (count < MAX_PROBES && now >= last + RETRANS_MS)
    }

    fn mac(&self) -> MacAddr {
        unpack(self.mac & MAC_MASK)
    }

    /// The entry after one more request at `now`.
    fn probed(self, now: u64) -> Entry {
        let count = self.probes().1 + 1;
        Entry {
            probe: now << 8 | count,
            ..self
        }
    }

    /// A dynamic entry for `mac`, REACHABLE if `confirm`, else STALE from now.
    fn known(mac: MacAddr, confirm: bool, now: u64) -> Entry {
        let fresh = if confirm { now + REACHABLE_MS } else { now };
        Entry {
            mac: pack(mac),
            fresh,
            probe: 0,
        }
    }

    /// What `lesson` about `mac` makes of this entry (in `state`), if anything.
    fn taught(
        self,
        state: State,
        mac: MacAddr,
        lesson: Lesson,
        now: u64,
    ) -> Result<Entry, Learned> {
        let same = self.mac & (MAC_MASK | INCOMPLETE) == pack(mac);
        match state {
            State::Static if same => Err(Learned::Unchanged),
            State::Static => Err(Learned::Refused),
            State::Failed if !lesson.create => Err(Learned::NoEntry),
            State::Incomplete | State::Failed => Ok(Entry::known(mac, lesson.confirm, now)),
            _ if same && lesson.confirm => Ok(Entry::known(mac, true, now)),
            _ if same => Err(Learned::Unchanged),
            _ if !lesson.replace => Err(Learned::Refused),
            _ => Ok(Entry::known(mac, lesson.confirm, now)),
        }
    }
}

struct Slot<A: NeighAddr> {
    state: AtomicU64,
    key: A::Key,
    mac: AtomicU64,
    fresh: AtomicU64,
    probe: AtomicU64,
}

impl<A: NeighAddr> Default for Slot<A> {
    fn default() -> Self {
        Slot {
            state: AtomicU64::new(EMPTY),
            key: A::Key::default(),
            mac: AtomicU64::new(0),
            fresh: AtomicU64::new(0),
            probe: AtomicU64::new(0),
        }
    }
}

/// What one read of a slot saw.
enum View {
    /// Never used: the address is not further on.
    Empty,
    /// The address, as of state word `state`.
    Mine(u64, Entry),
    /// Another address, as of `state` (for a claim if its entry failed).
    Other(u64, Entry),
    /// Being written by another thread for another tag.
    Held,
    /// Written all along by another thread, for `ip`'s tag.
    Busy,
}

impl<A: NeighAddr> Slot<A> {
    /// A seqlock read: the state, the fields, the state again.
    fn view(&self, ip: A, tag: u64) -> View {
        for _ in 0..READ_TRIES {
            let s = self.state.load(Acquire);
            if s & 3 == EMPTY {
                return View::Empty;
            }
            let ours = (s >> 2) & TAG_MASK == tag;
            if s & 3 == BUSY {
                if !ours {
                    return View::Held;
                }
                std::hint::spin_loop();
                continue;
            }
            let mine = ours && ip.key_is(&self.key);
            let e = Entry {
                mac: self.mac.load(Relaxed),
                fresh: self.fresh.load(Relaxed),
                probe: self.probe.load(Relaxed),
            };
            fence(Acquire);
            if self.state.load(Relaxed) == s {
                return if mine {
                    View::Mine(s, e)
                } else {
                    View::Other(s, e)
                };
            }
        }
        View::Busy
    }

    /// Takes the slot from state `from` (a CAS: false if anything changed), writes `e` (and
    /// `ip` as the key when it is a new tenant), publishes it.
    fn write(&self, from: u64, ip: A, e: Entry) -> bool {
        let gen = (from >> GEN_SHIFT).wrapping_add(1) & 0xffff;
        let held = gen << GEN_SHIFT | tag(ip) << 2;
        if self
            .state
            .compare_exchange(from, held | BUSY, Acquire, Relaxed)
            .is_err()
        {
            return false;
        }
        // Crossbeam's seqlock: the fields are written after BUSY is visible.
        fence(Release);
        ip.store_key(&self.key);
        self.mac.store(e.mac, Relaxed);
        self.fresh.store(e.fresh, Relaxed);
        self.probe.store(e.probe, Relaxed);
        self.state.store(held | READY, Release);
        true
    }
}

fn pack(mac: MacAddr) -> u64 {
    let mut b = [0u8; 8];
    b[2..].copy_from_slice(&mac);
    u64::from_be_bytes(b)
}

fn unpack(v: u64) -> MacAddr {
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn tag<A: Addr>(ip: A) -> u64 {
    ip.fold() & TAG_MASK
}

/// Where an address is, or where it could go.
enum Place<'a, A: NeighAddr> {
    Found(&'a Slot<A>, u64, Entry),
    Free(&'a Slot<A>, u64),
    Full,
    Busy,
}

/// One port's neighbours of family `A` (IPv4 unless said otherwise).
pub struct NeighTable<A: NeighAddr = Ipv4Addr> {
    slots: Box<[Slot<A>]>,
    /// 64 − log2(slots): the hash's top bits pick the window.
    shift: u32,
    seed: u64,
    /// Writes to any slot so far, bumped after each: the workers' [`cache`] copies hold
    /// while it stays the same. Its own line: every packet reads it, only writes write it.
    generation: CachePadded<AtomicU64>,
}

impl<A: NeighAddr> NeighTable<A> {
    /// A table for up to `capacity` neighbours (rounded up to a power of two), its hash
    /// seeded at random.
    pub fn new(capacity: usize) -> Self {
        Self::with_seed(capacity, RandomState::new().hash_one(0))
    }

    /// [`NeighTable::new`] with a chosen seed (reproducible tests).
    pub fn with_seed(capacity: usize, seed: u64) -> Self {
        let n = capacity.next_power_of_two().max(WINDOW);
        NeighTable {
            slots: (0..n).map(|_| Slot::default()).collect(),
            shift: 64 - n.trailing_zeros(),
            seed: mix(seed),
            generation: CachePadded::new(AtomicU64::new(0)),
        }
    }

    /// The slot `ip`'s window starts at: the seeded hash (exposed to show the seeding).
    pub fn home(&self, ip: A) -> usize {
        (mix(tag(ip) ^ self.seed) >> self.shift) as usize
    }

    fn window(&self, ip: A) -> impl Iterator<Item = &Slot<A>> + '_ {
        let (h, mask) = (self.home(ip), self.slots.len() - 1);
        (0..WINDOW).map(move |i| &self.slots[(h + i) & mask])
    }

    /// Finds `ip`, or the first slot it may take at `now` (never used, or its entry failed).
    fn place(&self, ip: A, now: u64) -> Place<'_, A> {
        let t = tag(ip);
        let mut free = None;
        let mut busy = false;
        for slot in self.window(ip) {
            match slot.view(ip, t) {
                View::Mine(s, e) => return Place::Found(slot, s, e),
                View::Empty => {
                    free = free.or(Some((slot, EMPTY)));
                    break;
                }
                View::Other(s, e) if e.state(now) == State::Failed => {
                    free = free.or(Some((slot, s)));
                }
                View::Other(..) | View::Held => {}
                View::Busy => busy = true,
            }
        }
        match free {
            // A writer we could not see past may be storing `ip` itself: do not store twice.
            _ if busy => Place::Busy,
            Some((slot, s)) => Place::Free(slot, s),
            None => Place::Full,
        }
    }

    fn find(&self, ip: A) -> Option<Entry> {
        let t = tag(ip);
        for slot in self.window(ip) {
            match slot.view(ip, t) {
                View::Mine(_, e) => return Some(e),
                View::Empty => return None,
                _ => {}
            }
        }
        None
    }

    /// The next hop `ip` at `now`: the MAC to use, and whether to ask for it.
    #[inline]
    pub fn lookup(&self, ip: A, now: u64) -> Lookup {
        self.lookup_until(ip, now).0
    }

    /// [`lookup`](Self::lookup), and until when (ms) its answer holds unless the table is
    /// written: a REACHABLE entry's deadline, forever for a static one. None for an answer
    /// that asks, or may ask or expire with no write (STALE, INCOMPLETE, FAILED, unknown).
    #[inline]
    pub fn lookup_until(&self, ip: A, now: u64) -> (Lookup, Option<u64>) {
        let Some(e) = self.find(ip) else {
            return (
                Lookup {
                    mac: None,
                    ask: true,
                },
                None,
            );
        };
        let (mac, ask, until) = match e.state(now) {
            State::Static => (Some(e.mac()), false, Some(u64::MAX)),
            State::Reachable => (Some(e.mac()), false, Some(e.fresh)),
            State::Stale => (Some(e.mac()), e.probe_due(now), None),
            State::Incomplete => (None, e.probe_due(now), None),
            State::Failed => (None, true, None),
        };
        (Lookup { mac, ask }, until)
    }

    /// The number of writes to the table so far (see [`cache`] for how it is used).
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Acquire)
    }

    /// Writes `e` for `ip` into `slot` taken from state `from` ([`Slot::write`]), then bumps
    /// the generation: after the slot, so that whoever loads the new generation sees the
    /// write (Release here, Acquire in [`generation`](Self::generation)).
    fn write(&self, slot: &Slot<A>, from: u64, ip: A, e: Entry) -> bool {
        let written = slot.write(from, ip, e);
        if written {
            self.generation.fetch_add(1, Release);
        }
        written
    }

    /// The MAC of `ip` if it is usable at `now`.
    pub fn get(&self, ip: A, now: u64) -> Option<MacAddr> {
        self.lookup(ip, now).mac
    }

    /// Claims the request [`lookup`](Self::lookup) said was due for `ip` at `now`: an
    /// INCOMPLETE entry for an unknown (or failed) address, the next probe of a STALE or
    /// INCOMPLETE one. At most one worker wins a probe, so at most one request goes per
    /// address per [`RETRANS_MS`].
    pub fn ask(&self, ip: A, now: u64) -> Ask {
        let incomplete = Entry {
            mac: INCOMPLETE,
            fresh: 0,
            probe: now << 8 | 1,
        };
        let (slot, from, e, ask) = match self.place(ip, now) {
            Place::Found(slot, s, e) => match e.state(now) {
                State::Failed => (slot, s, incomplete, Ask::Resolve),
                State::Stale if e.probe_due(now) => (slot, s, e.probed(now), Ask::Probe(e.mac())),
                State::Incomplete if e.probe_due(now) => (slot, s, e.probed(now), Ask::Resolve),
                _ => return Ask::NotDue,
            },
            Place::Free(slot, s) => (slot, s, incomplete, Ask::Resolve),
            Place::Full => return Ask::Full,
            Place::Busy => return Ask::NotDue,
        };
        if self.write(slot, from, ip, e) {
            ask
        } else {
            Ask::NotDue
        }
    }

    /// Applies what a message heard at `now` says of `ip` → `mac` (see the module doc).
    /// The unspecified address is never learned.
    pub fn learn(&self, ip: A, mac: MacAddr, lesson: Lesson, now: u64) -> Learned {
        if Into::<IpAddr>::into(ip).is_unspecified() {
            return Learned::Refused;
        }
        let (slot, from, e) = match self.place(ip, now) {
            Place::Found(slot, s, e) => match e.taught(e.state(now), mac, lesson, now) {
                Ok(new) => (slot, s, new),
                Err(learned) => return learned,
            },
            Place::Free(..) | Place::Full if !lesson.create => return Learned::NoEntry,
            Place::Free(slot, s) => (slot, s, Entry::known(mac, lesson.confirm, now)),
            Place::Full => return Learned::Full,
            Place::Busy => return Learned::Lost,
        };
        match self.write(slot, from, ip, e) {
            true => Learned::Stored,
            false => Learned::Lost,
        }
    }

    /// Stores the static entry `ip` → `mac` (the configuration's, before the workers run);
    /// false if its window is full.
    pub fn add_static(&self, ip: A, mac: MacAddr) -> bool {
        let e = Entry {
            mac: pack(mac) | STATIC,
            fresh: 0,
            probe: 0,
        };
        match self.place(ip, 0) {
            Place::Found(slot, s, _) | Place::Free(slot, s) => self.write(slot, s, ip, e),
            Place::Full | Place::Busy => false,
        }
    }
}

/// Neighbour requests the whole data plane may send: a token bucket over every port, family
/// and worker (one atomic word, written once per request sent), so that many unresolved
/// next hops cannot make a storm of broadcasts.
pub struct RequestLimit {
    /// `tokens << 48 | last refill (ms)`.
    word: AtomicU64,
}

/// Requests a second in all, and the burst.
pub const REQUESTS_PER_SEC: u64 = 50;

impl Default for RequestLimit {
    fn default() -> Self {
        RequestLimit {
            word: AtomicU64::new(REQUESTS_PER_SEC << 48),
        }
    }
}

impl RequestLimit {
    /// Takes a token at `now` (ms) if one is left; a lost race counts as none left.
    pub fn allow(&self, now: u64) -> bool {
        let w = self.word.load(Relaxed);
        let (tokens, last) = (w >> 48, w & ((1 << 48) - 1));
        let earned = now.saturating_sub(last) * REQUESTS_PER_SEC / 1000;
        let (tokens, last) = match earned {
            0 => (tokens, last),
            n => ((tokens + n).min(REQUESTS_PER_SEC), now),
        };
        tokens > 0
            && self
                .word
                .compare_exchange(w, (tokens - 1) << 48 | last, Relaxed, Relaxed)
                .is_ok()
    }
}

pub mod cache;

#[cfg(test)]
mod test;
