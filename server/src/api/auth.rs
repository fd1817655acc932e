//! Device authentication as an extractor: `Authorization: Bearer <device id>:<credential>`.
//! Every authenticated request also passes the device's rate limit.

use crate::secrets::{hash_secret, hashes_equal};
use crate::storage::{DeviceRecord, Storage};
use crate::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use fieldtrace_core::model::DeviceId;

/// The device making the request, authenticated and not revoked.
pub struct AuthedDevice(pub DeviceRecord);

impl<S: Storage> FromRequestParts<AppState<S>> for AuthedDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let (device, credential) = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .and_then(|token| token.split_once(':'))
            .and_then(|(device, credential)| Some((DeviceId::parse(device)?, credential)))
            .ok_or(ApiError::CredentialMissing)?;
        // A refusal is logged with the device id it claimed (a revoked phone still syncing, a
        // guessed id), never with the credential it sent.
        let refused = |error: ApiError| {
            tracing::info!(device = %device, error = error.key(), "device authentication refused");
            error
        };
        let record = state.storage.device(device).await?.ok_or_else(|| refused(ApiError::CredentialInvalid))?;
        if !hashes_equal(&record.credential_hash, &hash_secret(credential)) {
            return Err(refused(ApiError::CredentialInvalid));
        }
        if record.revoked {
            return Err(refused(ApiError::DeviceRevoked));
        }
        state.limiter.check(device)?;
        Ok(AuthedDevice(record))
    }
}
