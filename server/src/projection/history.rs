//! Lot histories (`fieldtrace_server_store::lot_history`): which events each lot's page and
//! exports show, kept exact batch by batch. A lot's history is every event filed under the lot
//! and every event in the history of one of its units (`fold_with_lineage`: the unit's own
//! events and those of the containers it was inside at the time), each with the number of the
//! lot's units it concerned.
//!
//! A batch can change the histories of the units it re-projects only (their lineage is a function
//! of their concerning events, exactly as their rows are), so the change is: for each such unit,
//! minus its lineage before the batch (the fold of its concerning events up to the old
//! checkpoint), plus its lineage after (up to the new one). Events the batch files under a lot
//! are added once, when the batch projects them. Counting per unit keeps an event in a lot's
//! history while any of the lot's units still holds it.

use crate::storage::{CausalKey, HistoryMark, LotHistoryDelta, Marks, StoredEventRow};
use fieldtrace_core::fold::{fold_with_lineage, ReplicaState, UnitEvent};
use fieldtrace_core::model::{Disposition, Event, EventId, EventKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where `event`, stored as `seq`, sits in causal order.
pub fn causal_key(event: &Event, seq: i64) -> CausalKey {
    CausalKey {
        wall_ms: i64::try_from(event.hlc.wall_ms).unwrap_or(i64::MAX),
        logical: i64::from(event.hlc.logical),
        seq,
    }
}

/// The lot page's sections `event` belongs to besides the timeline.
pub fn marks_of(event: &Event) -> Marks {
    let mut marks = Marks::default();
    let abnormal = match (&event.kind, event.disposition) {
        (EventKind::Excursion(_), _) => false,
        (EventKind::HandoverAcceptance(acceptance), _) => !acceptance.abnormal.is_empty(),
        (_, Some(Disposition::Abnormal(_))) => true,
        _ => false,
    };
    if abnormal {
        marks = marks.with(HistoryMark::Abnormal);
    }
    if matches!(event.kind, EventKind::SensorReading | EventKind::Excursion(_)) {
        marks = marks.with(HistoryMark::Chart);
    }
    if matches!(event.kind, EventKind::FarmRecord(_)) {
        marks = marks.with(HistoryMark::Farming);
    }
    if matches!(
        event.kind,
        EventKind::HandoverOffer(_) | EventKind::HandoverAcceptance(_) | EventKind::HandoverReceipt(_)
    ) {
        marks = marks.with(HistoryMark::Handover);
    }
    marks
}

/// The lot `event` is filed under, if it is part of that lot's history on its own (updates and
/// corrections concern no goods).
pub fn filed_lot(event: &Event) -> Option<&str> {
    if matches!(event.kind, EventKind::Update(_) | EventKind::Correction { .. }) {
        return None;
    }
    event.lot.as_ref().map(|lot| lot.as_str())
}

/// A batch's changes of the lot histories, merged per (lot, event).
#[derive(Default)]
pub struct HistoryChanges {
    changes: BTreeMap<(String, CausalKey), LotHistoryDelta>,
}

impl HistoryChanges {
    fn add(&mut self, lot: &str, event: &Event, seq: i64, units: i64, filed: bool) {
        let key = causal_key(event, seq);
        let delta = self.changes.entry((lot.to_owned(), key)).or_insert_with(|| LotHistoryDelta {
            lot: lot.to_owned(),
            key,
            marks: marks_of(event),
            ..LotHistoryDelta::default()
        });
        delta.units += units;
        delta.filed |= filed;
    }

    /// Files the batch's own events under their lots.
    pub fn file(&mut self, events: &[Event], seqs: &[i64]) {
        for (event, seq) in events.iter().zip(seqs) {
            if let Some(lot) = filed_lot(event) {
                self.add(lot, event, *seq, 0, true);
            }
        }
    }

    /// Moves the lineage of the re-projected `units` from `old` to `new`, both folds of the
    /// units' concerning `events` (stored as `rows`).
    pub fn move_units(
        &mut self,
        rows: &[StoredEventRow],
        events: &[Event],
        old: (&ReplicaState, &BTreeMap<String, Vec<UnitEvent>>),
        new: (&ReplicaState, &BTreeMap<String, Vec<UnitEvent>>),
    ) {
        let by_id: HashMap<EventId, (&Event, i64)> =
            events.iter().zip(rows).map(|(event, row)| (event.id, (event, row.seq))).collect();
        for (sign, (state, lineage)) in [(-1, old), (1, new)] {
            for (code, entries) in lineage {
                let Some(lot) = state.units.get(code).and_then(|unit| unit.lot.as_ref()) else { continue };
                for entry in entries {
                    if let Some((event, seq)) = by_id.get(&entry.event) {
                        self.add(lot.as_str(), event, *seq, sign, false);
                    }
                }
            }
        }
    }

    /// The changes that change something.
    pub fn into_deltas(self) -> Vec<LotHistoryDelta> {
        self.changes.into_values().filter(|delta| delta.units != 0 || delta.filed).collect()
    }
}

/// The fold of `events` (stored as `rows`) up to `through_seq`, with the lineage of `units`.
pub fn fold_through(
    rows: &[StoredEventRow],
    events: &[Event],
    units: &BTreeSet<String>,
    through_seq: i64,
) -> (ReplicaState, BTreeMap<String, Vec<UnitEvent>>) {
    let until = events.iter().zip(rows).filter(|(_, row)| row.seq <= through_seq).map(|(event, _)| event);
    fold_with_lineage(until, units)
}
