//! The phone's sync client: `sync_now()` pushes the outbox in batches, then pulls by cursor.
//!
//! Safety comes from the protocol, not from luck: pushes are idempotent (the server answers
//! `known` for what it has), an event leaves the outbox only after the server confirmed it, and a
//! pulled page commits together with its cursor. So an interruption anywhere — the app killed, the
//! signal lost, the server restarted — at worst repeats work on the next call. Calls from a
//! background job and the UI at once are serialized by a gate; the second caller waits for the
//! first and then finds little left to do.

use super::enroll::{self, Enrollment, EnrollmentOffer};
use super::error::SyncError;
use super::transport::{self, PushResponse};
use crate::clock::{SystemClock, WallClock};
use crate::handover::{identity, keys};
use crate::model::{EventId, PartyId, Role};
use crate::store::{OutboxEntry, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};

/// Tunables; the defaults suit a phone on a weak mobile link.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Events per push request (the wire format is measured at this size).
    pub push_batch: usize,
    /// Events asked for per pull request.
    pub pull_page: usize,
    pub request_timeout: Duration,
    /// Tries per request on a transient error, within one `sync_now`.
    pub max_attempts: u32,
    /// Backoff before retry n is `min(max, base · 2ⁿ)`, jittered to 50–100 % of that.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// An event the server refused (e.g. a role that may not record it) is tried again after
    /// this long — the manager may fix the role — and never dropped.
    pub refused_retry: Duration,
    /// Bytes per photo upload request: small enough that a dropped connection loses little.
    pub photo_chunk_bytes: usize,
    /// Photo bytes one `sync_now` sends at most, so a sync on a weak link returns; the rest
    /// resumes next time from where the server's copy ends.
    pub photo_bytes_per_sync: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            push_batch: 100,
            pull_page: 1_000,
            request_timeout: Duration::from_secs(30),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            refused_retry: Duration::from_secs(3_600),
            photo_chunk_bytes: 64 * 1024,
            photo_bytes_per_sync: 4 * 1024 * 1024,
        }
    }
}

/// Where a sync is, for a progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPhase {
    #[default]
    Idle,
    Pushing,
    Pulling,
    /// Waiting to retry after a transient error.
    BackingOff,
}

/// What the UI shows: "3 waiting", "synced 10:42", "no signal".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    pub phase: SyncPhase,
    /// Local events not yet confirmed by the server.
    pub pending: u64,
    /// Events pushed and pulled by the sync in progress (or the last one).
    pub pushed: u64,
    pub pulled: u64,
    /// Device time (ms) of the last sync that completed.
    pub last_success_ms: Option<i64>,
    /// Error key of the last sync, if it failed.
    pub last_error: Option<String>,
    /// Photos of reports not yet on the server (they follow their reports).
    pub photos_pending: u64,
    /// Error key of the last photo upload round, if it failed (the sync itself may have succeeded).
    pub photo_error: Option<String>,
}

/// What one `sync_now` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncReport {
    /// Events the server stored for the first time.
    pub accepted: u64,
    /// Events the server already had (a retried push).
    pub known: u64,
    /// Events the server refused; they stay in the outbox with the reason.
    pub refused: u64,
    /// Events received that this phone did not have.
    pub pulled: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Local events still waiting afterwards.
    pub pending: u64,
    /// Photos the server confirmed complete in this sync (sent now or already held).
    pub photos_uploaded: u64,
    /// Photo bytes sent (chunk bodies, including a chunk whose answer was lost).
    pub photo_bytes_sent: u64,
    /// Photo upload attempts that failed; the photos stay queued with the reason.
    pub photo_failures: u64,
    /// Photos still waiting afterwards.
    pub photos_pending: u64,
}

const LAST_SUCCESS: &str = "sync_last_success_ms";
const LAST_ERROR: &str = "sync_last_error";

pub struct SyncClient {
    pub(super) store: Arc<Store>,
    pub(super) http: reqwest::Client,
    pub(super) config: SyncConfig,
    clock: Arc<dyn WallClock>,
    gate: Mutex<()>,
    status: watch::Sender<SyncStatus>,
}

impl SyncClient {
    pub fn new(store: Arc<Store>, config: SyncConfig) -> Result<Self, SyncError> {
        Self::with_clock(store, config, Arc::new(SystemClock))
    }

