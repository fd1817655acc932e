//! Helpers for FieldTrace's cross-crate scenarios: opening devices the way the apps do, and an
//! independent consistency check that reads the database with plain SQL rather than trusting the
//! store's own API.

pub mod scale;
pub mod sync_harness;

use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, Event, PartyId, Role};
use fieldtrace_core::{Session, Store};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// A farmer's session on the database at `path`, with the real system clock.
pub fn farmer_session(path: &Path, party: &str) -> fieldtrace_core::Result<Session> {
    let store = Store::open(path)?;
    let user = Actor { party: PartyId::new(party), role: Role::Farmer };
    Ok(Session::new(Arc::new(store), user, Arc::new(SystemClock)))
}

/// What [`check_consistency`] found.
#[derive(Debug, Default)]
pub struct Consistency {
    /// Ids of every stored event.
    pub ids: HashSet<String>,
    pub outbox: usize,
    pub problems: Vec<String>,
}

/// Reads the database at `path` directly and lists every broken invariant: SQLite's integrity
/// check, every stored body decodes and matches its columns, every code is indexed, every local
/// event has exactly its outbox row (no acknowledgements happen in these tests), and the persisted
/// clock is not behind any event.
pub fn check_consistency(path: &Path) -> rusqlite::Result<Consistency> {
    let conn = Connection::open(path)?;
    let mut report = Consistency::default();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        report.problems.push(format!("integrity_check: {integrity}"));
    }
    // A kill during the very first open can land before the migration transaction commits: the
    // file then holds no tables at all, which is a consistent (empty) store, not a broken one.
    let migrated: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if migrated == 0 {
        let tables: i64 =
            conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
        if tables > 0 {
            report.problems.push(format!("user_version 0 but {tables} tables: a migration half-applied"));
        }
        return Ok(report);
    }
    let outbox: HashSet<i64> =
        conn.prepare("SELECT event_seq FROM outbox")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    report.outbox = outbox.len();
    let indexed: HashMap<i64, i64> = conn
        .prepare("SELECT event_seq, COUNT(*) FROM event_codes GROUP BY event_seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare("SELECT seq, id, kind, hlc_wall, hlc_logical, origin, body FROM events")?;
    let mut rows = stmt.query([])?;
    let mut max_hlc = (0i64, 0i64);
    while let Some(row) = rows.next()? {
        let (seq, id, kind): (i64, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        report.ids.insert(id.clone());
        let hlc: (i64, i64) = (row.get(3)?, row.get(4)?);
        let (origin, body): (String, String) = (row.get(5)?, row.get(6)?);
        max_hlc = max_hlc.max(hlc);
        let event: Event = match serde_json::from_str(&body) {
            Ok(event) => event,
            Err(err) => {
                report.problems.push(format!("event {id}: body does not decode: {err}"));
                continue;
            }
        };
        if event.id.to_string() != id || event.kind.key() != kind || event.hlc.wall_ms as i64 != hlc.0 {
            report.problems.push(format!("event {id}: columns disagree with body"));
        }
        let indexed = indexed.get(&seq).copied().unwrap_or(0);
        if indexed as usize != event.codes.len() {
            report.problems.push(format!("event {id}: {indexed} codes indexed, {} in body", event.codes.len()));
        }
        if (origin == "local") != outbox.contains(&seq) {
            report.problems.push(format!("event {id} ({origin}): outbox row presence is wrong"));
        }
    }
    let clock: Option<String> = conn.query_row("SELECT value FROM settings WHERE key = 'hlc'", [], |r| r.get(0)).ok();
    let persisted = clock
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .and_then(|(w, l)| Some((w.parse::<i64>().ok()?, l.parse::<i64>().ok()?)));
    if !report.ids.is_empty() && persisted.is_none_or(|p| p < max_hlc) {
        report.problems.push(format!("persisted clock {clock:?} is behind the newest event {max_hlc:?}"));
    }
    Ok(report)
}
