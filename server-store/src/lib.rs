//! The sync server's storage boundary: every record the server persists ([`records`]) and the
//! traits a backend implements, one per concern ([`traits`], with the alert tables in
//! [`alerts::AlertStore`]). [`Storage`] is all of them together. The embedded SQLite
//! (`fieldtrace-store-sqlite`) and later backends are interchangeable and must pass one
//! conformance suite (`conformance`, behind the feature of that name). SQL dialect details stay inside each implementation.
//!
//! May import: `fieldtrace-core` (the event model) and nothing of the server's handlers, pages or
//! CLI; backends and the server depend on this crate, never the other way.

pub mod alerts;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod lot_history;
pub mod read_model;
pub mod records;
pub mod traits;

pub use lot_history::*;
pub use read_model::*;
pub use records::*;
pub use traits::*;

use fieldtrace_core::model::DeviceId;

/// Every storage trait in scope, for code that calls them on a concrete backend.
pub mod prelude {
    pub use crate::alerts::AlertStore;
    pub use crate::read_model::ReadModelStore;
    pub use crate::traits::*;
    pub use crate::Storage;
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such co-op: {0}")]
    UnknownCoop(String),
    #[error("the enrollment token is unknown, expired or already used")]
    TokenInvalid,
    #[error("device {0} is already enrolled with another credential")]
    DeviceConflict(DeviceId),
    #[error("device {0} already registered another public key")]
    DeviceKeyConflict(DeviceId),
    #[error("the read model of co-op {0} was moved on by another projector")]
    ProjectionMoved(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

/// A backend's own failure (SQLite's, later PostgreSQL's) keeps only its message: callers act on
/// the variants above, never on driver details. The impl sits behind the backend's feature so this
/// crate needs no database driver of its own.
#[cfg(feature = "rusqlite")]
impl From<rusqlite::Error> for StorageError {
    fn from(err: rusqlite::Error) -> Self {
        StorageError::Backend(err.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Everything the sync server persists: every concern's trait, implemented by one backend.
pub trait Storage:
    CoopStore
    + HealthCheck
    + SyncLog
    + DeviceStore
    + AccountStore
    + AuditLog
    + PhotoStore
    + ReportStore
    + TraceLookup
    + alerts::AlertStore
    + ReadModelStore
    + StoreStats
{
}

impl<T> Storage for T where
    T: CoopStore
        + HealthCheck
        + SyncLog
        + DeviceStore
        + AccountStore
        + AuditLog
        + PhotoStore
        + ReportStore
        + TraceLookup
        + alerts::AlertStore
        + ReadModelStore
        + StoreStats
{
}
