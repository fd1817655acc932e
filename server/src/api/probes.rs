//! Probes for process supervisors and load balancers, unauthenticated and outside `/v1` (their
//! paths are the convention those tools expect):
//!
//! - `GET /healthz`: the process is alive and answering HTTP; always 200, touches nothing.
//! - `GET /readyz`: this server can serve pushes: the database answers a trivial query within
//!   [`READY_TIMEOUT`] and holds exactly the schema this build migrates to. Otherwise 503 with the
//!   API's JSON error body, so a balancer sends phones elsewhere instead of into errors.

use crate::app::AppState;
use crate::error::ApiError;
use crate::storage::Storage;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use std::time::Duration;

/// How long `/readyz` waits for the database: a database this slow would time out pushes too.
pub const READY_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "alive" }))
}

pub async fn readyz<S: Storage>(State(state): State<AppState<S>>) -> Result<Json<serde_json::Value>, ApiError> {
    let not_ready =
        |message: String| ApiError::Rejected { status: StatusCode::SERVICE_UNAVAILABLE, key: "not_ready", message };
    let status = match tokio::time::timeout(READY_TIMEOUT, state.storage.schema_status()).await {
        Err(_) => {
            return Err(not_ready(format!("the database did not answer within {} s", READY_TIMEOUT.as_secs())));
        }
        Ok(Err(err)) => {
            // The driver's words stay in the log; the probe says only what is wrong.
            eprintln!("fieldtrace: readiness check: {err}");
            return Err(not_ready("the database does not answer".into()));
        }
        Ok(Ok(status)) => status,
    };
    if !status.current() {
        return Err(not_ready(format!(
            "the database has schema version {}; this server runs version {}",
            status.found, status.expected
        )));
    }
    Ok(Json(serde_json::json!({ "status": "ready", "schema_version": status.found })))
}
