//! `POST /v1/enroll`: a phone trades a one-time enrollment token (scanned from the manager's QR)
//! for a device registration. The phone generates its own credential and sends it once; the server
//! keeps only its hash, so a retried enrollment (lost answer) is recognised and answered again.

use super::{now_ms, AppState};
use crate::error::ApiError;
use crate::secrets::hash_secret;
use crate::storage::Storage;
use axum::extract::State;
use axum::Json;
use fieldtrace_core::model::DeviceId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub device_id: String,
    pub credential: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EnrollResponse {
    pub device_id: String,
    pub coop_id: String,
    pub party_id: String,
    pub role: String,
}

/// Shortest credential accepted: 32 random bytes in base64 are 43 characters.
const MIN_CREDENTIAL_LEN: usize = 43;

pub async fn enroll<S: Storage>(
    State(state): State<AppState<S>>,
    Json(request): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let device = DeviceId::parse(&request.device_id)
        .ok_or_else(|| ApiError::bad_request("device_id_invalid", "device_id must be a UUID"))?;
    if request.credential.len() < MIN_CREDENTIAL_LEN
        || request.credential.len() > 256
        || request.credential.contains(':')
    {
        return Err(ApiError::bad_request(
            "credential_weak",
            format!("credential must be {MIN_CREDENTIAL_LEN}-256 characters without ':'"),
        ));
    }
    let record = state
        .storage
        .enroll(hash_secret(request.token.trim()), device, hash_secret(&request.credential), now_ms())
        .await?;
    Ok(Json(EnrollResponse {
        device_id: record.id.to_string(),
        coop_id: record.coop,
        party_id: record.party.0,
        role: record.role.key().to_owned(),
    }))
}
