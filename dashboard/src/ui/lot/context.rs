//! What every part of the lot page reads: the fold of the lot's events, the lot's units and each event of the
//! lot's history — events filed under the lot, and every lot unit's history as the fold tells it
//! (`fold_with_lineage`: its own events and those of the containers it was inside at the time).

use chrono::{DateTime, FixedOffset};
use fieldtrace_core::fold::{fold_with_lineage, ReplicaState};
use fieldtrace_core::model::{EntityKind, Event, EventId, EventKind};
use fieldtrace_server::storage::Registers;
use std::collections::{BTreeMap, BTreeSet};

pub struct LotContext<'a> {
    pub lot: String,
    pub state: ReplicaState,
    /// The lot's events that count (not voided, no corrections or updates), in causal order.
    pub history: Vec<&'a Event>,
    /// Per event of `history`: the lot's units it concerned (empty for lot-level records).
    pub reaches: BTreeMap<EventId, BTreeSet<String>>,
    /// Times are shown in the co-op's display offset, so a day's events line up.
    pub offset: FixedOffset,
}

impl<'a> LotContext<'a> {
    /// `None` when the co-op never named the lot nor saw anything of it. `events` hold at least
    /// the events filed under the lot and those concerning its units (`lot_units`); `registers`
    /// those of the lot and the parties the events name.
    pub fn new(
        events: &'a [Event],
        lot_units: &BTreeSet<String>,
        registers: BTreeMap<(EntityKind, String), Registers>,
        lot: &str,
        offset: FixedOffset,
    ) -> Option<Self> {
        let (mut state, lineage) = fold_with_lineage(events, lot_units);
        state.registers = registers;
        let named = state.registers.contains_key(&(EntityKind::Lot, lot.to_owned()));
        let filed = |e: &Event| e.lot.as_ref().is_some_and(|l| l.0 == lot);
        if !named && lot_units.is_empty() && !events.iter().any(filed) {
            return None;
        }
        let mut reaches: BTreeMap<EventId, BTreeSet<String>> = BTreeMap::new();
        for (unit, entries) in &lineage {
            for entry in entries.iter().filter(|entry| !entry.voided) {
                reaches.entry(entry.event).or_default().insert(unit.clone());
            }
        }
        let mut history: Vec<&Event> = events
            .iter()
            .filter(|e| !state.voided.contains(&e.id))
            .filter(|e| !matches!(e.kind, EventKind::Update(_) | EventKind::Correction { .. }))
            .filter(|e| filed(e) || reaches.contains_key(&e.id))
            .collect();
        history.sort_by(|a, b| a.cmp_causal(b));
        history.dedup_by_key(|e| e.id);
        for event in &history {
            reaches.entry(event.id).or_default();
        }
        Some(Self { lot: lot.to_owned(), state, history, reaches, offset })
    }

    pub fn register(&self, kind: EntityKind, id: &str, field: &str) -> Option<String> {
        self.state.registers.get(&(kind, id.to_owned()))?.get(field)?.value.clone()
    }

    pub fn lot_field(&self, field: &str) -> Option<String> {
        self.register(EntityKind::Lot, &self.lot, field)
    }

    /// A party's name as the co-op registered it, else its id.
    pub fn party_name(&self, party: &str) -> String {
        self.register(EntityKind::Party, party, "name").unwrap_or_else(|| party.to_owned())
    }

    pub fn time(&self, at: &DateTime<FixedOffset>) -> String {
        at.with_timezone(&self.offset).format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn time_ms(&self, ms: i64) -> String {
        DateTime::from_timestamp_millis(ms).map(|at| self.time(&at.fixed_offset())).unwrap_or_default()
    }

    /// How many of the lot's units `event` concerned.
    pub fn units_of(&self, event: &Event) -> usize {
        self.reaches.get(&event.id).map_or(0, BTreeSet::len)
    }
}

/// A code as people read it: trace codes printed with hyphens, SSCCs as digits, else as stored.
pub fn show_code(code: &str) -> String {
    if let Some(trace) = code.strip_prefix("t/") {
        if let Ok(parsed) = fieldtrace_core::payload::TraceCode::parse(trace) {
            return parsed.to_string();
        }
    }
    code.strip_prefix("/00/").map_or_else(|| code.to_owned(), |sscc| format!("SSCC {sscc}"))
}
