//! One projector batch: which units and entities the events can change, their new rows, and the
//! lot counters' movement (see the module docs of `projection` for why this is exact).

use crate::storage::{LotDelta, ProjectionBatch, Registers, Storage, StorageError, UnitRow};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::{EntityKind, Event, EventKind};
use fieldtrace_core::sync::wire;
use std::collections::{BTreeMap, BTreeSet};

/// Projects up to `limit` events after `from_seq` and returns the new checkpoint.
pub async fn project_batch<S: Storage>(
    storage: &S,
    coop: &str,
    from_seq: i64,
    limit: usize,
) -> Result<i64, StorageError> {
    let page = storage.pull(coop, from_seq, limit).await?;
    let events = decode(&page.encoded)?;
    let mut touched = Touched::default();
    for event in &events {
        touched.note(event);
    }
    let voided: Vec<_> = events.iter().filter_map(|event| event.kind.voids()).collect();
    if !voided.is_empty() {
        // A correction changes what its target counted for: re-project those units as well.
        for target in decode(&storage.events_by_id(coop, voided).await?)? {
            touched.note(&target);
        }
    }
    let mut batch = ProjectionBatch { from_seq, through_seq: page.next_after, ..ProjectionBatch::default() };
    project_units(storage, coop, touched.codes, &mut batch).await?;
    project_registers(storage, coop, touched.entities, &mut batch).await?;
    storage.apply_projection(coop, batch).await?;
    Ok(page.next_after)
}

/// What a batch's events can change directly.
#[derive(Default)]
struct Touched {
    /// Codes named; everything ever packed into them is affected too.
    codes: BTreeSet<String>,
    entities: BTreeSet<(EntityKind, String)>,
}

impl Touched {
    fn note(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Update(update) => {
                self.entities.insert((update.entity, update.id.clone()));
            }
            // A pack or unpack changes the units it names and what is inside them, never the
            // container's own row: where the container sits can only change through a cycle it
            // would close, and then it was itself packed into the unit before, so it is among
            // the unit's descendants, which are re-projected anyway.
            _ => self.codes.extend(event.codes.iter().cloned()),
        }
    }
}

async fn project_units<S: Storage>(
    storage: &S,
    coop: &str,
    named: BTreeSet<String>,
    batch: &mut ProjectionBatch,
) -> Result<(), StorageError> {
    if named.is_empty() {
        return Ok(());
    }
    let mut affected = named.clone();
    affected.extend(storage.descendants_ever(coop, named.into_iter().collect()).await?);
    let affected: Vec<String> = affected.into_iter().collect();
    let concerning = decode(&storage.concerning_events(coop, affected.clone()).await?)?;
    let state = fold(&concerning);
    let old: BTreeMap<String, UnitRow> =
        storage.unit_rows(coop, affected.clone()).await?.into_iter().map(|row| (row.code.clone(), row)).collect();
    let mut lots: BTreeMap<String, LotDelta> = BTreeMap::new();
    for code in affected {
        let new = unit_row(&state, &code);
        let before = old.get(&code);
        if before == new.as_ref() {
            continue;
        }
        count_in_lot(&mut lots, before, -1);
        count_in_lot(&mut lots, new.as_ref(), 1);
        batch.units.push((code, new));
    }
    batch.lots = lots.into_values().collect();
    Ok(())
}

/// The code's row as the fold of its concerning events leaves it; `None` when nothing counts.
pub(crate) fn unit_row(state: &ReplicaState, code: &str) -> Option<UnitRow> {
    let unit = state.units.get(code);
    let parent = state.containers.get(code);
    if unit.is_none() && parent.is_none() {
        return None;
    }
    Some(UnitRow { code: code.to_owned(), state: unit.cloned().unwrap_or_default(), parent: parent.cloned() })
}

/// Adds (`sign` 1) or removes (`sign` -1) a unit row's share of its lot's counters.
fn count_in_lot(lots: &mut BTreeMap<String, LotDelta>, row: Option<&UnitRow>, sign: i64) {
    let Some(unit) = row.map(|row| &row.state) else { return };
    let Some(lot) = &unit.lot else { return };
    let delta = lots.entry(lot.0.clone()).or_insert_with(|| LotDelta { lot: lot.0.clone(), ..LotDelta::default() });
    delta.units += sign;
    if unit.abnormal_reports > 0 {
        delta.abnormal_units += sign;
    }
    if let Some(step) = unit.last_step {
        *delta.steps.entry(step).or_default() += sign;
    }
}

async fn project_registers<S: Storage>(
    storage: &S,
    coop: &str,
    entities: BTreeSet<(EntityKind, String)>,
    batch: &mut ProjectionBatch,
) -> Result<(), StorageError> {
    if entities.is_empty() {
        return Ok(());
    }
    let entities: Vec<_> = entities.into_iter().collect();
    let state = fold(&decode(&storage.entity_events(coop, entities.clone()).await?)?);
    for entity in entities {
        let fields: Registers = state.registers.get(&entity).cloned().unwrap_or_default();
        batch.registers.push((entity, fields));
    }
    Ok(())
}

/// Stored events, decoded. They were validated on the way in: failing here is corruption.
pub(crate) fn decode(encoded: &[Vec<u8>]) -> Result<Vec<Event>, StorageError> {
    wire::decode_stored_events(encoded.iter().map(Vec::as_slice))
        .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))
}
