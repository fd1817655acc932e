//! The embedded SQLite storage: one file, WAL, every call one durable transaction. Work runs on
//! the blocking pool so a slow disk never stalls the async request handlers.

mod photos;

use super::{
    DeviceRecord, EventPage, NewEnrollmentToken, PhotoRecord, PushOutcome, Storage, StorageError, StorageResult,
};
use fieldtrace_core::model::{DeviceId, Event, EventId, PartyId, Role};
use fieldtrace_core::sync::wire;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const MIGRATIONS: &[&str] = &[include_str!("migrations/001_init.sql"), include_str!("migrations/002_photos.sql")];

#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    /// The database file, if any: photos go in a folder beside it.
    path: Option<PathBuf>,
}

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
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")?;
        fieldtrace_core::store::apply_migrations(&mut conn, MIGRATIONS)
            .map_err(|err| StorageError::Backend(format!("migrating the server database: {err}")))?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), path })
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

fn hash_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = row.get(index)?;
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(index, "hash".into(), rusqlite::types::Type::Blob))
}

fn device_row(conn: &Connection, id: DeviceId) -> StorageResult<Option<DeviceRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT coop_id, party_id, role, credential_hash, revoked_at_ms IS NOT NULL FROM devices WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                hash_column(row, 3)?,
                row.get(4)?,
            ))
        })
        .optional()?;
    row.map(|(coop, party, role, credential_hash, revoked)| {
        let role = Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?;
        Ok(DeviceRecord { id, coop, party: PartyId(party), role, credential_hash, revoked })
    })
    .transpose()
}

