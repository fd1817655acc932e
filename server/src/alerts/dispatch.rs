//! The background task: evaluates the rules on what arrived since the last run, files the alerts
//! (with their notifications) durably, then delivers due notifications with bounded, backed-off
//! retries. Pushes and trace-page scans only nudge it, so they are never slowed or failed by an
//! alert; after a restart it resumes from the stored cursors and the pending notifications.

use super::notify::{http_client, Message, Notifier, SendError, SmsGateway, Webhook};
use super::rules;
use super::store::{AlertSettings, AlertToFile, Attempt, SMS, WEBHOOK};
use crate::storage::{Storage, StorageError};
use crate::ServerConfig;
use chrono::{FixedOffset, Offset, TimeZone};
use fieldtrace_core::fold::fold;
use fieldtrace_core::model::{Disposition, EntityKind, Event, EventKind};
use fieldtrace_core::sync::wire;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Timing of the alert task; tests shorten it.
#[derive(Debug, Clone)]
pub struct AlertOptions {
    /// Longest sleep between runs when nothing nudges the task.
    pub tick_ms: u64,
    /// How often every lot's expiry date is checked even without new events.
    pub expiry_check_ms: i64,
    /// Wait before the first retry; each further retry waits twice as long (at most an hour).
    pub retry_base_ms: i64,
    /// Attempts per notification before it is marked failed.
    pub max_attempts: i64,
    /// Longest wait for one webhook or gateway answer.
    pub timeout_ms: u64,
}

impl Default for AlertOptions {
    fn default() -> Self {
        Self { tick_ms: 60_000, expiry_check_ms: 3_600_000, retry_base_ms: 5_000, max_attempts: 6, timeout_ms: 10_000 }
    }
}

/// Wait before attempt `attempt + 1`, after `attempt` failed ones.
pub fn backoff_ms(options: &AlertOptions, attempt: i64) -> i64 {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    options.retry_base_ms.saturating_mul(1_i64 << doublings).min(3_600_000)
}

/// Evaluates the rules for every co-op with new events or scans (all co-ops when `check_expiry`)
/// and files what they find. Returns how many alerts were new.
pub async fn evaluate<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    check_expiry: bool,
) -> Result<usize, StorageError> {
    let now_ms = config.clock.now_ms();
    let offset = FixedOffset::east_opt(config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix());
    let today = offset.timestamp_millis_opt(now_ms).single().map(|t| t.date_naive()).unwrap_or_default();
    let mut filed = 0;
    for cursor in storage.alert_cursors().await? {
        let new_events = cursor.last_seq > cursor.event_seq;
        let new_scans = cursor.last_scan_rowid > cursor.scan_rowid;
        if !(new_events || new_scans || check_expiry) {
            continue;
        }
        // Most pushes are normal taps: when nothing new can fire a rule, move on without reading
        // and folding the whole log.
        let mut fresh = Vec::new();
        let mut after = cursor.event_seq;
        if new_events {
            loop {
                let page = storage.pull(&cursor.coop, after, 5_000).await?;
                let batch = wire::batch_from_encoded(page.encoded.iter().map(Vec::as_slice));
                fresh.extend(
                    wire::decode_events(&batch)
                        .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))?,
                );
                after = page.next_after;
                if !page.has_more {
                    break;
                }
            }
        }
        if !new_scans && !check_expiry && !fresh.iter().any(may_fire) {
            filed += storage.file_alerts(&cursor.coop, Vec::new(), after, cursor.scan_rowid, now_ms).await?;
            continue;
        }
        let rows = storage.events_with_seq(&cursor.coop).await?;
        let batch = wire::batch_from_encoded(rows.iter().map(|row| row.encoded.as_slice()));
        let all = wire::decode_events(&batch)
            .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))?;
        let last_seq = rows.last().map_or(cursor.event_seq, |row| row.seq.max(cursor.event_seq));
        let new: Vec<_> =
            rows.iter().zip(&all).filter(|(row, _)| row.seq > cursor.event_seq).map(|(_, e)| e.clone()).collect();
        let state = fold(&all);
        let settings = storage.alert_settings(&cursor.coop).await?;
        let scans = if new_scans { storage.scans_after(&cursor.coop, cursor.scan_rowid).await? } else { Vec::new() };
        let last_scan = scans.last().map_or(cursor.scan_rowid, |(rowid, _)| *rowid);
        let scans: Vec<_> = scans.into_iter().map(|(_, scan)| scan).collect();

        let mut found = rules::abnormal_alerts(&state, &all, &new);
        found.extend(rules::excursion_alerts(&state, &new, settings.excursion_minutes));
        if new_events || check_expiry {
            found.extend(rules::expiry_alerts(&state, today));
        }
        found.extend(rules::diversion_alerts(&state, &scans));
        let phone = |party: &str| {
            state
                .registers
                .get(&(EntityKind::Party, party.to_owned()))
                .and_then(|fields| fields.get("phone"))
                .and_then(|field| field.value.clone())
                .filter(|phone| !phone.trim().is_empty())
        };
        let to_file = found
            .into_iter()
            .map(|alert| {
                let phones = alert.recipients.iter().filter_map(|p| phone(p).map(|n| (p.clone(), n))).collect();
                AlertToFile { alert, phones }
            })
            .collect();
        filed += storage.file_alerts(&cursor.coop, to_file, last_seq, last_scan, now_ms).await?;
    }
    Ok(filed)
}

