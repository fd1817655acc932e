//! The versioned HTTP API (`/v1/...`) the phones speak: health, enroll, push, pull, device keys,
//! custody, photos, EPCIS, piece counts, PHI flags, test reports; beside it the supervisors'
//! probes `/healthz` and `/readyz` ([`probes`]). Handlers are generic over the
//! `Storage` traits; authentication is an extractor; errors are JSON with a stable key. The
//! dashboard and the consumer trace page are other crates' routers, merged beside this one.

mod assist;
pub mod auth;
mod custody;
mod device_key;
mod enroll;
mod events;
mod export;
mod photos;
mod probes;
pub mod rate_limit;

use crate::app::AppState;
use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};

/// The sync API's routes over `state`.
pub fn router<S: Storage>(state: AppState<S>) -> Router {
    let max_body_bytes = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz::<S>))
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll::enroll::<S>))
        .route("/v1/events", post(events::push::<S>).get(events::pull::<S>))
        .route("/v1/epcis", get(export::epcis::<S>))
        .route("/v1/device-key", post(device_key::register::<S>))
        .route("/v1/custody", get(custody::list::<S>))
        .route("/v1/photos/{sha256}", get(photos::download::<S>).put(photos::put_chunk::<S>))
        .route("/v1/photos/{sha256}/status", get(photos::status::<S>))
        .route("/v1/photos/{sha256}/thumb", get(photos::thumbnail::<S>))
        .route("/v1/piece-counts", get(assist::piece_counts_of::<S>))
        .route("/v1/phi-flags", get(assist::phi_flags_of::<S>))
        .route("/v1/test-reports", post(crate::reports::post::<S>))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "wire_version": fieldtrace_core::sync::wire::WIRE_VERSION,
        "server_version": env!("CARGO_PKG_VERSION"),
    }))
}
