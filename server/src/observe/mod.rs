//! What an operator sees of a running server: structured logs with a request id per HTTP
//! request ([`request_id`]) and Prometheus metrics ([`metrics`]).
//!
//! Metrics are served on a listener of their own (`fieldtrace serve --metrics-listen ADDR`), not
//! on the public one: they are server-wide (every co-op's projection lag, the whole database's
//! size), so putting them behind a co-op manager's dashboard sign-in would show one tenant the
//! others' figures, and Prometheus cannot sign in with a browser session anyway. The metrics
//! listener has no authentication: bind it to loopback or a private network only.

pub mod metrics;
pub mod request_id;

pub use metrics::{Metrics, SyncOp};

use crate::storage::Storage;
use crate::ApiError;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// `GET /metrics` over `storage`, counting into `metrics` (take it from the server's
/// `ServerConfig::metrics`, so the scrape shows what that server counted).
pub fn metrics_router<S: Storage>(storage: Arc<S>, metrics: Metrics) -> Router {
    Router::new().route("/metrics", get(scrape::<S>)).with_state((storage, metrics))
}

async fn scrape<S: Storage>(State((storage, metrics)): State<(Arc<S>, Metrics)>) -> Response {
    match metrics.render(storage.as_ref()).await {
        Ok(text) => ([(CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// Serves [`metrics_router`] on `listener` until `shutdown` completes.
pub async fn serve_metrics<S: Storage>(
    listener: tokio::net::TcpListener,
    storage: Arc<S>,
    metrics: Metrics,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, metrics_router(storage, metrics)).with_graceful_shutdown(shutdown).await
}
