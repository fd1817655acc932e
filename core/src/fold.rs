//! The read model as a pure, deterministic fold over a set of events.
//!
//! Every replica — each phone and the server — can compute [`ReplicaState`] from the events it
//! holds. The fold sorts by the causal order `(HLC, device id, event id)` and ignores duplicates,
//! so the same set of events gives byte-identical state (and [`ReplicaState::digest`]) whatever
//! order the events arrived in. The convergence tests compare these digests across replicas.

use crate::model::{BizStep, Disposition, EntityKind, Event, EventId, EventKind, LotId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// What replicas agree on once they hold the same events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicaState {
    /// Every event id held, voided or not: the grow-only set itself.
    pub events: BTreeSet<EventId>,
    /// Events voided by a correction.
    pub voided: BTreeSet<EventId>,
    /// Per code: where the goods are and in what condition.
    pub units: BTreeMap<String, UnitState>,
    /// Per entity and field: the last writer's value.
    pub registers: BTreeMap<(EntityKind, String), BTreeMap<String, FieldState>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitState {
    pub last_step: Option<BizStep>,
    pub last_disposition: Option<Disposition>,
    pub lot: Option<LotId>,
    /// Events that count for this code (not voided, not corrections).
    pub events: u64,
    pub abnormal_reports: u64,
    pub last_event: Option<EventId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldState {
    pub value: Option<String>,
    pub set_by: EventId,
}

/// Folds `events` (any order, duplicates allowed) into the state every replica agrees on.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> ReplicaState {
    let mut by_id: BTreeMap<EventId, &Event> = BTreeMap::new();
    for event in events {
        by_id.entry(event.id).or_insert(event);
    }
    let mut ordered: Vec<&Event> = by_id.values().copied().collect();
    ordered.sort_by(|a, b| a.cmp_causal(b));

    let mut state = ReplicaState { events: by_id.keys().copied().collect(), ..ReplicaState::default() };
    // A correction voids its target wherever either sits in the order (it may even come first).
    state.voided = ordered.iter().filter_map(|e| e.kind.voids()).filter(|id| by_id.contains_key(id)).collect();
    for event in ordered {
        if state.voided.contains(&event.id) {
            continue;
        }
        match &event.kind {
            EventKind::Correction { .. } => {}
            EventKind::Update(update) => {
                let fields = state.registers.entry((update.entity, update.id.clone())).or_default();
                for field in &update.fields {
                    // Later in causal order wins: a plain overwrite, because we iterate in order.
                    fields.insert(field.field.clone(), FieldState { value: field.value.clone(), set_by: event.id });
                }
            }
            // The giver's copy of an acceptance the receiver already recorded: counting it
            // would count the same handover twice.
            EventKind::HandoverReceipt(_) => {}
            EventKind::HandoverAcceptance(acceptance) => {
                // Condition is judged box by box: a box not listed abnormal arrived normal.
                for code in &event.codes {
                    let reason = acceptance.abnormal.iter().find(|unit| unit.code == *code).map(|unit| unit.reason);
                    let disposition = reason.map_or(Disposition::Normal, Disposition::Abnormal);
                    apply_to_unit(&mut state, event, code, Some(disposition));
                }
            }
            _ => {
                for code in &event.codes {
                    apply_to_unit(&mut state, event, code, event.disposition);
                }
            }
        }
    }
    state
}

/// One counting event's effect on one code's state.
fn apply_to_unit(state: &mut ReplicaState, event: &Event, code: &str, disposition: Option<Disposition>) {
    let unit = state.units.entry(code.to_owned()).or_default();
    unit.events += 1;
    unit.last_event = Some(event.id);
    if event.step.is_some() {
        unit.last_step = event.step;
    }
    if disposition.is_some() {
        unit.last_disposition = disposition;
    }
    if matches!(disposition, Some(Disposition::Abnormal(_))) {
        unit.abnormal_reports += 1;
    }
    if event.lot.is_some() {
        unit.lot.clone_from(&event.lot);
    }
}

impl ReplicaState {
    /// SHA-256 (hex) of the state's canonical JSON: equal digests mean equal state.
    pub fn digest(&self) -> String {
        // Maps are ordered and the state holds no floats, so the encoding is canonical.
        let json = serde_json::to_vec(&Canonical(self)).unwrap_or_default();
        Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// JSON object keys must be strings: the tuple keys of `registers` are spelled `kind/id`.
struct Canonical<'a>(&'a ReplicaState);

impl Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let registers: BTreeMap<String, &BTreeMap<String, FieldState>> =
            self.0.registers.iter().map(|((kind, id), fields)| (format!("{}/{id}", kind.key()), fields)).collect();
        let mut s = serializer.serialize_struct("ReplicaState", 4)?;
        s.serialize_field("events", &self.0.events)?;
        s.serialize_field("voided", &self.0.voided)?;
        s.serialize_field("units", &self.0.units)?;
        s.serialize_field("registers", &registers)?;
        s.end()
    }
}

#[cfg(test)]
mod tests;
