//! Schema migrations: numbered SQL files applied in order inside one transaction, keyed on
//! `PRAGMA user_version`. The only place the schema changes.

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// Migration `n` (1-based) brings the schema from version `n - 1` to `n`. Append only: a shipped
/// migration is never edited, because phones in the field have already run it.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_registers.sql"),
    include_str!("migrations/003_containment.sql"),
    include_str!("migrations/004_trip_events.sql"),
    include_str!("migrations/005_photos.sql"),
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the device database up to `SCHEMA_VERSION`.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    apply_migrations(conn, MIGRATIONS)
}

/// Applies the numbered `migrations` a database has not run yet, in one transaction keyed on
/// `PRAGMA user_version`, or refuses a database written by newer code (which may hold data this
/// version would misread). Shared with the sync server's own schema.
pub fn apply_migrations(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let latest = migrations.len() as i64;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > latest {
        return Err(Error::SchemaTooNew { found, supported: latest });
    }
    let pending = usize::try_from(found).map_err(|_| Error::Corrupt(format!("negative schema version {found}")))?;
    for sql in &migrations[pending..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_schema_and_leaves_it_alone() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("set");
        let err = migrate(&mut conn).expect_err("newer schema must be refused");
        assert_eq!(err.key(), "storage_schema_too_new");
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0)).expect("count");
        assert_eq!(tables, 0);
    }

    #[test]
    fn migration_files_are_numbered_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), MIGRATIONS.len(), "every file is listed in MIGRATIONS: {names:?}");
        for (i, name) in names.iter().enumerate() {
            assert!(name.starts_with(&format!("{:03}_", i + 1)), "{name} out of sequence");
        }
    }
}
