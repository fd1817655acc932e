//! The versioned HTTP API (`/v1/...`): health, enroll, push, pull, device keys, custody, photos, EPCIS,
//! piece counts, PHI flags; the consumer trace page and the manager dashboard are mounted here too.
//! Handlers are generic over the `Storage` trait; authentication is an extractor; errors are JSON
//! with a stable key.

mod assist;
pub(crate) mod auth;
mod custody;
mod device_key;
mod enroll;
mod events;
mod export;
mod photos;
pub mod rate_limit;

use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use rate_limit::RateLimiter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The server's clock for handover bookkeeping (arrival times, the unpaired-offer deadline).
/// Tests move it forward instead of sleeping; in service it is the system clock.
#[derive(Debug, Clone, Default)]
pub struct ServerClock {
    offset_ms: Arc<AtomicI64>,
}

impl ServerClock {
    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

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
    /// The address buyers reach this server at (trace pages `/t/{code}` in exports and labels);
    /// when unset, the `Host` a request came in on.
    pub public_url: Option<String>,
    /// The GS1 Digital Link resolver GS1 keys are exported on.
    pub digital_link_base: String,
    /// A request header the front proxy or CDN fills with the client's city (for example
    /// `X-Client-City`); the trace page shows where a code was looked up from. Unset: no places.
    pub geo_header: Option<String>,
    /// UTC offset (seconds) for times the server itself stamps on pages, such as a trace code's
    /// first look-up. Events keep the offset of the phone that recorded them.
    pub display_offset_s: i32,
    /// A handover offer with no acceptance this long after the server received it is flagged
    /// `unpaired` (`--unpaired-after`).
    pub unpaired_after_ms: i64,
    pub clock: ServerClock,
    /// Where photo files go; by default a folder beside the database (`<db>-photos`).
    pub photo_dir: Option<PathBuf>,
    /// Largest photo accepted, bytes (phones send at most 200 KB).
    pub max_photo_bytes: u64,
    /// Largest photo chunk per request, bytes (phones send 64 KiB).
    pub max_photo_chunk_bytes: usize,
    /// Longest edge of served thumbnails, pixels.
    pub thumbnail_edge: u32,
    /// Timing of the alert task (evaluation tick, retries).
    pub alerts: crate::alerts::AlertOptions,
    /// The per-co-op read-model cache (`state::ViewCache`); `max_coops: 0` turns it off.
    pub view_cache: crate::state::ViewCacheLimits,
}

/// Default for `unpaired_after_ms`: a working day's trip leg, with room for late syncs.
pub const DEFAULT_UNPAIRED_AFTER_MS: i64 = 6 * 3_600_000;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            rate_per_second: 50.0,
            rate_burst: 200.0,
            max_pull_page: 5_000,
            public_url: None,
            digital_link_base: "https://id.gs1.org".to_owned(),
            geo_header: None,
            // China Standard Time: the co-ops and most buyers are there.
            display_offset_s: 8 * 3600,
            unpaired_after_ms: DEFAULT_UNPAIRED_AFTER_MS,
            clock: ServerClock::default(),
            photo_dir: None,
            max_photo_bytes: 400 * 1024,
            max_photo_chunk_bytes: 256 * 1024,
            thumbnail_edge: 256,
            alerts: crate::alerts::AlertOptions::default(),
            view_cache: crate::state::ViewCacheLimits::default(),
        }
    }
}

pub struct AppState<S> {
    pub storage: Arc<S>,
    pub limiter: Arc<RateLimiter>,
    pub config: Arc<ServerConfig>,
    /// Photo files; `None` when there is nowhere to keep them (an in-memory database).
    pub photos: Option<Arc<crate::photos::PhotoFiles>>,
    /// Nudged after pushes and trace scans; evaluates alert rules off the request path.
    pub alerts: crate::alerts::AlertsHandle,
    /// Decoded events and folded state per co-op, refreshed incrementally.
    pub views: Arc<crate::state::ViewCache>,
}

impl<S: Storage> AppState<S> {
    /// The co-op's events and state, including every push acknowledged before this call.
    pub async fn coop_view(&self, coop: &str) -> Result<Arc<crate::state::CoopView>, crate::storage::StorageError> {
        self.views.view(self.storage.as_ref(), coop).await
    }
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            limiter: self.limiter.clone(),
            config: self.config.clone(),
            photos: self.photos.clone(),
            alerts: self.alerts.clone(),
            views: self.views.clone(),
        }
    }
}

pub fn router<S: Storage>(storage: Arc<S>, config: ServerConfig) -> Router {
    let photo_dir = config.photo_dir.clone().or_else(|| storage.default_photo_dir());
    let shared_config = Arc::new(config.clone());
    let state = AppState {
        photos: photo_dir.map(|dir| Arc::new(crate::photos::PhotoFiles::new(dir))),
        alerts: crate::alerts::AlertsHandle::start(storage.clone(), shared_config.clone()),
        storage,
        limiter: Arc::new(RateLimiter::new(config.rate_per_second, config.rate_burst)),
        config: shared_config,
        views: Arc::new(crate::state::ViewCache::new(config.view_cache)),
    };
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll::enroll::<S>))
        .route("/v1/events", post(events::push::<S>).get(events::pull::<S>))
        .route("/v1/epcis", get(export::epcis::<S>))
        .route("/t/{code}", get(crate::trace_page::page::<S>))
        .merge(crate::ui::router::<S>())
        .merge(crate::alerts::router::<S>())
        .route("/v1/device-key", post(device_key::register::<S>))
        .route("/v1/custody", get(custody::list::<S>))
        .route("/v1/photos/{sha256}", get(photos::download::<S>).put(photos::put_chunk::<S>))
        .route("/v1/photos/{sha256}/status", get(photos::status::<S>))
        .route("/v1/photos/{sha256}/thumb", get(photos::thumbnail::<S>))
        .route("/v1/piece-counts", get(assist::piece_counts_of::<S>))
        .route("/v1/phi-flags", get(assist::phi_flags_of::<S>))
        .route("/v1/test-reports", post(crate::reports::post::<S>))
        .route("/t/photos/{coop}/{sha256}", get(crate::trace_page::published_photo::<S>))
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
