//! `FieldTrace`: the one object the apps hold. It owns the store, the one-tap session and the
//! sync client, and delegates every call to them (application-services' "exported object over an
//! inner" pattern); nothing here decides anything the core does not.

use crate::decode::DecodedCode;
use crate::error::FieldTraceError;
use crate::records::{HistoryItem, Receipt, ScanInfo};
use crate::sync::{self, EnrollmentInfo, SyncListener, SyncReport, SyncStatus};
use crate::vocabulary::{AbnormalReason, Role};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, EventId, PartyId, PhotoRef};
use fieldtrace_core::sync::{SyncClient, SyncConfig, SyncError};
use fieldtrace_core::{Session, Store};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::AbortHandle;

/// Who uses this phone, from the enrollment (or the app's sign-in screen before it).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldTraceConfig {
    pub party_id: String,
    pub role: Role,
}

/// One phone's FieldTrace: open it once per database file and keep it for the app's life.
/// Methods are blocking (call them off the main thread); `enroll`, `sync_now` and `push_now` are
/// `suspend` / `async`.
#[derive(uniffi::Object)]
pub struct FieldTrace {
    /// `Session` methods take `&mut self` (it remembers the last scan); taps come from one UI
    /// thread, but a background sync worker may ask for counts at the same time.
    pub(crate) session: Mutex<Session>,
    pub(crate) store: Arc<Store>,
    pub(crate) sync: SyncClient,
    /// The task forwarding sync status to the app's listener, if one is set.
    listener: Mutex<Option<AbortHandle>>,
}

/// Locks `mutex`, keeping going after a panic in another holder: uniffi turns a panic into a
/// foreign exception, and the guarded state (the last scan, recent receipts, a task handle) stays
/// valid after one, while a poisoned lock would fail every later call.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[uniffi::export]
impl FieldTrace {
    /// Opens (creating or upgrading) the database at `db_path` for the user in `config`, or,
    /// with no `config`, for the user this phone is enrolled as (`EnrollmentNeeded` when it is
    /// not enrolled). `enroll` switches to the enrolled user in place: no reopening.
    #[uniffi::constructor]
    pub fn open(db_path: String, config: Option<FieldTraceConfig>) -> Result<Arc<Self>, FieldTraceError> {
        let store = Arc::new(Store::open(&db_path)?);
        let sync = SyncClient::new(store.clone(), SyncConfig::default())?;
        let user = match config {
            Some(config) => Actor { party: PartyId::new(config.party_id), role: config.role.into() },
            None => {
                let enrollment = sync.enrollment()?.ok_or(SyncError::NotEnrolled)?;
                Actor { party: enrollment.party, role: enrollment.role }
            }
        };
        let session = Session::new(store.clone(), user, Arc::new(SystemClock));
        Ok(Arc::new(Self { session: Mutex::new(session), store, sync, listener: Mutex::new(None) }))
    }

    /// Who reports from this phone now (the enrolled user once `enroll` succeeded).
    pub fn user(&self) -> FieldTraceConfig {
        let session = lock(&self.session);
        let user = session.user();
        FieldTraceConfig { party_id: user.party.0.clone(), role: user.role.into() }
    }

    /// Reads a scanned payload (QR/Data Matrix/barcode text or a typed code) and says what this
    /// phone knows about it; the following report is about this code.
    pub fn scan(&self, payload: String) -> Result<ScanInfo, FieldTraceError> {
        Ok(lock(&self.session).scan(&payload)?.into())
    }

    /// 正常: the scanned goods are fine at this step. Durable when it returns.
    pub fn report_normal(&self) -> Result<Receipt, FieldTraceError> {
        Ok(lock(&self.session).report_normal()?.into())
    }

    /// 异常: something is wrong with the scanned goods. `photo` is the hex SHA-256 of a photo the
    /// app stored.
    pub fn report_abnormal(
        &self,
        reason: AbnormalReason,
        note: Option<String>,
        photo: Option<String>,
    ) -> Result<Receipt, FieldTraceError> {
        let receipt = lock(&self.session).report_abnormal(reason.into(), note, photo.map(PhotoRef))?;
        Ok(receipt.into())
    }

