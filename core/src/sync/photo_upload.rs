//! Photo upload, the last step of `sync_now`. Each due photo (its report already on the server)
//! goes up in chunks the server appends to a partial file. Before sending, the client asks how
//! many bytes the server holds, so after a dropped connection it resumes where the server's copy
//! ends and never re-sends a chunk the server stored. A photo the server already has (any device of
//! the co-op sent it) costs one small request. See `docs/photos.md`.

use super::client::{SyncClient, SyncPhase, SyncReport};
use super::enroll::Credentials;
use super::error::SyncError;
use super::transport::{endpoint, refusal, transport_error};
use crate::model::PhotoRef;
use crate::photo::PhotoError;
use crate::store::PendingPhoto;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use std::collections::HashSet;

/// The server's answer to a status query and to every chunk: bytes held, and whether the photo
/// is complete (hash verified) on the server.
#[derive(Debug, Deserialize)]
struct PhotoProgress {
    received: u64,
    complete: bool,
}

/// Photos read from the queue at a time.
const DUE_PAGE: usize = 16;

async fn progress_of(response: reqwest::Response) -> Result<PhotoProgress, SyncError> {
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    response.json().await.map_err(|e| SyncError::Protocol(format!("photo answer: {e}")))
}

async fn status(
    http: &reqwest::Client,
    credentials: &Credentials,
    photo: &PhotoRef,
) -> Result<PhotoProgress, SyncError> {
    let url = endpoint(&credentials.server, &format!("v1/photos/{}/status", photo.0))?;
    let response = http.get(url).header(AUTHORIZATION, &credentials.bearer).send().await.map_err(transport_error)?;
    progress_of(response).await
}

async fn put_chunk(
    http: &reqwest::Client,
    credentials: &Credentials,
    photo: &PhotoRef,
    offset: u64,
    size: u64,
    chunk: Vec<u8>,
) -> Result<PhotoProgress, SyncError> {
    let mut url = endpoint(&credentials.server, &format!("v1/photos/{}", photo.0))?;
    url.query_pairs_mut().append_pair("offset", &offset.to_string()).append_pair("size", &size.to_string());
    let response = http
        .put(url)
        .header(AUTHORIZATION, &credentials.bearer)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(chunk)
        .send()
        .await
        .map_err(transport_error)?;
    progress_of(response).await
}

/// The server's copy and ours disagree (it discarded a bad partial, or another device's upload
/// moved it on): ask again and carry on from what it says.
fn is_restart(err: &SyncError) -> bool {
    matches!(err, SyncError::Refused { key, .. } if key == "photo_offset_mismatch" || key == "photo_hash_mismatch")
}

impl SyncClient {
    /// Uploads due photos until none is left or `photo_bytes_per_sync` is spent. A photo that
    /// fails is parked with the reason; a transient failure ends this round (the network is gone)
    /// and is returned, the photo staying due for the next sync.
    pub(super) async fn upload_photos(
        &self,
        credentials: &Credentials,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        self.set_phase(SyncPhase::Pushing);
        let mut budget = self.config.photo_bytes_per_sync;
        let mut tried = HashSet::new();
        loop {
            let due = self.store.photos_due(DUE_PAGE, self.now_ms())?;
            let due: Vec<PendingPhoto> = due.into_iter().filter(|p| !tried.contains(&p.photo)).collect();
            if due.is_empty() {
                return Ok(());
            }
            for pending in due {
                if budget == 0 {
                    return Ok(());
                }
                tried.insert(pending.photo.clone());
                // Read and hash-checked once: a damaged or missing file is parked, never sent.
                let bytes = match self.store.photo_bytes(&pending.photo) {
                    Ok(bytes) => bytes,
                    Err(PhotoError::Store(err)) => return Err(err.into()),
                    Err(local) => {
                        let now = self.now_ms();
                        let retry_at = now.saturating_add(self.config.refused_retry.as_millis() as u64);
                        self.store.photo_upload_failed(&pending.photo, local.key(), now, retry_at)?;
                        report.photo_failures += 1;
                        continue;
                    }
                };
                match self.upload_photo(credentials, &pending.photo, &bytes, &mut budget, report).await {
                    Ok(true) => {
                        self.store.photo_uploaded(&pending.photo, self.now_ms())?;
                        report.photos_uploaded += 1;
                    }
                    // Budget spent mid-photo: the server keeps what it has, the next sync resumes.
                    Ok(false) => return Ok(()),
                    Err(err) => {
                        let now = self.now_ms();
                        let stop = err.is_transient() || matches!(err, SyncError::Unauthorized | SyncError::Revoked);
                        let retry_at =
                            if stop { now } else { now.saturating_add(self.config.refused_retry.as_millis() as u64) };
                        self.store.photo_upload_failed(&pending.photo, &err.key(), now, retry_at)?;
                        report.photo_failures += 1;
                        if stop {
                            return Err(err);
                        }
                    }
                }
            }
        }
    }

    /// One photo, retrying transient failures and restarts within `max_attempts`. `Ok(true)`: the
    /// server has all of it; `Ok(false)`: the byte budget ran out first.
    async fn upload_photo(
        &self,
        credentials: &Credentials,
        photo: &PhotoRef,
        bytes: &[u8],
        budget: &mut u64,
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        let mut attempt = 0;
        loop {
            match self.send_rest(credentials, photo, bytes, budget, report).await {
                Err(err) if (err.is_transient() || is_restart(&err)) && attempt + 1 < self.config.max_attempts => {
                    if err.is_transient() {
                        self.set_phase(SyncPhase::BackingOff);
                        tokio::time::sleep(self.backoff(attempt, &err)).await;
                        self.set_phase(SyncPhase::Pushing);
                    }
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Asks the server how much it holds, then sends the rest chunk by chunk.
    async fn send_rest(
        &self,
        credentials: &Credentials,
        photo: &PhotoRef,
        bytes: &[u8],
        budget: &mut u64,
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        let size = bytes.len() as u64;
        let held = status(&self.http, credentials, photo).await?;
        if held.complete {
            return Ok(true);
        }
        if held.received > size {
            return Err(SyncError::Protocol(format!(
                "the server holds {} bytes of a {size}-byte photo",
                held.received
            )));
        }
        let chunk_size = self.config.photo_chunk_bytes.max(1) as u64;
        let mut offset = held.received;
        while offset < size {
            if *budget == 0 {
                return Ok(false);
            }
            let len = chunk_size.min(size - offset).min(*budget);
            let chunk = bytes[offset as usize..(offset + len) as usize].to_vec();
            // Counted when sent, answered or not: a chunk whose answer is lost still cost the link.
            report.photo_bytes_sent += len;
            *budget = budget.saturating_sub(len);
            let answer = put_chunk(&self.http, credentials, photo, offset, size, chunk).await?;
            if answer.complete {
                return Ok(true);
            }
            if answer.received != offset + len {
                return Err(SyncError::Protocol(format!(
                    "the server holds {} bytes after a chunk ending at {}",
                    answer.received,
                    offset + len
                )));
            }
            offset = answer.received;
        }
        Err(SyncError::Protocol(format!(
            "the server took all {size} bytes of photo {} but did not complete it",
            photo.0
        )))
    }
}
