//! The persisted read models in SQLite (migration 009): look-ups through the push-time indexes,
//! and one transaction per projector batch. What goes in the rows is the server projector's
//! business; this file only stores and finds them.

mod lot_history;
mod rows;

use crate::SqliteStorage;
use fieldtrace_core::model::{EntityKind, EventId};
use fieldtrace_server_store::{
    HistoryMark, HistoryQuery, LossCount, LotHistoryRow, LotStats, PieceDay, ProjectionBatch, ProjectionDump,
    ProjectionProgress, ReadModelStore, Registers, StorageError, StorageResult, StoredEventRow, UnitLossRow, UnitRow,
};
use rows::{
    loss_count_from_row, loss_from_row, lot_stats_rows, read_registers, unit_from_row, write_batch, LOSS_COLUMNS,
    UNIT_COLUMNS,
};
use rusqlite::{params, Connection, OptionalExtension, Params, Row};
use std::collections::{BTreeMap, BTreeSet};

impl ReadModelStore for SqliteStorage {
    async fn projection_progress(&self, coop: &str) -> StorageResult<ProjectionProgress> {
        let coop = coop.to_owned();
        self.read(move |conn| progress(conn, &coop)).await
    }

    async fn concerning_events(&self, coop: &str, codes: Vec<String>) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let mut codes: BTreeSet<String> = codes.into_iter().collect();
            codes.extend(closure(conn, &coop, &codes, Direction::Up)?);
            let sql = "SELECT seq FROM event_codes WHERE code = ?1 AND coop_id = ?2";
            let seqs = seqs_of(conn, sql, codes.iter().map(|code| (code.as_str(), coop.as_str())))?;
            with_corrections(conn, &coop, seqs)
        })
        .await
    }

    async fn descendants_ever(&self, coop: &str, codes: Vec<String>) -> StorageResult<Vec<String>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let start: BTreeSet<String> = codes.into_iter().collect();
            Ok(closure(conn, &coop, &start, Direction::Down)?.into_iter().collect())
        })
        .await
    }

    async fn containment_component(&self, coop: &str, codes: Vec<String>) -> StorageResult<Vec<String>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let mut component: BTreeSet<String> = codes.into_iter().collect();
            let mut frontier = component.clone();
            while !frontier.is_empty() {
                let mut next = closure(conn, &coop, &frontier, Direction::Up)?;
                next.extend(closure(conn, &coop, &frontier, Direction::Down)?);
                next.retain(|code| !component.contains(code));
                component.extend(next.iter().cloned());
                frontier = next;
            }
            Ok(component.into_iter().collect())
        })
        .await
    }

    async fn events_by_id(&self, coop: &str, ids: Vec<EventId>) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = "SELECT seq FROM events WHERE coop_id = ?1 AND id = ?2";
            let seqs = seqs_of(conn, sql, ids.iter().map(|id| (coop.as_str(), id.to_string())))?;
            bodies(conn, &coop, &seqs)
        })
        .await
    }

    async fn corrections_of(&self, coop: &str, ids: Vec<EventId>) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = "SELECT seq FROM correction_targets WHERE coop_id = ?1 AND target = ?2";
            let seqs = seqs_of(conn, sql, ids.iter().map(|id| (coop.as_str(), id.to_string())))?;
            bodies(conn, &coop, &seqs)
        })
        .await
    }

    async fn recorded_on(&self, coop: &str, pairs: Vec<(String, String)>) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = "SELECT seq FROM recorded_on WHERE coop_id = ?1 AND party = ?2 AND day = ?3";
            let keys = pairs.iter().map(|(party, day)| (coop.as_str(), party.as_str(), day.as_str()));
            with_corrections(conn, &coop, seqs_of(conn, sql, keys)?)
        })
        .await
    }

    async fn piece_days(
        &self,
        coop: &str,
        party: Option<String>,
        from: String,
        to: String,
    ) -> StorageResult<Vec<PieceDay>> {
        let coop = coop.to_owned();
        self.read(move |conn| piece_days_between(conn, &coop, party.as_deref(), &from, &to)).await
    }

    async fn entity_events(
        &self,
        coop: &str,
        entities: Vec<(EntityKind, String)>,
    ) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = "SELECT seq FROM entity_updates WHERE coop_id = ?1 AND kind = ?2 AND entity = ?3";
            let keys = entities.iter().map(|(kind, id)| (coop.as_str(), kind.key(), id.as_str()));
            with_corrections(conn, &coop, seqs_of(conn, sql, keys)?)
        })
        .await
    }

    async fn lot_history(&self, coop: &str, lot: &str, query: HistoryQuery) -> StorageResult<Vec<LotHistoryRow>> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.read(move |conn| lot_history::page(conn, &coop, &lot, &query)).await
    }

    async fn lot_history_len(&self, coop: &str, lot: &str, mark: Option<HistoryMark>) -> StorageResult<u64> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.read(move |conn| lot_history::len(conn, &coop, &lot, mark)).await
    }

    async fn lot_events(&self, coop: &str, lot: &str) -> StorageResult<Vec<StoredEventRow>> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                // Named, as `events_of_kinds` does: the planner would walk the whole log in order.
                "SELECT seq, received_at_ms, body FROM events INDEXED BY events_by_lot
                 WHERE coop_id = ?1 AND lot_id = ?2 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![coop, lot], crate::event_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn unit_rows(&self, coop: &str, codes: Vec<String>) -> StorageResult<Vec<UnitRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE coop_id = ?1 AND code = ?2");
            rows_by_code(conn, &sql, &coop, codes, unit_from_row)
        })
        .await
    }

    async fn apply_projection(&self, coop: &str, batch: ProjectionBatch) -> StorageResult<()> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let at = progress(&tx, &coop)?.checkpoint;
            if at != batch.from_seq {
                return Err(StorageError::ProjectionMoved(coop));
            }
            write_batch(&tx, &coop, &batch)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn reset_projection(&self, coop: &str) -> StorageResult<()> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for table in [
                "units",
                "lot_stats",
                "lot_steps",
                "registers",
                "unit_losses",
                "loss_counts",
                "piece_days",
                "lot_history",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE coop_id = ?1"), [&coop])?;
            }
            tx.execute(
                "INSERT INTO projection_checkpoints (coop_id, seq) VALUES (?1, 0)
                 ON CONFLICT (coop_id) DO UPDATE SET seq = 0",
                [&coop],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn unit_losses(&self, coop: &str, codes: Vec<String>) -> StorageResult<Vec<UnitLossRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {LOSS_COLUMNS} FROM unit_losses WHERE coop_id = ?1 AND code = ?2");
            rows_by_code(conn, &sql, &coop, codes, loss_from_row)
        })
        .await
    }

    async fn loss_counts(&self, coop: &str, from: Option<String>, to: Option<String>) -> StorageResult<Vec<LossCount>> {
        let coop = coop.to_owned();
        self.read(move |conn| loss_counts_between(conn, &coop, from.as_deref(), to.as_deref())).await
    }

    async fn lot_stats(&self, coop: &str) -> StorageResult<Vec<LotStats>> {
        let coop = coop.to_owned();
        self.read(move |conn| lot_stats_rows(conn, &coop)).await
    }

    async fn lot_units(
        &self,
        coop: &str,
        lot: &str,
        after_code: Option<String>,
        limit: usize,
    ) -> StorageResult<Vec<UnitRow>> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.read(move |conn| {
            let sql = format!(
                "SELECT {UNIT_COLUMNS} FROM units WHERE coop_id = ?1 AND lot = ?2 AND code > ?3 ORDER BY code LIMIT ?4"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![coop, lot, after_code.unwrap_or_default(), limit], unit_from_row)?;
            rows.map(|row| row?).collect()
        })
        .await
    }

    async fn registers_of(
        &self,
        coop: &str,
        entities: Vec<(EntityKind, String)>,
    ) -> StorageResult<BTreeMap<(EntityKind, String), Registers>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let mut found = BTreeMap::new();
            for (kind, id) in entities {
                let sql = "SELECT entity, field, value, set_by FROM registers WHERE coop_id = ?1 AND kind = ?2 AND entity = ?3";
                let fields = read_registers(conn, sql, params![coop, kind.key(), id])?;
                found.extend(fields.into_iter().map(|(id, fields)| ((kind, id), fields)));
            }
            Ok(found)
        })
        .await
    }

    async fn registers_of_kind(&self, coop: &str, kind: EntityKind) -> StorageResult<BTreeMap<String, Registers>> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = "SELECT entity, field, value, set_by FROM registers WHERE coop_id = ?1 AND kind = ?2";
            read_registers(conn, sql, params![coop, kind.key()])
        })
        .await
    }

    async fn lots_expiring_by(&self, coop: &str, by: &str) -> StorageResult<Vec<(String, String)>> {
        let (coop, by) = (coop.to_owned(), by.to_owned());
        self.read(move |conn| {
            // Dates as the co-op typed them (`YYYY-MM-DD`) sort as text; anything else in the
            // field sorts elsewhere and is ignored by the caller's date parse.
            let mut stmt = conn.prepare_cached(
                "SELECT entity, value FROM registers
                 WHERE coop_id = ?1 AND field = 'expiry_date' AND kind = 'lot' AND value <= ?2 ORDER BY value",
            )?;
            let rows = stmt.query_map(params![coop, by], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn photo_is_published(&self, coop: &str, sha256: &str) -> StorageResult<bool> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.read(move |conn| {
            let published = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM registers WHERE coop_id = ?1 AND field = 'photo' AND value = ?2
                                                          AND kind IN ('lot', 'party'))
                    AND NOT EXISTS (SELECT 1 FROM event_photos p JOIN events e ON e.coop_id = p.coop_id AND e.id = p.event_id
                                    WHERE p.coop_id = ?1 AND p.sha256 = ?2 AND e.kind != 'update')",
                params![coop, sha256],
                |row| row.get(0),
            )?;
            Ok(published)
        })
        .await
    }

    async fn projection_dump(&self, coop: &str) -> StorageResult<ProjectionDump> {
        let coop = coop.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE coop_id = ?1 ORDER BY code");
            let units =
                conn.prepare(&sql)?.query_map([&coop], unit_from_row)?.map(|row| row?).collect::<Result<_, _>>()?;
            let mut registers = BTreeMap::new();
            for kind in EntityKind::ALL {
                let sql = "SELECT entity, field, value, set_by FROM registers WHERE coop_id = ?1 AND kind = ?2";
                for (id, fields) in read_registers(conn, sql, params![coop, kind.key()])? {
                    registers.insert((kind, id), fields);
                }
            }
            let mut voided: Vec<EventId> = Vec::new();
            let mut stmt = conn.prepare(
                "SELECT DISTINCT c.target FROM correction_targets c
                 JOIN events e ON e.coop_id = c.coop_id AND e.id = c.target WHERE c.coop_id = ?1",
            )?;
            for id in stmt.query_map([&coop], |row| row.get::<_, String>(0))? {
                let id = id?;
                voided.push(EventId::parse(&id).ok_or_else(|| StorageError::Backend(format!("voided id {id:?}")))?);
            }
            voided.sort();
            let sql = format!("SELECT {LOSS_COLUMNS} FROM unit_losses WHERE coop_id = ?1 ORDER BY code");
            let losses =
                conn.prepare(&sql)?.query_map([&coop], loss_from_row)?.map(|row| row?).collect::<Result<_, _>>()?;
            let mut loss_counts = loss_counts_between(conn, &coop, None, None)?;
            loss_counts.sort();
            let pieces = piece_days_between(conn, &coop, None, "", "~")?;
            let lots = lot_stats_rows(conn, &coop)?;
            let lot_history = lot_history::dump(conn, &coop)?;
            Ok(ProjectionDump { units, registers, voided, lots, losses, loss_counts, pieces, lot_history })
        })
        .await
    }
}

