//! `POST /v1/device-key`: a phone enrolled before device keys existed registers its public key
//! (authenticated with its credential) and gets the co-op's certificate for it. Registering the
//! same key again answers the same certificate; another key is refused (`device_key_conflict`).

use super::auth::AuthedDevice;
use super::enroll::parse_public_key;
use crate::handover::certify;
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct DeviceKeyRequest {
    pub public_key: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceKeyResponse {
    pub certificate: String,
    pub coop_key: String,
}

pub async fn register<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Json(request): Json<DeviceKeyRequest>,
) -> Result<Json<DeviceKeyResponse>, ApiError> {
    let key = parse_public_key(&request.public_key)?;
    let now = state.config.clock.now_ms();
    let record = state.storage.register_device_key(device.id, key, now).await?;
    let certification = certify(state.storage.as_ref(), &record, now).await?;
    Ok(Json(DeviceKeyResponse { certificate: certification.certificate, coop_key: certification.coop_key }))
}
