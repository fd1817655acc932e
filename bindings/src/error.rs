//! The one error the apps see. Inside, the core has rich errors (`Error`, `SyncError`,
//! `DecodeError`, `FlowError`, `HandoverError`, `PhotoError`, `SensorError`); outside, a variant per thing the app would *do* differently, each carrying the
//! core's stable `key` (the shells' string-resource name for localizing) and an English `detail`
//! for logs. All mapping happens here, in one place.
//!
//! The text field is `detail`, not `message`: a Kotlin exception field named `message` clashes
//! with `Throwable.message` and the generated code does not compile (uniffi-rs #1434).

use fieldtrace_core::decode::DecodeError;
use fieldtrace_core::handover::HandoverError;
use fieldtrace_core::photo::PhotoError;
use fieldtrace_core::sensors::SensorError;
use fieldtrace_core::session::FlowError;
use fieldtrace_core::sync::SyncError;
use fieldtrace_core::Error as CoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FieldTraceError {
    /// The scanned text, camera frame, enrollment QR or entered value cannot be used: scan or
    /// enter it again.
    #[error("{key}: {detail}")]
    InvalidInput { key: String, detail: String },
    /// The action does not apply now (nothing scanned, undo window over, another phone's event):
    /// tell the user; retrying the same call will not help.
    #[error("{key}: {detail}")]
    NotAllowed { key: String, detail: String },
    /// The phone's database failed (storage full, damaged, from a newer app, busy). Nothing
    /// confirmed earlier is lost.
    #[error("{key}: {detail}")]
    Storage { key: String, detail: String },
    /// Not enrolled, or the co-op no longer accepts this phone: show the enrollment screen.
    #[error("{key}: {detail}")]
    EnrollmentNeeded { key: String, detail: String },
    /// The server cannot be reached or is busy: nothing is lost, sync again later.
    #[error("{key}: {detail}")]
    Unavailable { key: String, detail: String },
    /// The server refused the request or answered something this app cannot read: the app may
    /// need an update, or the manager must act.
    #[error("{key}: {detail}")]
    Rejected { key: String, detail: String },
    /// A failure of the platform or a bug (no entropy, no async runtime).
    #[error("{key}: {detail}")]
    Internal { key: String, detail: String },
    /// A scanned handover offer or receipt is forged, altered, or from another co-op or an
    /// uncertified phone: warn loudly and do not take the goods over on its word.
    #[error("{key}: {detail}")]
    Untrusted { key: String, detail: String },
}

impl FieldTraceError {
    /// The stable key, whatever the variant.
    pub fn key(&self) -> &str {
        match self {
            FieldTraceError::InvalidInput { key, .. }
            | FieldTraceError::NotAllowed { key, .. }
            | FieldTraceError::Storage { key, .. }
            | FieldTraceError::EnrollmentNeeded { key, .. }
            | FieldTraceError::Unavailable { key, .. }
            | FieldTraceError::Rejected { key, .. }
            | FieldTraceError::Internal { key, .. }
            | FieldTraceError::Untrusted { key, .. } => key,
        }
    }

    pub(crate) fn invalid_input(key: &str, detail: impl Into<String>) -> Self {
        FieldTraceError::InvalidInput { key: key.to_owned(), detail: detail.into() }
    }

    pub(crate) fn internal(key: &str, detail: impl Into<String>) -> Self {
        FieldTraceError::Internal { key: key.to_owned(), detail: detail.into() }
    }
}

/// Key and detail of any core error, for the constructors below.
fn parts(key: impl Into<String>, err: &impl std::fmt::Display) -> (String, String) {
    (key.into(), err.to_string())
}

