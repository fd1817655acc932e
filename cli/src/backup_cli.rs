//! `fieldtrace backup` and `fieldtrace restore`: a consistent copy of a server's database and
//! photos taken while it serves, and a verified restore of one into a fresh database path. The
//! work is `fieldtrace_store_sqlite::backup` (what the file holds and why `VACUUM INTO`); this
//! runs it off the async threads and says what was copied, per co-op, so an operator can compare
//! a restore with the backup it came from.

use fieldtrace_store_sqlite::backup::{self, Manifest};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The server's database (its photo folder `<db>-photos` is included).
    #[arg(long, default_value = "fieldtrace.db")]
    db: PathBuf,
    /// The backup file to write; it must not exist yet.
    #[arg(long)]
    to: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `fieldtrace backup`.
    #[arg(long)]
    from: PathBuf,
    /// Where the restored database goes (its photos into `<db>-photos`).
    #[arg(long)]
    db: PathBuf,
    /// Replace an existing database and photo folder there (stop its server first).
    #[arg(long)]
    force: bool,
}

pub async fn backup(args: BackupArgs) -> Result<String, String> {
    let BackupArgs { db, to } = args;
    let (source, file) = (db.clone(), to.clone());
    let manifest = blocking(move || backup::backup(&source, &file)).await?;
    Ok(format!("backup of {} written to {}\n{}", db.display(), to.display(), describe(&manifest)))
}

pub async fn restore(args: RestoreArgs) -> Result<String, String> {
    let RestoreArgs { from, db, force } = args;
    let (file, target) = (from.clone(), db.clone());
    let manifest = blocking(move || backup::restore(&file, &target, force)).await?;
    Ok(format!("{} restored into {} and verified\n{}", from.display(), db.display(), describe(&manifest)))
}

/// Backup and restore read and write whole files: on the blocking pool, not a runtime thread.
async fn blocking(
    work: impl FnOnce() -> Result<Manifest, backup::BackupError> + Send + 'static,
) -> Result<Manifest, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| format!("backup task failed: {err}"))?
        .map_err(|err| err.to_string())
}

/// The manifest as the operator reads it: schema, photos, and each co-op's extent and hash.
fn describe(manifest: &Manifest) -> String {
    let mut text = format!(
        "schema version {}, photos: {} ({} bytes)\n",
        manifest.schema_version, manifest.photos, manifest.photo_bytes
    );
    if manifest.coops.is_empty() {
        text.push_str("no events\n");
    }
    for coop in &manifest.coops {
        text.push_str(&format!(
            "co-op {}: {} events up to seq {}, sha256 {}\n",
            coop.coop, coop.events, coop.last_seq, coop.content_sha256
        ));
    }
    text
}
