//! FieldTrace's pages: the co-op manager dashboard under `/ui` ([`ui`], with the alerts list in
//! [`alerts_page`]), the consumer trace page `/t/{code}` ([`trace_page`]) and their CSV exports.
//! Everything here reads through the server's storage traits and persisted read models
//! ([`fieldtrace_server::ReadState`]); writes go through the same
//! traits the API uses (sign-in, audit, acknowledging an alert, revoking a device).
//!
//! [`app`] puts the server's `/v1` API and these pages together into one router, the whole
//! service that `fieldtrace serve` runs.
//!
//! May import: `fieldtrace-server` (state, storage traits, errors) and `fieldtrace-core`. Nothing
//! of the CLI, the demo or a particular database.

pub mod alerts_page;
pub mod trace_page;
pub mod ui;

/// Loss analytics live with the server, whose projector keeps their counters.
pub use fieldtrace_server::analytics;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::get;
use axum::Router;
use fieldtrace_server::storage::Storage;
use fieldtrace_server::{AppState, ReadState, ServerConfig};
use std::sync::Arc;

/// The pages' routes. The dashboard's handlers get only [`ReadState`]; the trace page also
/// takes the alert task's handle (to nudge the diversion rule), both through `FromRef`.
pub fn pages<S: Storage>(state: AppState<S>) -> Router {
    let trace = Router::new()
        .route("/t/{code}", get(trace_page::page::<S>))
        .route("/t/photos/{coop}/{sha256}", get(trace_page::published_photo::<S>))
        .with_state(state.clone());
    let dashboard = ui::router::<S>().merge(alerts_page::router::<S>()).with_state(ReadState::from_ref(&state));
    trace.merge(dashboard).layer(DefaultBodyLimit::max(state.config.max_body_bytes))
}

/// The whole service over `storage`: the sync API and the pages, sharing one state. Every
/// request, whichever router answers it (or none), gets a request id and its span.
pub fn app<S: Storage>(storage: Arc<S>, config: ServerConfig) -> Router {
    let state = AppState::new(storage, config);
    fieldtrace_server::api::router(state.clone())
        .merge(pages(state))
        .layer(axum::middleware::from_fn(fieldtrace_server::observe::request_id::layer))
}

/// Serves the whole service on `listener` until `shutdown` completes.
pub async fn serve<S: Storage>(
    listener: tokio::net::TcpListener,
    storage: Arc<S>,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(storage, config)).with_graceful_shutdown(shutdown).await
}
