//! `/ui/pieces`: village assistants' piece counts per day and per month (they are paid per
//! record), counted by the same rule the phones and `GET /v1/piece-counts` use
//! (`fieldtrace_core::pieces`) and kept per party and day by the projector, with CSV downloads.

use super::csv_export::{csv, download};
use super::insight_words::InsightWords;
use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fieldtrace_core::model::{EntityKind, PartyId, Role};
use fieldtrace_core::payload::percent_encode;
use fieldtrace_core::pieces::Month;
use fieldtrace_server::storage::{PieceDay, Registers, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use serde::Deserialize;
use std::collections::BTreeMap;

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

/// Every assistant's pieces per month (newest month first), from the projected piece days
/// (sorted by party and day) and the assistants' names.
pub fn assistant_months(
    days: &[PieceDay],
    assistants: &[PartyId],
    names: &BTreeMap<(EntityKind, String), Registers>,
) -> Vec<AssistantMonth> {
    let name = |party: &PartyId| {
        names
            .get(&(EntityKind::Party, party.0.clone()))
            .and_then(|fields| fields.get("name"))
            .and_then(|f| f.value.clone())
            .unwrap_or_else(|| party.0.clone())
    };
    let mut out = Vec::new();
    for party in assistants {
        let mut months: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
        for day in days.iter().filter(|d| d.party == party.0 && d.pieces > 0) {
            let month = day.day.get(..7).unwrap_or_default().to_owned();
            months.entry(month).or_default().push((day.day.clone(), day.pieces));
        }
        for (month, days) in months.into_iter().rev() {
            out.push(AssistantMonth {
                party: party.0.clone(),
                name: name(party),
                month,
                total: days.iter().map(|(_, n)| n).sum(),
                days,
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
    // The projected counts of the month (or all months): O(assistants × days).
    state.projected(coop).await?;
    let (from, to) = only.map_or_else(|| (String::new(), "~".to_owned()), Month::day_key_range);
    let days = state.storage.piece_days(coop, None, from, to).await?;
    let parties = assistants.iter().map(|p| (EntityKind::Party, p.0.clone())).collect();
    let names = state.storage.registers_of(coop, parties).await?;
    Ok(assistant_months(&days, &assistants, &names))
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
