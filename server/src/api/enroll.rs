//! `POST /v1/enroll`: a phone trades a one-time enrollment token (scanned from the manager's QR)
//! for a device registration. The phone generates its own credential and sends it once; the server
//! keeps only its hash, so a retried enrollment (lost answer) is recognised and answered again.

use crate::handover::certify;
use crate::secrets::hash_secret;
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use fieldtrace_core::model::DeviceId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub device_id: String,
    pub credential: String,
    /// The device's Ed25519 public key (base64url, 32 bytes); older apps send none and register
    /// it later with `POST /v1/device-key`.
    #[serde(default)]
    pub public_key: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EnrollResponse {
    pub device_id: String,
    pub coop_id: String,
    pub party_id: String,
    pub role: String,
    /// The co-op's certificate for the public key, and the co-op's own public key (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coop_key: Option<String>,
}

/// A public key as phones send it: base64url of 32 bytes that make a valid Ed25519 point.
pub(crate) fn parse_public_key(text: &str) -> Result<[u8; 32], ApiError> {
    fieldtrace_core::handover::keys::key_from_base64(text)
        .filter(fieldtrace_core::handover::keys::is_valid_public_key)
        .ok_or_else(|| ApiError::bad_request("public_key_invalid", "public_key must be an Ed25519 key, base64url"))
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
    let public_key = request.public_key.as_deref().map(parse_public_key).transpose()?;
    let now = state.config.clock.now_ms();
    let mut record =
        state.storage.enroll(hash_secret(request.token.trim()), device, hash_secret(&request.credential), now).await?;
    // A second step, but safe: a retry of the enrollment re-registers the same key.
    let mut certification = None;
    if let Some(key) = public_key {
        record = state.storage.register_device_key(device, key, now).await?;
        certification = Some(certify(state.storage.as_ref(), &record, now).await?);
    }
    // Who enrolled as what; never the token or the credential.
    tracing::info!(device = %record.id, coop = %record.coop, party = %record.party.0, role = record.role.key(),
        "device enrolled");
    Ok(Json(EnrollResponse {
        device_id: record.id.to_string(),
        coop_id: record.coop,
        party_id: record.party.0,
        role: record.role.key().to_owned(),
        certificate: certification.as_ref().map(|c| c.certificate.clone()),
        coop_key: certification.map(|c| c.coop_key),
    }))
}
