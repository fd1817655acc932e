//! Containment materialized on the phone: which container each unit is in now, and which events
//! on containers concern each unit inside them (see `docs/aggregation.md`).
//!
//! Both follow the fold's rules (`fold::Containment`) in causal order. Most events arrive in
//! that order — the phone's own, and pulls of a quiet co-op — and are applied incrementally.
//! One that would rewrite the past (a pack sorting before events already applied, a voided pack,
//! a container event sorting before a pack) marks the tables stale; the transaction then
//! rebuilds them once, before it commits (`settle`), so readers never see them stale.

use super::events::decode_body;
use super::{settings, Store};
use crate::error::Result;
use crate::fold::Containment;
use crate::model::{AggregationAction, Event, EventId, EventKind};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

const STALE: &str = "containment_dirty";
/// Deeper nesting than any real pallet → box → bag → item: stops a damaged table from looping.
const MAX_DEPTH: i64 = 64;

/// The causal stamp of `event` as SQL parameters `(hlc_wall, hlc_logical, device_id, event_id)`.
fn stamp(event: &Event) -> (i64, u32, String, String) {
    let wall = i64::try_from(event.hlc.wall_ms).unwrap_or(i64::MAX);
    (wall, event.hlc.logical, event.recorder.device.to_string(), event.id.to_string())
}

