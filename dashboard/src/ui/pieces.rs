//! `/ui/pieces`: village assistants' piece counts per day and per month (they are paid per
//! record), computed by the same rule the phones and `GET /v1/piece-counts` use
//! (`fieldtrace_core::pieces`), with CSV downloads.

use super::csv_export::{csv, download};
use super::insight_words::InsightWords;
use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Datelike;
use fieldtrace_core::fold::fold;
use fieldtrace_core::model::{EntityKind, Event, PartyId, Role};
use fieldtrace_core::payload::percent_encode;
use fieldtrace_core::pieces::{piece_counts, piece_day, Month};
use fieldtrace_server::storage::Storage;
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Default, Deserialize)]
pub struct PiecesQuery {
    lang: Option<String>,
    /// `YYYY-MM`; empty: every month with pieces.
    #[serde(default)]
    month: String,
    /// For CSV: `day` or `month`.
    #[serde(default)]
    by: String,
}

/// One assistant's pieces in one month, and per day.
pub struct AssistantMonth {
    pub party: String,
    pub name: String,
    pub month: String,
    pub total: u64,
    pub days: Vec<(String, u64)>,
}

/// Every assistant's pieces per month (newest month first), optionally one month only.
pub fn assistant_months(events: &[Event], assistants: &[PartyId], only: Option<Month>) -> Vec<AssistantMonth> {
    let state = fold(events);
    let name = |party: &PartyId| {
        state
            .registers
            .get(&(EntityKind::Party, party.0.clone()))
            .and_then(|fields| fields.get("name"))
            .and_then(|f| f.value.clone())
            .unwrap_or_else(|| party.0.clone())
    };
    let mut out = Vec::new();
    for party in assistants {
        let months: BTreeSet<Month> = events
            .iter()
            .filter(|e| e.recorder.party == *party)
            .filter_map(piece_day)
            .filter_map(|day| Month::new(day.year(), day.month()))
            .filter(|month| only.is_none_or(|only| only == *month))
            .collect();
        for month in months.into_iter().rev() {
            let counts = piece_counts(events, party, month);
            if counts.total == 0 {
                continue;
            }
            out.push(AssistantMonth {
                party: party.0.clone(),
                name: name(party),
                month: counts.month,
                total: counts.total,
                days: counts.days.into_iter().map(|d| (d.date, d.pieces)).collect(),
            });
        }
    }
    out
}

async fn compute<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    query: &PiecesQuery,
) -> Result<Vec<AssistantMonth>, ApiError> {
    let month = query.month.trim();
    let only = if month.is_empty() {
        None
    } else {
        Some(
            Month::parse(month)
                .ok_or_else(|| ApiError::bad_request("month_invalid", format!("month {month:?} is not YYYY-MM")))?,
        )
    };
    let mut assistants: Vec<PartyId> =
        state.storage.devices(coop).await?.into_iter().filter(|d| d.role == Role::Assistant).map(|d| d.party).collect();
    assistants.sort();
    assistants.dedup();
    let view = state.coop_view(coop).await?;
    Ok(assistant_months(&view.events, &assistants, only))
}

#[derive(Template)]
#[template(path = "ui/pieces.html")]
struct PiecesView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    month: String,
    rows: Vec<AssistantMonth>,
    month_query: String,
    lang_href: String,
}

pub async fn pieces_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<PiecesQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let rows = compute(&state, &manager.coop, &query).await?;
    let month_query = format!("month={}", percent_encode(query.month.trim()));
    let view = PiecesView {
        t,
        w: InsightWords::for_lang(t.lang),
        manager: manager.display_name,
        lang_href: format!("/ui/pieces?lang={}&{month_query}", t.other_lang),
        month_query,
        month: query.month.trim().to_owned(),
        rows,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

pub async fn pieces_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    Query(query): Query<PiecesQuery>,
) -> Result<Response, ApiError> {
    let months = compute(&state, &manager.coop, &query).await?;
    let (header, rows): (&[&str], Vec<Vec<String>>) = match query.by.as_str() {
        "month" => (
            &["assistant_party", "assistant", "month", "pieces"],
            months
                .iter()
                .map(|m| vec![m.party.clone(), m.name.clone(), m.month.clone(), m.total.to_string()])
                .collect(),
        ),
        "day" => (
            &["assistant_party", "assistant", "date", "pieces"],
            months
                .iter()
                .flat_map(|m| {
                    m.days.iter().map(|(date, n)| vec![m.party.clone(), m.name.clone(), date.clone(), n.to_string()])
                })
                .collect(),
        ),
        other => {
            return Err(ApiError::bad_request("by_invalid", format!("by {other:?} is not one of day, month")));
        }
    };
    let detail = format!("pieces per {}: {} rows (month={})", query.by, rows.len(), query.month.trim());
    audit(&state, &manager.coop, &manager.name, "export_csv", &detail).await?;
    Ok(download(&format!("pieces-per-{}.csv", query.by), csv(header, &rows)))
}
