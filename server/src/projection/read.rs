//! Reads over the persisted read models that pages and exports share: a few units' histories
//! from their own events, and the registers those histories name.

use super::plan::decode;
use crate::storage::{Registers, Storage, StorageError, StoredEventRow};
use fieldtrace_core::fold::{fold_with_lineage, ReplicaState, UnitEvent};
use fieldtrace_core::model::{EntityKind, Event};
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

/// Units of a lot read per query.
const LOT_PAGE: usize = 5_000;

/// What a lot's page and export read instead of the co-op's log: the lot's units (projected),
/// and the events filed under the lot or concerning any of its units, and the corrections of
/// those, with the server time each arrived, in server order. Folding these gives every lot unit its exact state and history.
pub struct LotEvents {
    pub units: BTreeSet<String>,
    pub events: Vec<Event>,
    pub received_at_ms: Vec<i64>,
}

impl LotEvents {
    /// Reads `lot` of `coop`; the caller brings the projection up to date first.
    pub async fn of<S: Storage>(storage: &S, coop: &str, lot: &str) -> Result<Self, StorageError> {
        let mut units = BTreeSet::new();
        let mut after = None;
        loop {
            let page = storage.lot_units(coop, lot, after.take(), LOT_PAGE).await?;
            let full = page.len() == LOT_PAGE;
            after = page.last().map(|row| row.code.clone());
            units.extend(page.into_iter().map(|row| row.code));
            if !full {
                break;
            }
        }
        // Each stored row decoded once: sequence number → (arrival time, event).
        let mut found: BTreeMap<i64, (i64, Event)> = BTreeMap::new();
        decode_new(&mut found, storage.lot_events(coop, lot).await?)?;
        // Records filed under the lot may be undone by corrections that name no lot.
        let filed_ids = found.values().map(|(_, event)| event.id).collect();
        decode_new(&mut found, storage.corrections_of(coop, filed_ids).await?)?;
        if !units.is_empty() {
            // What concerns the lot's units, filed under the lot by the projector: one range scan.
            decode_new(&mut found, storage.lot_member_events(coop, lot).await?)?;
        }
        let (received_at_ms, events) = found.into_values().unzip();
        Ok(Self { units, events, received_at_ms })
    }
}

/// Adds the rows not in `found` yet, decoded.
fn decode_new(found: &mut BTreeMap<i64, (i64, Event)>, rows: Vec<StoredEventRow>) -> Result<(), StorageError> {
    let rows: Vec<StoredEventRow> = rows.into_iter().filter(|row| !found.contains_key(&row.seq)).collect();
    for (row, event) in rows.iter().zip(decode(&rows)?) {
        found.insert(row.seq, (row.received_at_ms, event));
    }
    Ok(())
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
