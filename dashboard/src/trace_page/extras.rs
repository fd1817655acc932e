//! What the trace page adds beyond the journey: the lot's test reports with every value marked
//! within (✓, green) or outside (✗, red) its limits, and the farm's story with its published
//! photos, served publicly by `GET /t/photos/{coop}/{sha256}`.
//!
//! A photo is public only while a lot's or party's `photo` register names it and no other kind of
//! event does: a photo attached to an abnormal report (or a delivery) stays private to the co-op
//! even if someone also publishes it by mistake.

use super::words::Words;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldtrace_core::model::PhotoRef;
use fieldtrace_core::test_report::{AnalyteResult, TestReport};
use fieldtrace_server::storage::Storage;
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;

/// One report as the buyer reads it.
pub struct ReportView {
    pub lab: String,
    pub report_no: String,
    pub sampled_on: String,
    pub issued_on: String,
    pub rows: Vec<ResultRow>,
    /// Every judged value within its limits.
    pub all_within: bool,
}

pub struct ResultRow {
    pub analyte: String,
    /// With its unit: "0.02 mg/kg", "未检出".
    pub value: String,
    /// With its unit: "≤ 0.5 mg/kg", "≥ 15 %", "5–12 kg/cm²"; empty when the result has no limit.
    pub limit: String,
    pub standard: String,
    /// `Some(true)` within its limits, `Some(false)` outside, `None` not judged.
    pub within: Option<bool>,
}

pub fn report_views(t: &Words, reports: Vec<TestReport>) -> Vec<ReportView> {
    reports
        .into_iter()
        .map(|report| {
            let rows: Vec<ResultRow> = report.results.iter().map(|r| result_row(t, r)).collect();
            ReportView {
                all_within: rows.iter().all(|row| row.within != Some(false)),
                lab: report.lab,
                report_no: report.report_no,
                sampled_on: report.sampled_on.to_string(),
                issued_on: report.issued_on.to_string(),
                rows,
            }
        })
        .collect()
}

fn result_row(t: &Words, result: &AnalyteResult) -> ResultRow {
    let unit = result.unit.trim();
    let with_unit = |number: String| if unit.is_empty() { number } else { format!("{number} {unit}") };
    let limit = match (result.min, result.max) {
        (Some(min), Some(max)) => with_unit(format!("{min}–{max}")),
        (Some(min), None) => with_unit(format!("≥ {min}")),
        (None, Some(max)) => with_unit(format!("≤ {max}")),
        (None, None) => String::new(),
    };
    let value = match result.value {
        fieldtrace_core::test_report::Measured::NotDetected => t.not_detected.to_owned(),
        other => with_unit(other.to_string()),
    };
    ResultRow {
        analyte: result.analyte.clone(),
        value,
        limit,
        standard: result.standard.clone().unwrap_or_default(),
        within: result.within_limits(),
    }
}

/// The public address of a published photo.
pub fn photo_href(coop: &str, sha256: &str) -> String {
    format!("/t/photos/{}/{sha256}", fieldtrace_core::payload::percent_encode(coop))
}

/// `GET /t/photos/{coop}/{sha256}`: a published photo, cacheable forever (its name is its hash).
/// Anything else — unknown co-op, unpublished, private or not yet uploaded — is the same 404.
pub async fn published_photo<S: Storage>(
    State(state): State<ReadState<S>>,
    Path((coop, sha256)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::Rejected {
        status: StatusCode::NOT_FOUND,
        key: "photo_not_found",
        message: "no such published photo".to_owned(),
    };
    // Checked before touching the cache, so made-up co-op names cannot crowd real ones out.
    if !PhotoRef(sha256.clone()).is_well_formed() || state.storage.coop_name(&coop).await?.is_none() {
        return Err(not_found());
    }
    state.projected(&coop).await?;
    if !state.storage.photo_is_published(&coop, &sha256).await? {
        return Err(not_found());
    }
    let record = state.storage.photo(&coop, &sha256).await?;
    let (Some(files), true) = (state.photos.clone(), record.is_some_and(|r| r.complete())) else {
        return Err(not_found());
    };
    let etag = format!("\"{sha256}\"");
    let cache = (CACHE_CONTROL, "public, max-age=31536000, immutable".to_owned());
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [cache, (ETAG, etag)]).into_response());
    }
    let bytes = tokio::task::spawn_blocking(move || files.read(&sha256))
        .await
        .map_err(|e| ApiError::Internal(format!("photo read task: {e}")))?
        .map_err(|e| ApiError::Internal(format!("published photo: {e}")))?;
    Ok(([(CONTENT_TYPE, "image/jpeg".to_owned()), cache, (ETAG, etag)], bytes).into_response())
}
