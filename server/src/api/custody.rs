//! `GET /v1/custody?trip=T` or `?code=C`: the co-op's custody transfers (offers paired with their
//! acceptances) and the offers still waiting, those past `--unpaired-after` flagged `unpaired`.

use super::auth::AuthedDevice;
use crate::custody::{transfers, CustodyFilter, Transfer};
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use fieldtrace_core::payload::parse_payload;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct CustodyQuery {
    trip: Option<String>,
    /// A code as scanned or as its key.
    code: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustodyResponse {
    pub transfers: Vec<Transfer>,
    pub unpaired: usize,
    pub unpaired_after_ms: i64,
}

pub async fn list<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Query(query): Query<CustodyQuery>,
) -> Result<Json<CustodyResponse>, ApiError> {
    let code = match query.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            parse_payload(raw)
                .map_err(|e| ApiError::bad_request("code_invalid", format!("code {raw:?}: {e}")))?
                .code_key(),
        ),
        None => None,
    };
    let filter = CustodyFilter { trip: query.trip.filter(|t| !t.is_empty()), code };
    let unpaired_after_ms = state.config.unpaired_after_ms;
    let now = state.config.clock.now_ms();
    let transfers = transfers(state.storage.as_ref(), &device.coop, &filter, now, unpaired_after_ms).await?;
    let unpaired = transfers.iter().filter(|t| t.status == crate::custody::TransferStatus::Unpaired).count();
    Ok(Json(CustodyResponse { transfers, unpaired, unpaired_after_ms }))
}