/// Whether an event can fire a rule on arrival: abnormal goods, an excursion, or a lot's register
/// (its expiry date) changing.
fn may_fire(event: &Event) -> bool {
    matches!(event.disposition, Some(Disposition::Abnormal(_)))
        || matches!(&event.kind, EventKind::HandoverAcceptance(a) if !a.abnormal.is_empty())
        || matches!(&event.kind, EventKind::Excursion(_))
        || matches!(&event.kind, EventKind::Update(u) if u.entity == EntityKind::Lot)
}

/// Sends every due notification once. Returns how many were attempted.
pub async fn deliver_due<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    client: &reqwest::Client,
) -> Result<usize, StorageError> {
    let options = &config.alerts;
    let due = storage.due_notifications(config.clock.now_ms(), 100).await?;
    let mut settings: HashMap<String, AlertSettings> = HashMap::new();
    for notification in &due {
        if !settings.contains_key(&notification.coop) {
            settings.insert(notification.coop.clone(), storage.alert_settings(&notification.coop).await?);
        }
        let coop_settings = settings.get(&notification.coop).cloned().unwrap_or_default();
        let message = Message { coop: &notification.coop, alert: &notification.alert, address: &notification.address };
        let outcome = match notification.channel.as_str() {
            WEBHOOK => match coop_settings.webhook_url {
                Some(url) => Some(Webhook { client: client.clone(), url }.send(&message).await),
                None => None,
            },
            SMS => match coop_settings.sms_gateway_url {
                Some(url) => {
                    let gateway = SmsGateway { client: client.clone(), url, token: coop_settings.sms_token };
                    Some(gateway.send(&message).await)
                }
                None => None,
            },
            other => Some(Err(SendError::Permanent(format!("unknown channel {other:?}")))),
        };
        let attempts = notification.attempts + 1;
        let attempt = match outcome {
            None => Attempt::NotConfigured,
            Some(Ok(())) => Attempt::Delivered,
            Some(Err(SendError::Permanent(error))) => Attempt::Failed { error },
            Some(Err(SendError::Retryable(error))) if attempts >= options.max_attempts => {
                Attempt::Failed { error: format!("{error}; gave up after {attempts} attempts") }
            }
            Some(Err(SendError::Retryable(error))) => {
                Attempt::Retry { next_attempt_ms: config.clock.now_ms() + backoff_ms(options, attempts), error }
            }
        };
        storage.record_attempt(notification.id, attempt, config.clock.now_ms()).await?;
    }
    Ok(due.len())
}

struct Shared {
    wake: Notify,
    stop: AtomicBool,
}

/// Stops the task when the last handle goes (the server stopped).
struct Guard(Arc<Shared>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        self.0.wake.notify_one();
    }
}

/// The server's handle on its alert task: `nudge` after something arrived.
#[derive(Clone)]
pub struct AlertsHandle(Arc<Guard>);

impl AlertsHandle {
    /// Starts the alert task on the current tokio runtime (none: a handle whose nudges do nothing).
    pub fn start<S: Storage>(storage: Arc<S>, config: Arc<ServerConfig>) -> Self {
        let shared = Arc::new(Shared { wake: Notify::new(), stop: AtomicBool::new(false) });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(run(storage, config, shared.clone()));
        }
        Self(Arc::new(Guard(shared)))
    }

    /// Wakes the task to evaluate new events or scans now. Never blocks.
    pub fn nudge(&self) {
        self.0 .0.wake.notify_one();
    }
}

async fn run<S: Storage>(storage: Arc<S>, config: Arc<ServerConfig>, shared: Arc<Shared>) {
    let options = config.alerts.clone();
    let client = match http_client(Duration::from_millis(options.timeout_ms)) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("alerts: {err}; alerts are filed but not sent");
            reqwest::Client::new()
        }
    };
    let mut last_expiry_check: Option<i64> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let now = config.clock.now_ms();
        let check_expiry = last_expiry_check.is_none_or(|at| now.saturating_sub(at) >= options.expiry_check_ms);
        match evaluate(storage.as_ref(), &config, check_expiry).await {
            Ok(_) if check_expiry => last_expiry_check = Some(now),
            Ok(_) => {}
            Err(err) => eprintln!("alerts: evaluating the rules: {err}"),
        }
        if let Err(err) = deliver_due(storage.as_ref(), &config, &client).await {
            eprintln!("alerts: delivering notifications: {err}");
        }
        let tick = i64::try_from(options.tick_ms).unwrap_or(i64::MAX);
        let wait = match storage.next_notification_ms().await {
            Ok(Some(due)) => due.saturating_sub(config.clock.now_ms()).clamp(20, tick),
            _ => tick,
        };
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))) => {}
        }
    }
}
