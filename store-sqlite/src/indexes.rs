//! The look-up indexes written with every stored event (migrations 002 and 009): the codes it
//! names (and the container it packs into), containment edges, correction targets, updated
//! entities and who recorded it on which piece day. All are insert-only functions of the event, so writing one twice changes nothing;
//! that lets [`backfill`] index a database stored before they existed.

use fieldtrace_core::model::{Event, EventKind};
use fieldtrace_server_store::StorageResult;
use rusqlite::{params, Connection, Transaction, TransactionBehavior};

/// Files `event` (stored as `seq` of `coop`) in every look-up index, inside the push transaction.
pub(crate) fn index_event(tx: &Transaction<'_>, coop: &str, seq: i64, event: &Event) -> rusqlite::Result<()> {
    let mut code = tx.prepare_cached("INSERT OR IGNORE INTO event_codes (code, coop_id, seq) VALUES (?1, ?2, ?3)")?;
    for named in indexed_codes(event) {
        code.execute(params![named, coop, seq])?;
    }
    if let Some(day) = fieldtrace_core::pieces::piece_day(event) {
        tx.prepare_cached("INSERT OR IGNORE INTO recorded_on (coop_id, party, day, seq) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![coop, event.recorder.party.as_str(), day.format("%Y-%m-%d").to_string(), seq])?;
    }
    match &event.kind {
        EventKind::Aggregation { parent, .. } => {
            // Unpacks too: the core's `concerning` follows every aggregation's container, and
            // the look-up must find the same events it does.
            let mut edge = tx.prepare_cached(
                "INSERT OR IGNORE INTO containment_edges (coop_id, child, parent) VALUES (?1, ?2, ?3)",
            )?;
            for child in &event.codes {
                edge.execute(params![coop, child, parent])?;
            }
        }
        EventKind::Correction { voids } => {
            tx.prepare_cached("INSERT OR IGNORE INTO correction_targets (coop_id, target, seq) VALUES (?1, ?2, ?3)")?
                .execute(params![coop, voids.to_string(), seq])?;
        }
        EventKind::Update(update) => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO entity_updates (coop_id, kind, entity, seq) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![coop, update.entity.key(), update.id, seq])?;
        }
        _ => {}
    }
    Ok(())
}

/// The codes an event is filed under for look-ups: its own, and a container it packs into.
pub(crate) fn indexed_codes(event: &Event) -> impl Iterator<Item = &str> {
    let parent = match &event.kind {
        EventKind::Aggregation { parent, .. } => Some(parent.as_str()),
        _ => None,
    };
    event.codes.iter().map(String::as_str).chain(parent)
}

/// Indexes events stored before the look-up indexes existed. Runs when events exist but no
/// co-op has a projection checkpoint (a database from before migration 009), in one
/// transaction; afterwards every co-op has checkpoint 0 and the projector catches up.
pub(crate) fn backfill(conn: &mut Connection) -> StorageResult<()> {
    let needed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM projection_checkpoints)",
        [],
        |row| row.get(0),
    )?;
    if !needed {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut rows = tx.prepare("SELECT coop_id, seq, body FROM events")?;
        let mut cursor = rows.query([])?;
        while let Some(row) = cursor.next()? {
            let (coop, seq, body): (String, i64, Vec<u8>) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let events = crate::decode_stored([body.as_slice()])?;
            for event in &events {
                index_event(&tx, &coop, seq, event)?;
            }
        }
    }
    tx.execute("INSERT OR IGNORE INTO projection_checkpoints (coop_id, seq) SELECT id, 0 FROM coops", [])?;
    tx.commit()?;
    Ok(())
}
