//! `/ui/alerts`: the co-op's alerts, newest first, filtered by status and kind, with each
//! notification's delivery status; managers acknowledge alerts (audited) and export the list as
//! CSV. `/ui/alerts/badge.svg` is the open-alert count the navigation bar shows on every page.

use fieldtrace_server::alerts::store::{AlertFilter, AlertRow};
mod words;

use crate::ui::csv_export;
use crate::ui::words::UiWords;
use crate::ui::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{FixedOffset, Offset, TimeZone};
use fieldtrace_core::payload::percent_encode;
use fieldtrace_server::storage::Storage;
use fieldtrace_server::ApiError;
use fieldtrace_server::{now_ms, ReadState};
use serde::Deserialize;
use words::AlertWords;

/// Alerts per page of the list (older ones a link away).
const PAGE_ROWS: usize = 100;
/// Most alerts exported at once.
const MAX_ROWS: usize = 1_000;

pub fn router<S: Storage>() -> Router<ReadState<S>> {
    Router::new()
        .route("/ui/alerts", get(list_page::<S>))
        .route("/ui/alerts.csv", get(csv_export::<S>))
        .route("/ui/alerts/badge.svg", get(badge::<S>))
        .route("/ui/alerts/{id}/ack", post(acknowledge::<S>))
}

#[derive(Debug, Default, Deserialize)]
pub struct AlertQuery {
    lang: Option<String>,
    /// `open`, `acknowledged`, or empty for both.
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    /// The last alert of the previous page: list the ones older than it.
    before: Option<i64>,
}

impl AlertQuery {
    fn filter(&self) -> AlertFilter {
        let acknowledged = match self.status.as_str() {
            "open" => Some(false),
            "acknowledged" => Some(true),
            _ => None,
        };
        let kind = fieldtrace_server::alerts::rules::AlertKind::from_key(&self.kind).map(|k| k.key().to_owned());
        AlertFilter { acknowledged, kind, before: None, limit: MAX_ROWS }
    }

    fn filters(&self) -> String {
        format!("status={}&kind={}", percent_encode(&self.status), percent_encode(&self.kind))
    }
}

struct DeliveryView {
    channel: &'static str,
    recipient: String,
    status: &'static str,
    class: &'static str,
    attempts: i64,
    error: String,
}

struct AlertView {
    id: i64,
    kind_key: String,
    kind: &'static str,
    when: String,
    text: String,
    recipients: String,
    deliveries: Vec<DeliveryView>,
    acked: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/alerts.html")]
struct AlertsView {
    t: &'static UiWords,
    w: &'static AlertWords,
    manager: String,
    rows: Vec<AlertView>,
    status: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    open_count: u64,
    csv_href: String,
    lang_href: String,
    /// Where an acknowledgement returns to (keeps the filters).
    back: String,
    /// The next page (older alerts), if any.
    older: Option<String>,
    /// Back to the newest page, when on an older one.
    newest: Option<String>,
}

fn display_time<S>(state: &ReadState<S>, ms: i64) -> String {
    let offset = FixedOffset::east_opt(state.config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix());
    offset.timestamp_millis_opt(ms).single().map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn text<'a>(w: &AlertWords, alert: &'a AlertRow) -> &'a str {
    if w.english {
        &alert.text_en
    } else {
        &alert.text_zh
    }
}

fn view<S>(state: &ReadState<S>, w: &'static AlertWords, alert: &AlertRow) -> AlertView {
    let deliveries = alert
        .notifications
        .iter()
        .map(|n| DeliveryView {
            channel: if n.channel == fieldtrace_server::alerts::store::SMS { w.sms } else { w.webhook },
            recipient: if n.channel == fieldtrace_server::alerts::store::SMS {
                format!("{} {}", n.recipient, n.address)
            } else {
                String::new()
            },
            status: w.status_label(&n.status),
            class: match n.status.as_str() {
                "delivered" => "ok",
                "failed" | "rate_limited" => "bad",
                _ => "muted",
            },
            attempts: n.attempts,
            error: n.last_error.clone().unwrap_or_default(),
        })
        .collect();
    AlertView {
        id: alert.id,
        kind_key: alert.kind.clone(),
        kind: w.kind_label(&alert.kind),
        when: display_time(state, alert.created_at_ms),
        text: text(w, alert).to_owned(),
        recipients: alert.recipients.join(" "),
        deliveries,
        acked: alert
            .acked_at_ms
            .map(|at| format!("{} · {}", alert.acked_by.clone().unwrap_or_default(), display_time(state, at))),
    }
}

