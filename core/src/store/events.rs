//! Event rows: insert (with the code index), read back, and the per-code folds a scan needs.

use super::Store;
use crate::error::{Error, Result};
use crate::model::{BizStep, Disposition, Event, EventId};
use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Where an event was recorded, as far as this device is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Recorded on this device; it sits in the outbox until the server accepts it.
    Local,
    /// Received from another replica.
    Remote,
}

impl Origin {
    fn key(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Remote => "remote",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event: Event,
    pub origin: Origin,
    /// The correction that voided this event, if any.
    pub voided_by: Option<EventId>,
}

/// One line of a code's history, in causal order.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub event: Event,
    pub voided: bool,
    /// Set when the event named a container this code was inside at the time, not the code
    /// itself: the container's code (see `docs/aggregation.md`).
    pub via: Option<String>,
}

/// What this device knows from events about one code: the input to a scan's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CodeSummary {
    /// The latest step recorded for the code, inspections included.
    pub last_step: Option<BizStep>,
    /// The latest step that moved the goods (not an inspection): where the goods are in the flow.
    pub last_flow_step: Option<BizStep>,
    pub last_disposition: Option<Disposition>,
    pub last_recorded_at: Option<DateTime<FixedOffset>>,
    /// The lot named by the latest event that names one.
    pub lot: Option<crate::model::LotId>,
    /// Events that still count (not voided, not corrections).
    pub event_count: u64,
}

/// How many recent events a scan folds; older ones cannot change "the last step".
const SUMMARY_WINDOW: i64 = 64;

/// Inserts `event` unless an event with its id exists. Returns the new row's `seq`, or `None` for a
/// duplicate (already known: harmless by design). Only the event row and its code index: the
/// tables derived from events are kept in step by `store::insert_event`, which calls this.
pub(super) fn insert(conn: &Connection, event: &Event, origin: Origin) -> Result<Option<i64>> {
    let body = serde_json::to_string(event).map_err(|e| Error::invalid_event("body", e.to_string()))?;
    let wall = i64::try_from(event.hlc.wall_ms).map_err(|_| Error::invalid_event("hlc", "wall time out of range"))?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO events (id, kind, step, disposition, reason, lot_id, actor_party, actor_role,
                recorder_party, device_id, hlc_wall, hlc_logical, recorded_at_ms, voids, origin, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            event.id.to_string(),
            event.kind.key(),
            event.step.map(BizStep::key),
            event.disposition.map(Disposition::status_key),
            event.disposition.and_then(Disposition::reason).map(|r| r.key()),
            event.lot.as_ref().map(|l| l.as_str()),
            event.actor.party.as_str(),
            event.actor.role.key(),
            event.recorder.party.as_str(),
            event.recorder.device.to_string(),
            wall,
            event.hlc.logical,
            event.recorded_at.timestamp_millis(),
            event.kind.voids().map(|id| id.to_string()),
            origin.key(),
            body,
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    let seq = conn.last_insert_rowid();
    let mut index = conn.prepare_cached("INSERT OR IGNORE INTO event_codes (code, event_seq) VALUES (?1, ?2)")?;
    for code in &event.codes {
        index.execute(params![code, seq])?;
    }
    Ok(Some(seq))
}

pub(super) fn decode_body(body: &str) -> Result<Event> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt(format!("stored event does not decode: {e}")))
}

