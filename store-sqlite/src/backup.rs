//! Online backup and verified restore of a server database and its photos, while the server runs.
//!
//! **The snapshot: `VACUUM INTO`, not the online backup API.** Both copy a consistent snapshot.
//! The backup API copies page by page, and when another connection (the server, in another
//! process) writes between two steps it starts over: under continuous pushes a large database
//! either never finishes or must be copied in one step, which is one read transaction anyway.
//! `VACUUM INTO` is that one read transaction by design: it reads the snapshot that was committed
//! when it began (every push acknowledged before the backup started is in it), WAL lets pushes
//! commit beside it, and it writes a compact copy without free pages. It needs no extra rusqlite
//! feature. Its one cost: the WAL cannot be checkpointed past its snapshot while it runs, so the
//! WAL grows for the backup's duration and is reused afterwards.
//!
//! **The backup file is that snapshot, plus two tables** (one self-contained SQLite file, no
//! archive format or dependency of its own): `fieldtrace_backup` holds the [`Manifest`] as JSON,
//! `fieldtrace_backup_photos` every complete photo file (`objects/<ab>/<sha256>.jpg` in the photo
//! folder beside the database). Partial uploads and thumbnails are left out: phones resume an
//! upload from what the server holds (none after a restore) and thumbnails are remade on demand.
//! Photos are read after the snapshot: a photo is moved into `objects/` before its row is marked
//! complete and never deleted, so every photo complete in the snapshot is on disk by then.
//!
//! **Restore** copies the file beside the target, checks it (`PRAGMA integrity_check`, schema
//! version not newer than [`SCHEMA_VERSION`], per-co-op event counts, last sequence numbers and
//! content hashes equal to the manifest, every photo's SHA-256 equal to its name), unpacks the
//! photos, drops the two backup tables and only then renames database and photo folder into
//! place, so a failed restore leaves nothing half-made. An existing database is replaced only when
//! asked (`force`); stop the server on it first.

mod photos;

use crate::photos::photo_dir_beside;
use crate::{SqliteStorage, SCHEMA_VERSION};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The manifest's `format`: tells a FieldTrace backup from any other SQLite file.
const FORMAT: &str = "fieldtrace-backup";
/// Bumped when a backup's layout changes in a way an older restore would misread.
const FORMAT_VERSION: u32 = 1;

/// What a backup holds, written into it at backup time and checked again at restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// When the backup was taken (Unix ms); the snapshot is from the start of the backup.
    pub created_at_ms: i64,
    /// `PRAGMA user_version` of the snapshot.
    pub schema_version: i64,
    /// Every co-op that has events, by id.
    pub coops: Vec<CoopExtent>,
    pub photos: u64,
    pub photo_bytes: u64,
}

/// How far one co-op's event log reaches in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoopExtent {
    pub coop: String,
    /// The highest sequence number in the backup: every event up to it is there.
    pub last_seq: i64,
    pub events: i64,
    /// SHA-256 (hex) over the co-op's events in sequence order, each as its sequence number (8
    /// bytes, big-endian), its body's length (8 bytes, big-endian) and its stored body.
    pub content_sha256: String,
}

/// Why a backup or a restore did not happen; each names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: no such database file", .0.display())]
    DatabaseMissing(PathBuf),
    #[error("{}: not a FieldTrace server database ({reason})", path.display())]
    NotADatabase { path: PathBuf, reason: String },
    #[error("{}: no such backup file", .0.display())]
    BackupMissing(PathBuf),
    #[error("{}: not a FieldTrace backup ({reason})", path.display())]
    NotABackup { path: PathBuf, reason: String },
    #[error("{} already exists; {hint}", path.display())]
    TargetExists { path: PathBuf, hint: &'static str },
    #[error("{}: the backup is damaged: {detail}", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{}: the backup has schema version {found}; this fieldtrace knows versions up to {supported}, \
         restore it with a newer fieldtrace",
        path.display()
    )]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },
    #[error("{context}: {source}")]
    Sqlite { context: String, source: rusqlite::Error },
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

/// Attaches what was being done (and to which file) to a driver or file-system error.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, BackupError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, BackupError> {
        self.map_err(|source| BackupError::Sqlite { context: what(), source })
    }
}

impl<T> Context<T> for io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, BackupError> {
        self.map_err(|source| BackupError::Io { context: what(), source })
    }
}

