//! One projector batch: which units and entities the events can change, their new rows, and the
//! lot counters' movement (see the module docs of `projection` for why this is exact).

use super::history::{fold_through, HistoryChanges};
use crate::analytics::{counts, unit_histories};
use crate::storage::{
    LotDelta, PieceDay, ProjectionBatch, Registers, Storage, StorageError, StoredEventRow, UnitLossRow, UnitRow,
};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::{EntityKind, Event, EventKind, PartyId};
use fieldtrace_core::pieces::{piece_counts, piece_day, Month};
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
    let events = decode_all(page.encoded.iter().map(Vec::as_slice))?;
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
    let mut history = HistoryChanges::default();
    history.file(&events, &page.seqs);
    project_pieces(storage, coop, touched.piece_days, &mut batch).await?;
    project_units(storage, coop, touched.codes, &mut batch, &mut history).await?;
    batch.lot_history = history.into_deltas();
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
    /// (recorder party, piece day) whose pieces need recounting.
    piece_days: BTreeSet<(String, String)>,
}

impl Touched {
    fn note(&mut self, event: &Event) {
        if let Some(day) = piece_day(event) {
            self.piece_days.insert((event.recorder.party.0.clone(), day.format("%Y-%m-%d").to_string()));
        }
        match &event.kind {
            EventKind::Update(update) => {
                self.entities.insert((update.entity, update.id.clone()));
            }
            // A pack or unpack changes the units it names and what is inside them, never the
            // container's own fold row: where the container sits can only change through a
            // cycle it would close, and then it was itself packed into the unit before, so it
            // is among the unit's descendants, which are re-projected anyway. Its loss history
            // does change: a code that ever held something is no unit of its own.
            EventKind::Aggregation { parent, .. } => {
                self.codes.extend(event.codes.iter().cloned());
                self.codes.insert(parent.clone());
            }
            _ => self.codes.extend(event.codes.iter().cloned()),
        }
    }
}

async fn project_units<S: Storage>(
    storage: &S,
    coop: &str,
    named: BTreeSet<String>,
    batch: &mut ProjectionBatch,
    history: &mut HistoryChanges,
) -> Result<(), StorageError> {
    if named.is_empty() {
        return Ok(());
    }
    let mut affected = named.clone();
    affected.extend(storage.descendants_ever(coop, named.into_iter().collect()).await?);
    // Events stored after this batch's page are left to the batches that project them, so the
    // rows written here are exactly the state at the new checkpoint.
    let rows: Vec<StoredEventRow> = storage
        .concerning_events(coop, affected.iter().cloned().collect())
        .await?
        .into_iter()
        .filter(|row| row.seq <= batch.through_seq)
        .collect();
    let concerning = decode(&rows)?;
    let (old_state, old_lineage) = fold_through(&rows, &concerning, &affected, batch.from_seq);
    let (state, lineage) = fold_through(&rows, &concerning, &affected, batch.through_seq);
    history.move_units(&rows, &concerning, (&old_state, &old_lineage), (&state, &lineage));
    let affected: Vec<String> = affected.into_iter().collect();
    project_losses(storage, coop, &concerning, &affected, batch).await?;
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

/// Recounts the pieces of each (party, day) from the events that party recorded that day.
async fn project_pieces<S: Storage>(
    storage: &S,
    coop: &str,
    pairs: BTreeSet<(String, String)>,
    batch: &mut ProjectionBatch,
) -> Result<(), StorageError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let events = decode(&storage.recorded_on(coop, pairs.iter().cloned().collect()).await?)?;
    // Each party's events counted once per month, not the whole fetch once per pair: a batch
    // touches hundreds of (party, day) pairs.
    let corrections: Vec<&Event> = events.iter().filter(|event| event.kind.voids().is_some()).collect();
    let mut by_party: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events.iter().filter(|event| event.kind.voids().is_none()) {
        by_party.entry(event.recorder.party.0.as_str()).or_default().push(event);
    }
    let mut counted: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    for (party, day) in pairs {
        let Some(month) = day.get(..7).and_then(Month::parse) else {
            batch.pieces.push(PieceDay { party, day, pieces: 0 });
            continue;
        };
        let days = counted.entry((party.clone(), month.to_string())).or_insert_with(|| {
            let own = by_party.get(party.as_str()).into_iter().flatten().copied();
            let counts = piece_counts(own.chain(corrections.iter().copied()), &PartyId(party.clone()), month);
            counts.days.into_iter().map(|d| (d.date, d.pieces)).collect()
        });
        let pieces = days.get(&day).copied().unwrap_or(0);
        batch.pieces.push(PieceDay { party, day, pieces });
    }
    Ok(())
}

/// The affected units' loss histories from their concerning events (exact for them, as their
/// fold rows are), and the counters' changes.
async fn project_losses<S: Storage>(
    storage: &S,
    coop: &str,
    concerning: &[Event],
    affected: &[String],
    batch: &mut ProjectionBatch,
) -> Result<(), StorageError> {
    let wanted: BTreeSet<&str> = affected.iter().map(String::as_str).collect();
    let new: BTreeMap<String, UnitLossRow> = unit_histories(concerning)
        .iter()
        .filter(|history| wanted.contains(history.code.as_str()))
        .map(|history| (history.code.clone(), counts::loss_row(history)))
        .collect();
    let old: BTreeMap<String, UnitLossRow> =
        storage.unit_losses(coop, affected.to_vec()).await?.into_iter().map(|row| (row.code.clone(), row)).collect();
    let mut changes = Vec::new();
    for code in affected {
        let (before, after) = (old.get(code), new.get(code));
        if before == after {
            continue;
        }
        changes.extend(before.into_iter().flat_map(|row| counts::contributions(row, -1)));
        changes.extend(after.into_iter().flat_map(|row| counts::contributions(row, 1)));
        batch.losses.push((code.clone(), after.cloned()));
    }
    batch.loss_counts = counts::merge(changes);
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

/// Stored rows' events, decoded.
pub fn decode(rows: &[StoredEventRow]) -> Result<Vec<Event>, StorageError> {
    decode_all(rows.iter().map(|row| row.encoded.as_slice()))
}

/// A pulled page's events, decoded.
pub fn decode_pulled(encoded: &[Vec<u8>]) -> Result<Vec<Event>, StorageError> {
    decode_all(encoded.iter().map(Vec::as_slice))
}

/// Stored events, decoded. They were validated on the way in: failing here is corruption.
pub(super) fn decode_all<'a>(encoded: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<Event>, StorageError> {
    wire::decode_stored_events(encoded).map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))
}