fn loss_counts_between(
    conn: &Connection,
    coop: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> StorageResult<Vec<LossCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, lot, dimension, key, units, abnormal FROM loss_counts
         WHERE coop_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day, lot, dimension, key",
    )?;
    // Days are `YYYY-MM-DD`: '' sorts before every day and '~' after.
    let rows = stmt.query_map(params![coop, from.unwrap_or(""), to.unwrap_or("~")], loss_count_from_row)?;
    rows.map(|row| row?).collect()
}

/// The `seq` column `sql` selects for each parameter set of `keys`, as one set.
fn seqs_of<P: Params>(conn: &Connection, sql: &str, keys: impl IntoIterator<Item = P>) -> StorageResult<BTreeSet<i64>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut seqs = BTreeSet::new();
    for key in keys {
        for seq in stmt.query_map(key, |row| row.get::<_, i64>(0))? {
            seqs.insert(seq?);
        }
    }
    Ok(seqs)
}

/// The row `sql` (parameters: co-op, code) selects for each of `codes` that has one.
fn rows_by_code<T>(
    conn: &Connection,
    sql: &str,
    coop: &str,
    codes: Vec<String>,
    from_row: fn(&Row<'_>) -> rusqlite::Result<StorageResult<T>>,
) -> StorageResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = Vec::new();
    for code in codes {
        if let Some(row) = stmt.query_row(params![coop, code], from_row).optional()? {
            rows.push(row?);
        }
    }
    Ok(rows)
}

