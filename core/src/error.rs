//! The core's public error: one enum, each variant with a stable machine-readable key that the
//! Android and iOS shells localize (zh-CN, en). Storage internals are mapped here, in one place,
//! so no SQLite detail leaks into the app's decisions.

use crate::model::EventId;
use crate::payload::PayloadError;
use rusqlite::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scanned label could not be read as a code; the inner error says where and why.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("nothing has been scanned yet: scan a label before reporting")]
    NothingScanned,
    #[error("no event {0} is stored on this device")]
    EventNotFound(EventId),
    #[error("event {event} can no longer be undone: it was recorded {elapsed_ms} ms ago and undo is allowed for {window_ms} ms")]
    UndoExpired { event: EventId, elapsed_ms: i64, window_ms: i64 },
    #[error("event {0} was recorded on another device and cannot be undone here")]
    NotOwnEvent(EventId),
    #[error("event {0} has already been undone")]
    AlreadyUndone(EventId),
    #[error("event {0} is itself a correction and cannot be undone")]
    CannotUndoCorrection(EventId),
    #[error("a {role} may not record {kind} events")]
    RoleForbidden { role: &'static str, kind: &'static str },
    #[error("invalid event: {field}: {reason}")]
    InvalidEvent { field: &'static str, reason: String },
    #[error("the phone's storage is full: free some space, nothing recorded so far is lost")]
    StorageFull,
    #[error("the database was written by a newer app version (schema {found}, this app knows up to {supported}): update the app")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("the database file is damaged: {0}")]
    Corrupt(String),
    #[error("the database is busy or locked by another process")]
    Busy,
    #[error("database error: {0}")]
    Database(String),
}

impl Error {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            Error::Payload(inner) => inner.key(),
            Error::NothingScanned => "nothing_scanned",
            Error::EventNotFound(_) => "event_not_found",
            Error::UndoExpired { .. } => "undo_expired",
            Error::NotOwnEvent(_) => "undo_not_own_event",
            Error::AlreadyUndone(_) => "undo_already_undone",
            Error::CannotUndoCorrection(_) => "undo_correction",
            Error::RoleForbidden { .. } => "role_forbidden_kind",
            Error::InvalidEvent { .. } => "event_invalid",
            Error::StorageFull => "storage_full",
            Error::SchemaTooNew { .. } => "storage_schema_too_new",
            Error::Corrupt(_) => "storage_corrupt",
            Error::Busy => "storage_busy",
            Error::Database(_) => "storage_error",
        }
    }

    pub(crate) fn invalid_event(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidEvent { field, reason: reason.into() }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::StorageFull,
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => Error::Corrupt(err.to_string()),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Busy,
            _ => Error::Database(err.to_string()),
        }
    }
}

/// `event.validate()?` in functions returning this crate's `Result`: same key and message as before
/// the model moved to fieldtrace-proto.
impl From<fieldtrace_proto::InvalidEvent> for Error {
    fn from(err: fieldtrace_proto::InvalidEvent) -> Self {
        Error::InvalidEvent { field: err.field, reason: err.reason }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_snake_case() {
        let id = EventId::new();
        let all = [
            Error::Payload(PayloadError::Empty),
            Error::NothingScanned,
            Error::EventNotFound(id),
            Error::UndoExpired { event: id, elapsed_ms: 0, window_ms: 0 },
            Error::NotOwnEvent(id),
            Error::AlreadyUndone(id),
            Error::CannotUndoCorrection(id),
            Error::RoleForbidden { role: "", kind: "" },
            Error::InvalidEvent { field: "x", reason: String::new() },
            Error::StorageFull,
            Error::SchemaTooNew { found: 0, supported: 0 },
            Error::Corrupt(String::new()),
            Error::Busy,
            Error::Database(String::new()),
        ];
        let mut keys: Vec<_> = all.iter().map(Error::key).collect();
        assert!(keys.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
    }

    #[test]
    fn sqlite_full_maps_to_storage_full() {
        let err = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        assert_eq!(Error::from(err).key(), "storage_full");
    }
}
