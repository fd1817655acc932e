//! Manager accounts, dashboard sessions and the audit log in SQLite (migration 003).

use crate::SqliteStorage;
use fieldtrace_server_store::{AccountStore, AuditLog};
use fieldtrace_server_store::{AuditEntry, ManagerRecord, StorageResult};
use rusqlite::{params, Connection, OptionalExtension};

pub fn put(conn: &Connection, m: &ManagerRecord, now_ms: i64) -> StorageResult<()> {
    conn.execute(
        "INSERT INTO managers (coop_id, name, display_name, password_hash, totp_secret, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (coop_id, name) DO UPDATE SET display_name = excluded.display_name,
             password_hash = excluded.password_hash, totp_secret = excluded.totp_secret",
        params![m.coop, m.name, m.display_name, m.password_hash, m.totp_secret, now_ms],
    )?;
    // A new password ends every session signed in with the old one.
    conn.execute("DELETE FROM ui_sessions WHERE coop_id = ?1 AND name = ?2", params![m.coop, m.name])?;
    Ok(())
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<ManagerRecord> {
    Ok(ManagerRecord {
        coop: row.get(0)?,
        name: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        totp_secret: row.get(4)?,
    })
}

pub fn get(conn: &Connection, name: &str) -> StorageResult<Option<ManagerRecord>> {
    Ok(conn
        .prepare_cached("SELECT coop_id, name, display_name, password_hash, totp_secret FROM managers WHERE name = ?1")?
        .query_row([name], record)
        .optional()?)
}

pub fn create_session(
    conn: &Connection,
    token_hash: &[u8; 32],
    coop: &str,
    name: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> StorageResult<()> {
    conn.execute("DELETE FROM ui_sessions WHERE expires_at_ms < ?1", [now_ms])?;
    conn.execute(
        "INSERT INTO ui_sessions (token_hash, coop_id, name, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash.as_slice(), coop, name, now_ms, expires_at_ms],
    )?;
    Ok(())
}

pub fn session(conn: &Connection, token_hash: &[u8; 32], now_ms: i64) -> StorageResult<Option<ManagerRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT m.coop_id, m.name, m.display_name, m.password_hash, m.totp_secret
             FROM ui_sessions s JOIN managers m ON m.coop_id = s.coop_id AND m.name = s.name
             WHERE s.token_hash = ?1 AND s.expires_at_ms > ?2",
        )?
        .query_row(params![token_hash.as_slice(), now_ms], record)
        .optional()?)
}

pub fn delete_session(conn: &Connection, token_hash: &[u8; 32]) -> StorageResult<()> {
    conn.execute("DELETE FROM ui_sessions WHERE token_hash = ?1", [token_hash.as_slice()])?;
    Ok(())
}

pub fn append_audit(conn: &Connection, coop: &str, entry: &AuditEntry) -> StorageResult<()> {
    conn.execute(
        "INSERT INTO audit_log (coop_id, manager, at_ms, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![coop, entry.manager, entry.at_ms, entry.action, entry.detail],
    )?;
    Ok(())
}

pub fn audit_log(conn: &Connection, coop: &str, limit: usize) -> StorageResult<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, manager, action, detail FROM audit_log WHERE coop_id = ?1 ORDER BY at_ms DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![coop, i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
        Ok(AuditEntry { at_ms: row.get(0)?, manager: row.get(1)?, action: row.get(2)?, detail: row.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl AccountStore for SqliteStorage {
    async fn put_manager(&self, manager: ManagerRecord, now_ms: i64) -> StorageResult<()> {
        self.run(move |conn| crate::managers::put(conn, &manager, now_ms)).await
    }

    async fn manager(&self, name: &str) -> StorageResult<Option<ManagerRecord>> {
        let name = name.to_owned();
        self.run(move |conn| crate::managers::get(conn, &name)).await
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
        self.run(move |conn| crate::managers::create_session(conn, &token_hash, &coop, &name, now_ms, expires_at_ms))
            .await
    }

    async fn ui_session(&self, token_hash: [u8; 32], now_ms: i64) -> StorageResult<Option<ManagerRecord>> {
        self.run(move |conn| crate::managers::session(conn, &token_hash, now_ms)).await
    }

    async fn delete_ui_session(&self, token_hash: [u8; 32]) -> StorageResult<()> {
        self.run(move |conn| crate::managers::delete_session(conn, &token_hash)).await
    }
}

impl AuditLog for SqliteStorage {
    async fn append_audit(&self, coop: &str, entry: AuditEntry) -> StorageResult<()> {
        let coop = coop.to_owned();
        self.run(move |conn| crate::managers::append_audit(conn, &coop, &entry)).await
    }

    async fn audit_log(&self, coop: &str, limit: usize) -> StorageResult<Vec<AuditEntry>> {
        let coop = coop.to_owned();
        self.run(move |conn| crate::managers::audit_log(conn, &coop, limit)).await
    }
}
