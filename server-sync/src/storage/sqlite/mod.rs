//! The embedded SQLite storage: one file, WAL, every call one durable transaction. Work runs on
//! the blocking pool so a slow disk never stalls the async request handlers.

mod photos;
mod reports;

use super::{
    AuditEntry, DeviceListing, DeviceRecord, EventPage, ManagerRecord, NewEnrollmentToken, PhotoRecord, PushOutcome,
    ReportOutcome, ScanHistory, Storage, StorageError, StorageResult, StoredEventRow,
};
use fieldtrace_core::model::{DeviceId, Event, EventId, PartyId, Role};
use fieldtrace_core::sync::wire;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod device_status;
mod managers;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_trace_lookup.sql"),
    include_str!("migrations/003_managers.sql"),
    include_str!("migrations/004_device_keys.sql"),
    include_str!("migrations/005_photos.sql"),
    include_str!("migrations/006_device_sync_status.sql"),
    include_str!("migrations/007_alerts.sql"),
    include_str!("migrations/008_test_reports.sql"),
];

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
        backfill_event_codes(&mut conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), path })
    }

    /// Runs `work` with the connection on the blocking thread pool.
    pub(crate) async fn run<T: Send + 'static>(
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

/// Indexes the codes of events stored before the code index existed (migration 002). Runs only
/// while the index is empty and events exist, in one transaction.
fn backfill_event_codes(conn: &mut Connection) -> StorageResult<()> {
    let needed: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM event_codes)", [], |row| {
            row.get(0)
        })?;
    if !needed {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut rows = tx.prepare("SELECT coop_id, seq, body FROM events")?;
        let mut insert = tx.prepare("INSERT OR IGNORE INTO event_codes (code, coop_id, seq) VALUES (?1, ?2, ?3)")?;
        let mut cursor = rows.query([])?;
        while let Some(row) = cursor.next()? {
            let (coop, seq, body): (String, i64, Vec<u8>) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let batch = wire::batch_from_encoded(std::iter::once(body.as_slice()));
            let events = wire::decode_events(&batch)
                .map_err(|e| StorageError::Backend(format!("stored event {coop}/{seq} does not decode: {e}")))?;
            for event in &events {
                for code in indexed_codes(event) {
                    insert.execute(params![code, coop, seq])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// The codes an event is filed under for look-ups: its own, and a container it packs into.
fn indexed_codes(event: &Event) -> impl Iterator<Item = &str> {
    let parent = match &event.kind {
        fieldtrace_core::model::EventKind::Aggregation { parent, .. } => Some(parent.as_str()),
        _ => None,
    };
    event.codes.iter().map(String::as_str).chain(parent)
}

fn hash_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = row.get(index)?;
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(index, "hash".into(), rusqlite::types::Type::Blob))
}

fn device_row(conn: &Connection, id: DeviceId) -> StorageResult<Option<DeviceRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT coop_id, party_id, role, credential_hash, revoked_at_ms IS NOT NULL, public_key, key_registered_at_ms
             FROM devices WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                hash_column(row, 3)?,
                row.get(4)?,
                row.get::<_, Option<Vec<u8>>>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ))
        })
        .optional()?;
    row.map(|(coop, party, role, credential_hash, revoked, public_key, key_registered_at_ms)| {
        let role = Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?;
        let public_key = public_key
            .map(|key| {
                key.try_into().map_err(|_| StorageError::Backend(format!("device {id}: stored key is not 32 bytes")))
            })
            .transpose()?;
        Ok(DeviceRecord {
            id,
            coop,
            party: PartyId(party),
            role,
            credential_hash,
            revoked,
            public_key,
            key_registered_at_ms,
        })
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
            Ok(DeviceRecord {
                id: device,
                coop,
                party: PartyId(party),
                role,
                credential_hash,
                revoked: false,
                public_key: None,
                key_registered_at_ms: None,
            })
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
                let mut index =
                    tx.prepare_cached("INSERT OR IGNORE INTO event_codes (code, coop_id, seq) VALUES (?1, ?2, ?3)")?;
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
                        for code in indexed_codes(event) {
                            index.execute(params![code, coop, seq + 1])?;
                        }
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

    async fn coops_with_code(&self, code: &str) -> StorageResult<Vec<String>> {
        let code = code.to_owned();
        self.run(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT DISTINCT coop_id FROM event_codes WHERE code = ?1 ORDER BY coop_id")?;
            let coops = stmt.query_map([code], |row| row.get(0))?.collect::<Result<_, _>>()?;
            Ok(coops)
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

    async fn record_trace_scan(
        &self,
        coop: &str,
        code: &str,
        at_ms: i64,
        place: Option<String>,
    ) -> StorageResult<ScanHistory> {
        let (coop, code) = (coop.to_owned(), code.to_owned());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO trace_scans (code, coop_id, at_ms, place) VALUES (?1, ?2, ?3, ?4)",
                params![code, coop, at_ms, place],
            )?;
            let (count, first_at_ms): (i64, i64) = tx.query_row(
                "SELECT count(*), min(at_ms) FROM trace_scans WHERE code = ?1 AND coop_id = ?2",
                params![code, coop],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let places = {
                let mut stmt = tx.prepare_cached(
                    "SELECT place, count(*) AS n FROM trace_scans WHERE code = ?1 AND coop_id = ?2 AND place IS NOT NULL
                     GROUP BY place ORDER BY n DESC, place LIMIT 20",
                )?;
                let rows = stmt.query_map(params![code, coop], |row| Ok((row.get(0)?, row.get::<_, i64>(1)?)))?;
                rows.map(|r| r.map(|(place, n)| (place, u64::try_from(n).unwrap_or(0)))).collect::<Result<_, _>>()?
            };
            tx.commit()?;
            Ok(ScanHistory { count: u64::try_from(count).unwrap_or(0), first_at_ms, places })
        })
        .await
    }

    async fn register_device_key(
        &self,
        device: DeviceId,
        public_key: [u8; 32],
        now_ms: i64,
    ) -> StorageResult<DeviceRecord> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let record =
                device_row(&tx, device)?.ok_or_else(|| StorageError::Backend(format!("no device {device}")))?;
            match record.public_key {
                Some(existing) if existing == public_key => return Ok(record),
                Some(_) => return Err(StorageError::DeviceKeyConflict(device)),
                None => {}
            }
            tx.execute(
                "UPDATE devices SET public_key = ?2, key_registered_at_ms = ?3 WHERE id = ?1",
                params![device.to_string(), public_key.as_slice(), now_ms],
            )?;
            tx.commit()?;
            Ok(DeviceRecord { public_key: Some(public_key), key_registered_at_ms: Some(now_ms), ..record })
        })
        .await
    }

    async fn coop_signing_seed(&self, coop: &str, candidate: [u8; 32], now_ms: i64) -> StorageResult<[u8; 32]> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO coop_signing_keys (coop_id, seed, created_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (coop_id) DO NOTHING",
                params![coop, candidate.as_slice(), now_ms],
            )?;
            let seed = tx.query_row("SELECT seed FROM coop_signing_keys WHERE coop_id = ?1", [&coop], |row| hash_column(row, 0))?;
            tx.commit()?;
            Ok(seed)
        })
        .await
    }

    async fn put_manager(&self, manager: ManagerRecord, now_ms: i64) -> StorageResult<()> {
        self.run(move |conn| managers::put(conn, &manager, now_ms)).await
    }

    async fn manager(&self, name: &str) -> StorageResult<Option<ManagerRecord>> {
        let name = name.to_owned();
        self.run(move |conn| managers::get(conn, &name)).await
    }

    async fn create_ui_session(
        &self,
        token_hash: [u8; 32],
        coop: &str,
        name: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StorageResult<()> {
        let (coop, name) = (coop.to_owned(), name.to_owned());
        self.run(move |conn| managers::create_session(conn, &token_hash, &coop, &name, now_ms, expires_at_ms)).await
    }

    async fn ui_session(&self, token_hash: [u8; 32], now_ms: i64) -> StorageResult<Option<ManagerRecord>> {
        self.run(move |conn| managers::session(conn, &token_hash, now_ms)).await
    }

    async fn delete_ui_session(&self, token_hash: [u8; 32]) -> StorageResult<()> {
        self.run(move |conn| managers::delete_session(conn, &token_hash)).await
    }

    async fn append_audit(&self, coop: &str, entry: AuditEntry) -> StorageResult<()> {
        let coop = coop.to_owned();
        self.run(move |conn| managers::append_audit(conn, &coop, &entry)).await
    }

    async fn audit_log(&self, coop: &str, limit: usize) -> StorageResult<Vec<AuditEntry>> {
        let coop = coop.to_owned();
        self.run(move |conn| managers::audit_log(conn, &coop, limit)).await
    }

    async fn events_of_kinds(&self, coop: &str, kinds: &'static [&'static str]) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, received_at_ms, body FROM events WHERE coop_id = ?1 AND kind = ?2 ORDER BY seq",
            )?;
            let mut rows = Vec::new();
            for kind in kinds {
                let found = stmt.query_map(params![coop, kind], |row| {
                    Ok(StoredEventRow { seq: row.get(0)?, received_at_ms: row.get(1)?, encoded: row.get(2)? })
                })?;
                rows.extend(found.collect::<Result<Vec<_>, _>>()?);
            }
            rows.sort_by_key(|row| row.seq);
            Ok(rows)
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

    async fn record_sync(&self, device: DeviceId, now_ms: i64, pending: Option<u64>) -> StorageResult<()> {
        self.run(move |conn| device_status::record_sync(conn, device, now_ms, pending)).await
    }

    async fn devices(&self, coop: &str) -> StorageResult<Vec<DeviceListing>> {
        let coop = coop.to_owned();
        self.run(move |conn| device_status::list(conn, &coop)).await
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

    async fn put_test_report(
        &self,
        coop: &str,
        report: fieldtrace_core::test_report::TestReport,
        entered_by: &str,
        now_ms: i64,
    ) -> StorageResult<ReportOutcome> {
        let (coop, entered_by) = (coop.to_owned(), entered_by.to_owned());
        self.run(move |conn| reports::put(conn, &coop, &report, &entered_by, now_ms)).await
    }

    async fn test_reports(
        &self,
        coop: &str,
        lot: &str,
    ) -> StorageResult<Vec<fieldtrace_core::test_report::TestReport>> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.run(move |conn| reports::of_lot(conn, &coop, &lot)).await
    }
}
