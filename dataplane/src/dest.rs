//! What a real server is to the data plane: how packets reach it ([`Method`], [`DestParams`],
//! published with each snapshot and indexed by the destination's slot) and its live
//! connection counters ([`DestTable`]), shared by the control thread and every worker.
//!
//! IPVS keeps `activeconns` and `inactconns` on each destination (ipvs-schedulers §4): every
//! new connection counts as inactive, TCP state changes move it between the two, expiry
//! removes it. lc/wlc/sed/nq read them to pick a server and `ipvsadm -Ln` prints them.
//!
//! A destination is a slot id (`u32`) into a fixed [`DestTable`], allocated once at start so
//! the packet path never allocates. Both counters live in one `AtomicU64` (active in the high
//! half, inactive in the low half) so that
//! * an active ↔ inactive move is one `fetch_add`, never a moment where the connection is
//!   counted twice or not at all, and
//! * a scheduler reads a consistent `(active, inactive)` pair with one load.
//!
//! Persistence templates count apart (`persistconns`, ipvs-schedulers §4), in the same line.
//!
//! Each slot also holds the destination's connection thresholds (`-x`/`-y`) and the OVERLOAD
//! flag they drive (ipvs-schedulers §3), in the same cache line as the counters: the flag
//! changes only where a counter does (a connection bound or unbound), so it costs no extra
//! line, and every scheduler reads it next to the counters.
//!
//! Slots are handed out and taken back only by the control thread, through a
//! [`SlotAllocator`] it owns. A deleted destination goes to IPVS's "trash" (ipvs-schedulers
//! §8): its connections keep counting on it until they expire, so its slot may be reused only
//! once [`DestTable::reclaimable`] says both counters are back to zero.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;

use crossbeam::utils::CachePadded;

use crate::sync::{AtomicBool, AtomicU32, AtomicU64};

/// How packets reach a real server, numbered as IPVS's connection flags
/// (ipvs-forwarding §6.3). Each method's rewrite is in its own file of [`crate::fwd`]
/// (`nat.rs`, `dr.rs`, `tun.rs`); [`crate::fwd::Forward::transmit`] runs the steps they share.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// NAT (`-m`, "Masq"): destination rewritten to the real server.
    Masq = 0,
    /// The real server is the director itself ("Local"): rvs has no host stack to deliver
    /// to, so these packets are dropped (ipvs-forwarding §3.4 rvs note).
    Local = 1,
    /// TUN (`-i`, "Tunnel"): encapsulated towards the real server.
    Tunnel = 2,
    /// DR (`-g`, "Route"): only the destination MAC changes.
    Route = 3,
}

impl Method {
    /// The name ipvsadm lists it by (`Masq`, `Local`, `Tunnel`, `Route`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Masq => "Masq",
            Method::Local => "Local",
            Method::Tunnel => "Tunnel",
            Method::Route => "Route",
        }
    }

    /// The method stored as `m as u8` (connection entries keep it that way).
    pub fn from_bits(bits: u8) -> Method {
        match bits {
            1 => Method::Local,
            2 => Method::Tunnel,
            3 => Method::Route,
            _ => Method::Masq,
        }
    }
}

/// Tunnel encapsulation (`--tun-type`, ipvs-forwarding §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunKind {
    Ipip,
    Gue,
    Gre,
}

/// Tunnel checksum (`--tun-nocsum`, `--tun-csum`, `--tun-remcsum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunCsum {
    None,
    Csum,
    /// Remote checksum offload; for forwarded packets (whose checksum is never "partial")
    /// IPVS emits it exactly as [`TunCsum::Csum`] (§3.3.3).
    Remcsum,
}

/// A TUN real server's encapsulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub kind: TunKind,
    /// GUE's UDP destination port (`--tun-port`).
    pub port: u16,
    pub csum: TunCsum,
}

impl Default for Tunnel {
    fn default() -> Self {
        Tunnel {
            kind: TunKind::Ipip,
            port: 0,
            csum: TunCsum::None,
        }
    }
}

/// Everything the packet path needs to send to one real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DestParams {
    pub addr: IpAddr,
    /// The port as listed; NAT translates to it, DR and TUN keep the packet's own.
    pub port: u16,
    pub method: Method,
    /// Meaningful for [`Method::Tunnel`] only.
    pub tunnel: Tunnel,
}

/// Default number of destination slots.
pub const DEFAULT_DEST_CAPACITY: usize = 65_536;

/// One unit of the `active` half of the packed counter word.
const ACTIVE_ONE: u64 = 1 << 32;
/// inactive − 1, active + 1 (valid while inactive ≥ 1, which the state machine guarantees).
const TO_ACTIVE: u64 = ACTIVE_ONE - 1;

/// One destination's live state.
#[derive(Default)]
struct Slot {
    /// `active << 32 | inactive`.
    conns: AtomicU64,
    /// `u_threshold << 32 | l_threshold`, set by the control thread.
    thresholds: AtomicU64,
    /// `IP_VS_DEST_F_OVERLOAD`.
    overload: AtomicBool,
    /// Persistence templates bound to it (`persistconns`, §4); never in the thresholds.
    templates: AtomicU32,
}

