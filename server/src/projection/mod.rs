//! The ordered projector: keeps each co-op's persisted read models (units, lots, registers; see
//! `fieldtrace_server_store::read_model`) equal to a full fold of its log, without ever folding
//! the whole log.
//!
//! Why a projector with a checkpoint rather than projecting inside the push transaction: the
//! push stays short (a phone on 2G waits only for its events to be durable), a crash between the
//! two leaves the checkpoint behind and the next read catches up from it, and the projection
//! logic lives here once, over the storage traits, for every backend. Reads stay exact: every
//! request first calls [`Projector::catch_up`], which projects whatever was stored before it
//! (normally nothing — one indexed query — since every push triggers a catch-up right away).
//!
//! How a batch is projected exactly: the events of a batch can only change the units they name
//! (and, for a pack or unpack, its container), and everything ever packed into those; each such
//! unit's state is a function of its *concerning* events alone (`fieldtrace_core::fold::
//! concerning`: the events naming it or a container it was ever in, and their corrections). So
//! the projector fetches the concerning events of the affected units through the push-time
//! indexes, folds just those with the same `fold` the phones run, and writes the affected rows.
//! Corrections also re-project the units of the event they void. Registers are re-folded per
//! entity from the entity's own updates. Lot counters move by the difference between a unit's
//! old and new row. Work per batch is proportional to the histories it touches, not to the log.

pub mod history;
mod plan;
mod read;

use crate::storage::{ProjectionProgress, Storage, StorageError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

pub use plan::{decode as decode_rows, decode_pulled, project_batch};
pub use read::{farm_records, history_page, phi_inputs, Histories, HistoryPage};

/// Events projected per transaction: large enough to amortize look-ups, small enough that a
/// reader waiting behind a catch-up waits briefly.
pub const BATCH_EVENTS: usize = 2_000;

/// Serializes projection per co-op within this process (across processes, the checkpoint check
/// in `apply_projection` keeps a second projector from writing a stale batch).
#[derive(Default)]
pub struct Projector {
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Projector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Projects every event of `coop` stored before this call began; returns how far it got.
    pub async fn catch_up<S: Storage>(&self, storage: &S, coop: &str) -> Result<ProjectionProgress, StorageError> {
        let progress = storage.projection_progress(coop).await?;
        if progress.checkpoint >= progress.head {
            return Ok(progress);
        }
        let gate = self.gate(coop);
        let _projecting = gate.lock().await;
        self.run(storage, coop, progress.head, |_| {}).await
    }

    /// Projects until the checkpoint reaches `until` (or the head, if later), reporting progress
    /// after each batch. Callers hold the co-op's gate or are alone (`fieldtrace reproject`).
    async fn run<S: Storage>(
        &self,
        storage: &S,
        coop: &str,
        until: i64,
        mut report: impl FnMut(ProjectionProgress),
    ) -> Result<ProjectionProgress, StorageError> {
        loop {
            let progress = storage.projection_progress(coop).await?;
            if progress.checkpoint >= until.min(progress.head) {
                return Ok(progress);
            }
            match project_batch(storage, coop, progress.checkpoint, BATCH_EVENTS).await {
                // Another process projected this range meanwhile: continue from where it got.
                Err(StorageError::ProjectionMoved(_)) => continue,
                Err(err) => return Err(err),
                Ok(checkpoint) => report(ProjectionProgress { checkpoint, head: progress.head }),
            }
        }
    }

    /// Empties the co-op's projections and rebuilds them from its whole log, reporting progress
    /// (for `fieldtrace reproject`: migrations and upgrades).
    pub async fn reproject<S: Storage>(
        &self,
        storage: &S,
        coop: &str,
        report: impl FnMut(ProjectionProgress),
    ) -> Result<ProjectionProgress, StorageError> {
        let gate = self.gate(coop);
        let _projecting = gate.lock().await;
        storage.reset_projection(coop).await?;
        self.run(storage, coop, i64::MAX, report).await
    }

    fn gate(&self, coop: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        gates.entry(coop.to_owned()).or_default().clone()
    }
}

#[cfg(test)]
mod tests;