/// Backs up the database `db` (and the photo folder beside it) into the new file `to`.
pub fn backup(db: &Path, to: &Path) -> Result<Manifest, BackupError> {
    if !db.is_file() {
        return Err(BackupError::DatabaseMissing(db.to_owned()));
    }
    refuse_existing(&[to], "choose another backup file name or remove it")?;
    let scratch = Scratch::new(sibling(to, ".partial")?)?;
    let snapshot_path = path_text(&scratch.paths[0])?;
    {
        if !has_sqlite_header(db)? {
            return Err(not_a_database(db, "not an SQLite file"));
        }
        // Read-only: the backup never writes to the live database.
        let source = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).context(|| shown(db))?;
        source.busy_timeout(std::time::Duration::from_secs(30)).context(|| shown(db))?;
        check_is_server_database(&source, db)?;
        source.execute("VACUUM INTO ?1", [snapshot_path]).context(|| format!("{}: taking the snapshot", shown(db)))?;
    }
    let snapshot = &scratch.paths[0];
    let mut out =
        Connection::open_with_flags(snapshot, OpenFlags::SQLITE_OPEN_READ_WRITE).context(|| shown(snapshot))?;
    // One file, no -wal beside it: the backup is copied around as a single file.
    let _mode: String =
        out.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0)).context(|| shown(snapshot))?;
    let schema_version = user_version(&out).context(|| shown(snapshot))?;
    let coops = extents(&out).context(|| format!("{}: reading the snapshot's events", shown(snapshot)))?;
    let tx = out.transaction().context(|| shown(snapshot))?;
    tx.execute_batch(
        "CREATE TABLE fieldtrace_backup (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
         CREATE TABLE fieldtrace_backup_photos (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL) STRICT;",
    )
    .context(|| shown(snapshot))?;
    let (photos, photo_bytes) = match photo_dir_beside(db).filter(|dir| dir.is_dir()) {
        Some(dir) => photos::pack(&tx, &dir)?,
        None => (0, 0),
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at_ms: now_ms(),
        schema_version,
        coops,
        photos,
        photo_bytes,
    };
    let json = serde_json::to_string(&manifest)
        .map_err(|err| BackupError::Io { context: "writing the manifest".into(), source: io::Error::other(err) })?;
    tx.execute("INSERT INTO fieldtrace_backup (key, value) VALUES ('manifest', ?1)", [json])
        .context(|| shown(snapshot))?;
    tx.commit().context(|| shown(snapshot))?;
    out.close().map_err(|(_, err)| err).context(|| shown(snapshot))?;
    // VACUUM INTO does not sync what it writes; the backup must be on disk before it is named.
    sync_file(snapshot)?;
    fs::rename(snapshot, to).context(|| format!("renaming {} to {}", shown(snapshot), shown(to)))?;
    sync_parent(to)?;
    scratch.keep();
    Ok(manifest)
}

/// Restores the backup `from` into the database `db` (and the photo folder beside it), verified.
/// An existing database, its WAL files or photo folder are replaced only with `force`.
pub fn restore(from: &Path, db: &Path, force: bool) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(from)?;
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(BackupError::SchemaTooNew {
            path: from.to_owned(),
            found: manifest.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    let photo_dir = photo_dir_beside(db).ok_or_else(|| not_a_database(db, "the path names no file"))?;
    let targets = [db.to_owned(), suffixed(db, "-wal"), suffixed(db, "-shm"), photo_dir.clone()];
    if !force {
        refuse_existing(&targets, "pass --force to replace it (stop the server on it first)")?;
    }
    let scratch = Scratch::new(sibling(db, ".restore-tmp")?)?.and(sibling(&photo_dir, ".restore-tmp")?)?;
    let (copy, photo_copy) = (&scratch.paths[0], &scratch.paths[1]);
    fs::copy(from, copy).context(|| format!("copying {} to {}", shown(from), shown(copy)))?;
    let conn = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_WRITE).context(|| shown(copy))?;
    verify(&conn, &manifest, from)?;
    let (photos, photo_bytes) = photos::unpack(&conn, photo_copy, from)?;
    if (photos, photo_bytes) != (manifest.photos, manifest.photo_bytes) {
        return Err(damaged(
            from,
            format!(
                "it holds {photos} photos ({photo_bytes} bytes), its manifest says {} ({} bytes)",
                manifest.photos, manifest.photo_bytes
            ),
        ));
    }
    // Without the photos the database is the snapshot as it was taken; VACUUM gives back their pages.
    conn.execute_batch("DROP TABLE fieldtrace_backup_photos; DROP TABLE fieldtrace_backup; VACUUM;")
        .context(|| format!("{}: removing the backup tables", shown(copy)))?;
    conn.close().map_err(|(_, err)| err).context(|| shown(copy))?;
    sync_file(copy)?;
    if force {
        for target in &targets {
            remove_any(target)?;
        }
    }
    fs::rename(copy, db).context(|| format!("renaming {} to {}", shown(copy), shown(db)))?;
    if photo_copy.exists() {
        fs::rename(photo_copy, &photo_dir)
            .context(|| format!("renaming {} to {}", shown(photo_copy), shown(&photo_dir)))?;
    }
    sync_parent(db)?;
    scratch.keep();
    // Opened once as `fieldtrace serve` will: an older schema is migrated now, and a database
    // the server could not open is reported here rather than at its next start.
    SqliteStorage::open(db).map_err(|err| damaged(db, format!("the restored database does not open: {err}")))?;
    Ok(manifest)
}

