//! Builders shared by the unit tests: a fixed clock, a user, and well-formed events.

use crate::clock::{HlcTimestamp, ManualClock};
use crate::model::{Actor, DeviceId, Disposition, Event, EventId, EventKind, PartyId, Recorder, Role};
use chrono::{DateTime, FixedOffset};
use std::sync::Arc;

/// 2026-11-23 08:00 in China (UTC+8): a morning in the orchard.
pub fn morning() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("valid timestamp")
}

pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(morning()))
}

pub fn farmer(party: &str) -> Actor {
    Actor { party: PartyId::new(party), role: Role::Farmer }
}

/// A normal report of `code` by `device`, stamped `hlc`.
pub fn report(code: &str, device: DeviceId, hlc: HlcTimestamp) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(crate::model::BizStep::Harvesting),
        disposition: Some(Disposition::Normal),
        codes: vec![code.to_owned()],
        lot: None,
        actor: farmer("farmer-li"),
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: morning(),
        hlc,
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}
