//! Device settings: a small key/value table for identity, the persisted clock and the sync cursor.

use crate::clock::HlcTimestamp;
use crate::error::{Error, Result};
use crate::model::DeviceId;
use rusqlite::{Connection, OptionalExtension};

const DEVICE_ID: &str = "device_id";
const CLOCK: &str = "hlc";
pub(crate) const SYNC_CURSOR: &str = "sync_cursor";

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    let value = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    Ok(value)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

pub(crate) fn remove(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?.execute([key])?;
    Ok(())
}

pub(crate) fn device_id_or_create(conn: &Connection) -> Result<DeviceId> {
    match get(conn, DEVICE_ID)? {
        Some(text) => DeviceId::parse(&text).ok_or_else(|| Error::Corrupt(format!("device id {text:?} is not a UUID"))),
        None => {
            let id = DeviceId::new();
            set(conn, DEVICE_ID, &id.to_string())?;
            Ok(id)
        }
    }
}

/// The persisted clock, stored as `wall_ms:logical`.
pub(crate) fn clock(conn: &Connection) -> Result<HlcTimestamp> {
    let Some(text) = get(conn, CLOCK)? else {
        return Ok(HlcTimestamp::ZERO);
    };
    let parsed = text
        .split_once(':')
        .and_then(|(wall, logical)| Some(HlcTimestamp { wall_ms: wall.parse().ok()?, logical: logical.parse().ok()? }));
    parsed.ok_or_else(|| Error::Corrupt(format!("stored clock {text:?} is malformed")))
}

pub(crate) fn set_clock(conn: &Connection, at: HlcTimestamp) -> Result<()> {
    set(conn, CLOCK, &format!("{}:{}", at.wall_ms, at.logical))
}
