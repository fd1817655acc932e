//! Where alerts live: per co-op settings, the evaluation cursors, the alerts themselves and the
//! notification outbox (migration 007). Filing alerts, their notifications and the advanced
//! cursor is one transaction, so a stop at any moment either re-evaluates or has everything.

use crate::{StorageResult, StoredEventRow};
use std::future::Future;

/// Notification statuses, as stored.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
    /// Over the recipient's hourly limit: listed, never sent.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The co-op has no webhook / SMS gateway configured.
    pub const NOT_CONFIGURED: &str = "not_configured";
}

pub const WEBHOOK: &str = "webhook";
pub const SMS: &str = "sms";

/// A co-op's alert settings (`fieldtrace alerts config`).
#[derive(Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub webhook_url: Option<String>,
    pub sms_gateway_url: Option<String>,
    pub sms_token: Option<String>,
    /// An excursion must last longer than this to alert.
    pub excursion_minutes: i64,
    /// Notifications per recipient (phone number, or the webhook) per hour; the rest are listed
    /// on the dashboard as rate-limited and not sent.
    pub max_per_hour: i64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { webhook_url: None, sms_gateway_url: None, sms_token: None, excursion_minutes: 30, max_per_hour: 20 }
    }
}

impl std::fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertSettings")
            .field("webhook_url", &self.webhook_url)
            .field("sms_gateway_url", &self.sms_gateway_url)
            .field("sms_token", &self.sms_token.as_ref().map(|_| "<redacted>"))
            .field("excursion_minutes", &self.excursion_minutes)
            .field("max_per_hour", &self.max_per_hour)
            .finish()
    }
}

/// How far a co-op's events and trace scans were evaluated, and how far they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoopCursor {
    pub coop: String,
    pub event_seq: i64,
    pub scan_rowid: i64,
    pub last_seq: i64,
    pub last_scan_rowid: i64,
}

/// An alert to file, with the phone numbers of its recipients that have one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertToFile {
    pub alert: NewAlert,
    pub phones: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub address: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub done_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub lot: Option<String>,
    pub code: Option<String>,
    pub text_zh: String,
    pub text_en: String,
    pub recipients: Vec<String>,
    pub created_at_ms: i64,
    pub acked_at_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub notifications: Vec<Notification>,
}

/// A notification whose next attempt is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotification {
    pub id: i64,
    pub coop: String,
    pub channel: String,
    pub address: String,
    pub attempts: i64,
    pub alert: AlertRow,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    Retry { next_attempt_ms: i64, error: String },
    Failed { error: String },
    NotConfigured,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// `Some(true)`: acknowledged only; `Some(false)`: open only.
    pub acknowledged: Option<bool>,
    pub kind: Option<String>,
    /// Only alerts listed after this one (older, in the list's newest-first order): the next page.
    pub before: Option<i64>,
    pub limit: usize,
}

/// The alert tables: settings, evaluation cursors, alerts and their notification outbox.
pub trait AlertStore: Send + Sync + 'static {
    fn alert_settings(&self, coop: &str) -> impl Future<Output = StorageResult<AlertSettings>> + Send;
    fn put_alert_settings(&self, coop: &str, settings: AlertSettings)
        -> impl Future<Output = StorageResult<()>> + Send;
    fn alert_cursors(&self) -> impl Future<Output = StorageResult<Vec<CoopCursor>>> + Send;
    /// Every event of `coop` with its sequence number, in server order.
    fn events_with_seq(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;
    /// Trace scans of `coop` after `rowid` (at most 10 000, oldest first) with their rowids, each
    /// with the places of its code's earlier scans.
    fn scans_after(&self, coop: &str, rowid: i64) -> impl Future<Output = StorageResult<Vec<(i64, Scan)>>> + Send;
    /// Files new alerts (those already filed are skipped), queues their notifications and moves
    /// the cursor, in one transaction. Returns how many alerts were new.
    fn file_alerts(
        &self,
        coop: &str,
        alerts: Vec<AlertToFile>,
        event_seq: i64,
        scan_rowid: i64,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<usize>> + Send;
    fn due_notifications(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> impl Future<Output = StorageResult<Vec<DueNotification>>> + Send;
    /// When the earliest pending notification is due.
    fn next_notification_ms(&self) -> impl Future<Output = StorageResult<Option<i64>>> + Send;
    /// Notifications still waiting to be sent, due or not: the depth of the alert queue an
    /// operator watches (it grows when a webhook or gateway is down).
    fn pending_notification_count(&self) -> impl Future<Output = StorageResult<u64>> + Send;
    fn record_attempt(&self, id: i64, attempt: Attempt, now_ms: i64) -> impl Future<Output = StorageResult<()>> + Send;
    /// The co-op's alerts, newest first, with their notifications.
    fn alerts(&self, coop: &str, filter: AlertFilter) -> impl Future<Output = StorageResult<Vec<AlertRow>>> + Send;
    /// Marks an open alert acknowledged; `false` if there is no such open alert in `coop`.
    fn acknowledge_alert(
        &self,
        coop: &str,
        id: i64,
        by: &str,
        now_ms: i64,
    ) -> impl Future<Output = StorageResult<bool>> + Send;
    fn open_alert_count(&self, coop: &str) -> impl Future<Output = StorageResult<u64>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Abnormal,
    Excursion,
    NearExpiry,
    Diversion,
}

impl AlertKind {
    pub const ALL: [AlertKind; 4] =
        [AlertKind::Abnormal, AlertKind::Excursion, AlertKind::NearExpiry, AlertKind::Diversion];

    pub fn key(self) -> &'static str {
        match self {
            AlertKind::Abnormal => "abnormal",
            AlertKind::Excursion => "excursion",
            AlertKind::NearExpiry => "near_expiry",
            AlertKind::Diversion => "diversion",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// What a rule found, before the store de-duplicates and files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: AlertKind,
    /// What the alert is about; the same `(kind, subject)` fires once.
    pub subject: String,
    pub lot: Option<String>,
    pub code: Option<String>,
    pub text_zh: String,
    pub text_en: String,
    /// Party ids to notify (SMS to those with a `phone`); the co-op's webhook gets every alert.
    pub recipients: Vec<String>,
}

/// A consumer's look-up of a code on the trace page, with where the code was looked up before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub code: String,
    pub place: Option<String>,
    /// Places of this code's earlier look-ups (distinct).
    pub earlier_places: Vec<String>,
}