    /// Takes back a report made on this phone in the last 10 seconds.
    pub fn undo(&self, event_id: String) -> Result<Receipt, FieldTraceError> {
        let id = EventId::parse(&event_id)
            .ok_or_else(|| FieldTraceError::invalid_input("event_id_invalid", "the event id is not a UUID"))?;
        Ok(lock(&self.session).undo(id)?.into())
    }

    /// Everything recorded about a code, oldest first, undone reports marked.
    pub fn history(&self, code: String) -> Result<Vec<HistoryItem>, FieldTraceError> {
        let entries = lock(&self.session).history(&code)?;
        Ok(entries.into_iter().map(HistoryItem::from).collect())
    }

    /// Reports waiting for the network (the offline badge).
    pub fn pending_count(&self) -> Result<u64, FieldTraceError> {
        Ok(lock(&self.session).pending_count()?)
    }

    /// Distinct codes this user recorded today (the phone's local day), undone ones excluded.
    pub fn today_count(&self) -> Result<u64, FieldTraceError> {
        Ok(lock(&self.session).today_count()?)
    }

    /// Decodes a camera frame's Y plane; see the free function `decode_frame`.
    pub fn decode_frame(
        &self,
        width: u32,
        height: u32,
        row_stride: u32,
        luma: Vec<u8>,
        rotation_degrees: u32,
    ) -> Result<Vec<DecodedCode>, FieldTraceError> {
        crate::decode::decode_frame(width, height, row_stride, luma, rotation_degrees)
    }

    /// Who this phone is enrolled as, if it is.
    pub fn enrollment(&self) -> Result<Option<EnrollmentInfo>, FieldTraceError> {
        Ok(self.sync.enrollment()?.map(EnrollmentInfo::from))
    }

    /// The latest sync status.
    pub fn sync_status(&self) -> SyncStatus {
        self.sync.status().into()
    }

    /// Sends sync status to `listener` (the current one at once, then every change) until
    /// `clear_sync_listener`, another `set_sync_listener`, or this object is dropped. One
    /// listener: the Kotlin/Swift layer fans it out to its own observers.
    pub fn set_sync_listener(&self, listener: Arc<dyn SyncListener>) -> Result<(), FieldTraceError> {
        let task = sync::forward_status(self.sync.subscribe(), listener)?;
        if let Some(previous) = lock(&self.listener).replace(task) {
            previous.abort();
        }
        Ok(())
    }

    /// Stops sending sync status to the listener (a call already under way still finishes).
    pub fn clear_sync_listener(&self) {
        if let Some(task) = lock(&self.listener).take() {
            task.abort();
        }
    }
}

/// The network calls: Kotlin `suspend`, Swift `async`. uniffi polls these futures inside a tokio
/// context (`async_runtime = "tokio"`), which reqwest and the core's retry timers need.
#[uniffi::export(async_runtime = "tokio")]
impl FieldTrace {
    /// Enrolls this phone with the co-op named by a scanned enrollment QR, and reports as the
    /// enrolled party and role from now on. Safe to retry.
    pub async fn enroll(&self, qr_text: String) -> Result<EnrollmentInfo, FieldTraceError> {
        let enrollment = self.sync.enroll(&qr_text).await?;
        let user = Actor { party: enrollment.party.clone(), role: enrollment.role };
        lock(&self.session).set_user(user);
        Ok(enrollment.into())
    }

    /// Pushes every waiting report, then pulls what other phones recorded. On an error, what
    /// was confirmed stays confirmed and the next call carries on.
    pub async fn sync_now(&self) -> Result<SyncReport, FieldTraceError> {
        Ok(self.sync.sync_now().await?.into())
    }

    /// Pushes without pulling: for a short window of signal.
    pub async fn push_now(&self) -> Result<SyncReport, FieldTraceError> {
        Ok(self.sync.push_now().await?.into())
    }
}

impl Drop for FieldTrace {
    fn drop(&mut self) {
        self.clear_sync_listener();
    }
}
