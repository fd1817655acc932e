//! EPCIS 2.0 JSON-LD export of one lot: what a buyer's or regulator's traceability system
//! imports. Every event that concerns the lot — its units, the containers they were packed in,
//! and lot-level records such as farming activities — in causal order; voided events appear
//! twice, as recorded and with an `errorDeclaration` (EPCIS's correction model). The lot's
//! register fields (product, farm, harvest date …) ride along as a document extension.
//!
//! The mapping to CBV vocabulary lives in [`mapping`]; documents are validated against the
//! official EPCIS 2.0 JSON schema in `cli/tests/epcis.rs`. [`export_lot`] folds the events it is
//! given (the reference); the server and the CLI read a stored lot's history a page at a time
//! ([`stored`]).

pub mod mapping;
mod stored;

use crate::storage::Registers;
use fieldtrace_core::fold::{fold, fold_with_lineage, ReplicaState};
use fieldtrace_core::model::{EntityKind, Event, EventId, EventKind};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub use stored::{stored_lot_page, write_stored_lot, StoredPage, PER_PAGE_DEFAULT, PER_PAGE_MAX};

/// Where identifiers point: GS1 keys resolve on a Digital Link resolver, our trace codes on the
/// co-op's public trace page.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// e.g. `https://id.gs1.org`
    pub digital_link_base: String,
    /// The public base URL of `/t/{code}` pages, e.g. `https://trace.example.cn`.
    pub trace_base: String,
}

/// The EPCIS context documents reference, plus our extension namespace.
pub fn context() -> Value {
    json!([
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        { mapping::PREFIX: "https://fieldtrace.org/epcis/" }
    ])
}

/// An EPCIS document with every event of `events` that concerns `lot`. `created` is the
/// document's creation time (RFC 3339).
pub fn export_lot(events: &[Event], lot: &str, options: &ExportOptions, created: &str) -> Value {
    let state = fold(events);
    let units = lot_units(&state, lot);
    export_lot_events(events, &units, state.registers.get(&(EntityKind::Lot, lot.to_owned())), lot, options, created)
}

/// The document from `events` (at least the lot's own and those concerning its `units`, with
/// their corrections), the lot's units and its registers.
fn export_lot_events(
    events: &[Event],
    units: &BTreeSet<String>,
    registers: Option<&Registers>,
    lot: &str,
    options: &ExportOptions,
    created: &str,
) -> Value {
    let selected = lot_events(events, units, lot);
    let corrections: BTreeMap<EventId, &Event> =
        events.iter().filter_map(|e| e.kind.voids().map(|voided| (voided, e))).collect();
    document(lot, registers, created, event_list(selected, &corrections, options))
}

/// The EPCIS events for `selected`, each voided one followed by its error declaration.
pub fn event_list<'a>(
    selected: impl IntoIterator<Item = &'a Event>,
    corrections: &BTreeMap<EventId, &Event>,
    options: &ExportOptions,
) -> Vec<Value> {
    let mut list = Vec::new();
    for event in selected {
        let Some(json) = mapping::event_json(event, options) else { continue };
        let declared = corrections.get(&event.id).map(|correction| mapping::error_declaration(&json, correction));
        list.push(json);
        list.extend(declared);
    }
    list
}

/// An EPCIS document for `lot` holding `list`.
pub fn document(lot: &str, registers: Option<&Registers>, created: &str, list: Vec<Value>) -> Value {
    let mut document = head(lot, registers, created);
    document.insert("epcisBody".into(), json!({ "eventList": list }));
    Value::Object(document)
}

/// Everything of a lot's document but its body.
fn head(lot: &str, registers: Option<&Registers>, created: &str) -> Map<String, Value> {
    let mut document = Map::new();
    document.insert("@context".into(), context());
    document.insert("type".into(), json!("EPCISDocument"));
    document.insert("schemaVersion".into(), json!("2.0"));
    document.insert("creationDate".into(), json!(created));
    document.insert(format!("{}:lot", mapping::PREFIX), lot_master_data(registers, lot));
    document
}

/// The lot's events in causal order: events filed under the lot, and each lot unit's history as
/// the fold tells it — its own events and those on the containers it was inside at the time (a
/// box scanned at loading moves its kiwis; a box event after a kiwi was unpacked does not).
/// Voided events are included: they are exported with an errorDeclaration.
pub fn lot_events<'a>(events: &'a [Event], lot_units: &BTreeSet<String>, lot: &str) -> Vec<&'a Event> {
    let (_, lineage) = fold_with_lineage(events, lot_units);
    let in_history: BTreeSet<EventId> = lineage.values().flatten().map(|h| h.event).collect();
    let mut seen = BTreeSet::new();
    let mut selected: Vec<&Event> = events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Update(_) | EventKind::Correction { .. }))
        .filter(|e| e.lot.as_ref().is_some_and(|l| l.0 == lot) || in_history.contains(&e.id))
        .filter(|e| seen.insert(e.id))
        .collect();
    selected.sort_by(|a, b| a.cmp_causal(b));
    selected
}

/// The codes whose lot is `lot` in `state`.
pub fn lot_units(state: &ReplicaState, lot: &str) -> BTreeSet<String> {
    state
        .units
        .iter()
        .filter(|(_, unit)| unit.lot.as_ref().is_some_and(|l| l.0 == lot))
        .map(|(code, _)| code.clone())
        .collect()
}

/// The lot's register fields as the fold settled them (`id` plus product, farm, …).
fn lot_master_data(registers: Option<&Registers>, lot: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("id".into(), json!(lot));
    if let Some(registers) = registers {
        for (field, value) in registers {
            if let Some(value) = &value.value {
                fields.insert(field.clone(), json!(value));
            }
        }
    }
    Value::Object(fields)
}
