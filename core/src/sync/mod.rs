//! Sync between phones and the co-op's server.
//!
//! Events are a grow-only set (merge is union, duplicates are harmless), so sync is just moving
//! events: push the outbox, pull by cursor. See `docs/sync.md`.
//!
//! - [`wire`]: the frozen, compressed wire format both sides speak.
//! - [`SyncClient`]: enrollment and `sync_now()` for the phone.

mod client;
mod enroll;
mod error;
mod photo_upload;
mod transport;
pub mod wire;

pub use client::{SyncClient, SyncConfig, SyncPhase, SyncReport, SyncStatus};
pub use enroll::{enrollment, new_secret, Enrollment, EnrollmentOffer};
pub use error::SyncError;
