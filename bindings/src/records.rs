//! What the session hands the shells: a scanned code's summary, a report's receipt, a history
//! line. Plain records (Kotlin `data class`, Swift `struct`) built from the core's types; times are
//! UTC milliseconds, which both platforms format in the phone's time zone.

use crate::vocabulary::{BizStep, Disposition, Role};
use fieldtrace_core::model::{Lot, Party};
use fieldtrace_core::store::HistoryEntry;

/// What the phone knows about a scanned code, shown before the farmer taps.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScanInfo {
    /// The code as stored (the key reports are recorded under).
    pub code: String,
    pub lot: Option<LotInfo>,
    pub farm: Option<PartyInfo>,
    pub last_step: Option<BizStep>,
    pub last_disposition: Option<Disposition>,
    pub last_recorded_at_ms: Option<i64>,
    /// The step a tap records now (from the user's role and where the goods are).
    pub next_step: BizStep,
    /// Set when this code was reported in the last 2 seconds: tapping again returns it.
    pub recent_report: Option<Receipt>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LotInfo {
    pub id: String,
    /// Product name as shown to people, e.g. "猕猴桃".
    pub product: String,
    pub variety: Option<String>,
    pub plot: Option<String>,
    /// ISO date (YYYY-MM-DD).
    pub harvest_date: Option<String>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartyInfo {
    pub id: String,
    pub name: String,
    pub region: Option<String>,
}

/// Proof that a report was saved durably on the phone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Receipt {
    pub event_id: String,
    pub code: String,
    pub step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    pub recorded_at_ms: i64,
    /// Device time (UTC ms) until which `undo` is accepted; absent for an undo itself.
    pub undo_until_ms: Option<i64>,
    /// True when this tap repeated a report made moments ago and nothing new was recorded.
    pub duplicate: bool,
}

/// One line of a code's history, oldest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryItem {
    pub event_id: String,
    /// The event kind's stable key (`report`, `correction`, `handover`, …): the shells show
    /// reports and undos specially and the rest by a localized kind name.
    pub kind: String,
    pub step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    pub actor_party_id: String,
    pub actor_role: Role,
    pub recorded_at_ms: i64,
    pub note: Option<String>,
    /// For an undo: the event it took back.
    pub voids_event_id: Option<String>,
    /// True when a later undo took this event back.
    pub voided: bool,
}

impl From<fieldtrace_core::ScanResult> for ScanInfo {
    fn from(scan: fieldtrace_core::ScanResult) -> Self {
        Self {
            code: scan.code,
            lot: scan.lot.map(LotInfo::from),
            farm: scan.farm.map(PartyInfo::from),
            last_step: scan.last_step.map(Into::into),
            last_disposition: scan.last_disposition.map(Into::into),
            last_recorded_at_ms: scan.last_recorded_at.map(|at| at.timestamp_millis()),
            next_step: scan.next_step.into(),
            recent_report: scan.recent_report.map(Receipt::from),
        }
    }
}

impl From<Lot> for LotInfo {
    fn from(lot: Lot) -> Self {
        Self {
            id: lot.id.0,
            product: lot.product,
            variety: lot.variety,
            plot: lot.plot,
            harvest_date: lot.harvest_date.map(|date| date.to_string()),
            grade: lot.grade,
        }
    }
}

impl From<Party> for PartyInfo {
    fn from(party: Party) -> Self {
        Self { id: party.id.0, name: party.name, region: party.region }
    }
}

impl From<fieldtrace_core::Receipt> for Receipt {
    fn from(receipt: fieldtrace_core::Receipt) -> Self {
        Self {
            event_id: receipt.event_id.to_string(),
            code: receipt.code,
            step: receipt.step.map(Into::into),
            disposition: receipt.disposition.map(Into::into),
            recorded_at_ms: receipt.recorded_at.timestamp_millis(),
            undo_until_ms: receipt.undo_until_ms,
            duplicate: receipt.duplicate,
        }
    }
}

impl From<HistoryEntry> for HistoryItem {
    fn from(entry: HistoryEntry) -> Self {
        let event = entry.event;
        Self {
            event_id: event.id.to_string(),
            kind: event.kind.key().to_owned(),
            step: event.step.map(Into::into),
            disposition: event.disposition.map(Into::into),
            actor_party_id: event.actor.party.0,
            actor_role: event.actor.role.into(),
            recorded_at_ms: event.recorded_at.timestamp_millis(),
            note: event.note,
            voids_event_id: event.kind.voids().map(|id| id.to_string()),
            voided: entry.voided,
        }
    }
}
