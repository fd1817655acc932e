//! Test reports entered by a co-op manager and shown on the consumer trace page:
//! `fieldtrace reports import --coop C --lot L FILE.csv` on the server's database and
//! `POST /v1/test-reports` (a manager's device credential, JSON). Both are idempotent by report
//! number. Rules and formats: `docs/test-reports.md`.

use crate::api::auth::AuthedDevice;
use crate::storage::{ReportOutcome, Storage, StorageError};
use crate::ApiError;
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldtrace_core::model::Role;
use fieldtrace_core::test_report::{parse_test_reports_csv, RowProblem, TestReport};
use serde::Serialize;

/// Largest CSV read: a lab sheet is a few kilobytes.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

/// What an import did, per report and per problem.
#[derive(Debug, Default, Serialize)]
pub struct ImportSummary {
    pub outcomes: Vec<(String, ReportOutcome)>,
    pub problems: Vec<RowProblem>,
    pub refused: Vec<String>,
}

impl ImportSummary {
    /// Every row went in (or was already there) and nothing conflicted.
    pub fn clean(&self) -> bool {
        self.problems.is_empty() && self.outcomes.iter().all(|(_, o)| *o != ReportOutcome::Conflict)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportImportError {
    #[error("{0}")]
    File(String),
    #[error("{0}")]
    Sheet(RowProblem),
    #[error("no co-op {0:?}")]
    UnknownCoop(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// UTF-8 (with or without BOM), else GB18030 — what Excel writes for "CSV" on a Chinese Windows.
fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// Reads a lab's CSV and stores every report all of whose rows are good.
pub async fn import_csv<S: Storage>(
    storage: &S,
    coop: &str,
    lot: &str,
    bytes: &[u8],
    entered_by: &str,
) -> Result<ImportSummary, ReportImportError> {
    if bytes.len() > MAX_CSV_BYTES {
        return Err(ReportImportError::File(format!("the file is larger than {MAX_CSV_BYTES} bytes")));
    }
    if lot.trim().is_empty() {
        return Err(ReportImportError::File("--lot is empty".to_owned()));
    }
    if storage.coop_name(coop).await?.is_none() {
        return Err(ReportImportError::UnknownCoop(coop.to_owned()));
    }
    let parsed = parse_test_reports_csv(&decode_text(bytes), lot.trim()).map_err(ReportImportError::Sheet)?;
    let mut summary = ImportSummary { problems: parsed.problems, refused: parsed.refused, ..ImportSummary::default() };
    for report in parsed.reports {
        let number = report.report_no.clone();
        let outcome = storage.put_test_report(coop, report, entered_by, now_ms()).await?;
        summary.outcomes.push((number, outcome));
    }
    Ok(summary)
}

#[derive(Debug, Serialize)]
pub struct PostAnswer {
    pub report_no: String,
    pub outcome: ReportOutcome,
}

/// `POST /v1/test-reports`: one report as JSON, from a manager's device. 200 `stored` or
/// `unchanged`; 409 `test_report_conflict` when another report has that number.
pub async fn post<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    body: axum::body::Bytes,
) -> Result<Json<PostAnswer>, ApiError> {
    if device.role != Role::Manager {
        return Err(ApiError::Forbidden {
            key: "test_reports_manager_only",
            message: format!("only a co-op manager enters test reports, not a {}", device.role.key()),
        });
    }
    let report: TestReport = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("test_report_invalid", format!("the report does not read: {e}")))?;
    if let Some((field, reason)) = report.problem() {
        return Err(ApiError::bad_request("test_report_invalid", format!("{field} {reason}")));
    }
    let number = report.report_no.clone();
    let outcome = state.storage.put_test_report(&device.coop, report, &device.id.to_string(), now_ms()).await?;
    if outcome == ReportOutcome::Conflict {
        return Err(ApiError::Rejected {
            status: StatusCode::CONFLICT,
            key: "test_report_conflict",
            message: format!(
                "report {number:?} already exists with other content; a corrected report needs a new number"
            ),
        });
    }
    Ok(Json(PostAnswer { report_no: number, outcome }))
}
