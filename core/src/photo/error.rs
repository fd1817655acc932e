//! Why a photo could not be compressed, stored or found. Each variant has a stable key for the
//! apps; a bad photo is an error, never a panic. The photo surface's own enum (as `DecodeError` is
//! the decoder's); a failure of the device database underneath is wrapped, with its own key.

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo could not be read: {reason}")]
    Unreadable { reason: String },
    #[error("the photo is {format}; only JPEG and PNG photos are accepted")]
    UnsupportedFormat { format: String },
    #[error("the photo is {width}×{height}; at most {max_pixels} pixels are accepted")]
    TooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("the photo could not be compressed to at most {max_bytes} bytes (smallest try: {smallest} bytes)")]
    CannotFit { max_bytes: usize, smallest: usize },
    #[error("the photo could not be encoded as JPEG: {reason}")]
    Encode { reason: String },
    #[error("{reference:?} is not a photo reference (64 lowercase hex digits of a SHA-256)")]
    InvalidRef { reference: String },
    #[error("photo {sha256} is not stored on this device")]
    NotFound { sha256: String },
    #[error("photo {sha256} on this device is damaged (its bytes no longer match their hash)")]
    Damaged { sha256: String },
    #[error("this store has no photo folder (an in-memory database keeps no photos)")]
    NoPhotoFolder,
    #[error("the photo file {path} could not be written or read: {reason}")]
    Io { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl PhotoError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            PhotoError::Unreadable { .. } => "photo_unreadable",
            PhotoError::UnsupportedFormat { .. } => "photo_unsupported_format",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::CannotFit { .. } => "photo_cannot_fit",
            PhotoError::Encode { .. } => "photo_encode_failed",
            PhotoError::InvalidRef { .. } => "photo_ref_invalid",
            PhotoError::NotFound { .. } => "photo_not_found",
            PhotoError::Damaged { .. } => "photo_damaged",
            PhotoError::NoPhotoFolder => "photo_no_folder",
            PhotoError::Io { .. } => "photo_io",
            PhotoError::Store(inner) => inner.key(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        PhotoError::Io { path: path.display().to_string(), reason: err.to_string() }
    }
}
