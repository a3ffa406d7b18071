//! The persistence-engine data of templates (the SIP Call-ID, ipvs-schedulers §5.6), kept
//! beside the table: a template that has some is keyed by a tag of it in its client port
//! (so one network's calls spread over the index) and marked in its state; the bytes
//! themselves, up to 255, live here, keyed by entry and generation, so that an entry reused
//! meanwhile never shows another template's data.
//!
//! Only templates of `--pe` services come here, once each: at most a few per call rather than
//! per packet. The map is split in shards by entry so that workers making templates at once
//! seldom meet on one lock; a lookup that matches a tagged template takes its shard's lock
//! to compare the bytes. Storing allocates (the bytes' own box): the one allocation on the
//! packet path, paid by `--pe` services only.

use std::collections::HashMap;
use std::sync::Mutex;

use crossbeam::utils::CachePadded;

use crate::persist::Engine;

const SHARDS: usize = 16;

/// What an engine read from a packet for a template: the engine and the bytes.
pub type Pe<'a> = (Engine, &'a [u8]);

type Shard = HashMap<u32, (u32, Engine, Box<[u8]>)>;

#[derive(Default)]
pub(crate) struct PeData {
    shards: [CachePadded<Mutex<Shard>>; SHARDS],
}

impl PeData {
    fn shard(&self, idx: u32) -> std::sync::MutexGuard<'_, Shard> {
        // A panic while holding the lock leaves the map whole (only inserts and removes).
        self.shards[idx as usize % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Entry `idx` in generation `gen` carries `pe`.
    pub(crate) fn set(&self, idx: u32, gen: u32, (engine, data): Pe) {
        self.shard(idx).insert(idx, (gen, engine, data.into()));
    }

    /// Whether entry `idx` in generation `gen` carries exactly `pe`.
    pub(crate) fn matches(&self, idx: u32, gen: u32, (engine, data): Pe) -> bool {
        self.shard(idx)
            .get(&idx)
            .is_some_and(|(g, e, d)| *g == gen && *e == engine && **d == *data)
    }

    /// A copy of what entry `idx` in generation `gen` carries.
    pub(crate) fn get(&self, idx: u32, gen: u32) -> Option<(Engine, Box<[u8]>)> {
        let shard = self.shard(idx);
        let (g, e, d) = shard.get(&idx)?;
        (*g == gen).then(|| (*e, d.clone()))
    }

    /// Entry `idx` is reclaimed.
    pub(crate) fn clear(&self, idx: u32) {
        self.shard(idx).remove(&idx);
    }

    /// The tag a template with `data` carries in its client port: never 0, the port of
    /// templates without data.
    pub(crate) fn tag(data: &[u8]) -> u16 {
        // FNV-1a folded to 16 bits: spreads one network's calls over the index; equality
        // is decided by the bytes.
        let h = data.iter().fold(0x811c_9dc5_u32, |h, &b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        ((h >> 16) as u16 ^ h as u16).max(1)
    }
}
