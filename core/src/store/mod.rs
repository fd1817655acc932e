//! The durable local store: one SQLite file (WAL) holding events, the outbox, a cache of known
//! lots/units/parties, and device settings.
//!
//! Durability contract: when a write method returns `Ok`, the data is on stable storage and
//! survives the app being killed or the battery dying a moment later (`synchronous = FULL` in WAL
//! mode fsyncs the log on every commit; `fullfsync` does the same on iOS). Every user action is one
//! `BEGIN IMMEDIATE … COMMIT` that writes the event, its code index, its outbox row and the clock.

mod batch;
mod catalog;
mod containment;
mod events;
mod migrations;
mod outbox;
mod photos;
mod registers;
mod settings;
mod trips;

pub use batch::BatchRecorded;
pub use events::{CodeSummary, HistoryEntry, Origin, StoredEvent};
pub use migrations::{apply_migrations, SCHEMA_VERSION};
pub use outbox::{OutboxEntry, OutboxStatus};
pub use photos::{PendingPhoto, PhotoQueueStatus};
pub use registers::Register;

use crate::clock::{HlcTimestamp, HybridClock};
use crate::error::{Error, Result};
use crate::model::{DeviceId, Event};
use crate::photo::PhotoFolder;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The device's database. One writer connection behind a mutex: SQLite serialises writers anyway,
/// and a single connection keeps the in-memory clock and the persisted one in step.
pub struct Store {
    inner: Mutex<Inner>,
    device: DeviceId,
    /// Where photos are kept: beside the database file; none for an in-memory store.
    photos: Option<PhotoFolder>,
}

struct Inner {
    conn: Connection,
    clock: HybridClock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("device", &self.device).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, upgrading its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path.as_ref(), flags)?;
        Self::init(conn, Some(PhotoFolder::beside(path.as_ref())))
    }

    /// A private in-memory database, for tests and previews.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, photos: Option<PhotoFolder>) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // `journal_mode` answers with the mode actually set (in-memory databases stay "memory").
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA fullfsync = ON;
             PRAGMA checkpoint_fullfsync = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA journal_size_limit = 4194304;",
        )?;
        migrations::migrate(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let device = settings::device_id_or_create(&tx)?;
        containment::settle(&tx)?;
        let clock = HybridClock::resume(settings::clock(&tx)?);
        tx.commit()?;
        Ok(Self { inner: Mutex::new(Inner { conn, clock }), device, photos })
    }

    /// This installation's identity, created on first open.
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    /// The last HLC reading this device issued or observed.
    pub fn clock(&self) -> HlcTimestamp {
        self.lock().clock.last()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave SQLite half-written (an open transaction is
        // rolled back on drop), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a new local event: stamps it with the next HLC reading, then writes the event, its
    /// outbox row and the clock in one durable transaction. `make` builds the event for the stamp.
    pub fn record_local(&self, physical_ms: u64, make: impl FnOnce(HlcTimestamp) -> Event) -> Result<Event> {
        let mut inner = self.lock();
        let Inner { conn, clock } = &mut *inner;
        let mut next_clock = *clock;
        let stamp = next_clock.tick(physical_ms);
        let event = make(stamp);
        if event.hlc != stamp || event.recorder.device != self.device {
            return Err(Error::invalid_event("hlc", "a local event must carry this device's id and clock reading"));
        }
        event.validate()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = insert_event(&tx, &event, Origin::Local)?
            .ok_or_else(|| Error::invalid_event("id", format!("event {} already exists", event.id)))?;
        outbox::enqueue(&tx, seq, physical_ms)?;
        containment::settle(&tx)?;
        photos::link(&tx, seq, &event.photos)?;
        settings::set_clock(&tx, stamp)?;
        tx.commit()?;
        *clock = next_clock;
        Ok(event)
    }

    /// Stores events that came from other replicas (sync pull). Already-known events are skipped,
    /// so delivering the same batch twice is harmless. Returns how many were new.
    pub fn insert_remote(&self, batch: &[Event], physical_ms: u64) -> Result<usize> {
        self.insert_remote_with(batch, physical_ms, |_| Ok(()))
    }

    /// A pulled page: its events and the cursor after it commit together, so an interrupted pull
    /// resumes exactly where the last durable page ended. The cursor never moves backwards (two
    /// overlapping pulls may finish in either order).
    pub fn apply_pulled_page(&self, batch: &[Event], next_after: i64, physical_ms: u64) -> Result<usize> {
        self.insert_remote_with(batch, physical_ms, |tx| {
            let current = settings::get(tx, settings::SYNC_CURSOR)?.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
            if next_after > current {
                settings::set(tx, settings::SYNC_CURSOR, &next_after.to_string())?;
            }
            Ok(())
        })
    }

    fn insert_remote_with(
        &self,
        batch: &[Event],
        physical_ms: u64,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<usize> {
        for event in batch {
            event.validate()?;
        }
        let mut inner = self.lock();
        let Inner { conn, clock } = &mut *inner;
        let mut next_clock = *clock;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        for event in batch {
            if insert_event(&tx, event, Origin::Remote)?.is_some() {
                added += 1;
            }
            next_clock.observe(event.hlc, physical_ms);
        }
        containment::settle(&tx)?;
        settings::set_clock(&tx, next_clock.last())?;
        also(&tx)?;
        tx.commit()?;
        *clock = next_clock;
        Ok(added)
    }

    /// Runs `f` on the connection (reads only; writes go through the methods above).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.lock().conn)
    }

    /// Runs `f` inside one immediate transaction and commits it.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut inner = self.lock();
        let tx = inner.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// `PRAGMA integrity_check`: `"ok"` for a healthy file, otherwise SQLite's findings.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let lines: Vec<String> = stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(lines.join("\n"))
        })
    }

    /// The server sequence number of the last pulled page (0 before the first pull).
    pub fn sync_cursor(&self) -> Result<i64> {
        let text = self.read(|conn| settings::get(conn, settings::SYNC_CURSOR))?;
        Ok(text.and_then(|c| c.parse().ok()).unwrap_or(0))
    }

    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|conn| settings::get(conn, key))
    }

    /// Sets (or with `None` removes) device settings in one durable transaction.
    pub(crate) fn set_settings(&self, values: &[(&str, Option<&str>)]) -> Result<()> {
        self.write(|tx| {
            for (key, value) in values {
                match value {
                    Some(value) => settings::set(tx, key, value)?,
                    None => settings::remove(tx, key)?,
                }
            }
            Ok(())
        })
    }
}

/// Stores one event (see `events::insert`) and, if it is new, keeps every table derived from events
/// in step: registers, containment, the trip index. The calls go from here down, not from
/// `events` out, because those tables read event rows back (`events::decode_body`,
/// `HistoryEntry`): the event table is the layer below them and knows nothing of them.
fn insert_event(conn: &Connection, event: &Event, origin: Origin) -> Result<Option<i64>> {
    let Some(seq) = events::insert(conn, event, origin)? else { return Ok(None) };
    registers::on_insert(conn, event, seq)?;
    containment::on_insert(conn, event, seq)?;
    trips::on_insert(conn, event, seq)?;
    Ok(Some(seq))
}

#[cfg(test)]
mod tests;
