//! A co-op's read model on the server: the same deterministic fold the phones compute
//! (`fieldtrace_core::fold`), so "all replicas converged" is a digest comparison.
//!
//! Pages and reads that need the whole log (`/t/{code}`, `/ui`, piece counts, PHI flags, EPCIS)
//! go through [`ViewCache`]: per co-op it keeps the decoded events, their fold and the last
//! sequence number they include. A request asks the store only for events after that number
//! (one indexed query when nothing arrived) and refolds only when some did. See
//! `docs/sync.md` ("Read-model cache") for the freshness argument and the memory bound.

use crate::storage::{Storage, StorageError};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::Event;
use fieldtrace_core::sync::wire;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Events decoded per store round trip.
const PAGE: usize = 5_000;

/// Every event of `coop`, in server order, decoded from the store (no cache).
pub async fn coop_events<S: Storage>(storage: &S, coop: &str) -> Result<Vec<Event>, StorageError> {
    Ok(events_after(storage, coop, 0).await?.0)
}

/// The co-op's folded state, from the store (no cache). Request handlers use [`ViewCache`].
pub async fn coop_state<S: Storage>(storage: &S, coop: &str) -> Result<ReplicaState, StorageError> {
    Ok(fold(&coop_events(storage, coop).await?))
}

/// Events of `coop` with sequence numbers above `after`, and the last sequence number read.
async fn events_after<S: Storage>(storage: &S, coop: &str, after: i64) -> Result<(Vec<Event>, i64), StorageError> {
    let mut events = Vec::new();
    let mut after = after;
    loop {
        let page = storage.pull(coop, after, PAGE).await?;
        let batch = wire::batch_from_encoded(page.encoded.iter().map(Vec::as_slice));
        // Stored bytes were validated on the way in; failing to read them back is corruption.
        let decoded = wire::decode_events(&batch)
            .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))?;
        events.extend(decoded);
        after = page.next_after;
        if !page.has_more {
            return Ok((events, after));
        }
    }
}

/// A co-op's events and their fold as of sequence number `through_seq`.
#[derive(Debug, Clone, Default)]
pub struct CoopView {
    /// In server order (sequence number), as `coop_events` returns them.
    pub events: Arc<Vec<Event>>,
    pub state: Arc<ReplicaState>,
    pub through_seq: i64,
}

/// How much the cache may hold. With `max_coops == 0` nothing is kept: every request decodes and
/// folds the whole log (what the server did before the cache; the benchmark's baseline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewCacheLimits {
    /// Co-ops kept at once; the least recently used one goes first.
    pub max_coops: usize,
    /// Events kept over all co-ops. The co-op being read is always kept, however large.
    pub max_events: usize,
}

impl Default for ViewCacheLimits {
    fn default() -> Self {
        // About 1 KiB per decoded event with its share of the fold: ≈ 2 GiB at the worst, and a
        // county co-op's season is far below that (tens of thousands of events).
        Self { max_coops: 64, max_events: 2_000_000 }
    }
}

type Gate = Arc<tokio::sync::Mutex<Option<Arc<CoopView>>>>;

struct Slot {
    /// Serializes refreshes of one co-op, so concurrent requests decode new events once.
    gate: Gate,
    last_used: u64,
    events: usize,
}

/// Per co-op [`CoopView`]s, refreshed incrementally, bounded by [`ViewCacheLimits`].
pub struct ViewCache {
    limits: ViewCacheLimits,
    slots: Mutex<(u64, HashMap<String, Slot>)>,
}

impl ViewCache {
    pub fn new(limits: ViewCacheLimits) -> Self {
        Self { limits, slots: Mutex::new((0, HashMap::new())) }
    }

    /// The co-op's view including every event stored before this call began.
    ///
    /// Freshness: the store is asked for events after the cached sequence number on every call,
    /// under the co-op's gate, and the store makes sequence numbers visible in order (one writer;
    /// see `Storage::pull`). So a push acknowledged before this call is in the answer.
    pub async fn view<S: Storage>(&self, storage: &S, coop: &str) -> Result<Arc<CoopView>, StorageError> {
        if self.limits.max_coops == 0 {
            let (events, through_seq) = events_after(storage, coop, 0).await?;
            let state = Arc::new(fold(&events));
            return Ok(Arc::new(CoopView { events: Arc::new(events), state, through_seq }));
        }
        let gate = self.touch(coop);
        let mut cached = gate.lock().await;
        let through = cached.as_ref().map_or(0, |view| view.through_seq);
        let (new, through_seq) = events_after(storage, coop, through).await?;
        if let Some(view) = cached.as_ref().filter(|_| new.is_empty()) {
            return Ok(view.clone());
        }
        // Reuse the old vector when no request still reads it; copy it otherwise.
        let mut events = match cached.take() {
            Some(old) => Arc::try_unwrap(old).map_or_else(|shared| shared.events.clone(), |view| view.events),
            None => Arc::new(Vec::new()),
        };
        Arc::make_mut(&mut events).extend(new);
        let state = Arc::new(fold(events.iter()));
        let view = Arc::new(CoopView { events, state, through_seq });
        *cached = Some(view.clone());
        drop(cached);
        self.settle(coop, &gate, view.events.len());
        Ok(view)
    }

    /// The co-op's gate, created if needed, marked as just used.
    fn touch(&self, coop: &str) -> Gate {
        let mut guard = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let (clock, slots) = &mut *guard;
        *clock += 1;
        let slot = slots.entry(coop.to_owned()).or_insert_with(|| Slot {
            gate: Arc::new(tokio::sync::Mutex::new(None)),
            last_used: 0,
            events: 0,
        });
        slot.last_used = *clock;
        slot.gate.clone()
    }

    /// Records the co-op's size and evicts least recently used co-ops beyond the limits.
    fn settle(&self, coop: &str, gate: &Gate, events: usize) {
        let mut guard = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slots = &mut guard.1;
        // The slot may have been evicted and recreated meanwhile: only count our own.
        if let Some(slot) = slots.get_mut(coop).filter(|slot| Arc::ptr_eq(&slot.gate, gate)) {
            slot.events = events;
        }
        loop {
            let total: usize = slots.values().map(|slot| slot.events).sum();
            if slots.len() <= self.limits.max_coops && total <= self.limits.max_events {
                return;
            }
            let oldest = slots
                .iter()
                .filter(|(id, _)| id.as_str() != coop)
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => slots.remove(&id),
                None => return,
            };
        }
    }

    /// Co-ops currently cached (for tests and diagnostics).
    pub fn cached_coops(&self) -> Vec<String> {
        let guard = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut coops: Vec<String> = guard.1.keys().cloned().collect();
        coops.sort();
        coops
    }
}
