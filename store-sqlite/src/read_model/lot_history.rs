//! The `lot_history` table (migration 009): each lot's history in causal order, written by the
//! projector's batches and read a page at a time.

use fieldtrace_core::model::EventId;
use fieldtrace_server_store::{
    CausalKey, HistoryMark, HistoryQuery, LotHistoryDelta, LotHistoryRow, Marks, StorageError, StorageResult,
};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, Transaction};
use std::collections::BTreeMap;

/// Applies a batch's changes; rows no unit and no filing hold any more are dropped.
pub(super) fn write(tx: &Transaction<'_>, coop: &str, deltas: &[LotHistoryDelta]) -> StorageResult<()> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO lot_history (coop_id, lot, wall_ms, logical, seq, marks, units, filed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (coop_id, lot, wall_ms, logical, seq)
         DO UPDATE SET units = units + excluded.units, filed = MAX(filed, excluded.filed)",
    )?;
    let mut drop_empty = tx.prepare_cached(
        "DELETE FROM lot_history WHERE coop_id = ?1 AND lot = ?2 AND wall_ms = ?3 AND logical = ?4 AND seq = ?5
                                   AND units = 0 AND filed = 0",
    )?;
    for delta in deltas {
        let key = delta.key;
        upsert.execute(params![
            coop,
            delta.lot,
            key.wall_ms,
            key.logical,
            key.seq,
            delta.marks.0,
            delta.units,
            delta.filed
        ])?;
        if delta.units < 0 {
            drop_empty.execute(params![coop, delta.lot, key.wall_ms, key.logical, key.seq])?;
        }
    }
    Ok(())
}

/// The `WHERE` terms selecting `mark`'s rows, spelled as the partial indexes are (SQLite uses a
/// partial index only when the query repeats its condition).
fn mark_term(mark: Option<HistoryMark>) -> &'static str {
    match mark {
        None => "",
        Some(HistoryMark::Abnormal) => " AND h.marks & 1",
        Some(HistoryMark::Chart) => " AND h.marks & 2",
        Some(HistoryMark::Farming) => " AND h.marks & 4",
        Some(HistoryMark::Handover) => " AND h.marks & 8",
    }
}

pub(super) fn page(
    conn: &Connection,
    coop: &str,
    lot: &str,
    query: &HistoryQuery,
) -> StorageResult<Vec<LotHistoryRow>> {
    // The rows are chosen in the history's own index first and only those are joined with their
    // events: an OFFSET over the join would read every skipped event (a big lot's newest window
    // skips tens of thousands).
    let mut chosen = format!(
        "SELECT h.wall_ms, h.logical, h.seq, h.units, h.marks FROM lot_history h
         WHERE h.coop_id = ?1 AND h.lot = ?2{}",
        mark_term(query.mark)
    );
    let mut values: Vec<Value> = vec![coop.to_owned().into(), lot.to_owned().into()];
    for (bound, op) in [(query.after, ">"), (query.before, "<")] {
        if let Some(key) = bound {
            let n = values.len();
            chosen.push_str(&format!(" AND (h.wall_ms, h.logical, h.seq) {op} (?{}, ?{}, ?{})", n + 1, n + 2, n + 3));
            values.extend([key.wall_ms.into(), key.logical.into(), key.seq.into()]);
        }
    }
    let order = if query.newest_first { "DESC" } else { "ASC" };
    chosen.push_str(&format!(
        " ORDER BY h.wall_ms {order}, h.logical {order}, h.seq {order} LIMIT {} OFFSET {}",
        query.limit, query.offset
    ));
    let sql = format!(
        "SELECT c.wall_ms, c.logical, c.seq, c.units, c.marks, e.received_at_ms, e.body
         FROM ({chosen}) c JOIN events e ON e.coop_id = ?1 AND e.seq = c.seq
         ORDER BY c.wall_ms, c.logical, c.seq"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |row| {
        Ok(LotHistoryRow {
            key: CausalKey { wall_ms: row.get(0)?, logical: row.get(1)?, seq: row.get(2)? },
            units: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
            marks: Marks(row.get(4)?),
            event: fieldtrace_server_store::StoredEventRow {
                seq: row.get(2)?,
                received_at_ms: row.get(5)?,
                encoded: row.get(6)?,
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn len(conn: &Connection, coop: &str, lot: &str, mark: Option<HistoryMark>) -> StorageResult<u64> {
    let sql = format!("SELECT count(*) FROM lot_history h WHERE h.coop_id = ?1 AND h.lot = ?2{}", mark_term(mark));
    let n: i64 = conn.prepare_cached(&sql)?.query_row(params![coop, lot], |row| row.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Every lot's history of the co-op, for comparing projections with a full fold.
pub(super) fn dump(conn: &Connection, coop: &str) -> StorageResult<BTreeMap<(String, EventId), (u64, bool)>> {
    let mut stmt = conn.prepare(
        "SELECT h.lot, e.id, h.units, h.filed FROM lot_history h
         JOIN events e ON e.coop_id = h.coop_id AND e.seq = h.seq WHERE h.coop_id = ?1",
    )?;
    let mut history = BTreeMap::new();
    let rows = stmt.query_map([coop], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?))
    })?;
    for row in rows {
        let (lot, id, units, filed) = row?;
        let id = EventId::parse(&id).ok_or_else(|| StorageError::Backend(format!("event id {id:?}")))?;
        history.insert((lot, id), (u64::try_from(units).unwrap_or(u64::MAX), filed != 0));
    }
    Ok(history)
}
