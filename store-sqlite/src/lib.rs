//! The embedded SQLite storage: one file, WAL, every call one durable transaction. Work runs on
//! the blocking pool so a slow disk never stalls the async request handlers. The schema's numbered
//! migrations (`migrations/NNN_*.sql`) live here and nowhere else, applied by `PRAGMA user_version`.
//!
//! May import: `fieldtrace-server-store` (the traits it implements) and `fieldtrace-core` (the event
//! model and wire codec); nothing of the server's handlers, pages or CLI.

mod alerts;
pub mod backup;
mod device_status;
mod devices;
mod indexes;
mod managers;
mod photos;
mod read_model;
mod reports;
mod sync_log;
mod trace_lookup;

use fieldtrace_core::model::Event;
use fieldtrace_core::sync::wire;
use fieldtrace_server_store::{
    CoopStore, HealthCheck, SchemaStatus, StorageError, StorageResult, StoreStats, StoredEventRow,
};
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_trace_lookup.sql"),
    include_str!("migrations/003_managers.sql"),
    include_str!("migrations/004_device_keys.sql"),
    include_str!("migrations/005_photos.sql"),
    include_str!("migrations/006_device_sync_status.sql"),
    include_str!("migrations/007_alerts.sql"),
    include_str!("migrations/008_test_reports.sql"),
    include_str!("migrations/009_read_models.sql"),
];

/// The schema version (`PRAGMA user_version`) this build's migrations end at: a database or a
/// backup of a newer one is refused rather than misread.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Clone)]
pub struct SqliteStorage {
    /// The one writer: every write is a transaction on it.
    conn: Arc<Mutex<Connection>>,
    /// Idle read connections (file databases only): pages and look-ups read a WAL snapshot beside
    /// the writer instead of queueing behind pushes and projector batches.
    readers: Arc<Mutex<Vec<Connection>>>,
    /// The database file, if any: photos go in a folder beside it.
    path: Option<PathBuf>,
}

/// Read connections kept open when idle (more are opened under load and closed after).
const IDLE_READERS: usize = 4;

impl SqliteStorage {
    pub fn open(path: impl AsRef<Path>) -> StorageResult<Self> {
        let path = path.as_ref();
        Self::init(Connection::open(path)?, Some(path.to_owned()))
    }

    pub fn open_in_memory() -> StorageResult<Self> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> StorageResult<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // A backup file is an SQLite file too; serving it would quietly turn a backup into a live
        // database with photos inside. `fieldtrace restore` makes a database of it.
        if backup::is_backup(&conn)? {
            return Err(StorageError::Backend(
                "this file is a FieldTrace backup, not a database: make one with `fieldtrace restore`".into(),
            ));
        }
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        // A season is ~1 GB of pages: a 64 MiB page cache keeps the look-up indexes' upper levels
        // and the hot co-op's recent pages in memory (SQLite's default is 2 MiB).
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )?;
        fieldtrace_core::store::apply_migrations(&mut conn, MIGRATIONS)
            .map_err(|err| StorageError::Backend(format!("migrating the server database: {err}")))?;
        indexes::backfill(&mut conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), readers: Arc::default(), path })
    }

    /// Runs read-only `work` on a read connection on the blocking pool. It sees every transaction
    /// committed before it starts (WAL snapshot), so a push acknowledged before a request began is
    /// visible to it. An in-memory database has only its writer, which then serves reads too.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let Some(path) = self.path.clone() else {
            return self.run(move |conn| in_snapshot(conn, work)).await;
        };
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let idle = readers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
            let conn = match idle {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let result = in_snapshot(&conn, work);
            let mut idle = readers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|err| StorageError::Backend(format!("storage task failed: {err}")))?
    }

    /// Runs `work` with the connection on the blocking thread pool.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|err| StorageError::Backend(format!("storage task failed: {err}")))?
    }
}

/// Runs a read in one transaction: every statement sees the same snapshot, and the WAL read lock
/// is taken once rather than once per statement (a projector batch runs thousands of look-ups).
fn in_snapshot<T>(conn: &Connection, work: impl FnOnce(&Connection) -> StorageResult<T>) -> StorageResult<T> {
    let snapshot = conn.unchecked_transaction()?;
    let result = work(&snapshot)?;
    snapshot.commit()?;
    Ok(result)
}

/// A connection that only reads (the writer has migrated the schema already).
fn open_reader(path: &Path) -> StorageResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Readers share the OS page cache; each keeps a smaller cache of its own (memory stays bounded
    // with up to IDLE_READERS of them).
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;")?;
    Ok(conn)
}

/// A stored event selected as `seq, received_at_ms, body`.
pub(crate) fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEventRow> {
    Ok(StoredEventRow { seq: row.get(0)?, received_at_ms: row.get(1)?, encoded: row.get(2)? })
}

/// Decodes events as stored. Stored bytes were validated on the way in: failing to read them
/// back is corruption, reported as a backend failure.
pub(crate) fn decode_stored<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> StorageResult<Vec<Event>> {
    wire::decode_stored_events(bodies).map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))
}

fn hash_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = row.get(index)?;
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(index, "hash".into(), rusqlite::types::Type::Blob))
}

impl HealthCheck for SqliteStorage {
    async fn schema_status(&self) -> StorageResult<SchemaStatus> {
        // On a read connection: a probe must not queue behind pushes for the writer.
        self.read(|conn| {
            let found = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            Ok(SchemaStatus { found, expected: SCHEMA_VERSION })
        })
        .await
    }
}

impl CoopStore for SqliteStorage {
    async fn create_coop(&self, id: &str, name: &str) -> StorageResult<()> {
        let (id, name) = (id.to_owned(), name.to_owned());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO coops (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                [&id, &name],
            )?;
            conn.execute("INSERT OR IGNORE INTO projection_checkpoints (coop_id, seq) VALUES (?1, 0)", [&id])?;
            Ok(())
        })
        .await
    }

    async fn coop_name(&self, coop: &str) -> StorageResult<Option<String>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            Ok(conn.query_row("SELECT name FROM coops WHERE id = ?1", [coop], |row| row.get(0)).optional()?)
        })
        .await
    }

    async fn coop_ids(&self) -> StorageResult<Vec<String>> {
        self.run(|conn| {
            let mut stmt = conn.prepare("SELECT id FROM coops ORDER BY id")?;
            let ids = stmt.query_map([], |row| row.get(0))?;
            Ok(ids.collect::<Result<_, _>>()?)
        })
        .await
    }
}

impl StoreStats for SqliteStorage {
    async fn database_bytes(&self) -> StorageResult<u64> {
        self.read(|conn| {
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            let page_size: i64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            Ok(u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0))
        })
        .await
    }
}
