//! Photo files on the server's disk, content-addressed:
//!
//! - `objects/<ab>/<sha256>.jpg`: complete photos, shared by every co-op that uploaded them;
//! - `partial/<sha256>.<co-op tag>.part`: uploads in progress, one per co-op and photo, appended
//!   chunk by chunk (each append fsynced, so the file's length is what the server holds);
//! - `thumbs/<ab>/<sha256>-<edge>.jpg`: thumbnails, made on first request and kept.
//!
//! A partial becomes an object only after its SHA-256 matches its name and it is a JPEG; the move
//! is a rename within the folder, fsynced, so readers see a whole photo or none.

use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a completed upload was not kept.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    #[error("the received bytes hash to {actual}, not to the photo's name")]
    HashMismatch { actual: String },
    #[error("the photo is not a JPEG")]
    NotJpeg,
    #[error(transparent)]
    Io(#[from] io::Error),
}

pub struct PhotoFiles {
    root: PathBuf,
    /// Serializes appends and completions: an upload's offset check and its write must not
    /// interleave with another device's upload of the same photo.
    pub lock: tokio::sync::Mutex<()>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Callers pass only validated names (64 lowercase hex digits); this keeps paths inside `root`.
fn fan_out(sha256: &str) -> &str {
    sha256.get(..2).unwrap_or("xx")
}

impl PhotoFiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), lock: tokio::sync::Mutex::new(()) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn partial_path(&self, coop: &str, sha256: &str) -> PathBuf {
        // Co-op ids are operator-chosen text; a hash of the id is always a safe file name.
        let tag = hex(&Sha256::digest(coop.as_bytes())[..8]);
        self.root.join("partial").join(format!("{sha256}.{tag}.part"))
    }

    pub fn object_path(&self, sha256: &str) -> PathBuf {
        self.root.join("objects").join(fan_out(sha256)).join(format!("{sha256}.jpg"))
    }

    fn thumb_path(&self, sha256: &str, edge: u32) -> PathBuf {
        self.root.join("thumbs").join(fan_out(sha256)).join(format!("{sha256}-{edge}.jpg"))
    }

    /// Bytes of `coop`'s upload in progress (0 if none).
    pub fn partial_len(&self, coop: &str, sha256: &str) -> io::Result<u64> {
        match fs::metadata(self.partial_path(coop, sha256)) {
            Ok(meta) => Ok(meta.len()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(err) => Err(err),
        }
    }

    /// Appends a chunk durably; returns the new length.
    pub fn append(&self, coop: &str, sha256: &str, chunk: &[u8]) -> io::Result<u64> {
        let path = self.partial_path(coop, sha256);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        file.write_all(chunk)?;
        file.sync_data()?;
        Ok(file.metadata()?.len())
    }

    pub fn discard(&self, coop: &str, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.partial_path(coop, sha256)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Verifies the finished partial and moves it into place (or drops it if another co-op's
    /// identical photo is already there). A mismatch discards the partial.
    pub fn finish(&self, coop: &str, sha256: &str) -> Result<(), FinishError> {
        let partial = self.partial_path(coop, sha256);
        let bytes = fs::read(&partial)?;
        let actual = hex(&Sha256::digest(&bytes));
        if actual != sha256 {
            self.discard(coop, sha256)?;
            return Err(FinishError::HashMismatch { actual });
        }
        if !matches!(image::guess_format(&bytes), Ok(image::ImageFormat::Jpeg)) {
            self.discard(coop, sha256)?;
            return Err(FinishError::NotJpeg);
        }
        let object = self.object_path(sha256);
        if object.exists() {
            self.discard(coop, sha256)?;
            return Ok(());
        }
        let dir = object.parent().unwrap_or(&self.root).to_owned();
        fs::create_dir_all(&dir)?;
        fs::rename(&partial, &object)?;
        sync_dir(&dir)?;
        Ok(())
    }

    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.object_path(sha256))
    }

    /// A JPEG thumbnail at most `edge` pixels on its longest side, made once and kept.
    pub fn thumbnail(&self, sha256: &str, edge: u32) -> io::Result<Vec<u8>> {
        let path = self.thumb_path(sha256, edge);
        match fs::read(&path) {
            Ok(bytes) => return Ok(bytes),
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            Err(_) => {}
        }
        let invalid = |e: image::ImageError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
        let original = image::load_from_memory_with_format(&self.read(sha256)?, image::ImageFormat::Jpeg)
            .map_err(invalid)?
            .into_rgb8();
        let (w, h) = original.dimensions();
        let longest = w.max(h).max(1);
        let scale = |side: u32| ((u64::from(side) * u64::from(edge.min(longest))) / u64::from(longest)).max(1) as u32;
        let small = image::imageops::thumbnail(&original, scale(w), scale(h));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&small).map_err(invalid)?;
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        fs::create_dir_all(&dir)?;
        // Two first requests at once both write a temp file; either rename wins, both are whole.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temp = dir.join(format!(".{sha256}-{edge}.{}.tmp", NEXT.fetch_add(1, Ordering::Relaxed)));
        let mut file = File::create(&temp)?;
        file.write_all(&jpeg)?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        Ok(jpeg)
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
