//! Server storage behind one trait, so the embedded SQLite and (later) PostgreSQL implementations
//! are interchangeable and share one conformance suite. SQL dialect details stay inside each
//! implementation; the handlers only see this interface.

pub mod sqlite;

use fieldtrace_core::model::{DeviceId, Event, EventId, PartyId, Role};
use std::future::Future;
use std::path::PathBuf;

/// A co-op: the tenant every other row belongs to.
pub type CoopId = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub coop: CoopId,
    pub party: PartyId,
    pub role: Role,
    /// SHA-256 of the device credential; the credential itself is never stored.
    pub credential_hash: [u8; 32],
    pub revoked: bool,
    /// The device's Ed25519 public key, once registered, and when (server time, ms).
    pub public_key: Option<[u8; 32]>,
    pub key_registered_at_ms: Option<i64>,
}

/// A one-time enrollment token as a manager creates it (shown as a QR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollmentToken {
    pub token_hash: [u8; 32],
    pub coop: CoopId,
    pub party: PartyId,
    pub role: Role,
    pub expires_at_ms: i64,
}

/// What happened to one pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored now, with this per-co-op sequence number.
    Accepted(i64),
    /// The server already had it: a retry, harmless.
    Known,
}

/// A stored event with the server time it arrived, in its wire encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEventRow {
    pub seq: i64,
    pub received_at_ms: i64,
    pub encoded: Vec<u8>,
}

/// A page of a co-op's events in server order, each in its stored wire encoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventPage {
    pub encoded: Vec<Vec<u8>>,
    /// The cursor to continue from (the last sequence number in the page, or the one given).
    pub next_after: i64,
    pub has_more: bool,
}

/// Every look-up of one code on the consumer trace page, this one included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanHistory {
    pub count: u64,
    pub first_at_ms: i64,
    /// Distinct places the code was looked up from, with counts, most frequent first.
    pub places: Vec<(String, u64)>,
}

/// A co-op manager who signs in to the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRecord {
    pub coop: CoopId,
    pub name: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
}

/// One entry of a co-op's audit log: who did what through the dashboard, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub manager: String,
    pub action: String,
    pub detail: String,
}

/// A device as the dashboard's devices page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceListing {
    pub id: DeviceId,
    pub party: PartyId,
    pub role: Role,
    pub enrolled_at_ms: i64,
    /// Server time of the last push or pull, if any.
    pub last_sync_ms: Option<i64>,
    /// The phone's outbox size at its last push or pull; `None` when it never said.
    pub pending: Option<u64>,
    pub revoked_at_ms: Option<i64>,
}

/// A photo's upload record within one co-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    pub sha256: String,
    pub size: u64,
    /// Bytes received so far (the whole size once complete).
    pub received: u64,
    /// The device that started the upload.
    pub uploader: DeviceId,
    pub started_at_ms: i64,
    /// Set once the whole photo arrived and its SHA-256 matched.
    pub completed_at_ms: Option<i64>,
}

impl PhotoRecord {
    pub fn complete(&self) -> bool {
        self.completed_at_ms.is_some()
    }
}

