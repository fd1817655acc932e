//! `GET /v1/epcis?lot=L`: a lot's events as an EPCIS 2.0 JSON-LD document, for co-op managers
//! handing traceability data to buyers, platforms or regulators.

use super::auth::AuthedDevice;
use crate::epcis::{export_stored_lot, ExportOptions};
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldtrace_core::model::Role;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct EpcisQuery {
    lot: Option<String>,
}

/// The media type EPCIS 2.0 registers for JSON-LD documents.
const EPCIS_JSON_LD: &str = "application/ld+json";

pub async fn epcis<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    headers: HeaderMap,
    Query(query): Query<EpcisQuery>,
) -> Result<Response, ApiError> {
    if device.role != Role::Manager {
        return Err(ApiError::Forbidden {
            key: "role_forbidden",
            message: "only a co-op manager may export EPCIS documents".to_owned(),
        });
    }
    let lot = query
        .lot
        .filter(|lot| !lot.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("lot_missing", "name the lot to export: GET /v1/epcis?lot=<lot id>"))?;
    // The lot's own events, units and registers: never the co-op's log.
    state.projected(&device.coop).await?;
    let options = ExportOptions {
        digital_link_base: state.config.digital_link_base.clone(),
        trace_base: trace_base(&state.config.public_url, &headers),
    };
    let created = chrono::Utc::now().to_rfc3339();
    let document = export_stored_lot(state.storage.as_ref(), &device.coop, &lot, &options, &created).await?;
    Ok(([(CONTENT_TYPE, EPCIS_JSON_LD)], Json(document)).into_response())
}

/// The configured public URL, else the address the client reached us at.
fn trace_base(public_url: &Option<String>, headers: &HeaderMap) -> String {
    match public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}
