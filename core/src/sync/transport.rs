//! HTTP to the sync server: requests, and the mapping of every answer to data or a `SyncError`.
//! No retry policy here; the client decides what to do with a transient error.

use super::enroll::Credentials;
use super::error::SyncError;
use super::wire;
use crate::model::Event;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// Response headers of a pull page (see the server's `api::events`).
const NEXT_AFTER_HEADER: &str = "fieldtrace-next-after";
const HAS_MORE_HEADER: &str = "fieldtrace-has-more";

#[derive(Debug, Serialize)]
struct EnrollRequest<'a> {
    token: &'a str,
    device_id: String,
    credential: &'a str,
    /// This device's Ed25519 public key, base64url (see `handover::keys`).
    public_key: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EnrollResponse {
    pub coop_id: String,
    pub party_id: String,
    pub role: String,
    /// The co-op's certificate for the public key and the co-op's own public key; absent from a
    /// server that predates device keys.
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub coop_key: Option<String>,
}

#[derive(Debug, Serialize)]
struct DeviceKeyRequest<'a> {
    public_key: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeviceKeyResponse {
    pub certificate: String,
    pub coop_key: String,
}

/// Per event, in push order: `A` accepted, `K` known, `R` rejected (with the reason).
#[derive(Debug, Deserialize)]
pub(crate) struct PushResponse {
    pub results: String,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Rejection {
    pub index: usize,
    pub error: String,
}

pub(crate) struct PulledPage {
    pub events: Vec<Event>,
    pub next_after: i64,
    pub has_more: bool,
    pub wire_bytes: usize,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
}

pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("fieldtrace-core/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SyncError::Network(e.to_string()))
}

pub(super) fn endpoint(server: &Url, path: &str) -> Result<Url, SyncError> {
    server.join(path).map_err(|e| SyncError::Protocol(format!("server address {server}: {e}")))
}

pub(super) fn transport_error(err: reqwest::Error) -> SyncError {
    if err.is_timeout() {
        SyncError::Timeout
    } else {
        SyncError::Network(err.to_string())
    }
}

/// Turns a non-success answer into the error it stands for.
pub(super) async fn refusal(response: Response) -> SyncError {
    let status = response.status();
    let retry_after_s =
        response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(1);
    let body: Option<ErrorBody> = response.json().await.ok();
    let (key, message) =
        body.map_or_else(|| (format!("http_{}", status.as_u16()), String::new()), |b| (b.error, b.message));
    match status {
        StatusCode::UNAUTHORIZED => SyncError::Unauthorized,
        StatusCode::FORBIDDEN if key == "device_revoked" => SyncError::Revoked,
        StatusCode::TOO_MANY_REQUESTS => SyncError::RateLimited { retry_after_s },
        s if s.is_server_error() => SyncError::Server { status: s.as_u16(), key, message },
        s => SyncError::Refused { status: s.as_u16(), key, message },
    }
}

pub(crate) async fn enroll(
    http: &reqwest::Client,
    server: &Url,
    token: &str,
    device_id: String,
    credential: &str,
    public_key: &str,
) -> Result<EnrollResponse, SyncError> {
    let response = http
        .post(endpoint(server, "v1/enroll")?)
        .json(&EnrollRequest { token, device_id, credential, public_key })
        .send()
        .await
        .map_err(transport_error)?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    response.json().await.map_err(|e| SyncError::Protocol(format!("enroll answer: {e}")))
}

/// Registers the device's public key (a phone enrolled before keys existed) and gets it certified.
pub(crate) async fn register_key(
    http: &reqwest::Client,
    credentials: &Credentials,
    public_key: &str,
) -> Result<DeviceKeyResponse, SyncError> {
    let response = http
        .post(endpoint(&credentials.server, "v1/device-key")?)
        .header(AUTHORIZATION, &credentials.bearer)
        .json(&DeviceKeyRequest { public_key })
        .send()
        .await
        .map_err(transport_error)?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    response.json().await.map_err(|e| SyncError::Protocol(format!("device key answer: {e}")))
}

/// Pushes one batch; returns the server's verdicts and the bytes sent.
pub(crate) async fn push(
    http: &reqwest::Client,
    credentials: &Credentials,
    events: &[Event],
    pending: u64,
) -> Result<(PushResponse, usize), SyncError> {
    let body = wire::encode_events(events);
    let sent = body.len();
    let response = http
        .post(endpoint(&credentials.server, "v1/events")?)
        .header(AUTHORIZATION, &credentials.bearer)
        .header(super::PENDING_HEADER, pending)
        .header(CONTENT_TYPE, wire::CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .map_err(transport_error)?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    let answer: PushResponse = response.json().await.map_err(|e| SyncError::Protocol(format!("push answer: {e}")))?;
    if answer.results.chars().count() != events.len() {
        return Err(SyncError::Protocol(format!(
            "push of {} events answered with {} results",
            events.len(),
            answer.results.chars().count()
        )));
    }
    Ok((answer, sent))
}

pub(crate) async fn pull(
    http: &reqwest::Client,
    credentials: &Credentials,
    after: i64,
    limit: usize,
    pending: u64,
) -> Result<PulledPage, SyncError> {
    let mut url = endpoint(&credentials.server, "v1/events")?;
    url.query_pairs_mut().append_pair("after", &after.to_string()).append_pair("limit", &limit.to_string());
    let response = http
        .get(url)
        .header(AUTHORIZATION, &credentials.bearer)
        .header(super::PENDING_HEADER, pending)
        .send()
        .await
        .map_err(transport_error)?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let next_after = header(NEXT_AFTER_HEADER)
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| SyncError::Protocol(format!("pull answer has no valid {NEXT_AFTER_HEADER} header")))?;
    let has_more = header(HAS_MORE_HEADER).as_deref() == Some("true");
    let body = response.bytes().await.map_err(transport_error)?;
    let events = wire::decode_events(&body)?;
    if next_after < after {
        return Err(SyncError::Protocol(format!("the server moved the cursor back from {after} to {next_after}")));
    }
    Ok(PulledPage { events, next_after, has_more, wire_bytes: body.len() })
}
