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

// The wire format lives in fieldtrace-proto; re-exported so `sync::wire::…` paths keep working.
pub use fieldtrace_proto::wire;

pub use client::{SyncClient, SyncConfig, SyncPhase, SyncReport, SyncStatus};
pub use enroll::{enrollment, new_secret, Enrollment, EnrollmentOffer};
pub use error::SyncError;

/// Request header on every push and pull: how many events will still wait in the phone's outbox
/// once this request succeeds (on a push, those not in its batch). The server keeps the last value
/// for the co-op's devices page — an estimate: the phone may record more before it syncs again, and
/// a refused event stays pending. Servers that do not know the header ignore it.
pub const PENDING_HEADER: &str = "x-fieldtrace-pending";
