//! The read model as a pure, deterministic fold over a set of events.
//!
//! Every replica — each phone and the server — can compute [`ReplicaState`] from the events it
//! holds. The fold sorts by the causal order `(HLC, device id, event id)` and ignores duplicates,
//! so the same set of events gives byte-identical state (and [`ReplicaState::digest`]) whatever
//! order the events arrived in. The convergence tests compare these digests across replicas.
//!
//! Containment (`docs/aggregation.md`) evolves in the same order: a pack or unpack changes which
//! container each unit is in from then on, and an event on a container counts for everything
//! inside it at that moment, at every depth. [`fold_with_lineage`] also lists, per unit, the
//! events that counted for it that way (a unit's history, time-aware).

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
    /// Per packed unit: the container it is in now.
    pub containers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitState {
    pub last_step: Option<BizStep>,
    pub last_disposition: Option<Disposition>,
    pub lot: Option<LotId>,
    /// Events that count for this code (not voided, not corrections), its containers' included.
    pub events: u64,
    /// Of `events`, those recorded on a container this unit was inside at the time.
    pub via_container: u64,
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
    fold_inner(events, &mut Lineage::none())
}

/// The fold, plus for each unit in `watch` the events that count for it in causal order —
/// its own and those inherited from the containers it was in at the time (see [`lineage`]).
/// The state is exactly [`fold`]'s.
pub fn fold_with_lineage<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    watch: &BTreeSet<String>,
) -> (ReplicaState, BTreeMap<String, Vec<UnitEvent>>) {
    let mut lineage = Lineage::watching(watch);
    let state = fold_inner(events, &mut lineage);
    (state, lineage.into_map())
}

fn fold_inner<'a>(events: impl IntoIterator<Item = &'a Event>, lineage: &mut Lineage<'_>) -> ReplicaState {
    let mut by_id: BTreeMap<EventId, &Event> = BTreeMap::new();
    for event in events {
        by_id.entry(event.id).or_insert(event);
    }
    let mut ordered: Vec<&Event> = by_id.values().copied().collect();
    ordered.sort_by(|a, b| a.cmp_causal(b));

    let mut state = ReplicaState { events: by_id.keys().copied().collect(), ..ReplicaState::default() };
    // A correction voids its target wherever either sits in the order (it may even come first).
    state.voided = ordered.iter().filter_map(|e| e.kind.voids()).filter(|id| by_id.contains_key(id)).collect();
    let mut containment = Containment::default();
    for event in ordered {
        if state.voided.contains(&event.id) {
            // Voided events count for nothing, but a unit's history still shows what was
            // recorded (EPCIS exports it with an errorDeclaration).
            lineage.note(&containment, event, true);
            continue;
        }
        if let EventKind::Aggregation { parent, action } = &event.kind {
            containment.apply(parent, *action, &event.codes);
        }
        lineage.note(&containment, event, false);
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
                apply_event(&mut state, &containment, event, |code| {
                    let reason = acceptance.abnormal.iter().find(|unit| unit.code == *code).map(|unit| unit.reason);
                    Some(reason.map_or(Disposition::Normal, Disposition::Abnormal))
                });
            }
            _ => apply_event(&mut state, &containment, event, |_| event.disposition),
        }
    }
    state.containers = containment.pairs().clone();
    state
}

/// One counting event's effect on one code's state.
/// Applies `event` to the units it names and, when its kind applies to contents, to everything
/// inside them at this point in causal order (each unit once). `disposition_of(named code)` is
/// that unit's condition; what is inside a container shares the container's.
fn apply_event(
    state: &mut ReplicaState,
    containment: &Containment,
    event: &Event,
    disposition_of: impl Fn(&String) -> Option<Disposition>,
) {
    let named: BTreeSet<&String> = event.codes.iter().collect();
    let mut inside_done: BTreeSet<String> = BTreeSet::new();
    for code in &named {
        let disposition = disposition_of(code);
        apply_to_unit(state, event, code, disposition, false);
        if !event.kind.applies_to_contents() {
            continue;
        }
        for inner in containment.descendants(code) {
            if !named.contains(&inner) && inside_done.insert(inner.clone()) {
                apply_to_unit(state, event, &inner, disposition, true);
            }
        }
    }
}

/// One event's effect on one unit; `via_container` when the unit is only inside a named one.
fn apply_to_unit(
    state: &mut ReplicaState,
    event: &Event,
    code: &str,
    disposition: Option<Disposition>,
    via_container: bool,
) {
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
    if via_container {
        unit.via_container += 1;
    } else if event.lot.is_some() {
        // A container may hold several lots: only the units named take the lot.
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
        let mut s = serializer.serialize_struct("ReplicaState", 5)?;
        s.serialize_field("events", &self.0.events)?;
        s.serialize_field("voided", &self.0.voided)?;
        s.serialize_field("units", &self.0.units)?;
        s.serialize_field("registers", &registers)?;
        s.serialize_field("containers", &self.0.containers)?;
        s.end()
    }
}

mod containment;
pub mod lineage;
pub use containment::Containment;
use lineage::Lineage;
pub use lineage::{concerning, UnitEvent};

#[cfg(test)]
mod aggregation_tests;
#[cfg(test)]
mod lineage_tests;
#[cfg(test)]
mod tests;