impl Storage for SqliteStorage {
    async fn create_coop(&self, id: &str, name: &str) -> StorageResult<()> {
        let (id, name) = (id.to_owned(), name.to_owned());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO coops (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                [id, name],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_enrollment_token(&self, token: NewEnrollmentToken) -> StorageResult<()> {
        self.run(move |conn| {
            let known: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM coops WHERE id = ?1)", [&token.coop], |r| r.get(0))?;
            if !known {
                return Err(StorageError::UnknownCoop(token.coop));
            }
            conn.execute(
                "INSERT INTO enrollment_tokens (token_hash, coop_id, party_id, role, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token.token_hash.as_slice(), token.coop, token.party.as_str(), token.role.key(), token.expires_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(
        &self,
        token_hash: [u8; 32],
        device: DeviceId,
        credential_hash: [u8; 32],
        now_ms: i64,
    ) -> StorageResult<DeviceRecord> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let token = tx
                .query_row(
                    "SELECT coop_id, party_id, role, expires_at_ms, used_by_device FROM enrollment_tokens WHERE token_hash = ?1",
                    [token_hash.as_slice()],
                    |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, i64>(3)?, row.get::<_, Option<String>>(4)?))
                    },
                )
                .optional()?;
            let Some((coop, party, role, expires_at_ms, used_by)) = token else {
                return Err(StorageError::TokenInvalid);
            };
            if let Some(existing) = device_row(&tx, device)? {
                // A retry of this very enrollment is answered again; anything else is a conflict.
                let same = used_by.as_deref() == Some(device.to_string().as_str()) && existing.credential_hash == credential_hash;
                return if same { Ok(existing) } else { Err(StorageError::DeviceConflict(device)) };
            }
            if used_by.is_some() || expires_at_ms < now_ms {
                return Err(StorageError::TokenInvalid);
            }
            let role = Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?;
            tx.execute(
                "INSERT INTO devices (id, coop_id, party_id, role, credential_hash, enrolled_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![device.to_string(), coop, party, role.key(), credential_hash.as_slice(), now_ms],
            )?;
            tx.execute(
                "UPDATE enrollment_tokens SET used_by_device = ?2, used_at_ms = ?3 WHERE token_hash = ?1",
                params![token_hash.as_slice(), device.to_string(), now_ms],
            )?;
            tx.commit()?;
            Ok(DeviceRecord { id: device, coop, party: PartyId(party), role, credential_hash, revoked: false })
        })
        .await
    }

    async fn device(&self, id: DeviceId) -> StorageResult<Option<DeviceRecord>> {
        self.run(move |conn| device_row(conn, id)).await
    }

    async fn revoke_device(&self, id: DeviceId, now_ms: i64) -> StorageResult<bool> {
        self.run(move |conn| {
            let changed = conn.execute(
                "UPDATE devices SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                params![id.to_string(), now_ms],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn push(
        &self,
        coop: &str,
        device: DeviceId,
        events: Vec<Event>,
        now_ms: i64,
    ) -> StorageResult<Vec<PushOutcome>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut seq: i64 = tx
                .query_row("SELECT last_seq FROM coops WHERE id = ?1", [&coop], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StorageError::UnknownCoop(coop.clone()))?;
            let mut outcomes = Vec::with_capacity(events.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO events (coop_id, seq, id, device_id, kind, lot_id, hlc_wall, hlc_logical, received_at_ms, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (coop_id, id) DO NOTHING",
                )?;
                for event in &events {
                    let inserted = insert.execute(params![
                        coop,
                        seq + 1,
                        event.id.to_string(),
                        event.recorder.device.to_string(),
                        event.kind.key(),
                        event.lot.as_ref().map(|l| l.as_str()),
                        i64::try_from(event.hlc.wall_ms).unwrap_or(i64::MAX),
                        event.hlc.logical,
                        now_ms,
                        wire::encode_event(event),
                    ])?;
                    if inserted == 1 {
                        photos::link_event(&tx, &coop, event)?;
                        seq += 1;
                        outcomes.push(PushOutcome::Accepted(seq));
                    } else {
                        outcomes.push(PushOutcome::Known);
                    }
                }
            }
            tx.execute("UPDATE coops SET last_seq = ?2 WHERE id = ?1", params![coop, seq])?;
            tx.execute("UPDATE devices SET last_seen_ms = ?2 WHERE id = ?1", params![device.to_string(), now_ms])?;
            tx.commit()?;
            Ok(outcomes)
        })
        .await
    }

    async fn pull(&self, coop: &str, after: i64, limit: usize) -> StorageResult<EventPage> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT seq, body FROM events WHERE coop_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
            let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
            let mut rows: Vec<(i64, Vec<u8>)> = stmt
                .query_map(params![coop, after, fetch], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let has_more = rows.len() > limit;
            rows.truncate(limit);
            let next_after = rows.last().map_or(after, |(seq, _)| *seq);
            Ok(EventPage { encoded: rows.into_iter().map(|(_, body)| body).collect(), next_after, has_more })
        })
        .await
    }

    async fn event_ids(&self, coop: &str) -> StorageResult<Vec<EventId>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let mut stmt = conn.prepare("SELECT id FROM events WHERE coop_id = ?1 ORDER BY seq")?;
            let ids = stmt.query_map([coop], |row| row.get::<_, String>(0))?;
            ids.map(|id| {
                let id = id?;
                EventId::parse(&id).ok_or_else(|| StorageError::Backend(format!("stored event id {id:?}")))
            })
            .collect()
        })
        .await
    }

    fn default_photo_dir(&self) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let mut name = path.file_name()?.to_os_string();
        name.push("-photos");
        Some(path.with_file_name(name))
    }

    async fn photo(&self, coop: &str, sha256: &str) -> StorageResult<Option<PhotoRecord>> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| photos::record(conn, &coop, &sha256)).await
    }

    async fn photo_referenced(&self, coop: &str, sha256: &str) -> StorageResult<bool> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| photos::referenced(conn, &coop, &sha256)).await
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
        self.run(move |conn| photos::progress(conn, &coop, &sha256, size, received, device, now_ms)).await
    }

    async fn photo_complete(&self, coop: &str, sha256: &str, now_ms: i64) -> StorageResult<()> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| photos::complete(conn, &coop, &sha256, now_ms)).await
    }

    async fn photo_reset(&self, coop: &str, sha256: &str) -> StorageResult<()> {
        let (coop, sha256) = (coop.to_owned(), sha256.to_owned());
        self.run(move |conn| photos::reset(conn, &coop, &sha256)).await
    }
}
