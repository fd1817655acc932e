//! The records the server persists, as every backend returns them.

use fieldtrace_core::model::{DeviceId, PartyId, Role};

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

/// The schema version a database holds and the one this build's migrations end at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    pub found: i64,
    pub expected: i64,
}

impl SchemaStatus {
    /// Every migration this build knows is applied, and none it does not know.
    pub fn current(&self) -> bool {
        self.found == self.expected
    }
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
    /// The sequence number of each of `encoded`.
    pub seqs: Vec<i64>,
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