    /// A client reading time from `clock` (tests move time; phones use the system clock).
    pub fn with_clock(store: Arc<Store>, config: SyncConfig, clock: Arc<dyn WallClock>) -> Result<Self, SyncError> {
        let http = transport::http_client(config.request_timeout)?;
        let status = SyncStatus {
            pending: store.outbox_pending_count()?,
            last_success_ms: store.setting(LAST_SUCCESS)?.and_then(|v| v.parse().ok()),
            last_error: store.setting(LAST_ERROR)?,
            photos_pending: store.photo_pending_count()?,
            ..SyncStatus::default()
        };
        Ok(Self { store, http, config, clock, gate: Mutex::new(()), status: watch::Sender::new(status) })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Status updates as they happen (progress, success, errors) for the UI or a notifier.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub fn enrollment(&self) -> Result<Option<Enrollment>, SyncError> {
        enroll::enrollment(&self.store)
    }

    /// Enrolls this phone with the co-op named by an enrollment QR. Safe to retry after a lost
    /// answer: the same token is sent with the same credential.
    pub async fn enroll(&self, qr_text: &str) -> Result<Enrollment, SyncError> {
        let offer = EnrollmentOffer::parse(qr_text)?;
        let _running = self.gate.lock().await;
        let credential = enroll::credential_for(&self.store, &offer)?;
        // The key is made (and stored) before it is sent, like the credential: a retry sends the same.
        let public_key = keys::to_base64(&keys::public_key_of(&identity::seed_or_create(&self.store)?));
        let device = self.store.device_id().to_string();
        let answer =
            transport::enroll(&self.http, &offer.server, &offer.token, device, &credential, &public_key).await?;
        let role = Role::from_key(&answer.role)
            .ok_or_else(|| SyncError::Protocol(format!("unknown role {:?} in the enroll answer", answer.role)))?;
        let enrollment =
            Enrollment { server: offer.server, coop: answer.coop_id, party: PartyId(answer.party_id), role };
        enroll::save(&self.store, &enrollment)?;
        if let (Some(certificate), Some(coop_key)) = (&answer.certificate, &answer.coop_key) {
            identity::save_certification(&self.store, &enrollment.coop, certificate, coop_key)?;
        }
        Ok(enrollment)
    }

    /// Makes sure the co-op has certified this device's signing key, which handovers need. A phone
    /// enrolled before device keys existed gets its key here: made and stored first, then
    /// registered over the authenticated API (a retry registers the same key). Runs at the start
    /// of every sync; does nothing once certified, or against a server without device keys.
    pub async fn certify_device_key(&self) -> Result<(), SyncError> {
        let credentials = enroll::credentials(&self.store)?;
        self.certify_with(&credentials).await
    }

    async fn certify_with(&self, credentials: &enroll::Credentials) -> Result<(), SyncError> {
        let Some(enrolled) = self.enrollment()? else { return Ok(()) };
        if identity::load(&self.store).is_ok() {
            return Ok(());
        }
        let public_key = keys::to_base64(&keys::public_key_of(&identity::seed_or_create(&self.store)?));
        match self.with_retries(|| transport::register_key(&self.http, credentials, &public_key)).await {
            Ok(answer) => {
                identity::save_certification(&self.store, &enrolled.coop, &answer.certificate, &answer.coop_key)
            }
            // A server that predates device keys: handovers wait for it, sync goes on.
            Err(SyncError::Refused { status: 404, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Pushes every waiting event, pulls everything new, then uploads photos whose reports the
    /// server now has (up to `photo_bytes_per_sync`). Returns what it did; on an error
    /// what was confirmed so far stays confirmed, and the next call carries on from there.
    pub async fn sync_now(&self) -> Result<SyncReport, SyncError> {
        self.run(true).await
    }

    /// Pushes every waiting event without pulling: for a short window of signal, when getting
    /// this phone's records to the server matters more than hearing from the others.
    pub async fn push_now(&self) -> Result<SyncReport, SyncError> {
        self.run(false).await
    }

    async fn run(&self, pull: bool) -> Result<SyncReport, SyncError> {
        let _running = self.gate.lock().await;
        let credentials = enroll::credentials(&self.store)?;
        let mut report = SyncReport::default();
        self.status.send_modify(|s| {
            s.pushed = 0;
            s.pulled = 0;
        });
        let outcome = async {
            self.certify_with(&credentials).await?;
            self.push_all(&credentials, &mut report).await?;
            if pull {
                self.pull_all(&credentials, &mut report).await?;
            }
            Ok::<(), SyncError>(())
        }
        .await;
        // Photos last: events never wait for them. A failed photo round does not fail the sync
        // (the events are through); its reason is on the photo's queue row and in the status.
        let mut photo_error = None;
        if pull && outcome.is_ok() {
            if let Err(err) = self.upload_photos(&credentials, &mut report).await {
                photo_error = Some(err.key());
            }
        }
        report.photos_pending = self.store.photo_pending_count()?;
        report.pending = self.store.outbox_pending_count()?;
        let now = self.now_ms();
        match &outcome {
            Ok(()) => {
                self.store.set_settings(&[(LAST_SUCCESS, Some(&now.to_string())), (LAST_ERROR, None)])?;
                self.status.send_modify(|s| {
                    s.last_success_ms = Some(now as i64);
                    s.last_error = None;
                });
            }
            Err(err) => {
                let key = err.key();
                self.store.set_settings(&[(LAST_ERROR, Some(&key))])?;
                self.status.send_modify(|s| s.last_error = Some(key));
            }
        }
        self.status.send_modify(|s| {
            s.phase = SyncPhase::Idle;
            s.pending = report.pending;
            s.photos_pending = report.photos_pending;
            if pull && outcome.is_ok() {
                s.photo_error = photo_error;
            }
        });
        outcome.map(|()| report)
    }

    async fn push_all(&self, credentials: &enroll::Credentials, report: &mut SyncReport) -> Result<(), SyncError> {
        self.set_phase(SyncPhase::Pushing);
        loop {
            let now = self.now_ms();
            let batch = self.store.outbox_batch(self.config.push_batch, now)?;
            if batch.is_empty() {
                return Ok(());
            }
            let events: Vec<_> = batch.iter().map(|entry| entry.event.clone()).collect();
            let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
            // What will still wait once this batch is in: the last push of a sync says 0.
            let pending = self.store.outbox_pending_count()?.saturating_sub(events.len() as u64);
            match self.with_retries(|| transport::push(&self.http, credentials, &events, pending)).await {
                Ok((answer, sent)) => {
                    report.bytes_sent += sent as u64;
                    self.settle(&batch, &answer, report)?;
                }
                Err(err) if matches!(err, SyncError::Refused { .. }) => {
                    // The whole request was refused (e.g. malformed for this server): park these
                    // events with the reason so the ones behind them still go through.
                    let retry_at = now.saturating_add(self.config.refused_retry.as_millis() as u64);
                    self.store.outbox_failed(&ids, &err.key(), now, retry_at)?;
                    report.refused += ids.len() as u64;
                }
                Err(err) => {
                    // Still waiting: counted, with the reason, and due again at once.
                    self.store.outbox_failed(&ids, &err.key(), now, now)?;
                    return Err(err);
                }
            }
            let pending = self.store.outbox_pending_count()?;
            self.status.send_modify(|s| {
                s.pending = pending;
                s.pushed = report.accepted + report.known;
            });
        }
    }

    /// Applies the server's per-event verdicts to the outbox. Anything not confirmed is parked with
    /// a reason, so a batch is never picked again at once (which could loop forever).
    fn settle(&self, batch: &[OutboxEntry], answer: &PushResponse, report: &mut SyncReport) -> Result<(), SyncError> {
        let now = self.now_ms();
        let retry_at = now.saturating_add(self.config.refused_retry.as_millis() as u64);
        let mut confirmed = Vec::with_capacity(batch.len());
        for (index, (entry, verdict)) in batch.iter().zip(answer.results.chars()).enumerate() {
            match verdict {
                'A' => report.accepted += 1,
                'K' => report.known += 1,
                _ => {
                    let reason = answer.rejected.iter().find(|r| r.index == index).map_or("rejected", |r| &r.error);
                    self.store.outbox_failed(&[entry.event.id], reason, now, retry_at)?;
                    report.refused += 1;
                    continue;
                }
            }
            confirmed.push(entry.event.id);
        }
        self.store.outbox_acknowledge(&confirmed)?;
        Ok(())
    }

    async fn pull_all(&self, credentials: &enroll::Credentials, report: &mut SyncReport) -> Result<(), SyncError> {
        self.set_phase(SyncPhase::Pulling);
        loop {
            let after = self.store.sync_cursor()?;
            let pending = self.store.outbox_pending_count()?;
            let page = self
                .with_retries(|| transport::pull(&self.http, credentials, after, self.config.pull_page, pending))
                .await?;
            report.bytes_received += page.wire_bytes as u64;
            let added = self.store.apply_pulled_page(&page.events, page.next_after, self.now_ms())?;
            report.pulled += added as u64;
            self.status.send_modify(|s| s.pulled = report.pulled);
            if !page.has_more || page.events.is_empty() {
                return Ok(());
            }
        }
    }

    /// Runs `request`, retrying transient failures with jittered exponential backoff.
    async fn with_retries<T, F, Fut>(&self, mut request: F) -> Result<T, SyncError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SyncError>>,
    {
        let mut attempt = 0;
        loop {
            match request().await {
                Err(err) if err.is_transient() && attempt + 1 < self.config.max_attempts => {
                    let phase = self.status.borrow().phase;
                    self.set_phase(SyncPhase::BackingOff);
                    tokio::time::sleep(self.backoff(attempt, &err)).await;
                    self.set_phase(phase);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub(super) fn backoff(&self, attempt: u32, err: &SyncError) -> Duration {
        let exponential = self.config.backoff_base.saturating_mul(1u32 << attempt.min(16)).min(self.config.backoff_max);
        let floor = match err {
            SyncError::RateLimited { retry_after_s } => {
                Duration::from_secs(*retry_after_s).min(self.config.backoff_max)
            }
            _ => Duration::ZERO,
        };
        // Equal jitter: phones that lost the same cell tower don't all come back at once.
        exponential.mul_f64(0.5 + 0.5 * unit_random()).max(floor)
    }

    pub(super) fn set_phase(&self, phase: SyncPhase) {
        self.status.send_if_modified(|s| std::mem::replace(&mut s.phase, phase) != phase);
    }

    pub(super) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}

/// A random number in [0, 1), from the OS (no need for a PRNG crate for one number per retry).
fn unit_random() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
