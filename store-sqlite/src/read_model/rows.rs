//! Rows of the projection tables to and from the fold's types.

use fieldtrace_core::fold::{FieldState, UnitState};
use fieldtrace_core::model::{BizStep, Disposition, EventId, LotId};
use fieldtrace_server_store::{
    LossCount, LossDimension, LotStats, ProjectionBatch, Registers, StorageError, StorageResult, UnitLossRow, UnitRow,
};
use rusqlite::{params, Connection, Params, Row, Transaction};
use std::collections::BTreeMap;

pub(super) const UNIT_COLUMNS: &str =
    "code, lot, last_step, last_status, last_reason, events, via_container, abnormal_reports, last_event, parent";

fn corrupt(what: &str, value: &str) -> StorageError {
    StorageError::Backend(format!("projected {what} {value:?} is not readable"))
}

/// One `units` row (selected as [`UNIT_COLUMNS`]); the outer error is SQLite's, the inner one a
/// value this version cannot read.
pub(super) fn unit_from_row(row: &Row<'_>) -> rusqlite::Result<StorageResult<UnitRow>> {
    let code: String = row.get(0)?;
    let lot: Option<String> = row.get(1)?;
    let step: Option<String> = row.get(2)?;
    let status: Option<String> = row.get(3)?;
    let reason: Option<String> = row.get(4)?;
    let counts: (i64, i64, i64) = (row.get(5)?, row.get(6)?, row.get(7)?);
    let last_event: Option<String> = row.get(8)?;
    let parent: Option<String> = row.get(9)?;
    Ok((|| {
        let last_step = step.map(|s| BizStep::from_key(&s).ok_or_else(|| corrupt("step", &s))).transpose()?;
        let last_disposition = status
            .map(|s| Disposition::from_keys(&s, reason.as_deref()).ok_or_else(|| corrupt("disposition", &s)))
            .transpose()?;
        let last_event =
            last_event.map(|id| EventId::parse(&id).ok_or_else(|| corrupt("event id", &id))).transpose()?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let state = UnitState {
            last_step,
            last_disposition,
            lot: lot.map(LotId),
            events: count(counts.0),
            via_container: count(counts.1),
            abnormal_reports: count(counts.2),
            last_event,
        };
        Ok(UnitRow { code, state, parent })
    })())
}

/// Writes a projector batch and its checkpoint (the caller holds the transaction).
pub(super) fn write_batch(tx: &Transaction<'_>, coop: &str, batch: &ProjectionBatch) -> StorageResult<()> {
    let mut upsert = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO units (coop_id, {UNIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?;
    let mut delete = tx.prepare_cached("DELETE FROM units WHERE coop_id = ?1 AND code = ?2")?;
    for (code, row) in &batch.units {
        let Some(row) = row else {
            delete.execute(params![coop, code])?;
            continue;
        };
        let unit = &row.state;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        upsert.execute(params![
            coop,
            code,
            unit.lot.as_ref().map(|lot| lot.as_str()),
            unit.last_step.map(BizStep::key),
            unit.last_disposition.map(Disposition::status_key),
            unit.last_disposition.and_then(Disposition::reason).map(|r| r.key()),
            count(unit.events),
            count(unit.via_container),
            count(unit.abnormal_reports),
            unit.last_event.map(|id| id.to_string()),
            row.parent,
        ])?;
    }
    let mut clear = tx.prepare_cached("DELETE FROM registers WHERE coop_id = ?1 AND kind = ?2 AND entity = ?3")?;
    let mut set = tx.prepare_cached(
        "INSERT INTO registers (coop_id, kind, entity, field, value, set_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for ((kind, id), fields) in &batch.registers {
        clear.execute(params![coop, kind.key(), id])?;
        for (field, state) in fields {
            set.execute(params![coop, kind.key(), id, field, state.value, state.set_by.to_string()])?;
        }
    }
    let mut lot = tx.prepare_cached(
        "INSERT INTO lot_stats (coop_id, lot, units, abnormal_units) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (coop_id, lot) DO UPDATE SET units = units + excluded.units,
                                                  abnormal_units = abnormal_units + excluded.abnormal_units",
    )?;
    let mut step = tx.prepare_cached(
        "INSERT INTO lot_steps (coop_id, lot, step, units) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (coop_id, lot, step) DO UPDATE SET units = units + excluded.units",
    )?;
    // Counters that fell to zero are rows the full fold would not have: dropped where they changed.
    let mut lot_empty = tx.prepare_cached("DELETE FROM lot_stats WHERE coop_id = ?1 AND lot = ?2 AND units = 0")?;
    let mut step_empty =
        tx.prepare_cached("DELETE FROM lot_steps WHERE coop_id = ?1 AND lot = ?2 AND step = ?3 AND units = 0")?;
    for delta in &batch.lots {
        lot.execute(params![coop, delta.lot, delta.units, delta.abnormal_units])?;
        lot_empty.execute(params![coop, delta.lot])?;
        for (s, n) in &delta.steps {
            step.execute(params![coop, delta.lot, s.key(), n])?;
            step_empty.execute(params![coop, delta.lot, s.key()])?;
        }
    }
    write_losses(tx, coop, batch)?;
    let mut set_pieces =
        tx.prepare_cached("INSERT OR REPLACE INTO piece_days (coop_id, party, day, pieces) VALUES (?1, ?2, ?3, ?4)")?;
    let mut clear_pieces =
        tx.prepare_cached("DELETE FROM piece_days WHERE coop_id = ?1 AND party = ?2 AND day = ?3")?;
    super::lot_history::write(tx, coop, &batch.lot_history)?;
    for piece in &batch.pieces {
        if piece.pieces == 0 {
            clear_pieces.execute(params![coop, piece.party, piece.day])?;
        } else {
            set_pieces.execute(params![
                coop,
                piece.party,
                piece.day,
                i64::try_from(piece.pieces).unwrap_or(i64::MAX)
            ])?;
        }
    }
    tx.execute(
        "INSERT INTO projection_checkpoints (coop_id, seq) VALUES (?1, ?2)
         ON CONFLICT (coop_id) DO UPDATE SET seq = excluded.seq",
        params![coop, batch.through_seq],
    )?;
    Ok(())
}

pub(super) fn lot_stats_rows(conn: &Connection, coop: &str) -> StorageResult<Vec<LotStats>> {
    let mut lots: BTreeMap<String, LotStats> = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT lot, units, abnormal_units FROM lot_stats WHERE coop_id = ?1")?;
    for row in
        stmt.query_map([coop], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))?
    {
        let (lot, units, abnormal) = row?;
        let stats = LotStats {
            lot: lot.clone(),
            units: u64::try_from(units).unwrap_or(0),
            abnormal_units: u64::try_from(abnormal).unwrap_or(0),
            steps: BTreeMap::new(),
        };
        lots.insert(lot, stats);
    }
    let mut stmt = conn.prepare_cached("SELECT lot, step, units FROM lot_steps WHERE coop_id = ?1")?;
    for row in
        stmt.query_map([coop], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))?
    {
        let (lot, step, units) = row?;
        let step = BizStep::from_key(&step).ok_or_else(|| corrupt("step", &step))?;
        lots.entry(lot.clone())
            .or_insert_with(|| LotStats { lot, ..LotStats::default() })
            .steps
            .insert(step, u64::try_from(units).unwrap_or(0));
    }
    Ok(lots.into_values().collect())
}