async fn list_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<AlertQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let w = words::for_lang(t.lang);
    // One more than a page: whether an older page exists.
    let filter = AlertFilter { before: query.before, limit: PAGE_ROWS + 1, ..query.filter() };
    let mut alerts = state.storage.alerts(&manager.coop, filter).await?;
    let more = alerts.len() > PAGE_ROWS;
    alerts.truncate(PAGE_ROWS);
    let open_count = state.storage.open_alert_count(&manager.coop).await?;
    let filters = query.filters();
    let older = alerts.last().filter(|_| more).map(|last| format!("/ui/alerts?{filters}&before={}", last.id));
    let newest = query.before.map(|_| format!("/ui/alerts?{filters}"));
    let view = AlertsView {
        t,
        w,
        manager: manager.display_name,
        rows: alerts.iter().map(|a| view(&state, w, a)).collect(),
        kinds: fieldtrace_server::alerts::rules::AlertKind::ALL
            .iter()
            .map(|k| (k.key(), w.kind_label(k.key())))
            .collect(),
        status: query.status.clone(),
        kind: query.kind.clone(),
        open_count,
        csv_href: format!("/ui/alerts.csv?{filters}"),
        lang_href: format!("/ui/alerts?lang={}&{filters}", t.other_lang),
        back: format!("/ui/alerts?{filters}"),
        older,
        newest,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

#[derive(Debug, Deserialize)]
struct AckForm {
    #[serde(default)]
    back: String,
}

async fn acknowledge<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AckForm>,
) -> Result<Response, ApiError> {
    if state.storage.acknowledge_alert(&manager.coop, id, &manager.name, now_ms()).await? {
        audit(&state, &manager.coop, &manager.name, "acknowledge_alert", &format!("alert {id}")).await?;
    }
    // Only a path on this dashboard: never an open redirect.
    let back = if form.back.starts_with("/ui/alerts") && !form.back.starts_with("//") {
        form.back
    } else {
        "/ui/alerts".to_owned()
    };
    Ok((StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response())
}

async fn csv_export<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<AlertQuery>,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, query.lang.as_deref());
    let w = words::for_lang(t.lang);
    let alerts = state.storage.alerts(&manager.coop, query.filter()).await?;
    audit(&state, &manager.coop, &manager.name, "export_csv", &format!("alerts: {} rows", alerts.len())).await?;
    let header = [
        "id",
        "created_at",
        "kind",
        "lot",
        "code",
        "text",
        "recipients",
        "acknowledged_by",
        "acknowledged_at",
        "deliveries",
    ];
    let mut rows = Vec::with_capacity(alerts.len());
    for alert in &alerts {
        let deliveries: Vec<String> = alert
            .notifications
            .iter()
            .map(|n| format!("{}:{}:{}:{}", n.channel, n.recipient, n.status, n.attempts))
            .collect();
        rows.push(vec![
            alert.id.to_string(),
            display_time(&state, alert.created_at_ms),
            alert.kind.clone(),
            alert.lot.clone().unwrap_or_default(),
            alert.code.clone().unwrap_or_default(),
            text(w, alert).to_owned(),
            alert.recipients.join(" "),
            alert.acked_by.clone().unwrap_or_default(),
            alert.acked_at_ms.map(|at| display_time(&state, at)).unwrap_or_default(),
            deliveries.join(" "),
        ]);
    }
    Ok(csv_export::download("alerts.csv", csv_export::csv(&header, &rows)))
}

/// The open-alert count as a small SVG for the navigation bar; empty when there are none or the
/// browser is not signed in (the sign-in page shows the bar too).
async fn badge<S: Storage>(
    State(state): State<ReadState<S>>,
    signed_in: Result<SignedIn, Response>,
) -> Result<Response, ApiError> {
    let count = match signed_in {
        Ok(SignedIn(manager)) => state.storage.open_alert_count(&manager.coop).await?,
        Err(_) => 0,
    };
    let svg = if count == 0 {
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="28" height="20"/>"#.to_owned()
    } else {
        let label = if count > 99 { "99+".to_owned() } else { count.to_string() };
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="28" height="20" viewBox="0 0 28 20"><rect x="2" y="2" width="24" height="16" rx="8" fill="#c62828"/><text x="14" y="14" font-family="sans-serif" font-size="11" font-weight="700" fill="#fff" text-anchor="middle">{label}</text></svg>"##
        )
    };
    Ok(([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "no-store")], svg).into_response())
}