/// Keeps containment in step with a newly inserted event (`seq` is its row).
pub(super) fn on_insert(conn: &Connection, event: &Event, seq: i64) -> Result<()> {
    let (wall, logical, device, id) = stamp(event);
    match &event.kind {
        EventKind::Aggregation { parent, action } => {
            conn.prepare_cached(
                "INSERT INTO aggregations (event_seq, parent, hlc_wall, hlc_logical, device_id, event_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![seq, parent, wall, logical, device, id])?;
            if is_voided(conn, event.id)? || is_stale(conn)? {
                return Ok(());
            }
            if later_aggregation_exists(conn, event)? {
                return mark_stale(conn);
            }
            // Events after this one on the containers the units leave or enter reached (or must
            // reach) them through containment that this event changes: then rebuild.
            let mut watched: BTreeSet<String> = ancestors(conn, parent)?.into_iter().collect();
            watched.insert(parent.clone());
            for code in &event.codes {
                watched.extend(ancestors(conn, code)?);
            }
            apply(conn, parent, *action, &event.codes)?;
            if later_event_names_any(conn, event, &watched)? {
                mark_stale(conn)?;
            }
        }
        EventKind::Correction { voids } => {
            let voids_a_pack = conn
                .prepare_cached("SELECT 1 FROM aggregations WHERE event_id = ?1")?
                .query_row([voids.to_string()], |_| Ok(()))
                .optional()?;
            if voids_a_pack.is_some() {
                mark_stale(conn)?;
            }
        }
        kind if kind.applies_to_contents() => {
            if is_stale(conn)? || !names_a_container(conn, &event.codes)? {
                return Ok(());
            }
            if later_aggregation_exists(conn, event)? {
                return mark_stale(conn);
            }
            for code in &event.codes {
                for inside in descendants(conn, code)? {
                    inherit(conn, event, seq, &inside, code)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rebuilds the tables if an event of this transaction marked them stale. Called before every
/// commit that inserts events, and when the store opens (after migration 003).
pub(super) fn settle(conn: &Connection) -> Result<()> {
    if is_stale(conn)? {
        rebuild(conn)?;
        settings::remove(conn, STALE)?;
    }
    Ok(())
}

fn is_stale(conn: &Connection) -> Result<bool> {
    Ok(settings::get(conn, STALE)?.is_some())
}

fn mark_stale(conn: &Connection) -> Result<()> {
    settings::set(conn, STALE, "1")
}

fn is_voided(conn: &Connection, id: EventId) -> Result<bool> {
    let found = conn
        .prepare_cached("SELECT 1 FROM events WHERE voids = ?1 LIMIT 1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

fn later_aggregation_exists(conn: &Connection, event: &Event) -> Result<bool> {
    let (wall, logical, device, id) = stamp(event);
    let found = conn
        .prepare_cached(
            "SELECT 1 FROM aggregations
             WHERE (hlc_wall, hlc_logical, device_id, event_id) > (?1, ?2, ?3, ?4) LIMIT 1",
        )?
        .query_row(params![wall, logical, device, id], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

fn later_event_names_any(conn: &Connection, event: &Event, codes: &BTreeSet<String>) -> Result<bool> {
    let (wall, logical, device, id) = stamp(event);
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM event_codes ec JOIN events e ON e.seq = ec.event_seq
         WHERE ec.code = ?5 AND (e.hlc_wall, e.hlc_logical, e.device_id, e.id) > (?1, ?2, ?3, ?4) LIMIT 1",
    )?;
    for code in codes {
        if stmt.query_row(params![wall, logical, device, id, code], |_| Ok(())).optional()?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether any of `codes` was ever a container: only then can an event on it concern contents.
fn names_a_container(conn: &Connection, codes: &[String]) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM aggregations WHERE parent = ?1 LIMIT 1")?;
    for code in codes {
        if stmt.query_row([code], |_| Ok(())).optional()?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The fold's rules (`fold::Containment::apply`), spelled against the table.
fn apply(conn: &Connection, parent: &str, action: AggregationAction, codes: &[String]) -> Result<()> {
    match action {
        AggregationAction::Pack => {
            let above_parent = ancestors(conn, parent)?;
            let mut put = conn.prepare_cached(
                "INSERT INTO containment (child, parent) VALUES (?1, ?2)
                 ON CONFLICT (child) DO UPDATE SET parent = excluded.parent",
            )?;
            for code in codes.iter().filter(|code| *code != parent && !above_parent.contains(code)) {
                put.execute([code, parent])?;
            }
        }
        AggregationAction::Unpack => {
            let mut take = conn.prepare_cached("DELETE FROM containment WHERE child = ?1 AND parent = ?2")?;
            for code in codes {
                take.execute([code, parent])?;
            }
        }
    }
    Ok(())
}

/// Records that `event` (on `via`) concerns `code` inside it, unless the event names `code`.
fn inherit(conn: &Connection, event: &Event, seq: i64, code: &str, via: &str) -> Result<()> {
    if event.codes.iter().any(|named| named == code) {
        return Ok(());
    }
    conn.prepare_cached("INSERT OR IGNORE INTO inherited_codes (code, event_seq, via) VALUES (?1, ?2, ?3)")?
        .execute(params![code, seq, via])?;
    Ok(())
}

/// Replays every pack/unpack that counts and every event on a container, in causal order.
fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM containment; DELETE FROM inherited_codes;")?;
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.body, EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id)
         FROM events e
         WHERE e.seq IN (SELECT event_seq FROM aggregations)
            OR e.seq IN (SELECT ec.event_seq FROM event_codes ec WHERE ec.code IN (SELECT parent FROM aggregations))
         ORDER BY e.hlc_wall, e.hlc_logical, e.device_id, e.id",
    )?;
    let rows = stmt
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, bool>(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut model = Containment::default();
    for (seq, body, voided) in rows {
        let event = decode_body(&body)?;
        match &event.kind {
            EventKind::Aggregation { parent, action } if !voided => model.apply(parent, *action, &event.codes),
            kind if kind.applies_to_contents() => {
                for code in &event.codes {
                    for inside in model.descendants(code) {
                        inherit(conn, &event, seq, &inside, code)?;
                    }
                }
            }
            _ => {}
        }
    }
    let mut put = conn.prepare_cached("INSERT INTO containment (child, parent) VALUES (?1, ?2)")?;
    for (child, parent) in model.pairs() {
        put.execute([child, parent])?;
    }
    Ok(())
}

/// The containers `code` is in, nearest first.
fn ancestors(conn: &Connection, code: &str) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached(
            "WITH RECURSIVE up(code, depth) AS (
                SELECT parent, 1 FROM containment WHERE child = ?1
                UNION SELECT c.parent, up.depth + 1 FROM containment c JOIN up ON c.child = up.code
                WHERE up.depth < ?2)
             SELECT code FROM up ORDER BY depth",
        )?
        .query_map(params![code, MAX_DEPTH], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// Everything inside `container` at every depth, sorted.
fn descendants(conn: &Connection, container: &str) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached(
            "WITH RECURSIVE down(code, depth) AS (
                SELECT child, 1 FROM containment WHERE parent = ?1
                UNION SELECT c.child, down.depth + 1 FROM containment c JOIN down ON c.parent = down.code
                WHERE down.depth < ?2)
             SELECT DISTINCT code FROM down ORDER BY code",
        )?
        .query_map(params![container, MAX_DEPTH], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

impl Store {
    /// The container `code` is directly inside now, if any.
    pub fn container_of(&self, code: &str) -> Result<Option<String>> {
        self.read(|conn| {
            let parent = conn
                .prepare_cached("SELECT parent FROM containment WHERE child = ?1")?
                .query_row([code], |row| row.get(0))
                .optional()?;
            Ok(parent)
        })
    }

    /// The containers `code` is in now, nearest first (box, then pallet).
    pub fn containers_of(&self, code: &str) -> Result<Vec<String>> {
        self.read(|conn| ancestors(conn, code))
    }

    /// What is directly inside `container` now, sorted.
    pub fn contents(&self, container: &str) -> Result<Vec<String>> {
        self.read(|conn| {
            let rows = conn
                .prepare_cached("SELECT child FROM containment WHERE parent = ?1 ORDER BY child")?
                .query_map([container], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(rows)
        })
    }

    /// Everything inside `container` now at every depth (a pallet's boxes and their items), sorted.
    pub fn contents_deep(&self, container: &str) -> Result<Vec<String>> {
        self.read(|conn| descendants(conn, container))
    }

    /// Every `(unit, container)` pair, ordered by unit: the fold's `containers`.
    pub fn containment(&self) -> Result<Vec<(String, String)>> {
        self.read(|conn| {
            let rows = conn
                .prepare_cached("SELECT child, parent FROM containment ORDER BY child")?
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
