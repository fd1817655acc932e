//! `GET /v1/epcis?lot=L`: a lot's events as an EPCIS 2.0 JSON-LD document, for co-op managers
//! handing traceability data to buyers, platforms or regulators. A page at a time, as EPCIS 2.0's
//! query interface pages: `perPage` events (default 1,000, at most 10,000), and while more remain
//! a `Link: <…&nextPageToken=T>; rel="next"` header to the next page.

use super::auth::AuthedDevice;
use crate::epcis::{stored_lot_page, ExportOptions, PER_PAGE_DEFAULT, PER_PAGE_MAX};
use crate::storage::CausalKey;
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_TYPE, HOST, LINK};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldtrace_core::model::Role;
use fieldtrace_core::payload::percent_encode;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct EpcisQuery {
    lot: Option<String>,
    #[serde(rename = "perPage")]
    per_page: Option<usize>,
    #[serde(rename = "nextPageToken")]
    next_page_token: Option<String>,
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
    let per_page = query.per_page.unwrap_or(PER_PAGE_DEFAULT);
    if !(1..=PER_PAGE_MAX).contains(&per_page) {
        let message = format!("perPage {per_page} is out of range: 1 to {PER_PAGE_MAX}");
        return Err(ApiError::bad_request("per_page_invalid", message));
    }
    let after = match query.next_page_token.as_deref() {
        None => None,
        Some(token) => Some(CausalKey::from_token(token).ok_or_else(|| {
            ApiError::bad_request("page_token_invalid", format!("nextPageToken {token:?} is not one this server gave"))
        })?),
    };
    // A page of the lot's own history: never the co-op's log, never the whole lot.
    state.projected(&device.coop).await?;
    let options = ExportOptions {
        digital_link_base: state.config.digital_link_base.clone(),
        trace_base: trace_base(&state.config.public_url, &headers),
    };
    let created = chrono::Utc::now().to_rfc3339();
    let page = stored_lot_page(state.storage.as_ref(), &device.coop, &lot, &options, &created, after, per_page).await?;
    let mut response = ([(CONTENT_TYPE, EPCIS_JSON_LD)], Json(page.document)).into_response();
    if let Some(next) = page.next {
        let link = format!(
            "</v1/epcis?lot={}&perPage={per_page}&nextPageToken={}>; rel=\"next\"",
            percent_encode(&lot),
            next.token()
        );
        if let Ok(value) = link.parse() {
            response.headers_mut().insert(LINK, value);
        }
    }
    Ok(response)
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
