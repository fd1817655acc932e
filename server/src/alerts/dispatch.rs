//! The background tasks: one evaluates the rules on what arrived since the last run and files the
//! alerts (with their notifications) durably; the other delivers due notifications side by side
//! with bounded, backed-off retries. Pushes and trace-page scans only nudge it, so they are never slowed or failed by an
//! alert; after a restart it resumes from the stored cursors and the pending notifications.

pub use super::evaluate::evaluate;
use super::notify::{http_client, Message, Notifier, SendError, SmsGateway, Webhook};
use super::store::{AlertSettings, Attempt, DueNotification, SMS, WEBHOOK};
use crate::projection::Projector;
use crate::storage::{Storage, StorageError};
use crate::ServerConfig;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;

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

/// Notifications being sent at once: a slow webhook or gateway holds one slot, never the others.
const MAX_IN_FLIGHT: usize = 16;

/// Sends one due notification and records how it went.
async fn deliver_one<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    client: &reqwest::Client,
    notification: DueNotification,
) -> Result<(), StorageError> {
    let options = &config.alerts;
    let settings: AlertSettings = storage.alert_settings(&notification.coop).await?;
    let message = Message { coop: &notification.coop, alert: &notification.alert, address: &notification.address };
    let outcome = match notification.channel.as_str() {
        WEBHOOK => match settings.webhook_url {
            Some(url) => Some(Webhook { client: client.clone(), url }.send(&message).await),
            None => None,
        },
        SMS => match settings.sms_gateway_url {
            Some(url) => {
                Some(SmsGateway { client: client.clone(), url, token: settings.sms_token }.send(&message).await)
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
    match &attempt {
        Attempt::Failed { error } => {
            config.metrics.alert_delivery_failed(true);
            // The address is a phone number or the webhook (which may carry a token): not logged.
            tracing::warn!(notification = notification.id, channel = %notification.channel, error = %error,
                "alert notification failed for good");
        }
        Attempt::Retry { error, .. } => {
            config.metrics.alert_delivery_failed(false);
            tracing::info!(notification = notification.id, channel = %notification.channel, error = %error,
                attempts, "alert notification failed; will retry");
        }
        Attempt::Delivered | Attempt::NotConfigured => {}
    }
    storage.record_attempt(notification.id, attempt, config.clock.now_ms()).await
}

struct Shared {
    /// Something arrived: evaluate the rules.
    wake: Notify,
    /// Something was filed: deliver.
    deliver: Notify,
    stop: AtomicBool,
}

/// Stops the tasks when the last handle goes (the server stopped).
struct Guard(Arc<Shared>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        self.0.wake.notify_one();
        self.0.deliver.notify_one();
    }
}

/// The server's handle on its alert tasks: `nudge` after something arrived.
#[derive(Clone)]
pub struct AlertsHandle(Arc<Guard>);

impl AlertsHandle {
    /// Starts the evaluating and the delivering task on the current tokio runtime (none: a
    /// handle whose nudges do nothing). They are separate so that a notifier that is slow to
    /// answer never delays the next evaluation, and sends run side by side for the same reason.
    pub fn start<S: Storage>(storage: Arc<S>, config: Arc<ServerConfig>, projector: Arc<Projector>) -> Self {
        let shared = Arc::new(Shared { wake: Notify::new(), deliver: Notify::new(), stop: AtomicBool::new(false) });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(evaluate_loop(storage.clone(), config.clone(), projector, shared.clone()));
            tokio::spawn(deliver_loop(storage, config, shared.clone()));
        }
        Self(Arc::new(Guard(shared)))
    }

    /// Wakes the task to evaluate new events or scans now. Never blocks.
    pub fn nudge(&self) {
        self.0 .0.wake.notify_one();
    }
}

async fn evaluate_loop<S: Storage>(
    storage: Arc<S>,
    config: Arc<ServerConfig>,
    projector: Arc<Projector>,
    shared: Arc<Shared>,
) {
    let options = config.alerts.clone();
    let mut last_expiry_check: Option<i64> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let now = config.clock.now_ms();
        let check_expiry = last_expiry_check.is_none_or(|at| now.saturating_sub(at) >= options.expiry_check_ms);
        match evaluate(storage.as_ref(), &config, &projector, check_expiry).await {
            Ok(filed) => {
                if check_expiry {
                    last_expiry_check = Some(now);
                }
                if filed > 0 {
                    shared.deliver.notify_one();
                }
            }
            Err(err) => tracing::error!(error = %err, "alerts: evaluating the rules"),
        }
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(options.tick_ms)) => {}
        }
    }
}

async fn deliver_loop<S: Storage>(storage: Arc<S>, config: Arc<ServerConfig>, shared: Arc<Shared>) {
    let options = config.alerts.clone();
    let client = match http_client(Duration::from_millis(options.timeout_ms)) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "alerts: no HTTP client; alerts are filed but not sent");
            reqwest::Client::new()
        }
    };
    let mut sending: HashSet<i64> = HashSet::new();
    let mut tasks: JoinSet<i64> = JoinSet::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let free = MAX_IN_FLIGHT.saturating_sub(tasks.len());
        if free > 0 {
            // Ask for more than the free slots: some due ones may be on their way already.
            match storage.due_notifications(config.clock.now_ms(), MAX_IN_FLIGHT * 2).await {
                Ok(due) => {
                    let due: Vec<DueNotification> =
                        due.into_iter().filter(|n| !sending.contains(&n.id)).take(free).collect();
                    for notification in due {
                        sending.insert(notification.id);
                        let (storage, config, client) = (storage.clone(), config.clone(), client.clone());
                        tasks.spawn(async move {
                            let id = notification.id;
                            if let Err(err) = deliver_one(storage.as_ref(), &config, &client, notification).await {
                                tracing::error!(notification = id, error = %err, "alerts: delivering a notification");
                            }
                            id
                        });
                    }
                }
                Err(err) => tracing::error!(error = %err, "alerts: reading due notifications"),
            }
        }
        let tick = i64::try_from(options.tick_ms).unwrap_or(i64::MAX);
        let wait = match storage.next_notification_ms().await {
            Ok(Some(due)) => due.saturating_sub(config.clock.now_ms()).clamp(20, tick),
            _ => tick,
        };
        tokio::select! {
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(id) = done {
                    sending.remove(&id);
                }
            }
            _ = shared.deliver.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))) => {}
        }
    }
}
