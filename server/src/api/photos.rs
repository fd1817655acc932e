//! Photo endpoints: resumable chunked upload, de-duplicated by SHA-256, and downloads (full and
//! thumbnail). A device sees and sends only its own co-op's photos. See `docs/photos.md`.
//!
//! - `GET  /v1/photos/{sha256}/status` → `{received, complete, size}`: where to resume;
//! - `PUT  /v1/photos/{sha256}?offset=N&size=S` (chunk body) → `{received, complete}`;
//! - `GET  /v1/photos/{sha256}` and `/v1/photos/{sha256}/thumb` → `image/jpeg`.

use super::auth::AuthedDevice;
use crate::photos::{FinishError, PhotoFiles};
use crate::storage::{DeviceRecord, Storage};
use crate::ApiError;
use crate::{now_ms, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldtrace_core::model::PhotoRef;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PhotoProgress {
    /// Bytes the server holds: the next chunk starts here.
    pub received: u64,
    /// The whole photo is here and its SHA-256 matched: nothing more to send.
    pub complete: bool,
    /// The size declared for the upload, once one began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ChunkQuery {
    offset: u64,
    size: u64,
}

fn refused(status: StatusCode, key: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Rejected { status, key, message: message.into() }
}

fn internal(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("photo storage: {err}"))
}

fn checked_hash(sha256: &str) -> Result<(), ApiError> {
    if PhotoRef(sha256.to_owned()).is_well_formed() {
        Ok(())
    } else {
        Err(ApiError::bad_request("photo_hash_invalid", "a photo is named by its SHA-256: 64 lowercase hex digits"))
    }
}

fn files<S>(state: &AppState<S>) -> Result<Arc<PhotoFiles>, ApiError> {
    state.photos.clone().ok_or_else(|| {
        refused(StatusCode::SERVICE_UNAVAILABLE, "photos_unavailable", "this server keeps no photos (no photo folder)")
    })
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(internal)
}

pub async fn status<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Json<PhotoProgress>, ApiError> {
    checked_hash(&sha256)?;
    let files = files(&state)?;
    let record = state.storage.photo(&device.coop, &sha256).await?;
    if let Some(record) = record.as_ref().filter(|r| r.complete()) {
        return Ok(Json(PhotoProgress { received: record.size, complete: true, size: Some(record.size) }));
    }
    let (coop, hash) = (device.coop.clone(), sha256.clone());
    let received = blocking(move || files.partial_len(&coop, &hash)).await?.map_err(internal)?;
    Ok(Json(PhotoProgress { received, complete: false, size: record.map(|r| r.size) }))
}

pub async fn put_chunk<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
    Query(query): Query<ChunkQuery>,
    chunk: Bytes,
) -> Result<Json<PhotoProgress>, ApiError> {
    checked_hash(&sha256)?;
    let files = files(&state)?;
    let (max_photo, max_chunk) = (state.config.max_photo_bytes, state.config.max_photo_chunk_bytes);
    if query.size == 0 {
        return Err(ApiError::bad_request("photo_size_invalid", "size must be the photo's length in bytes (> 0)"));
    }
    if query.size > max_photo {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("the photo is {} bytes; this server accepts photos up to {max_photo} bytes", query.size),
        ));
    }
    if chunk.len() > max_chunk {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_chunk_too_large",
            format!("the chunk is {} bytes; send at most {max_chunk} bytes per request", chunk.len()),
        ));
    }
    if chunk.is_empty() || query.offset.saturating_add(chunk.len() as u64) > query.size {
        return Err(ApiError::bad_request(
            "photo_chunk_invalid",
            format!(
                "a chunk of {} bytes at offset {} does not fit a {}-byte photo",
                chunk.len(),
                query.offset,
                query.size
            ),
        ));
    }
    let _writing = files.lock.lock().await;
    let coop = device.coop.clone();
    let record = state.storage.photo(&coop, &sha256).await?;
    if let Some(record) = record.as_ref().filter(|r| r.complete()) {
        // De-duplication: the co-op has this photo; nothing is written.
        return Ok(Json(PhotoProgress { received: record.size, complete: true, size: Some(record.size) }));
    }
    if !state.storage.photo_referenced(&coop, &sha256).await? {
        return Err(refused(
            StatusCode::CONFLICT,
            "photo_unreferenced",
            "no event of this co-op names this photo: push the report that carries it first",
        ));
    }
    let mut held = {
        let (files, coop, hash) = (files.clone(), coop.clone(), sha256.clone());
        blocking(move || files.partial_len(&coop, &hash)).await?.map_err(internal)?
    };
    if let Some(record) = record.as_ref().filter(|r| r.size != query.size && held > 0) {
        if query.offset != 0 {
            return Err(ApiError::bad_request(
                "photo_size_mismatch",
                format!("the upload in progress declared {} bytes, this chunk {}", record.size, query.size),
            ));
        }
        // A fresh start with another size: the old partial cannot be the same photo.
        let (files, tag, hash) = (files.clone(), coop.clone(), sha256.clone());
        blocking(move || files.discard(&tag, &hash)).await?.map_err(internal)?;
        state.storage.photo_reset(&coop, &sha256).await?;
        held = 0;
    }
    if query.offset != held {
        return Err(refused(
            StatusCode::CONFLICT,
            "photo_offset_mismatch",
            format!("the server holds {held} bytes of this photo; resume from offset {held}"),
        ));
    }
    append_and_maybe_finish(&state, &device, &sha256, query.size, chunk, files.clone()).await
}

