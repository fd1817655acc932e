//! Notifiers: how an alert leaves the server. Each is an HTTP call behind the `Notifier` trait, so
//! the dispatcher treats a webhook and an SMS gateway alike and tests point them at local
//! endpoints. A notifier says whether a failure is worth retrying; the dispatcher decides when.

use super::store::AlertRow;
use std::future::Future;
use std::time::Duration;

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Network error, timeout, 5xx, 408 or 429: the same request may succeed later.
    #[error("{0}")]
    Retryable(String),
    /// Any other answer (a 4xx): sending it again will not help.
    #[error("{0}")]
    Permanent(String),
}

/// One alert on its way to one address.
pub struct Message<'a> {
    pub coop: &'a str,
    pub alert: &'a AlertRow,
    /// The phone number for SMS; unused by the webhook.
    pub address: &'a str,
}

pub trait Notifier: Send + Sync {
    fn send(&self, message: &Message<'_>) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// The client notifiers share: bounded time per attempt, no redirects to other hosts.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("building the notification HTTP client: {e}"))
}

async fn post_json(request: reqwest::RequestBuilder, body: &serde_json::Value) -> Result<(), SendError> {
    let bytes = serde_json::to_vec(body).map_err(|e| SendError::Permanent(e.to_string()))?;
    let response = request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes)
        .send()
        .await
        // Without the URL: webhook URLs often carry an access token in their query, and this
        // text goes to the log and the dashboard.
        .map_err(|e| {
            SendError::Retryable(if e.is_timeout() { "timed out".to_owned() } else { e.without_url().to_string() })
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(SendError::Retryable(format!("HTTP {}", status.as_u16())))
    } else {
        Err(SendError::Permanent(format!("HTTP {}", status.as_u16())))
    }
}

/// POSTs the alert as JSON to the co-op's webhook. `Idempotency-Key` lets the receiver drop the
/// copy a retry sends when only the answer to an earlier attempt was lost.
pub struct Webhook {
    pub client: reqwest::Client,
    pub url: String,
}

impl Notifier for Webhook {
    async fn send(&self, message: &Message<'_>) -> Result<(), SendError> {
        let alert = message.alert;
        let body = serde_json::json!({
            "id": alert.id,
            "coop": message.coop,
            "kind": alert.kind,
            "subject": alert.subject,
            "lot": alert.lot,
            "code": alert.code,
            "text": alert.text_zh,
            "text_en": alert.text_en,
            "recipients": alert.recipients,
            "created_at_ms": alert.created_at_ms,
        });
        let request = self.client.post(&self.url).header("idempotency-key", format!("fieldtrace-alert-{}", alert.id));
        post_json(request, &body).await
    }
}

/// An SMS gateway reached over HTTP: POST `{"to": number, "text": text}` with the co-op's token as
/// a bearer credential. Carriers' own APIs sit behind such a gateway (docs/alerts.md).
pub struct SmsGateway {
    pub client: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
}

/// Longest SMS text sent (characters); longer texts are cut, the dashboard keeps the whole.
pub const MAX_SMS_CHARS: usize = 120;

impl Notifier for SmsGateway {
    async fn send(&self, message: &Message<'_>) -> Result<(), SendError> {
        let text: String = format!("【田链溯源】{}", message.alert.text_zh).chars().take(MAX_SMS_CHARS).collect();
        let body = serde_json::json!({ "to": message.address, "text": text });
        let mut request = self.client.post(&self.url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        post_json(request, &body).await
    }
}