impl From<CoreError> for FieldTraceError {
    fn from(err: CoreError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            CoreError::Payload(_) | CoreError::InvalidEvent { .. } => FieldTraceError::InvalidInput { key, detail },
            CoreError::NothingScanned
            | CoreError::EventNotFound(_)
            | CoreError::UndoExpired { .. }
            | CoreError::NotOwnEvent(_)
            | CoreError::AlreadyUndone(_)
            | CoreError::CannotUndoCorrection(_)
            | CoreError::RoleForbidden { .. } => FieldTraceError::NotAllowed { key, detail },
            CoreError::StorageFull
            | CoreError::SchemaTooNew { .. }
            | CoreError::Corrupt(_)
            | CoreError::Busy
            | CoreError::Database(_) => FieldTraceError::Storage { key, detail },
        }
    }
}

impl From<SyncError> for FieldTraceError {
    fn from(err: SyncError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            SyncError::Store(inner) => inner.into(),
            SyncError::InvalidEnrollmentQr(_) => FieldTraceError::InvalidInput { key, detail },
            SyncError::NotEnrolled | SyncError::Unauthorized | SyncError::Revoked => {
                FieldTraceError::EnrollmentNeeded { key, detail }
            }
            SyncError::Network(_) | SyncError::Timeout | SyncError::RateLimited { .. } | SyncError::Server { .. } => {
                FieldTraceError::Unavailable { key, detail }
            }
            SyncError::Refused { .. } | SyncError::Wire(_) | SyncError::Protocol(_) => {
                FieldTraceError::Rejected { key, detail }
            }
            SyncError::Entropy(_) => FieldTraceError::Internal { key, detail },
        }
    }
}

impl From<DecodeError> for FieldTraceError {
    fn from(err: DecodeError) -> Self {
        // Every decode error is about the frame the caller handed over.
        let (key, detail) = parts(err.key(), &err);
        FieldTraceError::InvalidInput { key, detail }
    }
}

impl From<FlowError> for FieldTraceError {
    fn from(err: FlowError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            FlowError::Core(inner) => inner.into(),
            // A code or a name the user typed or scanned: scan or type it again.
            FlowError::ManifestEntry { .. } | FlowError::Recipient { .. } | FlowError::PhotoRef { .. } => {
                FieldTraceError::InvalidInput { key, detail }
            }
            // The goods or the trip are not in a state for this: tell the user.
            FlowError::ContainmentCycle { .. }
            | FlowError::NotInContainer { .. }
            | FlowError::ContainerEmpty(_)
            | FlowError::NoUnits(_)
            | FlowError::NoManifest(_)
            | FlowError::NothingLoaded(_)
            | FlowError::AlreadyDeparted(_)
            | FlowError::NothingToDeliver(_) => FieldTraceError::NotAllowed { key, detail },
        }
    }
}

impl From<HandoverError> for FieldTraceError {
    fn from(err: HandoverError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            HandoverError::Store(inner) => inner.into(),
            HandoverError::QrInvalid(_) | HandoverError::InvalidOffer(_) => {
                FieldTraceError::InvalidInput { key, detail }
            }
            HandoverError::WrongCoop { .. }
            | HandoverError::NotCertified { .. }
            | HandoverError::BadSignature { .. }
            | HandoverError::UnknownDevice(_) => FieldTraceError::Untrusted { key, detail },
            // No certified key yet: one sync fixes it, not a new enrollment.
            HandoverError::NoDeviceKey
            | HandoverError::UnknownOffer(_)
            | HandoverError::AlreadyAccepted(_)
            | HandoverError::NoOfferScanned
            | HandoverError::OwnOffer => FieldTraceError::NotAllowed { key, detail },
        }
    }
}

impl From<PhotoError> for FieldTraceError {
    fn from(err: PhotoError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            PhotoError::Store(inner) => inner.into(),
            // The photo handed over (or named) cannot be used: take or pick another.
            PhotoError::Unreadable { .. }
            | PhotoError::UnsupportedFormat { .. }
            | PhotoError::TooLarge { .. }
            | PhotoError::CannotFit { .. }
            | PhotoError::InvalidRef { .. }
            | PhotoError::NotFound { .. } => FieldTraceError::InvalidInput { key, detail },
            PhotoError::Damaged { .. } | PhotoError::NoPhotoFolder | PhotoError::Io { .. } => {
                FieldTraceError::Storage { key, detail }
            }
            PhotoError::Encode { .. } => FieldTraceError::Internal { key, detail },
        }
    }
}

