//! Devices as the dashboard lists them, and each one's last sync and outbox size (migration 006).

use fieldtrace_core::model::{DeviceId, PartyId, Role};
use fieldtrace_server_store::{DeviceListing, StorageError, StorageResult};
use rusqlite::{params, Connection};

pub fn record_sync(conn: &Connection, device: DeviceId, now_ms: i64, pending: Option<u64>) -> StorageResult<()> {
    // An older app sends no count: keep the time, and forget a count it may have sent before
    // rather than show a stale one.
    let pending = pending.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    conn.execute(
        "UPDATE devices SET last_sync_ms = ?2, pending_count = ?3 WHERE id = ?1",
        params![device.to_string(), now_ms, pending],
    )?;
    Ok(())
}

pub fn list(conn: &Connection, coop: &str) -> StorageResult<Vec<DeviceListing>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, party_id, role, enrolled_at_ms, last_sync_ms, pending_count, revoked_at_ms
         FROM devices WHERE coop_id = ?1 ORDER BY enrolled_at_ms DESC, id",
    )?;
    let rows = stmt.query_map([coop], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, Option<i64>>(4)?,
            row.get::<_, Option<i64>>(5)?,
            row.get::<_, Option<i64>>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (id, party, role, enrolled_at_ms, last_sync_ms, pending, revoked_at_ms) = row?;
        Ok(DeviceListing {
            id: DeviceId::parse(&id).ok_or_else(|| StorageError::Backend(format!("stored device id {id:?}")))?,
            party: PartyId(party),
            role: Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?,
            enrolled_at_ms,
            last_sync_ms,
            pending: pending.and_then(|n| u64::try_from(n).ok()),
            revoked_at_ms,
        })
    })
    .collect()
}
