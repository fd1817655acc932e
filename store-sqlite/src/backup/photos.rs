//! Photo files into and out of a backup. The folder layout is the server's photo store's
//! (`fieldtrace_server::photos::PhotoFiles`): complete photos at `objects/<ab>/<sha256>.jpg`,
//! `<ab>` the name's first two hex digits. This crate may not import the server, so the layout is
//! written here again; the backup test reads a restored photo back through the server, which
//! fails if the two drift apart.

use super::{damaged, shown, sync_dir, sync_file, BackupError, Context};
use rusqlite::Connection;
use std::fs;
use std::path::Path;

/// Stores every complete photo under `photo_dir` in the backup; returns (count, bytes). A photo
/// whose bytes do not hash to its name is refused here: a backup is no place to find out later.
pub(super) fn pack(conn: &Connection, photo_dir: &Path) -> Result<(u64, u64), BackupError> {
    let objects = photo_dir.join("objects");
    if !objects.is_dir() {
        return Ok((0, 0));
    }
    let mut insert = conn
        .prepare("INSERT INTO fieldtrace_backup_photos (sha256, bytes) VALUES (?1, ?2)")
        .context(|| "preparing the photo table".into())?;
    let (mut count, mut total) = (0u64, 0u64);
    for fan in sorted_entries(&objects)? {
        if !fan.is_dir() {
            continue;
        }
        for file in sorted_entries(&fan)? {
            // Only finished photos: a thumbnail or a stray temp file has another name.
            let Some(sha256) = photo_name(&file) else { continue };
            let bytes = fs::read(&file).context(|| format!("reading photo {}", shown(&file)))?;
            let actual = fieldtrace_core::photo::sha256_hex(&bytes);
            if actual != sha256 {
                return Err(BackupError::Io {
                    context: format!("photo {}", shown(&file)),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("its bytes hash to {actual}, not to its name; the photo folder is damaged"),
                    ),
                });
            }
            insert.execute(rusqlite::params![sha256, bytes]).context(|| format!("storing photo {sha256}"))?;
            count += 1;
            total += bytes.len() as u64;
        }
    }
    Ok((count, total))
}

/// Writes the backup's photos into the new folder `into` (each file synced), checking each
/// against its name; returns (count, bytes). `from` is the backup, named in errors.
pub(super) fn unpack(conn: &Connection, into: &Path, from: &Path) -> Result<(u64, u64), BackupError> {
    let mut select = conn
        .prepare("SELECT sha256, bytes FROM fieldtrace_backup_photos ORDER BY sha256")
        .context(|| format!("{}: reading its photos", shown(from)))?;
    let mut rows = select.query([]).context(|| format!("{}: reading its photos", shown(from)))?;
    let (mut count, mut total) = (0u64, 0u64);
    while let Some(row) = rows.next().context(|| format!("{}: reading its photos", shown(from)))? {
        let sha256: String = row.get(0).context(|| shown(from))?;
        let bytes = row.get_ref(1).and_then(|value| Ok(value.as_blob()?)).context(|| shown(from))?;
        if !is_sha256(&sha256) || fieldtrace_core::photo::sha256_hex(bytes) != sha256 {
            return Err(damaged(from, format!("photo {sha256:?} does not hash to its name")));
        }
        let dir = into.join("objects").join(&sha256[..2]);
        fs::create_dir_all(&dir).context(|| format!("creating {}", shown(&dir)))?;
        let path = dir.join(format!("{sha256}.jpg"));
        fs::write(&path, bytes).context(|| format!("writing {}", shown(&path)))?;
        sync_file(&path)?;
        count += 1;
        total += bytes.len() as u64;
    }
    if count > 0 {
        // The fan-out folders' entries, then theirs in `objects`: the photos survive a crash.
        for dir in sorted_entries(&into.join("objects"))? {
            sync_dir(&dir)?;
        }
        sync_dir(&into.join("objects"))?;
        sync_dir(into)?;
    }
    Ok((count, total))
}

/// The photo's SHA-256 if `file` is named like a complete photo (`<64 hex digits>.jpg`).
fn photo_name(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    let sha256 = name.strip_suffix(".jpg")?;
    is_sha256(sha256).then(|| sha256.to_owned())
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A folder's entries in name order, so a backup lists photos the same way every time.
fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, BackupError> {
    let entries = fs::read_dir(dir).context(|| format!("listing {}", shown(dir)))?;
    let mut paths = entries
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .context(|| format!("listing {}", shown(dir)))?;
    paths.sort();
    Ok(paths)
}
