//! Photos attached to abnormal reports: compressed on the phone (≤ 1280 px, ≤ 200 KB JPEG), stored
//! content-addressed beside the database, uploaded after the events that reference them
//! (`sync::SyncClient`), resumably. See `docs/photos.md`.

mod compress;
mod error;
mod folder;

pub use compress::{compress_photo, sha256_hex, CompressedPhoto, MAX_BYTES, MAX_EDGE, MAX_INPUT_PIXELS};
pub use error::PhotoError;
pub use folder::PhotoFolder;

#[cfg(test)]
mod tests;