fn history_row(row: &Row<'_>) -> rusqlite::Result<(String, bool, Option<String>)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

/// The rows of events that concern code `?1`: those naming it, and those naming a container it
/// was inside at the time (`inherited_codes`, see `store::containment`).
const EVENTS_OF_CODE: &str = "SELECT event_seq FROM event_codes WHERE code = ?1
     UNION SELECT event_seq FROM inherited_codes WHERE code = ?1";

/// Causal order, spelled in SQL. Hyphenated lower-case UUID text sorts like the UUID's bytes, so
/// this is exactly `Event::cmp_causal`.
const CAUSAL_ORDER: &str = "e.hlc_wall, e.hlc_logical, e.device_id, e.id";

impl Store {
    /// One event by id, with where it came from and whether it was voided.
    pub fn event(&self, id: EventId) -> Result<Option<StoredEvent>> {
        self.read(|conn| {
            let sql = format!("SELECT {STORED_COLUMNS} FROM events e WHERE e.id = ?1");
            let row = conn.prepare_cached(&sql)?.query_row([id.to_string()], stored_row).optional()?;
            row.map(StoredRow::decode).transpose()
        })
    }

    /// Every event that concerns `code` — naming it, or naming a container it was inside —
    /// oldest first in causal order, corrections included.
    pub fn history(&self, code: &str) -> Result<Vec<HistoryEntry>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT e.body, EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id),
                    (SELECT i.via FROM inherited_codes i WHERE i.code = ?1 AND i.event_seq = e.seq)
                 FROM events e WHERE e.seq IN ({EVENTS_OF_CODE}) ORDER BY {CAUSAL_ORDER}"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([code], history_row)?;
            rows.map(|row| {
                let (body, voided, via) = row?;
                Ok(HistoryEntry { event: decode_body(&body)?, voided, via })
            })
            .collect()
        })
    }

    /// Folds the recent, still-valid events of `code` (its containers' included) into what a
    /// scan shows.
    pub fn code_summary(&self, code: &str) -> Result<CodeSummary> {
        self.read(|conn| {
            let sql = format!(
                "SELECT e.body FROM events e
                 WHERE e.seq IN ({EVENTS_OF_CODE}) AND e.kind != 'correction'
                   AND NOT EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id)
                 ORDER BY {} LIMIT {SUMMARY_WINDOW}",
                CAUSAL_ORDER.replace(',', " DESC,") + " DESC"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let bodies = stmt.query_map([code], |row| row.get::<_, String>(0))?;
            let mut summary = CodeSummary::default();
            // Newest first: the first value seen for each field is the latest.
            for body in bodies {
                let event = decode_body(&body?)?;
                summary.event_count += 1;
                if summary.last_step.is_none() {
                    summary.last_step = event.step;
                }
                if summary.last_flow_step.is_none() && event.step != Some(BizStep::Inspecting) {
                    summary.last_flow_step = event.step;
                }
                if summary.last_disposition.is_none() {
                    summary.last_disposition = event.disposition;
                }
                if summary.last_recorded_at.is_none() {
                    summary.last_recorded_at = Some(event.recorded_at);
                }
                if summary.lot.is_none() {
                    summary.lot = event.lot;
                }
            }
            Ok(summary)
        })
    }

    /// Distinct codes that `party` recorded in `[from_ms, to_ms)` (device time, UTC ms), counting
    /// only events that still count: what an assistant is paid for.
    pub fn count_codes_recorded(&self, party: &str, from_ms: i64, to_ms: i64) -> Result<u64> {
        self.read(|conn| {
            let count: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(DISTINCT ec.code)
                     FROM events e JOIN event_codes ec ON ec.event_seq = e.seq
                     WHERE e.recorder_party = ?1 AND e.recorded_at_ms >= ?2 AND e.recorded_at_ms < ?3
                       AND e.kind != 'correction'
                       AND NOT EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id)",
                )?
                .query_row(params![party, from_ms, to_ms], |row| row.get(0))?;
            Ok(count.unsigned_abs())
        })
    }

    /// Number of events stored (all origins, corrections included).
    pub fn event_count(&self) -> Result<u64> {
        self.read(|conn| {
            let count: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?;
            Ok(count.unsigned_abs())
        })
    }

    /// Every event of one kind (its stable key), in local arrival order.
    pub fn events_of_kind(&self, kind: &str) -> Result<Vec<Event>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT body FROM events WHERE kind = ?1 ORDER BY seq")?;
            let bodies = stmt.query_map([kind], |row| row.get::<_, String>(0))?;
            bodies.map(|body| decode_body(&body?)).collect()
        })
    }

    /// Every event in local arrival order: for audits, exports and tests.
    pub fn all_events(&self) -> Result<Vec<StoredEvent>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!("SELECT {STORED_COLUMNS} FROM events e ORDER BY e.seq"))?;
            let rows = stmt.query_map([], stored_row)?;
            rows.map(|row| row?.decode()).collect()
        })
    }
}

/// The columns `stored_row` reads, from an `events e`.
const STORED_COLUMNS: &str =
    "e.body, e.origin, (SELECT c.id FROM events c WHERE c.voids = e.id ORDER BY c.seq LIMIT 1)";

struct StoredRow {
    body: String,
    origin: String,
    voided_by: Option<String>,
}

fn stored_row(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow { body: row.get(0)?, origin: row.get(1)?, voided_by: row.get(2)? })
}

impl StoredRow {
    fn decode(self) -> Result<StoredEvent> {
        Ok(StoredEvent {
            event: decode_body(&self.body)?,
            origin: if self.origin == "local" { Origin::Local } else { Origin::Remote },
            voided_by: self.voided_by.as_deref().and_then(EventId::parse),
        })
    }
}

impl Store {
    /// The deterministic read model of every event held (see [`crate::fold`]): equal on every
    /// replica holding the same events.
    pub fn state(&self) -> Result<crate::fold::ReplicaState> {
        let events: Vec<Event> = self.all_events()?.into_iter().map(|stored| stored.event).collect();
        Ok(crate::fold::fold(&events))
    }
}
