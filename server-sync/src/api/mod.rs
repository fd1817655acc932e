//! The versioned HTTP API (`/v1/...`): health, enroll, push, pull, piece counts, PHI flags. Handlers are generic over the
//! `Storage` trait; authentication is an extractor; errors are JSON with a stable key.

mod assist;
mod auth;
mod enroll;
mod events;
pub mod rate_limit;

use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use rate_limit::RateLimiter;
use std::sync::Arc;

/// Limits an operator may tune.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted (compressed), bytes.
    pub max_body_bytes: usize,
    /// Sustained requests per second per device, and the burst allowed above it.
    pub rate_per_second: f64,
    pub rate_burst: f64,
    /// Most events returned by one pull.
    pub max_pull_page: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { max_body_bytes: 4 * 1024 * 1024, rate_per_second: 50.0, rate_burst: 200.0, max_pull_page: 5_000 }
    }
}

pub struct AppState<S> {
    pub storage: Arc<S>,
    pub limiter: Arc<RateLimiter>,
    pub config: Arc<ServerConfig>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self { storage: self.storage.clone(), limiter: self.limiter.clone(), config: self.config.clone() }
    }
}

pub fn router<S: Storage>(storage: Arc<S>, config: ServerConfig) -> Router {
    let state = AppState {
        storage,
        limiter: Arc::new(RateLimiter::new(config.rate_per_second, config.rate_burst)),
        config: Arc::new(config.clone()),
    };
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll::enroll::<S>))
        .route("/v1/events", post(events::push::<S>).get(events::pull::<S>))
        .route("/v1/piece-counts", get(assist::piece_counts_of::<S>))
        .route("/v1/phi-flags", get(assist::phi_flags_of::<S>))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(state)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "wire_version": fieldtrace_core::sync::wire::WIRE_VERSION,
        "server_version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Milliseconds since the epoch on the server's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