/// Fixed-capacity table of `(active, inactive)` counters and OVERLOAD flags, indexed by
/// destination slot.
pub struct DestTable {
    // Padded: workers on different cores bump counters of different servers.
    slots: Box<[CachePadded<Slot>]>,
}

impl DestTable {
    /// Allocates `capacity` zeroed slots in one go.
    pub fn new(capacity: usize) -> Self {
        let slots = (0..capacity)
            .map(|_| CachePadded::new(Slot::default()))
            .collect();
        DestTable { slots }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// `(active, inactive)` of `slot`, read together (for lc and `ipvsadm -Ln`).
    pub fn counts(&self, slot: u32) -> (u32, u32) {
        split(self.slots[slot as usize].conns.load(Relaxed))
    }

    /// `active * 256 + inactive`, IPVS's `ip_vs_dest_conn_overhead` (ipvs-schedulers §0).
    pub fn overhead(&self, slot: u32) -> u64 {
        let (a, i) = self.counts(slot);
        u64::from(a) * 256 + u64::from(i)
    }

    /// A new connection is bound: counted inactive (ipvs-schedulers §4, `ip_vs_bind_dest`);
    /// reaching the upper threshold sets OVERLOAD (§3).
    pub fn conn_created(&self, slot: u32) {
        let s = &self.slots[slot as usize];
        let (active, inactive) = split(s.conns.fetch_add(1, Relaxed) + 1);
        let (upper, _) = split(s.thresholds.load(Relaxed));
        if upper != 0 && total(active, inactive) >= u64::from(upper) && !s.overload.load(Relaxed) {
            s.overload.store(true, Relaxed);
        }
    }

    /// The connection went from an inactive to an active state.
    pub fn conn_activated(&self, slot: u32) {
        self.slots[slot as usize]
            .conns
            .fetch_add(TO_ACTIVE, Relaxed);
    }

    /// The connection went from an active to an inactive state.
    pub fn conn_deactivated(&self, slot: u32) {
        self.slots[slot as usize]
            .conns
            .fetch_sub(TO_ACTIVE, Relaxed);
    }

    /// The connection is gone (`ip_vs_unbind_dest`): it was counted active or inactive.
    /// OVERLOAD clears below the lower threshold, or without one below 3/4 of the upper,
    /// or at once without thresholds (§3).
    pub fn conn_removed(&self, slot: u32, was_active: bool) {
        let one = if was_active { ACTIVE_ONE } else { 1 };
        let s = &self.slots[slot as usize];
        let (active, inactive) = split(s.conns.fetch_sub(one, Relaxed) - one);
        if !s.overload.load(Relaxed) {
            return;
        }
        let total = total(active, inactive);
        let (upper, lower) = split(s.thresholds.load(Relaxed));
        let clear = match (lower, upper) {
            (0, 0) => true,
            (0, u) => total * 4 < u64::from(u) * 3,
            (l, _) => total < u64::from(l),
        };
        if clear {
            s.overload.store(false, Relaxed);
        }
    }

    /// Whether `slot` is OVERLOAD: schedulers skip it or find it unavailable (§1.5).
    pub fn overloaded(&self, slot: u32) -> bool {
        self.slots[slot as usize].overload.load(Relaxed)
    }

    /// The thresholds of `slot` (`-x upper`, `-y lower`; 0 = none), as `-a`/`-e` set them
    /// (`__ip_vs_update_dest`): an upper threshold removed or raised clears OVERLOAD at
    /// once; lowered, it takes effect at the next bind. Setting the same values again
    /// changes nothing, so the control thread sets every dest's at each publish.
    pub fn set_thresholds(&self, slot: u32, upper: u32, lower: u32) {
        let s = &self.slots[slot as usize];
        let (old_upper, _) = split(s.thresholds.load(Relaxed));
        if upper == 0 || upper > old_upper {
            s.overload.store(false, Relaxed);
        }
        s.thresholds
            .store(u64::from(upper) << 32 | u64::from(lower), Relaxed);
    }

    /// A persistence template is bound to `slot` (`persistconns++`, §4).
    pub fn template_created(&self, slot: u32) {
        self.slots[slot as usize].templates.fetch_add(1, Relaxed);
    }

    /// A persistence template of `slot` expired.
    pub fn template_removed(&self, slot: u32) {
        self.slots[slot as usize].templates.fetch_sub(1, Relaxed);
    }

    /// Persistence templates bound to `slot` (the PersistConn column of `--persistent-conn`).
    pub fn templates(&self, slot: u32) -> u32 {
        self.slots[slot as usize].templates.load(Relaxed)
    }

    /// True when no connection or template references `slot` any more, so a deleted
    /// destination may leave the trash and its slot be reused (ipvs-schedulers §8).
    pub fn reclaimable(&self, slot: u32) -> bool {
        let s = &self.slots[slot as usize];
        s.conns.load(Relaxed) == 0 && s.templates.load(Relaxed) == 0
    }
}

/// The two halves of a packed word: (high, low).
fn split(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

/// `ip_vs_dest_totalconns`: templates do not count (§3).
fn total(active: u32, inactive: u32) -> u64 {
    u64::from(active) + u64::from(inactive)
}

/// Why a slot could not be released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseError {
    /// Connections still count on it: keep it in the trash and try later.
    Busy { active: u32, inactive: u32 },
    /// The slot was not allocated.
    NotAllocated,
}

/// Hands out destination slots. Owned by the control thread only, so a plain free list.
pub struct SlotAllocator {
    free: Vec<u32>,
    used: Vec<bool>,
}

impl SlotAllocator {
    /// An allocator for every slot of a table of `capacity` slots.
    pub fn new(capacity: usize) -> Self {
        let cap = u32::try_from(capacity).expect("dest capacity fits u32");
        SlotAllocator {
            // Reversed so slot 0 is handed out first (readable tests and dumps).
            free: (0..cap).rev().collect(),
            used: vec![false; capacity],
        }
    }

