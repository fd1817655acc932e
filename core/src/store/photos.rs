//! The photo upload queue. Photo bytes live in the [`PhotoFolder`] beside the database; a row
//! here says a photo is waiting for the server, and `photo_refs` which local events name it. A
//! photo is due only once one of those events has left the outbox: the server then knows the event,
//! so events never wait for photos and photos never arrive before what they document.

use super::Store;
use crate::error::Result;
use crate::model::PhotoRef;
use crate::photo::{compress_photo, CompressedPhoto, PhotoError, PhotoFolder};
use rusqlite::{params, Connection, OptionalExtension};

/// A photo to upload, with its delivery record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPhoto {
    pub photo: PhotoRef,
    pub size: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What the UI shows about photos: "2 photos waiting".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhotoQueueStatus {
    /// Photos referenced by a report and not yet confirmed by the server.
    pub pending: u64,
    /// Of those, photos whose report is itself still waiting in the outbox.
    pub waiting_for_events: u64,
    /// Photos whose last upload attempt failed.
    pub failing: u64,
    /// The error key of the most recent failure, if any photo is failing.
    pub last_error: Option<String>,
    /// Photos the server has confirmed.
    pub uploaded: u64,
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Records which photos a new local event names (in the event's own transaction).
pub(super) fn link(conn: &Connection, event_seq: i64, photos: &[PhotoRef]) -> Result<()> {
    let mut stmt = conn.prepare_cached("INSERT OR IGNORE INTO photo_refs (sha256, event_seq) VALUES (?1, ?2)")?;
    for photo in photos {
        stmt.execute(params![photo.0, event_seq])?;
    }
    Ok(())
}

/// A referenced photo not yet uploaded.
const PENDING: &str = "p.uploaded_at_ms IS NULL AND EXISTS (SELECT 1 FROM photo_refs r WHERE r.sha256 = p.sha256)";
/// ... one of whose events the server already has.
const EVENT_ACKNOWLEDGED: &str = "EXISTS (SELECT 1 FROM photo_refs r WHERE r.sha256 = p.sha256
     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_seq = r.event_seq))";

impl Store {
    /// The folder photos are kept in; `None` for an in-memory store.
    pub fn photo_folder(&self) -> Option<&PhotoFolder> {
        self.photos.as_ref()
    }

    fn folder(&self) -> Result<&PhotoFolder, PhotoError> {
        self.photos.as_ref().ok_or(PhotoError::NoPhotoFolder)
    }

    /// Compresses a camera photo (JPEG or PNG), keeps it on the device and queues it for upload;
    /// the reference goes into an abnormal report. Saving the same photo twice is harmless.
    pub fn save_photo(&self, encoded: &[u8], now_ms: u64) -> Result<PhotoRef, PhotoError> {
        let folder = self.folder()?;
        let compressed = compress_photo(encoded)?;
        self.keep_photo(folder, &compressed, now_ms)
    }

    /// Keeps an already compressed photo (see [`compress_photo`]).
    pub fn save_compressed_photo(&self, photo: &CompressedPhoto, now_ms: u64) -> Result<PhotoRef, PhotoError> {
        self.keep_photo(self.folder()?, photo, now_ms)
    }

    fn keep_photo(&self, folder: &PhotoFolder, photo: &CompressedPhoto, now_ms: u64) -> Result<PhotoRef, PhotoError> {
        // The file first: a crash before the row leaves an unqueued file, never a row without bytes.
        let reference = folder.write(&photo.jpeg)?;
        self.write(|tx| {
            tx.prepare_cached("INSERT OR IGNORE INTO photo_uploads (sha256, size, stored_at_ms) VALUES (?1, ?2, ?3)")?
                .execute(params![reference.0, photo.jpeg.len() as i64, ms(now_ms)])?;
            Ok(())
        })?;
        Ok(reference)
    }

