//! [`ConnTable`] (what every worker may do) and [`ConnOwner`] (what only a partition's owner
//! may do: insert and expire).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::Ordering::*;
use std::sync::Arc;

use crossbeam::utils::CachePadded;

use crate::dpdk::huge::HugeSlice;

use super::entry::{self, Entry, Packed, CONFIRMED, LINKED, LIVE, LOSER, NO_OUTPUT, TEMPLATE};
use super::index::{mix, Index};
use super::pe_data::{Pe, PeData};
use super::state::{self, next_tcp_state, Dir, TcpState, Timeouts, PROTO_TCP};
use super::{Conn, ConnHit, ConnView, InsertError, Stale, Transition};
use crate::dest::{DestTable, Method};
use crate::flow::{Addr, FlowKey};
use crate::sync::{fence, AtomicU32, AtomicU64};

/// The shared connection table. See the module documentation for the contract.
pub struct ConnTable<A: Packed> {
    entries: HugeSlice<Entry<A>>,
    in_index: Index,
    out_index: Index,
    seed: u64,
    dests: Arc<DestTable>,
    timeouts: Arc<Timeouts>,
    /// Entries in use per partition, written only by the partition's owner.
    used: Box<[CachePadded<AtomicU32>]>,
    /// Entries evicted to make room per partition ([`ConnOwner::insert`]), written only by
    /// the partition's owner.
    evicted: Box<[CachePadded<AtomicU64>]>,
    /// Per template entry: the live connections it controls (`n_control`, §5.3).
    controls: HugeSlice<AtomicU32>,
    /// Per connection entry: the template that controls it ([`Controller`]), 0 for none.
    controller: HugeSlice<AtomicU64>,
    /// Templates' persistence-engine data (the SIP Call-ID).
    pe: PeData,
}

/// The entries `[start, end)` of partition `w` of `workers` over `cap` entries: even shares.
fn partition(cap: u32, w: usize, workers: usize) -> (u32, u32) {
    let at = |w: usize| (u64::from(cap) * w as u64 / workers as u64) as u32;
    (at(w), at(w + 1))
}

/// One partition as [`ConnTable::partitions`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionFill {
    pub used: usize,
    pub capacity: usize,
    pub evicted: u64,
}

/// Entries a full partition looks at for one to evict ([`ConnOwner::insert`]).
const EVICT_SCAN: u32 = 64;

/// A template's entry and generation, packed for [`ConnTable::controller`] (+1, so that a
/// zero word means none).
struct Controller;

impl Controller {
    fn pack(idx: u32, gen: u32) -> u64 {
        (u64::from(gen) << 32 | u64::from(idx)) + 1
    }

    fn unpack(word: u64) -> Option<(u32, u32)> {
        let w = word.checked_sub(1)?;
        Some((w as u32, (w >> 32) as u32))
    }
}

/// Template state bits (the entry's state nibble; templates have no protocol state).
mod tstate {
    /// A connection under it reached ESTABLISHED (ipvsadm lists ASSURED).
    pub const ASSURED: u8 = 1;
    /// Its server left the service: never found again, kept until its timer (§5.4).
    pub const INVALID: u8 = 2;
    /// Its timer ran out while it controlled connections: it now lives 60 s at a time (§5.3).
    pub const POSTPONED: u8 = 4;
    /// It carries persistence-engine data (`pe_data.rs`); its client port is a tag of it.
    pub const PE: u8 = 8;
}

/// How long a template that ran out while controlling connections is kept at a time
/// (`ip_vs_conn_expire`, `expire_later`).
const TEMPLATE_POSTPONE_MS: u32 = 60_000;

/// A worker's share of the table: the only handle that can insert and expire.
pub struct ConnOwner<A: Packed> {
    table: Arc<ConnTable<A>>,
    part: usize,
    start: u32,
    end: u32,
    free: Vec<u32>,
    cursor: u32,
}

/// A key's hash in a table's indexes ([`ConnTable::hash`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHash(u64);

/// The index hash of `k`. For IPv4 the words are `saddr << 32 | sport << 16 | dport` and
/// `daddr << 8 | proto` (the folded address is 32 bits, so the rotations are shifts).
#[inline(always)]
fn key_hash<A: Addr>(seed: u64, k: &FlowKey<A>) -> u64 {
    let x = k.saddr.fold().rotate_left(32) ^ (u64::from(k.sport) << 16 | u64::from(k.dport));
    let y = k.daddr.fold().rotate_left(8) ^ u64::from(k.proto);
    mix(x ^ mix(y ^ seed))
}

