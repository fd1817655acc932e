//! FieldTrace sync server: enrollment, idempotent push, cursor pull, co-op tenancy.
//!
//! - [`storage`]: the `Storage` trait and its embedded SQLite implementation.
//! - [`api`]: the versioned HTTP API over any `Storage`.
//! - [`photos`]: photo files on disk (content-addressed, resumable partial uploads, thumbnails).
//! - [`import`]: `fieldtrace import`, assistants' spreadsheets of farming records and lots.

pub mod alerts;
pub mod analytics;
pub mod api;
pub mod custody;
pub mod demo;
mod demo_history;
mod demo_story;
pub mod enrollment;
pub mod epcis;
mod error;
pub mod handover;
pub mod import;
pub mod photos;
pub mod reports;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod trace_page;
pub mod ui;

pub use api::{router, ServerClock, ServerConfig};
pub use demo_story::mango_trace_code;
pub use error::ApiError;

use std::sync::Arc;
use storage::Storage;

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve<S: Storage>(
    listener: tokio::net::TcpListener,
    storage: Arc<S>,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(storage, config)).with_graceful_shutdown(shutdown).await
}
