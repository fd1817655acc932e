//! What every part of the lot page reads besides its own events: the registers (lot, parties),
//! how many of the lot's units each shown event concerned (from the projected lot history), and
//! the co-op's display offset.

use chrono::{DateTime, FixedOffset};
use fieldtrace_core::model::{EntityKind, Event, EventId};
use fieldtrace_server::storage::Registers;
use std::collections::BTreeMap;

pub struct LotContext {
    pub lot: String,
    pub registers: BTreeMap<(EntityKind, String), Registers>,
    /// Per shown event: how many of the lot's units it concerned (0 for lot-level records).
    pub units: BTreeMap<EventId, u64>,
    /// Times are shown in the co-op's display offset, so a day's events line up.
    pub offset: FixedOffset,
}

impl LotContext {
    pub fn register(&self, kind: EntityKind, id: &str, field: &str) -> Option<String> {
        self.registers.get(&(kind, id.to_owned()))?.get(field)?.value.clone()
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
    pub fn units_of(&self, event: &Event) -> u64 {
        self.units.get(&event.id).copied().unwrap_or(0)
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