/// The manifest of the backup file `from`, read without changing the file.
pub fn read_manifest(from: &Path) -> Result<Manifest, BackupError> {
    if !from.is_file() {
        return Err(BackupError::BackupMissing(from.to_owned()));
    }
    let not_backup = |reason: String| BackupError::NotABackup { path: from.to_owned(), reason };
    if !has_sqlite_header(from)? {
        return Err(not_backup("not an SQLite file".into()));
    }
    let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).context(|| shown(from))?;
    if !is_backup(&conn).context(|| shown(from))? {
        return Err(not_backup("it has no backup manifest; a live database is copied with `fieldtrace backup`".into()));
    }
    let json: Option<String> = conn
        .query_row("SELECT value FROM fieldtrace_backup WHERE key = 'manifest'", [], |row| row.get(0))
        .optional()
        .context(|| shown(from))?;
    let json = json.ok_or_else(|| not_backup("its manifest is missing".into()))?;
    let manifest: Manifest =
        serde_json::from_str(&json).map_err(|err| not_backup(format!("its manifest does not read: {err}")))?;
    if manifest.format != FORMAT {
        return Err(not_backup(format!("its format is {:?}", manifest.format)));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(not_backup(format!(
            "backup format {} is newer than this fieldtrace reads ({FORMAT_VERSION})",
            manifest.format_version
        )));
    }
    Ok(manifest)
}

/// Whether `conn` is a backup file (it has the manifest table).
pub(crate) fn is_backup(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fieldtrace_backup')",
        [],
        |row| row.get(0),
    )
}

/// Checks the restored copy against the backup's manifest before anything is put in place.
fn verify(conn: &Connection, manifest: &Manifest, from: &Path) -> Result<(), BackupError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(20)").context(|| shown(from))?;
    let problems: Vec<String> =
        stmt.query_map([], |row| row.get(0)).and_then(|rows| rows.collect()).context(|| shown(from))?;
    if problems != ["ok"] {
        return Err(damaged(from, format!("integrity check: {}", problems.join("; "))));
    }
    let found = user_version(conn).context(|| shown(from))?;
    if found != manifest.schema_version {
        return Err(damaged(from, format!("schema version {found}, its manifest says {}", manifest.schema_version)));
    }
    let coops = extents(conn).context(|| format!("{}: reading its events", shown(from)))?;
    if coops != manifest.coops {
        let differs = manifest.coops.iter().find(|expected| !coops.contains(expected));
        let detail = match differs {
            Some(expected) => format!(
                "co-op {:?}'s events differ from its manifest (expected {} events up to seq {})",
                expected.coop, expected.events, expected.last_seq
            ),
            None => "it holds events of co-ops its manifest does not list".into(),
        };
        return Err(damaged(from, detail));
    }
    Ok(())
}

/// Every co-op's last sequence number, event count and content hash ([`CoopExtent`]), streamed
/// in primary-key order (one pass, bounded memory).
fn extents(conn: &Connection) -> rusqlite::Result<Vec<CoopExtent>> {
    let mut stmt = conn.prepare("SELECT coop_id, seq, body FROM events ORDER BY coop_id, seq")?;
    let mut rows = stmt.query([])?;
    let mut done = Vec::new();
    let mut current: Option<(CoopExtent, Sha256)> = None;
    while let Some(row) = rows.next()? {
        let (coop, seq): (String, i64) = (row.get(0)?, row.get(1)?);
        let body = row.get_ref(2)?.as_blob()?;
        if current.as_ref().is_none_or(|(extent, _)| extent.coop != coop) {
            done.extend(current.take().map(finish_extent));
            let extent = CoopExtent { coop, last_seq: 0, events: 0, content_sha256: String::new() };
            current = Some((extent, Sha256::new()));
        }
        if let Some((extent, hasher)) = current.as_mut() {
            hasher.update(seq.to_be_bytes());
            hasher.update((body.len() as u64).to_be_bytes());
            hasher.update(body);
            extent.last_seq = seq;
            extent.events += 1;
        }
    }
    done.extend(current.map(finish_extent));
    Ok(done)
}

