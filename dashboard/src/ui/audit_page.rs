//! `/ui/audit`: the co-op's audit log — sign-ins, CSV exports, revocations, enrollment QR codes —
//! newest first, with a CSV download (itself audited).

use super::csv_export::{csv, download};
use super::devices::local_time;
use super::insight_words::InsightWords;
use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fieldtrace_server::storage::Storage;
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/audit.html")]
struct AuditView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    rows: Vec<[String; 4]>,
}

/// Most audit entries shown or exported at once.
const AUDIT_LIMIT: usize = 1_000;

async fn audit_rows<S: Storage>(state: &ReadState<S>, coop: &str) -> Result<Vec<[String; 4]>, ApiError> {
    let offset = state.config.display_offset_s;
    Ok(state
        .storage
        .audit_log(coop, AUDIT_LIMIT)
        .await?
        .into_iter()
        .map(|e| [local_time(e.at_ms, offset), e.manager, e.action, e.detail])
        .collect())
}

pub async fn audit_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let view = AuditView {
        t,
        w: InsightWords::for_lang(t.lang),
        rows: audit_rows(&state, &manager.coop).await?,
        manager: manager.display_name,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

pub async fn audit_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
) -> Result<Response, ApiError> {
    let rows: Vec<Vec<String>> = audit_rows(&state, &manager.coop).await?.into_iter().map(Vec::from).collect();
    audit(&state, &manager.coop, &manager.name, "export_csv", &format!("audit log: {} rows", rows.len())).await?;
    Ok(download("audit-log.csv", csv(&["at", "manager", "action", "detail"], &rows)))
}