/// Projected pieces of `party` (or everyone) from `from` to `to`, by party and day.
fn piece_days_between(
    conn: &Connection,
    coop: &str,
    party: Option<&str>,
    from: &str,
    to: &str,
) -> StorageResult<Vec<PieceDay>> {
    let mut stmt = conn.prepare_cached(
        "SELECT party, day, pieces FROM piece_days
         WHERE coop_id = ?1 AND (?2 IS NULL OR party = ?2) AND day >= ?3 AND day <= ?4 ORDER BY party, day",
    )?;
    let rows = stmt.query_map(params![coop, party, from, to], |row| {
        Ok(PieceDay { party: row.get(0)?, day: row.get(1)?, pieces: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0) })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn progress(conn: &Connection, coop: &str) -> StorageResult<ProjectionProgress> {
    let head: i64 = conn
        .query_row("SELECT last_seq FROM coops WHERE id = ?1", [coop], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StorageError::UnknownCoop(coop.to_owned()))?;
    let checkpoint: i64 = conn
        .query_row("SELECT seq FROM projection_checkpoints WHERE coop_id = ?1", [coop], |row| row.get(0))
        .optional()?
        .unwrap_or(0);
    Ok(ProjectionProgress { checkpoint, head })
}

enum Direction {
    /// Containers the codes were ever packed into.
    Up,
    /// Codes ever packed into them.
    Down,
}

/// Every code reachable from `start` over containment edges ever recorded, `start` excluded
/// (unless an edge leads back to it, which packing rules make harmless).
fn closure(
    conn: &Connection,
    coop: &str,
    start: &BTreeSet<String>,
    direction: Direction,
) -> StorageResult<BTreeSet<String>> {
    let sql = match direction {
        Direction::Up => "SELECT parent FROM containment_edges WHERE coop_id = ?1 AND child = ?2",
        Direction::Down => "SELECT child FROM containment_edges WHERE coop_id = ?1 AND parent = ?2",
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut found = BTreeSet::new();
    let mut pending: Vec<String> = start.iter().cloned().collect();
    while let Some(code) = pending.pop() {
        for next in stmt.query_map(params![coop, code], |row| row.get::<_, String>(0))? {
            let next = next?;
            if !start.contains(&next) && found.insert(next.clone()) {
                pending.push(next);
            }
        }
    }
    Ok(found)
}

/// The events numbered `seqs` and every correction of them, in server order: one read of each
/// event row, one index probe for its corrections.
fn with_corrections(conn: &Connection, coop: &str, seqs: BTreeSet<i64>) -> StorageResult<Vec<StoredEventRow>> {
    let mut event =
        conn.prepare_cached("SELECT id, received_at_ms, body FROM events WHERE coop_id = ?1 AND seq = ?2")?;
    let mut corrections =
        conn.prepare_cached("SELECT seq FROM correction_targets WHERE coop_id = ?1 AND target = ?2")?;
    let mut found: BTreeMap<i64, StoredEventRow> = BTreeMap::new();
    let mut extra = BTreeSet::new();
    for seq in seqs {
        let (id, received_at_ms, encoded): (String, i64, Vec<u8>) =
            event.query_row(params![coop, seq], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        for correction in corrections.query_map(params![coop, id], |row| row.get::<_, i64>(0))? {
            extra.insert(correction?);
        }
        found.insert(seq, StoredEventRow { seq, received_at_ms, encoded });
    }
    extra.retain(|seq| !found.contains_key(seq));
    found.extend(bodies(conn, coop, &extra)?.into_iter().map(|row| (row.seq, row)));
    Ok(found.into_values().collect())
}

fn bodies(conn: &Connection, coop: &str, seqs: &BTreeSet<i64>) -> StorageResult<Vec<StoredEventRow>> {
    let mut stmt = conn.prepare_cached("SELECT received_at_ms, body FROM events WHERE coop_id = ?1 AND seq = ?2")?;
    seqs.iter()
        .map(|seq| {
            let (received_at_ms, encoded) = stmt.query_row(params![coop, seq], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(StoredEventRow { seq: *seq, received_at_ms, encoded })
        })
        .collect()
}