/// What entering a test report did (reports are idempotent by report number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutcome {
    Stored,
    /// The same report was already there: nothing changed.
    Unchanged,
    /// Another report with this number is there: nothing changed (labs never reuse numbers).
    Conflict,
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
    #[error("storage failure: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(err: rusqlite::Error) -> Self {
        StorageError::Backend(err.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Everything the sync server persists. Implementations must make each method atomic and durable
/// when it returns.
pub trait Storage: crate::alerts::AlertStore + Send + Sync + 'static {
    fn create_coop(&self, id: &str, name: &str) -> impl Future<Output = StorageResult<()>> + Send;

    fn create_enrollment_token(&self, token: NewEnrollmentToken) -> impl Future<Output = StorageResult<()>> + Send;

    /// Consumes the token and registers the device. Retrying with the same token, device and
    /// credential returns the same record (the answer to the first try may have been lost).
    fn enroll(
        &self,
        token_hash: [u8; 32],
        device: DeviceId,
        credential_hash: [u8; 32],
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<DeviceRecord>> + Send;

    fn device(&self, id: DeviceId) -> impl Future<Output = StorageResult<Option<DeviceRecord>>> + Send;

    fn revoke_device(&self, id: DeviceId, now_ms: i64) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Stores the events of one push in one transaction; already-known ids are reported `Known`.
    fn push(
        &self,
        coop: &str,
        device: DeviceId,
        events: Vec<Event>,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<Vec<PushOutcome>>> + Send;

    /// Events of `coop` with sequence numbers greater than `after`, oldest first. Sequence numbers
    /// must become visible in order: once a pull returned N, no later pull may return a new event
    /// numbered ≤ N (the read-model cache and the phones' cursors rely on it).
    fn pull(&self, coop: &str, after: i64, limit: usize) -> impl Future<Output = StorageResult<EventPage>> + Send;

    /// The co-ops holding events on `code` (a code key): normally one; more means two co-ops
    /// printed the same code.
    fn coops_with_code(&self, code: &str) -> impl Future<Output = StorageResult<Vec<CoopId>>> + Send;

    /// The co-op's display name.
    fn coop_name(&self, coop: &str) -> impl Future<Output = StorageResult<Option<String>>> + Send;

    /// Records a consumer's look-up of `code` and returns the code's look-ups so far.
    fn record_trace_scan(
        &self,
        coop: &str,
        code: &str,
        at_ms: i64,
        place: Option<String>,
    ) -> impl Future<Output = StorageResult<ScanHistory>> + Send;

    /// Creates a manager account, or replaces the password (and second factor) of an existing one.
    fn put_manager(&self, manager: ManagerRecord, now_ms: i64) -> impl Future<Output = StorageResult<()>> + Send;

    fn manager(&self, name: &str) -> impl Future<Output = StorageResult<Option<ManagerRecord>>> + Send;

    /// Stores a signed-in browser's session (the SHA-256 of its token).
    fn create_ui_session(
        &self,
        token_hash: [u8; 32],
        coop: &str,
        name: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> impl Future<Output = StorageResult<()>> + Send;

    /// The manager a session token belongs to, if the session exists and has not expired.
    fn ui_session(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<Option<ManagerRecord>>> + Send;

    fn delete_ui_session(&self, token_hash: [u8; 32]) -> impl Future<Output = StorageResult<()>> + Send;

    fn append_audit(&self, coop: &str, entry: AuditEntry) -> impl Future<Output = StorageResult<()>> + Send;

    /// The co-op's audit log, newest first.
    fn audit_log(&self, coop: &str, limit: usize) -> impl Future<Output = StorageResult<Vec<AuditEntry>>> + Send;

    /// Registers `device`'s public key. Registering the key it already has returns the record
    /// unchanged (a retry); another key is `DeviceKeyConflict`: keys are never replaced.
    fn register_device_key(
        &self,
        device: DeviceId,
        public_key: [u8; 32],
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<DeviceRecord>> + Send;

    /// The seed of `coop`'s certificate-signing key; `candidate` becomes it if the co-op has none.
    fn coop_signing_seed(
        &self,
        coop: &str,
        candidate: [u8; 32],
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<[u8; 32]>> + Send;

    /// Every event of `coop` whose kind key is one of `kinds`, in server order.
    fn events_of_kinds(
        &self,
        coop: &str,
        kinds: &'static [&'static str],
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// Ids of every event of `coop`, for tests and audits.
    fn event_ids(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<EventId>>> + Send;

    /// Stamps a push or pull by `device`: server time, and the outbox size it reported (if any).
    fn record_sync(
        &self,
        device: DeviceId,
        now_ms: i64,
        pending: Option<u64>,
    ) -> impl Future<Output = StorageResult<()>> + Send;

    /// Every device enrolled in `coop`, revoked ones included, newest enrollment first.
    fn devices(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<DeviceListing>>> + Send;

    /// Where photo files go when the operator names no folder: beside the database, if it is a file.
    fn default_photo_dir(&self) -> Option<PathBuf> {
        None
    }

    /// The upload record of photo `sha256` in `coop`, if any upload began.
    fn photo(&self, coop: &str, sha256: &str) -> impl Future<Output = StorageResult<Option<PhotoRecord>>> + Send;

    /// Whether an event of `coop` names photo `sha256` (only such photos are accepted).
    fn photo_referenced(&self, coop: &str, sha256: &str) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Starts or advances an upload: `received` of `size` bytes are held.
    fn photo_progress(
        &self,
        coop: &str,
        sha256: &str,
        size: u64,
        received: u64,
        device: DeviceId,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<()>> + Send;

    /// The whole photo arrived and matched its hash.
    fn photo_complete(&self, coop: &str, sha256: &str, now_ms: i64) -> impl Future<Output = StorageResult<()>> + Send;

    /// The partial upload was discarded; the next upload starts from 0.
    fn photo_reset(&self, coop: &str, sha256: &str) -> impl Future<Output = StorageResult<()>> + Send;

    /// Stores a test report of `coop` unless one with its number exists (see [`ReportOutcome`]).
    fn put_test_report(
        &self,
        coop: &str,
        report: fieldtrace_core::test_report::TestReport,
        entered_by: &str,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<ReportOutcome>> + Send;

    /// The test reports of `lot` in `coop`, newest issue date first.
    fn test_reports(
        &self,
        coop: &str,
        lot: &str,
    ) -> impl Future<Output = StorageResult<Vec<fieldtrace_core::test_report::TestReport>>> + Send;
}