fn finish_extent((mut extent, hasher): (CoopExtent, Sha256)) -> CoopExtent {
    extent.content_sha256 = hex(&hasher.finalize());
    extent
}

fn check_is_server_database(conn: &Connection, db: &Path) -> Result<(), BackupError> {
    if is_backup(conn).context(|| shown(db))? {
        return Err(not_a_database(db, "it is a FieldTrace backup; `fieldtrace restore` makes a database of it"));
    }
    let has_events: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events')", [], |row| {
            row.get(0)
        })
        .context(|| shown(db))?;
    if user_version(conn).context(|| shown(db))? == 0 || !has_events {
        return Err(not_a_database(db, "it has no FieldTrace schema"));
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Reads the 16-byte magic every SQLite database file starts with.
fn has_sqlite_header(path: &Path) -> Result<bool, BackupError> {
    let mut header = [0u8; 16];
    let mut file = fs::File::open(path).context(|| shown(path))?;
    match file.read_exact(&mut header) {
        Ok(()) => Ok(&header == b"SQLite format 3\0"),
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(err) => Err(err).context(|| shown(path)),
    }
}

fn refuse_existing(paths: &[impl AsRef<Path>], hint: &'static str) -> Result<(), BackupError> {
    match paths.iter().map(AsRef::as_ref).find(|path| path.symlink_metadata().is_ok()) {
        Some(path) => Err(BackupError::TargetExists { path: path.to_owned(), hint }),
        None => Ok(()),
    }
}

fn remove_any(path: &Path) -> Result<(), BackupError> {
    let removed = match path.symlink_metadata() {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => return Ok(()),
    };
    removed.context(|| format!("removing {}", shown(path)))
}

/// Scratch files beside a target, removed unless the work they hold was put in place.
struct Scratch {
    paths: Vec<PathBuf>,
}

impl Scratch {
    /// Claims `path`: a left-over from an interrupted run is removed first.
    fn new(path: PathBuf) -> Result<Self, BackupError> {
        Self { paths: Vec::new() }.and(path)
    }

    fn and(mut self, path: PathBuf) -> Result<Self, BackupError> {
        remove_any(&path)?;
        self.paths.push(path);
        Ok(self)
    }

    fn keep(mut self) {
        self.paths.clear();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = remove_any(path);
            for side in ["-journal", "-wal", "-shm"] {
                let _ = fs::remove_file(suffixed(path, side));
            }
        }
    }
}

/// `path` with `suffix` appended to its file name; its folder must exist.
fn sibling(path: &Path, suffix: &str) -> Result<PathBuf, BackupError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        return Err(BackupError::Io {
            context: shown(path),
            source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
        });
    }
    if !parent.is_dir() {
        return Err(BackupError::Io {
            context: shown(path),
            source: io::Error::new(io::ErrorKind::NotFound, format!("the folder {} does not exist", shown(parent))),
        });
    }
    Ok(suffixed(path, suffix))
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// SQLite takes file names as text.
fn path_text(path: &Path) -> Result<&str, BackupError> {
    path.to_str().ok_or_else(|| BackupError::Io {
        context: shown(path),
        source: io::Error::new(io::ErrorKind::InvalidInput, "the path is not valid UTF-8"),
    })
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    fs::File::open(path).and_then(|file| file.sync_all()).context(|| format!("syncing {}", shown(path)))
}

/// Makes a rename in `path`'s folder durable.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    match path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Makes the entries of `dir` (new files, renames) durable; only Unix can open a folder to sync it.
fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    sync_file(dir)?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn not_a_database(path: &Path, reason: &str) -> BackupError {
    BackupError::NotADatabase { path: path.to_owned(), reason: reason.into() }
}

fn damaged(path: &Path, detail: String) -> BackupError {
    BackupError::Damaged { path: path.to_owned(), detail }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
