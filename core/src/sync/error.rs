//! The sync surface's error: what went wrong talking to the co-op's server, with a stable key
//! the apps localize and a flag telling the background scheduler whether trying later can help.

use super::wire::WireError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this phone is not enrolled with a co-op yet: scan the enrollment QR from your manager")]
    NotEnrolled,
    #[error("the enrollment QR is not valid: {0}")]
    InvalidEnrollmentQr(String),
    #[error("the server could not be reached: {0}")]
    Network(String),
    #[error("the server did not answer in time")]
    Timeout,
    #[error("the server is busy; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("the server failed ({status}): {message}")]
    Server { status: u16, key: String, message: String },
    #[error("the server refused the request ({status} {key}): {message}")]
    Refused { status: u16, key: String, message: String },
    #[error("this phone's credential is no longer valid: enroll it again")]
    Unauthorized,
    #[error("this phone was removed from the co-op by a manager")]
    Revoked,
    #[error("the server sent data this app cannot read: {0}")]
    Wire(#[from] WireError),
    #[error("the server's answer is not what the protocol says: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] crate::Error),
    #[error("the secure random generator failed: {0}")]
    Entropy(String),
}

impl SyncError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> String {
        match self {
            SyncError::NotEnrolled => "sync_not_enrolled".into(),
            SyncError::InvalidEnrollmentQr(_) => "enrollment_qr_invalid".into(),
            SyncError::Network(_) => "network_unavailable".into(),
            SyncError::Timeout => "network_timeout".into(),
            SyncError::RateLimited { .. } => "rate_limited".into(),
            // The server's own key (e.g. `storage_error`) says more than a generic one.
            SyncError::Server { key, .. } | SyncError::Refused { key, .. } => key.clone(),
            SyncError::Unauthorized => "credential_invalid".into(),
            SyncError::Revoked => "device_revoked".into(),
            SyncError::Wire(err) => err.key().into(),
            SyncError::Protocol(_) => "sync_protocol".into(),
            SyncError::Store(err) => err.key().into(),
            SyncError::Entropy(_) => "entropy_unavailable".into(),
        }
    }

    /// Whether the same request may succeed later without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Network(_) | SyncError::Timeout | SyncError::RateLimited { .. } | SyncError::Server { .. }
        )
    }
}