impl<A: Packed> ConnTable<A> {
    /// A table of `capacity` entries split evenly into `workers` partitions, one
    /// [`ConnOwner`] per worker. Allocates everything now (see [`super::bytes_per_entry`]).
    /// The hash seed is random, so clients cannot aim many keys at one bucket pair.
    pub fn new(
        capacity: usize,
        workers: usize,
        dests: Arc<DestTable>,
        timeouts: Arc<Timeouts>,
    ) -> (Arc<ConnTable<A>>, Vec<ConnOwner<A>>) {
        Self::with_seed(
            capacity,
            workers,
            dests,
            timeouts,
            RandomState::new().hash_one(0),
        )
    }

    /// Same as [`ConnTable::new`] with a chosen hash seed (reproducible tests).
    pub fn with_seed(
        capacity: usize,
        workers: usize,
        dests: Arc<DestTable>,
        timeouts: Arc<Timeouts>,
        seed: u64,
    ) -> (Arc<ConnTable<A>>, Vec<ConnOwner<A>>) {
        assert!(
            workers > 0 && capacity >= workers,
            "at least one entry per worker"
        );
        let cap = u32::try_from(capacity).expect("capacity below 2^32");
        let table = Arc::new(ConnTable {
            entries: HugeSlice::new(capacity, |_| Entry::default()),
            in_index: Index::new(capacity * 2),
            out_index: Index::new(capacity * 2),
            seed,
            dests,
            timeouts,
            used: (0..workers).map(|_| Default::default()).collect(),
            evicted: (0..workers).map(|_| Default::default()).collect(),
            controls: HugeSlice::new(capacity, |_| AtomicU32::new(0)),
            controller: HugeSlice::new(capacity, |_| AtomicU64::new(0)),
            pe: PeData::default(),
        });
        let owners = (0..workers)
            .map(|w| {
                let (start, end) = partition(cap, w, workers);
                ConnOwner {
                    table: Arc::clone(&table),
                    part: w,
                    start,
                    end,
                    // Reversed so entries are handed out in ascending order.
                    free: (start..end).rev().collect(),
                    cursor: start,
                }
            })
            .collect();
        (table, owners)
    }

    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Each partition's entries in use, its size and the entries evicted from it to make
    /// room, in worker order. A live read of what the owners publish: it never writes their
    /// lines.
    pub fn partitions(&self) -> impl Iterator<Item = PartitionFill> + '_ {
        let (cap, workers) = (self.entries.len() as u32, self.used.len());
        self.used
            .iter()
            .zip(self.evicted.iter())
            .enumerate()
            .map(move |(w, (used, evicted))| {
                let (start, end) = partition(cap, w, workers);
                PartitionFill {
                    used: used.load(Relaxed) as usize,
                    capacity: (end - start) as usize,
                    evicted: evicted.load(Relaxed),
                }
            })
    }

    /// Number of connections in the table (entries allocated and not yet reclaimed).
    pub fn len(&self) -> usize {
        self.used.iter().map(|u| u.load(Relaxed) as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated for entries, both indexes, the owners' free lists and the template
    /// links.
    pub fn memory_bytes(&self) -> usize {
        let entries = self.entries.len() * std::mem::size_of::<Entry<A>>();
        let indexes = (self.in_index.slots() + self.out_index.slots()) * 8;
        let per_entry = 4 + 4 + 8; // free list, controls, controller
        entries + indexes + self.entries.len() * per_entry
    }

    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    pub fn dests(&self) -> &Arc<DestTable> {
        &self.dests
    }

    fn in_hash(&self, c: &Conn<A>) -> u64 {
        key_hash(self.seed, &c.in_key())
    }

    fn out_hash(&self, c: &Conn<A>) -> u64 {
        key_hash(self.seed, &c.out_key())
    }

    /// The client port of a template key whose persistence-engine data is `pe`.
    pub fn pe_tag((_, data): Pe) -> u16 {
        PeData::tag(data)
    }

    /// Reads entry `idx` if it is live, not withdrawn, a template exactly when `template`,
    /// and its key passes `is_key`.
    fn hit(
        &self,
        idx: u32,
        template: bool,
        is_key: impl Fn(&Conn<A>) -> bool,
    ) -> Option<ConnHit<A>> {
        let (ctl, conn) = self.entries.get(idx as usize)?.read()?;
        if ctl & LOSER != 0 || (ctl & TEMPLATE != 0) != template || !is_key(&conn) {
            return None;
        }
        Some(ConnHit {
            conn,
            state: entry::state(ctl),
            no_output: ctl & NO_OUTPUT != 0,
            idx,
            gen: entry::gen(ctl),
        })
    }

    /// The hash key `k` is indexed under, in either index: a packet's key is hashed once,
    /// when its burst is prefetched, and the lookup takes the hash along.
    #[inline(always)]
    pub fn hash(&self, k: &FlowKey<A>) -> KeyHash {
        KeyHash(key_hash(self.seed, k))
    }

    /// Starts loading what [`ConnTable::lookup_in_hashed`] with the same hash reads first
    /// (a burst is prefetched before it is processed).
    pub fn prefetch_in(&self, h: KeyHash) {
        self.in_index.prefetch(h.0);
    }

    /// Starts loading what [`ConnTable::lookup_out_hashed`] with the same hash reads first.
    pub fn prefetch_out(&self, h: KeyHash) {
        self.out_index.prefetch(h.0);
    }

    /// The connection of a packet from the client to the VIP: `k` is
    /// `caddr:cport → vaddr:vport`.
    // Inlined: returned through the stack, the hit was read back wider than it
    // was written (a store-forwarding stall perf showed as the NAT path's
    // hottest instruction).
    #[inline(always)]
    pub fn lookup_in(&self, k: &FlowKey<A>) -> Option<ConnHit<A>> {
        self.lookup_in_hashed(k, self.hash(k))
    }

    /// [`ConnTable::lookup_in`] with the key's hash `h` ([`ConnTable::hash`]).
    #[inline(always)]
    pub fn lookup_in_hashed(&self, k: &FlowKey<A>, h: KeyHash) -> Option<ConnHit<A>> {
        self.in_index
            .find(h.0, |idx| self.hit(idx, false, |c| c.in_key() == *k))
    }

    /// The persistence template of key `k`: `snet:0 → vaddr:vport` (ipvs-schedulers §5.2),
    /// whose persistence-engine data is `pe` (its client port then the tag of it,
    /// [`ConnTable::pe_tag`]).
    pub fn lookup_template(&self, k: &FlowKey<A>, pe: Option<Pe>) -> Option<ConnHit<A>> {
        let h = key_hash(self.seed, k);
        self.in_index.find(h, |idx| {
            self.hit(idx, true, |c| c.in_key() == *k).filter(|t| {
                t.state & tstate::INVALID == 0 && self.carries(t.idx, t.gen, t.state, pe)
            })
        })
    }

    /// Whether template entry `idx` (generation `gen`, state `state`) carries exactly `pe`
    /// as its persistence-engine data (none for none).
    fn carries(&self, idx: u32, gen: u32, state: u8, pe: Option<Pe>) -> bool {
        match pe {
            None => state & tstate::PE == 0,
            Some(data) => state & tstate::PE != 0 && self.pe.matches(idx, gen, data),
        }
    }

    /// The connection of a packet from a real server back to the client: `k` is
    /// `saddr:sport → caddr:cport`, where `saddr:sport` is the real server for NAT entries
    /// and the VIP for the other methods (§2.1).
    // Inlined: returned through the stack, the hit was read back wider than it
    // was written (a store-forwarding stall perf showed as the NAT path's
    // hottest instruction).
    #[inline(always)]
    pub fn lookup_out(&self, k: &FlowKey<A>) -> Option<ConnHit<A>> {
        self.lookup_out_hashed(k, self.hash(k))
    }

    /// [`ConnTable::lookup_out`] with the key's hash `h` ([`ConnTable::hash`]).
    #[inline(always)]
    pub fn lookup_out_hashed(&self, k: &FlowKey<A>, h: KeyHash) -> Option<ConnHit<A>> {
        self.out_index
            .find(h.0, |idx| self.hit(idx, false, |c| c.out_key() == *k))
    }

    /// Applies one packet seen in direction `dir` (`Input` from the client, `Output` from the
    /// real server) with TCP flags `tcp_flags` (ignored for UDP): moves the state
    /// (ipvs-forwarding §1.2–§1.4; `Input` becomes INPUT-ONLY while the entry has seen no
    /// reply), re-arms the timer from the current timeouts (§1.7), and moves the
    /// destination's active/inactive counters when activity changes (§1.5). One CAS: exactly
    /// one thread applies each transition.
    pub fn update(
        &self,
        hit: &ConnHit<A>,
        dir: Dir,
        tcp_flags: u8,
        now: u64,
    ) -> Result<Transition, Stale> {
        let e = &self.entries[hit.idx as usize];
        let proto = hit.conn.proto;
        let mut cur = e.ctl.load(Acquire);
        loop {
            if entry::gen(cur) != hit.gen || cur & LIVE == 0 {
                return Err(Stale);
            }
            let old = entry::state(cur);
            let new = self.next_state(proto, cur, dir, tcp_flags);
            let deadline = (now as u32).wrapping_add(self.timeouts.ms(proto, new));
            let mut next = entry::with_state(cur, new, deadline);
            if dir == Dir::Output {
                // The first reply clears NOOUTPUT for good (§1.3).
                next &= !NO_OUTPUT;
            }
            if rearm_is_noise(cur, next) {
                return Ok(Transition { old, new });
            }
            match e.ctl.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => {
                    self.move_counters(proto, hit.conn.dest, old, new);
                    if new != old && new == TcpState::Established as u8 && proto == PROTO_TCP {
                        self.assure(hit);
                    }
                    return Ok(Transition { old, new });
                }
                Err(actual) => cur = actual,
            }
        }
    }

    fn next_state(&self, proto: u8, ctl: u64, dir: Dir, tcp_flags: u8) -> u8 {
        if proto != PROTO_TCP {
            return entry::state(ctl);
        }
        let dir = match dir {
            Dir::Input if ctl & NO_OUTPUT != 0 => Dir::InputOnly,
            d => d,
        };
        // Entries only ever hold valid TCP states; NONE is the safe reading otherwise.
        let cur = TcpState::from_u8(entry::state(ctl)).unwrap_or(TcpState::None);
        next_tcp_state(dir, cur, tcp_flags) as u8
    }

    fn move_counters(&self, proto: u8, dest: u32, old: u8, new: u8) {
        match (state::is_active(proto, old), state::is_active(proto, new)) {
            (false, true) => self.dests.conn_activated(dest),
            (true, false) => self.dests.conn_deactivated(dest),
            _ => {}
        }
    }

    /// A new connection went through template `t`: its timer restarts, `timeout_ms` from
    /// `now`, or 60 s once it has been postponed (§5.3 step 4). False if it is gone.
    pub fn refresh(&self, t: &ConnHit<A>, now: u64, timeout_ms: u32) -> bool {
        self.update_template(t, |state, _| {
            let timeout = match state & tstate::POSTPONED {
                0 => timeout_ms,
                _ => TEMPLATE_POSTPONE_MS,
            };
            Some((state, (now as u32).wrapping_add(timeout)))
        })
    }

    /// Connection `conn` was made through template `template`: it is controlled by it
    /// until it goes (§5.3), and the template is refreshed ([`ConnTable::refresh`]). False,
    /// and nothing changed, if the template is gone meanwhile.
    pub fn control(
        &self,
        conn: &ConnHit<A>,
        template: &ConnHit<A>,
        now: u64,
        timeout_ms: u32,
    ) -> bool {
        let n = &self.controls[template.idx as usize];
        n.fetch_add(1, AcqRel);
        let alive = self.refresh(template, now, timeout_ms);
        if alive {
            let link = Controller::pack(template.idx, template.gen);
            self.controller[conn.idx as usize].store(link, Release);
        } else {
            n.fetch_sub(1, AcqRel);
        }
        alive
    }

    /// Makes template `t` unfindable: its server left the service (§5.4). It stays, counted
    /// on its server, until its timer runs out and it controls nothing.
    pub fn invalidate(&self, t: &ConnHit<A>) {
        self.update_template(t, |state, deadline| {
            Some((state | tstate::INVALID, deadline))
        });
    }

    /// Applies `f` (state, deadline → new ones, or none to leave it) to template `t` while it
    /// is the same live template. False if it is gone.
    fn update_template(&self, t: &ConnHit<A>, f: impl Fn(u8, u32) -> Option<(u8, u32)>) -> bool {
        let e = &self.entries[t.idx as usize];
        let mut cur = e.ctl.load(Acquire);
        loop {
            if entry::gen(cur) != t.gen || cur & LIVE == 0 {
                return false;
            }
            let Some((state, deadline)) = f(entry::state(cur), entry::deadline(cur)) else {
                return true;
            };
            let next = entry::with_state(cur, state, deadline);
            match e.ctl.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The template controlling connection entry `idx`, if it is still that template.
    fn controlling(&self, idx: u32) -> Option<ConnHit<A>> {
        let (t, gen) = Controller::unpack(self.controller[idx as usize].load(Acquire))?;
        let (ctl, conn) = self.entries[t as usize].read()?;
        (entry::gen(ctl) == gen && ctl & TEMPLATE != 0).then_some(ConnHit {
            conn,
            state: entry::state(ctl),
            no_output: false,
            idx: t,
            gen,
        })
    }

    /// Connection `conn` reached ESTABLISHED, or its real server started it: its template,
    /// if any, is assured (§5.3).
    pub fn assure(&self, conn: &ConnHit<A>) {
        if let Some(t) = self.controlling(conn.idx) {
            self.update_template(&t, |state, deadline| {
                (state & tstate::ASSURED == 0).then_some((state | tstate::ASSURED, deadline))
            });
        }
    }

    /// Connection entry `idx` is going: its template controls one connection fewer.
    fn release_control(&self, idx: u32) {
        let link = self.controller[idx as usize].swap(0, AcqRel);
        if let Some((t, gen)) = Controller::unpack(link) {
            let ctl = self.entries[t as usize].ctl.load(Acquire);
            if entry::gen(ctl) == gen {
                self.controls[t as usize].fetch_sub(1, AcqRel);
            }
        }
    }

    /// Expires the connection at once (`ip_vs_conn_expire_now`), e.g. for port reuse
    /// (§2.5: see [`state::reuse_on_syn`]): it is no longer found and its destination
    /// counters drop now; its owner reclaims the entry at its next scan. Any worker may call
    /// this. False if it was already gone.
    pub fn expire_now(&self, hit: &ConnHit<A>) -> bool {
        self.kill_if(hit.idx, &hit.conn, |ctl| entry::gen(ctl) == hit.gen)
    }

    /// Clears LIVE on entry `idx`, whose connection is `conn`, if `pred` holds for its
    /// control word, and drops its destination counters, exactly once. False if it was not
    /// live or `pred` failed. `conn` comes from the caller: once LIVE is clear the owner may
    /// reuse the entry at any moment, so its key words cannot be read back here.
    fn kill_if(&self, idx: u32, conn: &Conn<A>, pred: impl Fn(u64) -> bool) -> bool {
        let e = &self.entries[idx as usize];
        let mut cur = e.ctl.load(Acquire);
        loop {
            if cur & LIVE == 0 || !pred(cur) {
                return false;
            }
            match e
                .ctl
                .compare_exchange_weak(cur, cur & !LIVE, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        if cur & TEMPLATE != 0 {
            self.dests.template_removed(conn.dest);
        } else {
            let was_active = state::is_active(conn.proto, entry::state(cur));
            self.dests.conn_removed(conn.dest, was_active);
        }
        true
    }

    /// Calls `f` with every live connection (for `ipvsadm -Lc`). Not a snapshot of the
    /// whole table at one instant: entries come and go while it runs.
    pub fn for_each_live(&self, now: u64, mut f: impl FnMut(&ConnView<A>)) {
        for (idx, e) in self.entries.iter().enumerate() {
            let Some((ctl, conn)) = e.read() else {
                continue;
            };
            if ctl & LOSER != 0 {
                continue;
            }
            let st = entry::state(ctl);
            let template = ctl & TEMPLATE != 0;
            let mut conn = conn;
            if template && st & tstate::INVALID != 0 {
                // As the kernel rehashes it: ports 65535, never matched (§5.4).
                (conn.vport, conn.dport) = (u16::MAX, u16::MAX);
            }
            let pe_data = match template && st & tstate::PE != 0 {
                true => {
                    conn.cport = 0; // the tag
                    self.pe.get(idx as u32, entry::gen(ctl))
                }
                false => None,
            };
            f(&ConnView {
                conn,
                state: st,
                // A template is NONE until assured (ipvsadm-spec §7.9).
                state_name: match (template, st & tstate::ASSURED != 0) {
                    (true, true) => "ASSURED",
                    (true, false) => "NONE",
                    (false, _) => state::state_name(conn.proto, st),
                },
                expires_ms: entry::remaining_ms(ctl, now).max(0) as u32,
                no_output: ctl & NO_OUTPUT != 0,
                template,
                pe_data,
            });
        }
    }
}

impl<A: Packed> ConnOwner<A> {
    pub fn table(&self) -> &Arc<ConnTable<A>> {
        &self.table
    }

    /// Entries of this partition still free.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Entries in this partition, free or not.
    pub fn partition_len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Creates the entry for a new connection, in state NONE (counted inactive on its
    /// destination, §1.5) with NONE's timeout; DR/TUN entries start with NOOUTPUT. The
    /// caller then applies the creating packet with [`ConnTable::update`] (a SYN makes it
    /// SYN_RECV, §1.4). The caller has looked the key up and found nothing; if another worker
    /// inserted the same key meanwhile, one of the two inserts fails with
    /// [`InsertError::Exists`] and its caller uses the other entry. `conn.dest` must be a
    /// slot of the table's [`DestTable`] (it panics otherwise).
    pub fn insert(&mut self, conn: &Conn<A>, now: u64) -> Result<ConnHit<A>, InsertError> {
        let flags = if conn.fwd == Method::Masq {
            0
        } else {
            NO_OUTPUT
        };
        let st = 0; // TcpState::None, and UDP's only state
        let deadline = (now as u32).wrapping_add(self.table.timeouts.ms(conn.proto, st));
        self.insert_entry(conn, flags, (now, deadline), None)
    }

    /// Creates persistence template `conn` (client port 0: `snet:0 → vaddr:vport`, bound to
    /// its real server), expiring `timeout_ms` from `now` unless touched
    /// ([`ConnTable::touch`]); counted in the server's templates, not its connections
    /// (ipvs-schedulers §5.3). Races as [`ConnOwner::insert`] does.
    pub fn insert_template(
        &mut self,
        conn: &Conn<A>,
        now: u64,
        timeout_ms: u32,
        pe: Option<Pe>,
    ) -> Result<ConnHit<A>, InsertError> {
        let deadline = (now as u32).wrapping_add(timeout_ms);
        self.insert_entry(conn, TEMPLATE, (now, deadline), pe)
    }

    /// Links a new entry; `pe` is a template's persistence-engine data.
    fn insert_entry(
        &mut self,
        conn: &Conn<A>,
        flags: u64,
        (now, deadline): (u64, u32),
        pe: Option<Pe>,
    ) -> Result<ConnHit<A>, InsertError> {
        let idx = match self.free.pop() {
            Some(idx) => idx,
            None => self.make_room(now)?,
        };
        let t = &*self.table;
        let st = if pe.is_some() { tstate::PE } else { 0 };
        if flags & TEMPLATE != 0 {
            t.dests.template_created(conn.dest);
        } else {
            t.dests.conn_created(conn.dest);
        }
        let gen = t.entries[idx as usize].init(conn, flags, st, deadline);
        if let Some(data) = pe {
            // Before it can be found.
            t.pe.set(idx, gen, data);
        }
        self.set_used();
        let (hin, hout) = (t.in_hash(conn), t.out_hash(conn));
        if !t.in_index.insert(hin, idx) {
            self.withdraw(idx, false, false);
            return Err(InsertError::Full);
        }
        if !t.out_index.insert(hout, idx) {
            self.withdraw(idx, true, false);
            return Err(InsertError::Full);
        }
        if !self.win_duplicate_race(conn, (flags & TEMPLATE, pe), idx, hin) {
            self.withdraw(idx, true, true);
            return Err(InsertError::Exists);
        }
        Ok(ConnHit {
            conn: *conn,
            state: st,
            no_output: flags & NO_OUTPUT != 0,
            idx,
            gen,
        })
    }

    /// Settles a race between workers inserting the same in-key at once, so exactly one
    /// entry survives. Every inserter links first, then (after a SeqCst fence, so of any two
    /// racers at least one sees the other) looks for other entries with its key: a CONFIRMED
    /// one, or an unconfirmed one with a lower number, wins over us; an unconfirmed one with
    /// a higher number is marked LOSER (which makes its own confirmation fail). Finally we
    /// confirm ourselves unless someone marked us. Entries that existed before are all
    /// confirmed, so a late duplicate always loses to them.
    /// Templates race only templates (`template`: our TEMPLATE bit) with the same
    /// persistence-engine data (`pe`).
    fn win_duplicate_race(
        &self,
        conn: &Conn<A>,
        (template, pe): (u64, Option<Pe>),
        idx: u32,
        hin: u64,
    ) -> bool {
        fence(SeqCst);
        let t = &*self.table;
        let key = conn.in_key();
        let same_key = |c: &Conn<A>| c.in_key() == key;
        let lost = t.in_index.find(hin, |other| {
            if other == idx {
                return None;
            }
            let (ctl, c) = t.entries[other as usize].read()?;
            let st = entry::state(ctl);
            let (gen, other_is_template) = (entry::gen(ctl), ctl & TEMPLATE != 0);
            let invalid = other_is_template && st & tstate::INVALID != 0;
            let other_pe = other_is_template && !t.carries(other, gen, st, pe);
            if !same_key(&c) || ctl & LOSER != 0 || ctl & TEMPLATE != template || invalid {
                return None;
            }
            if other_pe {
                return None;
            }
            (ctl & CONFIRMED != 0 || other < idx || !self.mark_loser(other, ctl)).then_some(())
        });
        lost.is_none() && self.confirm(idx)
    }

    /// Marks an unconfirmed rival LOSER. False if it got confirmed first (then we lose).
    fn mark_loser(&self, other: u32, mut cur: u64) -> bool {
        let e = &self.table.entries[other as usize];
        let gen = entry::gen(cur);
        loop {
            if cur & LIVE == 0 || entry::gen(cur) != gen || cur & LOSER != 0 {
                return true; // gone or already marked: not in our way
            }
            if cur & CONFIRMED != 0 {
                return false;
            }
            match e
                .ctl
                .compare_exchange_weak(cur, cur | LOSER, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Sets CONFIRMED on our own entry unless a rival marked it LOSER or it was expired.
    fn confirm(&self, idx: u32) -> bool {
        let e = &self.table.entries[idx as usize];
        let mut cur = e.ctl.load(Acquire);
        loop {
            if cur & (LOSER | LIVE) != LIVE {
                return false;
            }
            match e
                .ctl
                .compare_exchange_weak(cur, cur | CONFIRMED, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes back an entry that failed to insert.
    fn withdraw(&mut self, idx: u32, in_linked: bool, out_linked: bool) {
        let t = &*self.table;
        let conn = t.entries[idx as usize].owner_read();
        if in_linked {
            t.in_index.remove(t.in_hash(&conn), idx);
        }
        if out_linked {
            t.out_index.remove(t.out_hash(&conn), idx);
        }
        t.kill_if(idx, &conn, |_| true);
        let ctl = t.entries[idx as usize].ctl.load(Relaxed);
        self.release(idx, ctl);
    }

    /// Returns an unlinked, dead entry to the free list, bumping its generation.
    /// Frees entry `idx`, whose control word was `ctl` when it was last live.
    fn release(&mut self, idx: u32, ctl: u64) {
        if ctl & TEMPLATE != 0 && entry::state(ctl) & tstate::PE != 0 {
            self.table.pe.clear(idx);
        }
        let e = &self.table.entries[idx as usize];
        let cur = e.ctl.load(Relaxed);
        debug_assert_eq!(cur & LIVE, 0);
        e.ctl.store(entry::reclaimed(cur), Release);
        self.free.push(idx);
        self.set_used();
    }

    fn set_used(&self) {
        let used = (self.end - self.start) as usize - self.free.len();
        self.table.used[self.part].store(used as u32, Relaxed);
    }

    /// Visits the next `budget` entries of this partition (round robin) and reclaims those
    /// whose deadline has passed or that were expired with [`ConnTable::expire_now`]:
    /// destination counters drop (`ip_vs_unbind_dest`), both index slots are emptied, the
    /// entry goes back to the free list. Returns how many entries were reclaimed. Call it
    /// often enough to cover the partition about once a second.
    pub fn expire_step(&mut self, now: u64, budget: usize) -> usize {
        let mut reclaimed = 0;
        for _ in 0..budget.min((self.end - self.start) as usize) {
            let idx = self.advance();
            if self.try_reclaim(idx, now) {
                reclaimed += 1;
            }
        }
        reclaimed
    }

    /// The scan cursor's entry, the cursor moved to the next (round robin over the
    /// partition).
    fn advance(&mut self) -> u32 {
        let idx = self.cursor;
        self.cursor = if idx + 1 == self.end {
            self.start
        } else {
            idx + 1
        };
        idx
    }

    fn try_reclaim(&mut self, idx: u32, now: u64) -> bool {
        self.reclaim_if(idx, now, |_, _| false)
    }

    /// A full partition makes room as IPVS's `drop_entry` defence does (ipvs-forwarding
    /// §1.6): from the expiry cursor on, at most [`EVICT_SCAN`] entries are looked at; the
    /// first one that is due, or that is neither a template nor an established TCP
    /// connection (SYN_RECV, closing states, UDP: what a flood makes), is taken back now.
    /// Established connections are never evicted: when only they are left, the new one is
    /// refused.
    fn make_room(&mut self, now: u64) -> Result<u32, InsertError> {
        let evictable = |ctl: u64, proto: u8| {
            let established =
                proto == PROTO_TCP && entry::state(ctl) == TcpState::Established as u8;
            ctl & TEMPLATE == 0 && !established
        };
        for _ in 0..EVICT_SCAN.min(self.end - self.start) {
            let idx = self.advance();
            if self.try_reclaim(idx, now) {
                return self.free.pop().ok_or(InsertError::Full);
            }
            if self.reclaim_if(idx, now, evictable) {
                let n = &self.table.evicted[self.part];
                n.store(n.load(Relaxed) + 1, Relaxed);
                return self.free.pop().ok_or(InsertError::Full);
            }
        }
        Err(InsertError::Full)
    }

    /// Reclaims entry `idx` if it was expired, is due, or `evict` holds for its control word
    /// and protocol. A packet may move the entry concurrently: both are checked again on
    /// the word the CAS replaces, so a refreshed (or newly established) entry stays.
    fn reclaim_if(&mut self, idx: u32, now: u64, evict: impl Fn(u64, u8) -> bool) -> bool {
        let t = &*self.table;
        let ctl = t.entries[idx as usize].ctl.load(Acquire);
        if ctl & LINKED == 0 {
            return false;
        }
        let due = |c: u64| entry::remaining_ms(c, now) <= 0;
        let conn = t.entries[idx as usize].owner_read();
        if ctl & TEMPLATE != 0 && ctl & LIVE != 0 && due(ctl) && self.postpone(idx, ctl, now) {
            return false;
        }
        let go = |c: u64| due(c) || evict(c, conn.proto);
        if ctl & LIVE != 0 && !t.kill_if(idx, &conn, go) {
            return false;
        }
        t.in_index.remove(t.in_hash(&conn), idx);
        t.out_index.remove(t.out_hash(&conn), idx);
        t.release_control(idx);
        self.release(idx, ctl);
        true
    }

    /// A template whose timer ran out while it controls connections lives 60 s more, and
    /// from then on 60 s at a time (§5.3). True if postponed.
    fn postpone(&self, idx: u32, ctl: u64, now: u64) -> bool {
        let t = &*self.table;
        if t.controls[idx as usize].load(Acquire) == 0 {
            return false;
        }
        let hit = ConnHit {
            conn: t.entries[idx as usize].owner_read(),
            state: entry::state(ctl),
            no_output: false,
            idx,
            gen: entry::gen(ctl),
        };
        let later = (now as u32).wrapping_add(TEMPLATE_POSTPONE_MS);
        t.update_template(&hit, |state, _| Some((state | tstate::POSTPONED, later)))
    }
}

/// Timer granularity: a packet that changes nothing but moves the deadline
/// forward by less than this leaves the entry alone. A busy flow then costs
/// a load instead of a locked CAS per packet, and expires at most this much
/// early (the kernel's `mod_timer` skips equal expiries for the same reason).
const REARM_MS: u32 = 100;

fn rearm_is_noise(cur: u64, next: u64) -> bool {
    let same_but_deadline = (cur ^ next) & !u64::from(u32::MAX) == 0;
    let moved = entry::deadline(next).wrapping_sub(entry::deadline(cur)) as i32;
    same_but_deadline && (0..REARM_MS as i32).contains(&moved)
}
