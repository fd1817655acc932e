//! The API's error: an HTTP status plus a JSON body `{"error": key, "message": text, "request_id":
//! id}` whose key is stable for clients to act on; the request id (see
//! [`crate::observe::request_id`]) finds the server's log lines of the request. Storage internals
//! are logged, never sent.

use crate::storage::StorageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { key: &'static str, message: String },
    #[error("missing or malformed credential: send `Authorization: Bearer <device id>:<credential>`")]
    CredentialMissing,
    #[error("the device credential is not valid")]
    CredentialInvalid,
    #[error("this device has been revoked by the co-op")]
    DeviceRevoked,
    #[error("the enrollment token is unknown, expired or already used")]
    TokenInvalid,
    #[error("{message}")]
    Forbidden { key: &'static str, message: String },
    #[error("this device id is already enrolled with another credential")]
    DeviceConflict,
    #[error("too many requests from this device; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// A request refused with a specific status (photo limits, conflicts, not found).
    #[error("{message}")]
    Rejected { status: StatusCode, key: &'static str, message: String },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn key(&self) -> &'static str {
        match self {
            ApiError::BadRequest { key, .. } | ApiError::Rejected { key, .. } => key,
            ApiError::CredentialMissing => "credential_missing",
            ApiError::CredentialInvalid => "credential_invalid",
            ApiError::DeviceRevoked => "device_revoked",
            ApiError::TokenInvalid => "enrollment_token_invalid",
            ApiError::Forbidden { key, .. } => key,
            ApiError::DeviceConflict => "device_conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Rejected { status, .. } => *status,
            ApiError::CredentialMissing | ApiError::CredentialInvalid => StatusCode::UNAUTHORIZED,
            ApiError::DeviceRevoked => StatusCode::FORBIDDEN,
            ApiError::TokenInvalid | ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::DeviceConflict => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn bad_request(key: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { key, message: message.into() }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::TokenInvalid => ApiError::TokenInvalid,
            StorageError::DeviceConflict(_) => ApiError::DeviceConflict,
            StorageError::DeviceKeyConflict(device) => ApiError::bad_request(
                "device_key_conflict",
                format!("device {device} already registered another key; keys are never replaced: enroll again"),
            ),
            StorageError::UnknownCoop(coop) => ApiError::Internal(format!("device belongs to unknown co-op {coop}")),
            err @ StorageError::ProjectionMoved(_) => ApiError::Internal(err.to_string()),
            StorageError::Backend(detail) => ApiError::Internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // Inside the request's span: the line carries the request id the body shows.
            tracing::error!(detail = %detail, "internal error");
        }
        let mut body = serde_json::json!({ "error": self.key(), "message": self.to_string() });
        if let Some(id) = crate::observe::request_id::current() {
            body["request_id"] = serde_json::Value::String(id);
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_s } = self {
            if let Ok(value) = retry_after_s.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response
    }
}