    /// A free slot, or `None` when every slot is taken (including trashed ones).
    pub fn alloc(&mut self) -> Option<u32> {
        let slot = self.free.pop()?;
        self.used[slot as usize] = true;
        Some(slot)
    }

    /// Gives `slot` back once nothing counts on it any more (the end of the trash, §8).
    pub fn release(&mut self, table: &DestTable, slot: u32) -> Result<(), ReleaseError> {
        if !self.used.get(slot as usize).copied().unwrap_or(false) {
            return Err(ReleaseError::NotAllocated);
        }
        if !table.reclaimable(slot) {
            let (active, inactive) = table.counts(slot);
            return Err(ReleaseError::Busy { active, inactive });
        }
        self.used[slot as usize] = false;
        self.free.push(slot);
        Ok(())
    }

    pub fn available(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn counters_follow_a_connection_life() {
        let t = DestTable::new(4);
        t.conn_created(2);
        assert_eq!(t.counts(2), (0, 1));
        t.conn_activated(2);
        assert_eq!(t.counts(2), (1, 0));
        assert_eq!(t.overhead(2), 256);
        t.conn_created(2);
        t.conn_deactivated(2);
        assert_eq!(t.counts(2), (0, 2));
        t.conn_removed(2, false);
        t.conn_removed(2, false);
        assert!(t.reclaimable(2));
        assert_eq!(t.counts(1), (0, 0));
    }

    #[test]
    fn overload_follows_the_thresholds() {
        // ipvs-schedulers §3: -x 3: OVERLOAD at the 3rd bind, cleared when total·4 < 9.
        let t = DestTable::new(1);
        t.set_thresholds(0, 3, 0);
        t.conn_created(0);
        t.conn_created(0);
        assert!(!t.overloaded(0));
        t.conn_created(0);
        t.conn_activated(0);
        assert!(t.overloaded(0), "active and inactive both count");
        t.conn_removed(0, true);
        assert_eq!(t.counts(0), (0, 2));
        assert!(!t.overloaded(0), "total 2: 8 < 9");
    }

    #[test]
    fn lower_threshold_and_edits() {
        // §3: -x 2 -y 1: OVERLOAD at 2, still set at 1 (1 < 1 false), cleared at 0.
        let t = DestTable::new(1);
        t.set_thresholds(0, 2, 1);
        t.conn_created(0);
        t.conn_created(0);
        t.conn_removed(0, false);
        assert!(t.overloaded(0));
        t.conn_removed(0, false);
        assert!(!t.overloaded(0));
        // -e raising -x from 2 to 10 on an overloaded dest clears it at once; the same
        // value again or a lower one does not.
        t.conn_created(0);
        t.conn_created(0);
        t.set_thresholds(0, 2, 1);
        assert!(t.overloaded(0));
        t.set_thresholds(0, 1, 0);
        assert!(t.overloaded(0));
        t.set_thresholds(0, 10, 0);
        assert!(!t.overloaded(0));
        // Lowered below the current total: set at the next bind only.
        t.set_thresholds(0, 2, 0);
        assert!(!t.overloaded(0));
        t.conn_created(0);
        assert!(t.overloaded(0));
        t.set_thresholds(0, 0, 0);
        assert!(!t.overloaded(0), "no upper threshold");
    }

    #[test]
    fn release_waits_for_the_trash_to_empty() {
        let t = DestTable::new(2);
        let mut a = SlotAllocator::new(2);
        assert_eq!(a.alloc(), Some(0));
        assert_eq!(a.alloc(), Some(1));
        assert_eq!(a.alloc(), None);
        t.conn_created(0);
        t.conn_activated(0);
        assert_eq!(
            a.release(&t, 0),
            Err(ReleaseError::Busy {
                active: 1,
                inactive: 0
            })
        );
        t.conn_removed(0, true);
        assert_eq!(a.release(&t, 0), Ok(()));
        assert_eq!(a.release(&t, 0), Err(ReleaseError::NotAllocated));
        assert_eq!(a.alloc(), Some(0));
    }
}
