//! FieldTrace sync server: enrollment, idempotent push, cursor pull, co-op tenancy.
//!
//! - [`storage`]: the `Storage` trait and its embedded SQLite implementation.
//! - [`api`]: the versioned HTTP API over any `Storage`.
//! - [`import`]: `fieldtrace import`, assistants' spreadsheets of farming records and lots.

pub mod api;
pub mod demo;
mod error;
pub mod import;
pub mod secrets;
pub mod state;
pub mod storage;

pub use api::{router, ServerConfig};
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
