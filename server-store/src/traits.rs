//! The storage traits, one per concern. Each is small so a backend can be written, reviewed and
//! tested a concern at a time; [`crate::Storage`] is all of them together. Every method is atomic
//! and durable when it returns.

use crate::records::*;
use crate::StorageResult;
use fieldtrace_core::model::{DeviceId, Event, EventId};
use fieldtrace_core::test_report::TestReport;
use std::future::Future;
use std::path::PathBuf;

/// Co-ops, the tenants every other row belongs to.
pub trait CoopStore: Send + Sync + 'static {
    /// Creates the co-op, or renames it if it exists.
    fn create_coop(&self, id: &str, name: &str) -> impl Future<Output = StorageResult<()>> + Send;

    /// The co-op's display name.
    fn coop_name(&self, coop: &str) -> impl Future<Output = StorageResult<Option<String>>> + Send;

    /// Every co-op's id, sorted.
    fn coop_ids(&self) -> impl Future<Output = StorageResult<Vec<String>>> + Send;
}

/// Whether the backend can serve requests: `/readyz` asks it on every probe.
pub trait HealthCheck: Send + Sync + 'static {
    /// Runs a trivial query and reports the schema version the database holds beside the one
    /// this build migrates to; an error means the database did not answer.
    fn schema_status(&self) -> impl Future<Output = StorageResult<SchemaStatus>> + Send;
}

/// The append-only event log of each co-op, numbered in arrival order.
pub trait SyncLog: Send + Sync + 'static {
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

    /// Every event of `coop` whose kind key is one of `kinds`, in server order.
    fn events_of_kinds(
        &self,
        coop: &str,
        kinds: &'static [&'static str],
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// Ids of every event of `coop`, for tests and audits.
    fn event_ids(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<EventId>>> + Send;
}

/// Enrollment tokens, enrolled devices, their keys and sync status, and the co-op signing key.
pub trait DeviceStore: Send + Sync + 'static {
    /// Stores a one-time token; `UnknownCoop` if its co-op does not exist.
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

    /// Revokes the device; `false` if it was unknown or already revoked.
    fn revoke_device(&self, id: DeviceId, now_ms: i64) -> impl Future<Output = StorageResult<bool>> + Send;

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

    /// Stamps a push or pull by `device`: server time, and the outbox size it reported (if any).
    fn record_sync(
        &self,
        device: DeviceId,
        now_ms: i64,
        pending: Option<u64>,
    ) -> impl Future<Output = StorageResult<()>> + Send;

    /// Every device enrolled in `coop`, revoked ones included, newest enrollment first.
    fn devices(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<DeviceListing>>> + Send;
}

/// Manager accounts and their signed-in browser sessions.
pub trait AccountStore: Send + Sync + 'static {
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
}

/// What managers did through the dashboard.
pub trait AuditLog: Send + Sync + 'static {
    fn append_audit(&self, coop: &str, entry: AuditEntry) -> impl Future<Output = StorageResult<()>> + Send;

    /// The co-op's audit log, newest first.
    fn audit_log(&self, coop: &str, limit: usize) -> impl Future<Output = StorageResult<Vec<AuditEntry>>> + Send;
}

/// Photo upload records (the bytes themselves are files, see the server's `photos`).
pub trait PhotoStore: Send + Sync + 'static {
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
}

/// Laboratory test reports of lots.
pub trait ReportStore: Send + Sync + 'static {
    /// Stores a test report of `coop` unless one with its number exists (see [`ReportOutcome`]).
    fn put_test_report(
        &self,
        coop: &str,
        report: TestReport,
        entered_by: &str,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<ReportOutcome>> + Send;

    /// The test reports of `lot` in `coop`, newest issue date first.
    fn test_reports(&self, coop: &str, lot: &str) -> impl Future<Output = StorageResult<Vec<TestReport>>> + Send;
}

/// The read models the consumer trace page needs: which co-op holds a code, and its look-ups.
pub trait TraceLookup: Send + Sync + 'static {
    /// The co-ops holding events on `code` (a code key): normally one; more means two co-ops
    /// printed the same code.
    fn coops_with_code(&self, code: &str) -> impl Future<Output = StorageResult<Vec<CoopId>>> + Send;

    /// Records a consumer's look-up of `code` and returns the code's look-ups so far.
    fn record_trace_scan(
        &self,
        coop: &str,
        code: &str,
        at_ms: i64,
        place: Option<String>,
    ) -> impl Future<Output = StorageResult<ScanHistory>> + Send;
}

/// What an operator watches about the store itself (the metrics endpoint reads it per scrape).
pub trait StoreStats: Send + Sync + 'static {
    /// Bytes the database takes (for SQLite: page count × page size of the main file, without
    /// the WAL, which checkpoints fold back in).
    fn database_bytes(&self) -> impl Future<Output = StorageResult<u64>> + Send;
}