impl From<SensorError> for FieldTraceError {
    fn from(err: SensorError) -> Self {
        let (key, detail) = parts(err.key(), &err);
        match err {
            SensorError::Core(inner) => inner.into(),
            SensorError::NoHeader { .. } | SensorError::BadHeader { .. } | SensorError::InvalidImport { .. } => {
                FieldTraceError::InvalidInput { key, detail }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldtrace_core::model::EventId;

    /// The variant's name, so a table of cases can say which one it expects.
    fn variant(err: &FieldTraceError) -> &'static str {
        match err {
            FieldTraceError::InvalidInput { .. } => "InvalidInput",
            FieldTraceError::NotAllowed { .. } => "NotAllowed",
            FieldTraceError::Storage { .. } => "Storage",
            FieldTraceError::EnrollmentNeeded { .. } => "EnrollmentNeeded",
            FieldTraceError::Unavailable { .. } => "Unavailable",
            FieldTraceError::Rejected { .. } => "Rejected",
            FieldTraceError::Internal { .. } => "Internal",
            FieldTraceError::Untrusted { .. } => "Untrusted",
        }
    }

    #[test]
    fn core_keys_pass_through_and_variants_follow_what_the_app_does() {
        let id = EventId::new();
        let refused = SyncError::Refused { status: 403, key: "role_forbidden".into(), message: "no".into() };
        let cases: Vec<(FieldTraceError, &str, &str)> = vec![
            (CoreError::NothingScanned.into(), "nothing_scanned", "NotAllowed"),
            (
                CoreError::UndoExpired { event: id, elapsed_ms: 11_000, window_ms: 10_000 }.into(),
                "undo_expired",
                "NotAllowed",
            ),
            (CoreError::StorageFull.into(), "storage_full", "Storage"),
            (SyncError::NotEnrolled.into(), "sync_not_enrolled", "EnrollmentNeeded"),
            (SyncError::Revoked.into(), "device_revoked", "EnrollmentNeeded"),
            (SyncError::Timeout.into(), "network_timeout", "Unavailable"),
            (SyncError::Store(CoreError::Busy).into(), "storage_busy", "Storage"),
            (refused.into(), "role_forbidden", "Rejected"),
            (SyncError::Entropy("none".into()).into(), "entropy_unavailable", "Internal"),
            (DecodeError::InvalidRotation { degrees: 45 }.into(), "decode_invalid_rotation", "InvalidInput"),
            (FlowError::NoManifest("T-1".into()).into(), "trip_no_manifest", "NotAllowed"),
            (FlowError::Recipient { max: 100 }.into(), "delivery_recipient", "InvalidInput"),
            (FlowError::Core(CoreError::NothingScanned).into(), "nothing_scanned", "NotAllowed"),
            (
                HandoverError::BadSignature { what: "offer", device: fieldtrace_core::model::DeviceId::new() }.into(),
                "handover_bad_signature",
                "Untrusted",
            ),
            (HandoverError::QrInvalid("x".into()).into(), "handover_qr_invalid", "InvalidInput"),
            (HandoverError::NoDeviceKey.into(), "handover_no_device_key", "NotAllowed"),
            (HandoverError::Store(CoreError::Busy).into(), "storage_busy", "Storage"),
            (PhotoError::UnsupportedFormat { format: "gif".into() }.into(), "photo_unsupported_format", "InvalidInput"),
            (PhotoError::NoPhotoFolder.into(), "photo_no_folder", "Storage"),
            (SensorError::NoHeader { searched: 30 }.into(), "sensor_log_no_header", "InvalidInput"),
        ];
        for (err, key, expected) in cases {
            assert_eq!((err.key(), variant(&err)), (key, expected), "{err:?}");
        }
    }
}
