//! The device's photo folder: compressed JPEGs named by their SHA-256, beside the database.
//!
//! Photos are files rather than SQLite blobs so that a 200 KB write never holds the store's single
//! writer connection (a tap must commit in milliseconds) and never passes through the WAL twice
//! (log, then checkpoint). Each write is atomic: a temporary file in the same folder, fsynced,
//! renamed into place, and the folder fsynced, so a crash leaves either no photo or the whole one.
//! A content-addressed name makes rewriting the same photo a no-op.

use super::compress::sha256_hex;
use super::error::PhotoError;
use crate::model::PhotoRef;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct PhotoFolder {
    dir: PathBuf,
}

impl PhotoFolder {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder for the database at `db_path`: `<file name>-photos` beside it (as `-wal` is).
    pub fn beside(db_path: &Path) -> Self {
        let mut name = db_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push("-photos");
        Self::new(db_path.with_file_name(name))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, photo: &PhotoRef) -> Result<PathBuf, PhotoError> {
        checked(photo)?;
        Ok(self.dir.join(format!("{}.jpg", photo.0)))
    }

    /// Writes `jpeg` under its hash unless it is already there; returns the reference.
    pub fn write(&self, jpeg: &[u8]) -> Result<PhotoRef, PhotoError> {
        let photo = PhotoRef(sha256_hex(jpeg));
        let target = self.path_of(&photo)?;
        if target.exists() {
            return Ok(photo);
        }
        fs::create_dir_all(&self.dir).map_err(|e| PhotoError::io(&self.dir, e))?;
        let temp = self.dir.join(format!(".{}.{:016x}.tmp", photo.0, nonce()));
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(jpeg)?;
            file.sync_all()?;
            fs::rename(&temp, &target)?;
            sync_dir(&self.dir)
        })();
        if let Err(err) = written {
            let _ = fs::remove_file(&temp);
            return Err(PhotoError::io(&target, err));
        }
        Ok(photo)
    }

    /// The photo's bytes, checked against its name (a damaged file is reported, never sent).
    pub fn read(&self, photo: &PhotoRef) -> Result<Vec<u8>, PhotoError> {
        let path = self.path_of(photo)?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(PhotoError::NotFound { sha256: photo.0.clone() })
            }
            Err(err) => return Err(PhotoError::io(&path, err)),
        };
        if sha256_hex(&bytes) != photo.0 {
            return Err(PhotoError::Damaged { sha256: photo.0.clone() });
        }
        Ok(bytes)
    }

    pub fn contains(&self, photo: &PhotoRef) -> bool {
        self.path_of(photo).is_ok_and(|p| p.exists())
    }
}

/// A temporary-file suffix unique in this process: two threads saving the same photo never share
/// a temp file (the process id keeps two processes on one folder apart).
fn nonce() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    (u64::from(std::process::id()) << 32) | NEXT.fetch_add(1, Ordering::Relaxed)
}

fn checked(photo: &PhotoRef) -> Result<(), PhotoError> {
    if photo.is_well_formed() {
        Ok(())
    } else {
        Err(PhotoError::InvalidRef { reference: photo.0.chars().take(80).collect() })
    }
}

/// Makes a rename durable: the directory entry itself must reach the disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