/// Registers selected as `entity, field, value, set_by`, grouped by entity.
pub(super) fn read_registers(
    conn: &Connection,
    sql: &str,
    args: impl Params,
) -> StorageResult<BTreeMap<String, Registers>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    let mut found: BTreeMap<String, Registers> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let (entity, field, value, set_by): (String, String, Option<String>, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let set_by = EventId::parse(&set_by).ok_or_else(|| corrupt("register writer", &set_by))?;
        found.entry(entity).or_default().insert(field, FieldState { value, set_by });
    }
    Ok(found)
}

pub(super) const LOSS_COLUMNS: &str = "code, lot, first_day, stages, drivers";

fn json_map(map: &BTreeMap<String, bool>) -> StorageResult<String> {
    serde_json::to_string(map).map_err(|e| StorageError::Backend(format!("encoding a loss history: {e}")))
}

/// One `unit_losses` row (selected as [`LOSS_COLUMNS`]).
pub(super) fn loss_from_row(row: &Row<'_>) -> rusqlite::Result<StorageResult<UnitLossRow>> {
    let (code, lot, first_day): (String, Option<String>, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let (stages, drivers): (String, String) = (row.get(3)?, row.get(4)?);
    let map =
        |text: &str| serde_json::from_str::<BTreeMap<String, bool>>(text).map_err(|_| corrupt("loss history", text));
    Ok((|| Ok(UnitLossRow { code, lot, first_day, stages: map(&stages)?, drivers: map(&drivers)? }))())
}

/// One `loss_counts` row (selected as `day, lot, dimension, key, units, abnormal`).
pub(super) fn loss_count_from_row(row: &Row<'_>) -> rusqlite::Result<StorageResult<LossCount>> {
    let dimension: String = row.get(2)?;
    let count = LossCount {
        day: row.get(0)?,
        lot: row.get(1)?,
        dimension: LossDimension::Overall,
        key: row.get(3)?,
        units: row.get(4)?,
        abnormal: row.get(5)?,
    };
    Ok(LossDimension::from_key(&dimension)
        .map(|dimension| LossCount { dimension, ..count })
        .ok_or_else(|| corrupt("loss dimension", &dimension)))
}

fn write_losses(tx: &Transaction<'_>, coop: &str, batch: &ProjectionBatch) -> StorageResult<()> {
    let mut upsert = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO unit_losses (coop_id, {LOSS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))?;
    let mut delete = tx.prepare_cached("DELETE FROM unit_losses WHERE coop_id = ?1 AND code = ?2")?;
    for (code, row) in &batch.losses {
        match row {
            Some(row) => {
                upsert.execute(params![
                    coop,
                    code,
                    row.lot,
                    row.first_day,
                    json_map(&row.stages)?,
                    json_map(&row.drivers)?
                ])?;
            }
            None => {
                delete.execute(params![coop, code])?;
            }
        }
    }
    let mut add = tx.prepare_cached(
        "INSERT INTO loss_counts (coop_id, day, lot, dimension, key, units, abnormal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (coop_id, day, lot, dimension, key)
         DO UPDATE SET units = units + excluded.units, abnormal = abnormal + excluded.abnormal",
    )?;
    let mut drop_empty = tx.prepare_cached(
        "DELETE FROM loss_counts WHERE coop_id = ?1 AND day = ?2 AND lot = ?3 AND dimension = ?4 AND key = ?5
                                   AND units = 0",
    )?;
    for count in &batch.loss_counts {
        let key = params![coop, count.day, count.lot, count.dimension.key(), count.key];
        add.execute(params![
            coop,
            count.day,
            count.lot,
            count.dimension.key(),
            count.key,
            count.units,
            count.abnormal
        ])?;
        drop_empty.execute(key)?;
    }
    Ok(())
}