async fn append_and_maybe_finish<S: Storage>(
    state: &AppState<S>,
    device: &DeviceRecord,
    sha256: &str,
    size: u64,
    chunk: Bytes,
    files: Arc<PhotoFiles>,
) -> Result<Json<PhotoProgress>, ApiError> {
    let coop = device.coop.clone();
    let chunk_len = chunk.len();
    let received = {
        let (files, coop, hash) = (files.clone(), coop.clone(), sha256.to_owned());
        blocking(move || files.append(&coop, &hash, &chunk)).await?.map_err(internal)?
    };
    state.config.metrics.photo_bytes_received(chunk_len);
    state.storage.photo_progress(&coop, sha256, size, received, device.id, now_ms()).await?;
    if received < size {
        return Ok(Json(PhotoProgress { received, complete: false, size: Some(size) }));
    }
    let finished = {
        let (files, coop, hash) = (files.clone(), coop.clone(), sha256.to_owned());
        blocking(move || files.finish(&coop, &hash)).await?
    };
    match finished {
        Ok(()) => {
            state.storage.photo_complete(&coop, sha256, now_ms()).await?;
            Ok(Json(PhotoProgress { received: size, complete: true, size: Some(size) }))
        }
        Err(FinishError::Io(err)) => Err(internal(err)),
        Err(rejected) => {
            state.storage.photo_reset(&coop, sha256).await?;
            let key = match rejected {
                FinishError::HashMismatch { .. } => "photo_hash_mismatch",
                _ => "photo_not_jpeg",
            };
            Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                format!("{rejected}; the partial upload was discarded, send the photo again from offset 0"),
            ))
        }
    }
}

/// The complete photo, if this device's co-op has it.
async fn complete_in_coop<S: Storage>(
    state: &AppState<S>,
    device: &DeviceRecord,
    sha256: &str,
) -> Result<Arc<PhotoFiles>, ApiError> {
    checked_hash(sha256)?;
    let files = files(state)?;
    match state.storage.photo(&device.coop, sha256).await? {
        Some(record) if record.complete() => Ok(files),
        _ => Err(refused(StatusCode::NOT_FOUND, "photo_not_found", "this co-op has no complete photo by that hash")),
    }
}

fn jpeg_response(bytes: Vec<u8>) -> Response {
    // Content-addressed: the bytes behind a name never change.
    let headers = [(CONTENT_TYPE, "image/jpeg"), (CACHE_CONTROL, "private, max-age=31536000, immutable")];
    (headers, bytes).into_response()
}

pub async fn download<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let files = complete_in_coop(&state, &device, &sha256).await?;
    let bytes = blocking(move || files.read(&sha256)).await?.map_err(internal)?;
    Ok(jpeg_response(bytes))
}

pub async fn thumbnail<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let files = complete_in_coop(&state, &device, &sha256).await?;
    let edge = state.config.thumbnail_edge;
    let bytes = blocking(move || files.thumbnail(&sha256, edge)).await?.map_err(internal)?;
    Ok(jpeg_response(bytes))
}
