//! Photos for the dashboard: the same content-addressed files and thumbnailer as the device API
//! (`fieldtrace_server::photos`), for a signed-in manager, and only photos their co-op uploaded.

use super::super::SignedIn;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fieldtrace_core::model::PhotoRef;
use fieldtrace_server::storage::Storage;
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use std::sync::Arc;

fn not_found() -> ApiError {
    ApiError::Rejected {
        status: StatusCode::NOT_FOUND,
        key: "photo_not_found",
        message: "this co-op has no complete photo by that hash".into(),
    }
}

async fn bytes<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    sha256: String,
    thumb: bool,
) -> Result<Response, ApiError> {
    if !PhotoRef(sha256.clone()).is_well_formed() {
        return Err(not_found());
    }
    let files: Arc<_> = state.photos.clone().ok_or_else(not_found)?;
    if !state.storage.photo(coop, &sha256).await?.is_some_and(|p| p.complete()) {
        return Err(not_found());
    }
    let edge = state.config.thumbnail_edge;
    let read =
        tokio::task::spawn_blocking(move || if thumb { files.thumbnail(&sha256, edge) } else { files.read(&sha256) })
            .await
            .map_err(|e| ApiError::Internal(format!("photo storage: {e}")))?
            .map_err(|e| ApiError::Internal(format!("photo storage: {e}")))?;
    // Content-addressed: the bytes behind a name never change; private, the page is signed in.
    Ok(([(CONTENT_TYPE, "image/jpeg"), (CACHE_CONTROL, "private, max-age=31536000, immutable")], read).into_response())
}

pub async fn full<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    bytes(&state, &manager.coop, sha256, false).await
}

pub async fn thumb<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    bytes(&state, &manager.coop, sha256, true).await
}
