//! `POST /v1/events` (push) and `GET /v1/events?after=N` (pull).
//!
//! Push is idempotent: events are keyed by id, so a replayed batch or one whose answer was lost
//! is answered `known` for what the server already has. The answer lists every event's fate in
//! order. Pull pages through the co-op's events by the server-assigned sequence number.
//!
//! Each answered push and pull counts into the metrics and logs one summary line at info (device,
//! co-op, what moved, how long it took); nothing of the request's credentials.

use super::auth::AuthedDevice;
use crate::handover::check_signatures;
use crate::observe::SyncOp;
use crate::storage::{DeviceRecord, EventPage, PushOutcome, Storage};
use crate::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldtrace_core::sync::{wire, PENDING_HEADER};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The fate of each pushed event, in order: `A` accepted, `K` already known, `R` rejected (see
/// `rejected` for why). One character per event keeps the answer to a 100-event push tiny.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushResponse {
    pub results: String,
    pub accepted: usize,
    pub known: usize,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rejection {
    pub index: usize,
    pub error: String,
}

pub async fn push<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PushResponse>, ApiError> {
    let started = Instant::now();
    let answer = store_pushed(&state, &device, &headers, &body).await;
    let duration_ms = count_call(&state, SyncOp::Push, answer.is_ok(), started);
    match &answer {
        Ok(pushed) => {
            state.config.metrics.events_pushed(pushed.accepted, pushed.known, pushed.rejected.len());
            tracing::info!(
                device = %device.id,
                coop = %device.coop,
                accepted = pushed.accepted,
                duplicate = pushed.known,
                rejected = pushed.rejected.len(),
                duration_ms,
                "sync push"
            );
        }
        Err(err) => {
            tracing::info!(device = %device.id, coop = %device.coop, error = err.key(), duration_ms, "sync push failed");
        }
    }
    answer.map(Json)
}

async fn store_pushed<S: Storage>(
    state: &AppState<S>,
    device: &DeviceRecord,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PushResponse, ApiError> {
    let events = wire::decode_events(body).map_err(|err| ApiError::bad_request(err.key(), err.to_string()))?;
    let signatures = check_signatures(state.storage.as_ref(), &device.coop, &events).await?;
    let mut results = vec!['R'; events.len()];
    let mut rejected = Vec::new();
    let mut allowed = Vec::with_capacity(events.len());
    let mut allowed_index = Vec::with_capacity(events.len());
    for (index, (event, signature)) in events.into_iter().zip(signatures).enumerate() {
        let refusal = if event.recorder.device != device.id {
            Some("recorder_mismatch")
        } else if event.recorder.party != device.party {
            // Piece counts pay the recorder: a device records only as its enrolled party.
            Some("recorder_party_mismatch")
        } else if event.actor.party != device.party && !device.role.may_record_for_others() {
            Some("actor_not_self")
        } else if !device.role.may_record(&event.kind) {
            Some("role_forbidden_kind")
        } else {
            signature
        };
        match refusal {
            Some(error) => rejected.push(Rejection { index, error: error.to_owned() }),
            None => {
                allowed_index.push(index);
                allowed.push(event);
            }
        }
    }
    let outcomes = if allowed.is_empty() {
        Vec::new()
    } else {
        state.storage.push(&device.coop, device.id, allowed, state.config.clock.now_ms()).await?
    };
    if outcomes.iter().any(|o| matches!(o, PushOutcome::Accepted(_))) {
        // Committed: the projector and the alert task read the new events from the database,
        // off this request.
        state.project_soon(&device.coop);
        state.alerts.nudge();
    }
    let (mut accepted, mut known) = (0, 0);
    for (index, outcome) in allowed_index.into_iter().zip(outcomes) {
        results[index] = match outcome {
            PushOutcome::Accepted(_) => {
                accepted += 1;
                'A'
            }
            PushOutcome::Known => {
                known += 1;
                'K'
            }
        };
    }
    note_sync(state, device, headers).await?;
    Ok(PushResponse { results: results.into_iter().collect(), accepted, known, rejected })
}

/// Counts an answered sync call in the metrics; returns how long it took (ms) for its log line.
fn count_call<S>(state: &AppState<S>, op: SyncOp, ok: bool, started: Instant) -> f64 {
    let took = started.elapsed();
    state.config.metrics.sync_request(op, ok, took);
    took.as_secs_f64() * 1e3
}

/// Stamps the device's last sync and the outbox size its phone reported (`X-FieldTrace-Pending`;
/// absent or unreadable from older apps: unknown).
async fn note_sync<S: Storage>(
    state: &AppState<S>,
    device: &DeviceRecord,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let pending = headers.get(PENDING_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    Ok(state.storage.record_sync(device.id, state.config.clock.now_ms(), pending).await?)
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

/// Response headers of a pull page.
pub const NEXT_AFTER_HEADER: &str = "fieldtrace-next-after";
pub const HAS_MORE_HEADER: &str = "fieldtrace-has-more";

pub async fn pull<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    headers: HeaderMap,
    Query(query): Query<PullQuery>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let answer = read_page(&state, &device, &headers, &query).await;
    let duration_ms = count_call(&state, SyncOp::Pull, answer.is_ok(), started);
    match &answer {
        Ok(page) => {
            state.config.metrics.events_pulled(page.encoded.len());
            tracing::info!(
                device = %device.id,
                coop = %device.coop,
                after = query.after,
                events = page.encoded.len(),
                next_after = page.next_after,
                has_more = page.has_more,
                duration_ms,
                "sync pull"
            );
        }
        Err(err) => {
            tracing::info!(device = %device.id, coop = %device.coop, error = err.key(), duration_ms, "sync pull failed");
        }
    }
    let page = answer?;
    let body = wire::batch_from_encoded(page.encoded.iter().map(Vec::as_slice));
    let headers = [
        (CONTENT_TYPE.as_str(), wire::CONTENT_TYPE.to_owned()),
        (NEXT_AFTER_HEADER, page.next_after.to_string()),
        (HAS_MORE_HEADER, page.has_more.to_string()),
    ];
    Ok((headers, body).into_response())
}

async fn read_page<S: Storage>(
    state: &AppState<S>,
    device: &DeviceRecord,
    headers: &HeaderMap,
    query: &PullQuery,
) -> Result<EventPage, ApiError> {
    if query.after < 0 {
        return Err(ApiError::bad_request("cursor_invalid", "after must be a sequence number >= 0"));
    }
    let limit = query.limit.unwrap_or(state.config.max_pull_page).clamp(1, state.config.max_pull_page);
    let page = state.storage.pull(&device.coop, query.after, limit).await?;
    note_sync(state, device, headers).await?;
    Ok(page)
}
