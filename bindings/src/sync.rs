//! Sync for the shells: status and report records, enrollment, and the listener that forwards
//! the core's `tokio::sync::watch` status channel to Kotlin/Swift.

use crate::vocabulary::Role;
use fieldtrace_core::sync as core;
use std::sync::{Arc, OnceLock};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// Where a sync is, for a progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    Idle,
    Pushing,
    Pulling,
    /// Waiting to retry after a transient error.
    BackingOff,
}

/// What the UI shows: "3 waiting", "synced 10:42", "no signal".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub phase: SyncPhase,
    /// Local events not yet confirmed by the server (the offline badge).
    pub pending: u64,
    /// Events pushed and pulled by the sync in progress (or the last one).
    pub pushed: u64,
    pub pulled: u64,
    /// Device time (UTC ms) of the last sync that completed.
    pub last_success_ms: Option<i64>,
    /// Error key of the last sync, if it failed (same keys as `FieldTraceError`).
    pub last_error_key: Option<String>,
    /// Photos of reports not yet on the server (they follow their reports).
    pub photos_pending: u64,
    /// Error key of the last photo upload round, if it failed (the sync itself may have succeeded).
    pub photo_error_key: Option<String>,
}

/// What one `syncNow` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Events the server stored for the first time.
    pub accepted: u64,
    /// Events the server already had (a retried push).
    pub known: u64,
    /// Events the server refused; they stay queued with the reason.
    pub refused: u64,
    /// Events received from other phones.
    pub pulled: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Local events still waiting afterwards.
    pub pending: u64,
    /// Photos the server confirmed complete in this sync (sent now or already held).
    pub photos_uploaded: u64,
    pub photo_bytes_sent: u64,
    /// Photo upload attempts that failed; the photos stay queued with the reason.
    pub photo_failures: u64,
    /// Photos still waiting afterwards.
    pub photos_pending: u64,
}

/// Who this phone is enrolled as, with which co-op server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnrollmentInfo {
    pub server_url: String,
    pub coop_id: String,
    pub party_id: String,
    pub role: Role,
}

/// Receives sync status updates; implemented in Kotlin/Swift (a foreign trait: uniffi's
/// replacement for the deprecated `callback_interface`). Called on a background thread, first
/// with the current status, then on every change; quick updates may be coalesced, the latest one
/// always arrives. Keep `on_status` short: post to the UI thread and return.
#[uniffi::export(foreign)]
pub trait SyncListener: Send + Sync {
    fn on_status(&self, status: SyncStatus);
}

impl From<core::SyncPhase> for SyncPhase {
    fn from(phase: core::SyncPhase) -> Self {
        match phase {
            core::SyncPhase::Idle => SyncPhase::Idle,
            core::SyncPhase::Pushing => SyncPhase::Pushing,
            core::SyncPhase::Pulling => SyncPhase::Pulling,
            core::SyncPhase::BackingOff => SyncPhase::BackingOff,
        }
    }
}

impl From<core::SyncStatus> for SyncStatus {
    fn from(status: core::SyncStatus) -> Self {
        Self {
            phase: status.phase.into(),
            pending: status.pending,
            pushed: status.pushed,
            pulled: status.pulled,
            last_success_ms: status.last_success_ms,
            last_error_key: status.last_error,
            photos_pending: status.photos_pending,
            photo_error_key: status.photo_error,
        }
    }
}

impl From<core::SyncReport> for SyncReport {
    fn from(report: core::SyncReport) -> Self {
        Self {
            accepted: report.accepted,
            known: report.known,
            refused: report.refused,
            pulled: report.pulled,
            bytes_sent: report.bytes_sent,
            bytes_received: report.bytes_received,
            pending: report.pending,
            photos_uploaded: report.photos_uploaded,
            photo_bytes_sent: report.photo_bytes_sent,
            photo_failures: report.photo_failures,
            photos_pending: report.photos_pending,
        }
    }
}

impl From<core::Enrollment> for EnrollmentInfo {
    fn from(enrollment: core::Enrollment) -> Self {
        Self {
            server_url: enrollment.server.to_string(),
            coop_id: enrollment.coop,
            party_id: enrollment.party.0,
            role: enrollment.role.into(),
        }
    }
}

/// The runtime listener tasks wait on. uniffi's tokio support only drives the futures the
/// foreign side awaits (`syncNow`); a listener outlives any call, so it needs a runtime of its
/// own. One small one for the process: waiting on a channel needs no parallelism.
fn listener_runtime() -> Result<&'static Runtime, crate::FieldTraceError> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fieldtrace-sync-listener")
        .enable_all()
        .build()
        .map_err(|e| crate::FieldTraceError::internal("runtime_unavailable", e.to_string()))?;
    // Two first callers may both build one; the loser's runtime is dropped here, outside any
    // async context, which is allowed.
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// Starts forwarding `status` to `listener`: the current value at once, then every change,
/// until the returned handle aborts the task or the sender (the sync client) is dropped.
pub(crate) fn forward_status(
    mut status: watch::Receiver<core::SyncStatus>,
    listener: Arc<dyn SyncListener>,
) -> Result<AbortHandle, crate::FieldTraceError> {
    let task = listener_runtime()?.spawn(async move {
        loop {
            // Clone out of the borrow: the lock on the channel must not be held during the call.
            let current = status.borrow_and_update().clone();
            listener.on_status(current.into());
            if status.changed().await.is_err() {
                return;
            }
        }
    });
    Ok(task.abort_handle())
}
