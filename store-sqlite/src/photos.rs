//! Photo metadata in SQLite: upload progress per co-op and photo, and which events name a photo.

use crate::SqliteStorage;
use fieldtrace_core::model::{DeviceId, Event};
use fieldtrace_server_store::PhotoStore;
use fieldtrace_server_store::{PhotoRecord, StorageError, StorageResult};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// Where a server on the database file `db` keeps its photos by default: `<db>-photos` beside
/// it (backup and restore carry that folder with the database).
pub(crate) fn photo_dir_beside(db: &Path) -> Option<PathBuf> {
    let mut name = db.file_name()?.to_os_string();
    name.push("-photos");
    Some(db.with_file_name(name))
}

/// Remembers the photos a newly accepted event names (inside the push transaction).
pub(super) fn link_event(conn: &Connection, coop: &str, event: &Event) -> StorageResult<()> {
    if event.photos.is_empty() {
        return Ok(());
    }
    let mut stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO event_photos (coop_id, sha256, event_id) VALUES (?1, ?2, ?3)")?;
    for photo in &event.photos {
        stmt.execute(params![coop, photo.0, event.id.to_string()])?;
    }
    Ok(())
}

pub(super) fn record(conn: &Connection, coop: &str, sha256: &str) -> StorageResult<Option<PhotoRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT size, received, uploader_device, started_at_ms, completed_at_ms FROM photos
             WHERE coop_id = ?1 AND sha256 = ?2",
        )?
        .query_row(params![coop, sha256], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })
        .optional()?;
    row.map(|(size, received, uploader, started_at_ms, completed_at_ms)| {
        let uploader = DeviceId::parse(&uploader)
            .ok_or_else(|| StorageError::Backend(format!("stored uploader {uploader:?} is not a device id")))?;
        Ok(PhotoRecord {
            sha256: sha256.to_owned(),
            size: size.unsigned_abs(),
            received: received.unsigned_abs(),
            uploader,
            started_at_ms,
            completed_at_ms,
        })
    })
    .transpose()
}

pub(super) fn referenced(conn: &Connection, coop: &str, sha256: &str) -> StorageResult<bool> {
    let found = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM event_photos WHERE coop_id = ?1 AND sha256 = ?2)")?
        .query_row(params![coop, sha256], |row| row.get(0))?;
    Ok(found)
}

/// Starts or advances an upload. A new size (the upload restarted from 0 with another declared
/// size) replaces the old one.
pub(super) fn progress(
    conn: &Connection,
    coop: &str,
    sha256: &str,
    size: u64,
    received: u64,
    device: DeviceId,
    now_ms: i64,
) -> StorageResult<()> {
    let (size, received) = (i64::try_from(size).unwrap_or(i64::MAX), i64::try_from(received).unwrap_or(i64::MAX));
    conn.prepare_cached(
        "INSERT INTO photos (coop_id, sha256, size, received, uploader_device, started_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (coop_id, sha256) DO UPDATE SET size = excluded.size, received = excluded.received
         WHERE completed_at_ms IS NULL",
    )?
    .execute(params![coop, sha256, size, received, device.to_string(), now_ms])?;
    Ok(())
}

pub(super) fn complete(conn: &Connection, coop: &str, sha256: &str, now_ms: i64) -> StorageResult<()> {
    conn.prepare_cached(
        "UPDATE photos SET received = size, completed_at_ms = ?3
         WHERE coop_id = ?1 AND sha256 = ?2 AND completed_at_ms IS NULL",
    )?
    .execute(params![coop, sha256, now_ms])?;
    Ok(())
}

/// The partial upload was discarded (its hash did not match): start again from 0.
pub(super) fn reset(conn: &Connection, coop: &str, sha256: &str) -> StorageResult<()> {
    conn.prepare_cached("DELETE FROM photos WHERE coop_id = ?1 AND sha256 = ?2 AND completed_at_ms IS NULL")?
        .execute(params![coop, sha256])?;
    Ok(())
}

impl PhotoStore for SqliteStorage {
    fn default_photo_dir(&self) -> Option<PathBuf> {
        photo_dir_beside(self.path.as_ref()?)
    }

    async fn photo(&self, coop: &str, sha256: &str) -> StorageResult<Option<PhotoRecord>> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| crate::photos::record(conn, &coop, &sha256)).await
    }

    async fn photo_referenced(&self, coop: &str, sha256: &str) -> StorageResult<bool> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| crate::photos::referenced(conn, &coop, &sha256)).await
    }

    async fn photo_progress(
        &self,
        coop: &str,
        sha256: &str,
        size: u64,
        received: u64,
        device: DeviceId,
        now_ms: i64,
    ) -> StorageResult<()> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| crate::photos::progress(conn, &coop, &sha256, size, received, device, now_ms)).await
    }

    async fn photo_complete(&self, coop: &str, sha256: &str, now_ms: i64) -> StorageResult<()> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| crate::photos::complete(conn, &coop, &sha256, now_ms)).await
    }

    async fn photo_reset(&self, coop: &str, sha256: &str) -> StorageResult<()> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| crate::photos::reset(conn, &coop, &sha256)).await
    }
}