    /// Whether this device holds the photo (queued and its file present).
    pub fn has_photo(&self, photo: &PhotoRef) -> Result<bool> {
        let Some(folder) = self.photos.as_ref() else { return Ok(false) };
        let queued = self.read(|conn| {
            let row = conn
                .prepare_cached("SELECT 1 FROM photo_uploads WHERE sha256 = ?1")?
                .query_row([&photo.0], |_| Ok(()))
                .optional()?;
            Ok(row.is_some())
        })?;
        Ok(queued && folder.contains(photo))
    }

    /// The photo's JPEG bytes, checked against its hash.
    pub fn photo_bytes(&self, photo: &PhotoRef) -> Result<Vec<u8>, PhotoError> {
        self.folder()?.read(photo)
    }

    /// Photos ready to upload, oldest first: referenced by an event the server has, not uploaded,
    /// and due (a photo last tried "in the future" is due: the clock was set back).
    pub fn photos_due(&self, limit: usize, now_ms: u64) -> Result<Vec<PendingPhoto>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT p.sha256, p.size, p.attempts, p.last_error FROM photo_uploads p
                 WHERE {PENDING} AND {EVENT_ACKNOWLEDGED}
                   AND (p.next_attempt_ms <= ?1 OR p.last_attempt_ms > ?1)
                 ORDER BY p.stored_at_ms, p.sha256 LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![ms(now_ms), i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok(PendingPhoto {
                    photo: PhotoRef(row.get(0)?),
                    size: row.get::<_, i64>(1)?.unsigned_abs(),
                    attempts: row.get(2)?,
                    last_error: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The server confirmed the whole photo.
    pub fn photo_uploaded(&self, photo: &PhotoRef, now_ms: u64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE photo_uploads SET uploaded_at_ms = ?2, last_error = NULL, last_attempt_ms = ?2
                 WHERE sha256 = ?1",
            )?
            .execute(params![photo.0, ms(now_ms)])?;
            Ok(())
        })
    }

    /// An upload attempt failed with `error_key`; try again at `retry_at_ms`.
    pub fn photo_upload_failed(&self, photo: &PhotoRef, error_key: &str, now_ms: u64, retry_at_ms: u64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE photo_uploads SET attempts = attempts + 1, last_error = ?2, last_attempt_ms = ?3,
                    next_attempt_ms = ?4 WHERE sha256 = ?1",
            )?
            .execute(params![photo.0, error_key, ms(now_ms), ms(retry_at_ms)])?;
            Ok(())
        })
    }

    /// Referenced photos the server does not have yet.
    pub fn photo_pending_count(&self) -> Result<u64> {
        self.read(|conn| {
            let sql = format!("SELECT COUNT(*) FROM photo_uploads p WHERE {PENDING}");
            let count: i64 = conn.prepare_cached(&sql)?.query_row([], |row| row.get(0))?;
            Ok(count.unsigned_abs())
        })
    }

    pub fn photo_queue_status(&self) -> Result<PhotoQueueStatus> {
        self.read(|conn| {
            let sql = format!(
                "SELECT COUNT(*) FILTER (WHERE {PENDING}),
                        COUNT(*) FILTER (WHERE {PENDING} AND NOT {EVENT_ACKNOWLEDGED}),
                        COUNT(*) FILTER (WHERE {PENDING} AND p.last_error IS NOT NULL),
                        COUNT(*) FILTER (WHERE p.uploaded_at_ms IS NOT NULL)
                 FROM photo_uploads p"
            );
            let (pending, waiting, failing, uploaded): (i64, i64, i64, i64) = conn
                .prepare_cached(&sql)?
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
            let last_error: Option<String> = conn
                .prepare_cached(
                    "SELECT last_error FROM photo_uploads WHERE uploaded_at_ms IS NULL AND last_error IS NOT NULL
                     ORDER BY last_attempt_ms DESC LIMIT 1",
                )?
                .query_row([], |row| row.get(0))
                .optional()?;
            Ok(PhotoQueueStatus {
                pending: pending.unsigned_abs(),
                waiting_for_events: waiting.unsigned_abs(),
                failing: failing.unsigned_abs(),
                last_error,
                uploaded: uploaded.unsigned_abs(),
            })
        })
    }
}
