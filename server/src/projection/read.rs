//! Reads over the persisted read models that pages and exports share: a few units' histories
//! from their own events, the registers those histories name, and pages of a lot's history.

use super::plan::{decode, decode_all};
use crate::storage::{HistoryQuery, LotHistoryRow, Registers, Storage, StorageError, StoredEventRow};
use fieldtrace_core::fold::{fold_with_lineage, ReplicaState, UnitEvent};
use fieldtrace_core::model::{EntityKind, Event, EventId};
use std::collections::{BTreeMap, BTreeSet};

/// Some units' histories, computed from the events concerning them only.
pub struct Histories {
    /// The concerning events, in server order.
    pub events: Vec<Event>,
    /// When each of `events` reached the server.
    pub received_at_ms: Vec<i64>,
    /// Their fold: exact for the watched units (and the containers they were in), and holding
    /// the registers of the entities fetched with [`Histories::with_registers`].
    pub state: ReplicaState,
    /// Per watched unit, the events that count for it in causal order (see `fold::lineage`).
    pub lineage: BTreeMap<String, Vec<UnitEvent>>,
}

impl Histories {
    /// The histories of `codes` in `coop` (projections need not be caught up: this reads events).
    pub async fn of<S: Storage>(storage: &S, coop: &str, codes: &BTreeSet<String>) -> Result<Self, StorageError> {
        let rows = storage.concerning_events(coop, codes.iter().cloned().collect()).await?;
        let events = decode(&rows)?;
        let (state, lineage) = fold_with_lineage(&events, codes);
        Ok(Self { events, received_at_ms: rows.iter().map(|row| row.received_at_ms).collect(), state, lineage })
    }

    /// Replaces the fold's registers (updates are not among a unit's events) with the projected
    /// registers of `entities`.
    pub async fn with_registers<S: Storage>(
        mut self,
        storage: &S,
        coop: &str,
        entities: BTreeSet<(EntityKind, String)>,
    ) -> Result<Self, StorageError> {
        self.state.registers = storage.registers_of(coop, entities.into_iter().collect()).await?;
        Ok(self)
    }

    /// Adds the projected registers of more `entities` (e.g. a farm named by a lot's register).
    pub async fn add_registers<S: Storage>(
        &mut self,
        storage: &S,
        coop: &str,
        entities: BTreeSet<(EntityKind, String)>,
    ) -> Result<(), StorageError> {
        let missing: Vec<_> = entities.into_iter().filter(|e| !self.state.registers.contains_key(e)).collect();
        if !missing.is_empty() {
            let found: BTreeMap<(EntityKind, String), Registers> = storage.registers_of(coop, missing).await?;
            self.state.registers.extend(found);
        }
        Ok(())
    }
}

/// One page of a lot's history (`projection::history`), decoded, with the corrections of those
/// of its events that were voided.
#[derive(Default)]
pub struct HistoryPage {
    /// The page's rows in causal order (how many lot units each event concerned, its marks).
    pub rows: Vec<LotHistoryRow>,
    /// Their events, decoded.
    pub events: Vec<Event>,
    correction_events: Vec<Event>,
}

impl HistoryPage {
    /// Keeps the first `len` events.
    pub fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
        self.events.truncate(len);
    }

    /// Leaves out the first (oldest) event.
    pub fn drop_first(&mut self) {
        if !self.rows.is_empty() {
            self.rows.remove(0);
            self.events.remove(0);
        }
    }

    /// Voided event → the correction that voided it.
    pub fn corrections(&self) -> BTreeMap<EventId, &Event> {
        self.correction_events.iter().filter_map(|c| c.kind.voids().map(|target| (target, c))).collect()
    }
}

/// Reads part of `lot`'s history; the caller brings the projection up to date first.
pub async fn history_page<S: Storage>(
    storage: &S,
    coop: &str,
    lot: &str,
    query: HistoryQuery,
) -> Result<HistoryPage, StorageError> {
    let rows = storage.lot_history(coop, lot, query).await?;
    let events = decode_all(rows.iter().map(|row| row.event.encoded.as_slice()))?;
    let ids = events.iter().map(|event| event.id).collect();
    let correction_events = decode(&storage.corrections_of(coop, ids).await?)?;
    Ok(HistoryPage { rows, events, correction_events })
}

/// The events of `rows` and the corrections that undo any of them.
async fn with_their_corrections<S: Storage>(
    storage: &S,
    coop: &str,
    rows: Vec<StoredEventRow>,
) -> Result<Vec<Event>, StorageError> {
    let mut events = decode(&rows)?;
    let ids = events.iter().map(|event| event.id).collect();
    events.extend(decode(&storage.corrections_of(coop, ids).await?)?);
    Ok(events)
}

/// The co-op's farm records (sprayings, fertilizing, harvest records …) and the corrections that
/// undo them, in server order: read through the kind index, never the whole log.
pub async fn farm_records<S: Storage>(storage: &S, coop: &str) -> Result<Vec<Event>, StorageError> {
    with_their_corrections(storage, coop, storage.events_of_kinds(coop, &["farm_record"]).await?).await
}

/// What the pre-harvest-interval rule (`fieldtrace_core::farm::phi_flags`) needs: the farm
/// records, and the events filed under each lot a spraying names (its harvest taps), with their
/// corrections. Harvests are matched to sprayings by lot or by the farm record's plot only.
pub async fn phi_inputs<S: Storage>(storage: &S, coop: &str) -> Result<Vec<Event>, StorageError> {
    let mut events = farm_records(storage, coop).await?;
    let lots: BTreeSet<String> = events.iter().filter_map(|e| e.lot.as_ref().map(|l| l.as_str().to_owned())).collect();
    for lot in lots {
        events.extend(with_their_corrections(storage, coop, storage.lot_events(coop, &lot).await?).await?);
    }
    Ok(events)
}
