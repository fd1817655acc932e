//! `GET /t/{code}`: what a buyer sees after scanning the label with any phone camera. Server-
//! rendered HTML without JavaScript, mobile first: the product and its farm, the journey from
//! harvest to delivery, and authenticity — whether this code was looked up before, how often and
//! where (a genuine label is scanned once or twice; a copied one many times, in many places).
//! Unknown and mistyped codes get a friendly page with status 404, never an error.

mod extras;
mod words;

pub use extras::published_photo;
use extras::{photo_href, report_views, ReportView};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Offset, TimeZone};
use fieldtrace_core::fold::{ReplicaState, UnitEvent};
use fieldtrace_core::model::{BizStep, Disposition, EntityKind, Event};
use fieldtrace_core::payload::TraceCode;
use fieldtrace_server::alerts::AlertsHandle;
use fieldtrace_server::projection::Histories;
use fieldtrace_server::storage::{ScanHistory, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::{now_ms, ReadState};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
pub use words::Words;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// One step of the journey as the buyer reads it.
pub struct Step {
    pub when: String,
    pub what: &'static str,
    pub who: Option<String>,
    /// `Some(reason)` when the goods were found abnormal at this step.
    pub problem: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "trace.html")]
pub struct TraceView {
    pub t: &'static Words,
    pub code: String,
    pub switch_href: String,
    pub product: Option<String>,
    pub variety: Option<String>,
    pub grade: Option<String>,
    pub harvest_date: Option<String>,
    pub farm: Option<String>,
    pub farm_region: Option<String>,
    pub coop: Option<String>,
    pub steps: Vec<Step>,
    pub scans: u64,
    pub repeat_text: String,
    pub places: Vec<(String, u64)>,
    pub several_coops: bool,
    /// The farm's (or farmer's) story, from the party's `story` register.
    pub story: Option<String>,
    /// Published photos (lot, then farm): public addresses.
    pub photos: Vec<String>,
    pub reports: Vec<ReportView>,
}

#[derive(Template)]
#[template(path = "trace_missing.html")]
pub struct MissingView {
    pub t: &'static Words,
    pub code: String,
    pub switch_href: String,
    pub title: &'static str,
    pub body: &'static str,
}

pub async fn page<S: Storage>(
    State(state): State<ReadState<S>>,
    State(alerts): State<AlertsHandle>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let t = words::for_lang(query.lang.as_deref());
    let switch_href = format!("?lang={}", t.switch_lang);
    let Ok(trace) = TraceCode::parse(&code) else {
        let view = MissingView { t, code, switch_href, title: t.invalid_title, body: t.invalid_body };
        return Ok(render(StatusCode::NOT_FOUND, &view));
    };
    let key = format!("t/{}", trace.canonical());
    let coops = state.storage.coops_with_code(&key).await?;
    let Some(coop) = coops.first() else {
        let view =
            MissingView { t, code: trace.to_string(), switch_href, title: t.unknown_title, body: t.unknown_body };
        return Ok(render(StatusCode::NOT_FOUND, &view));
    };
    let place = state
        .config
        .geo_header
        .as_deref()
        .and_then(|name| headers.get(name))
        // Proxies may send a city in UTF-8 (e.g. 西安), which `to_str` (visible ASCII) refuses.
        .and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
        .map(|place| place.chars().take(64).collect::<String>())
        .filter(|place| !place.trim().is_empty());
    let scans = state.storage.record_trace_scan(coop, &key, now_ms(), place).await?;
    alerts.nudge(); // diversion rules (docs/alerts.md)
                    // The unit's history from its own events; registers from the projection (caught up first,
                    // so a lot named a moment ago shows its name).
    state.projected(coop).await?;
    let storage = state.storage.as_ref();
    let watch = BTreeSet::from([key.clone()]);
    let histories = Histories::of(storage, coop, &watch).await?;
    let lot = histories.state.units.get(&key).and_then(|unit| unit.lot.clone());
    let mut entities: BTreeSet<(EntityKind, String)> =
        histories.events.iter().map(|e| (EntityKind::Party, e.actor.party.0.clone())).collect();
    entities.extend(lot.iter().map(|lot| (EntityKind::Lot, lot.0.clone())));
    let mut histories = histories.with_registers(storage, coop, entities).await?;
    let farm = lot.as_ref().and_then(|lot| register(&histories.state, EntityKind::Lot, lot.as_str(), "farm"));
    histories.add_registers(storage, coop, farm.iter().map(|f| (EntityKind::Party, f.clone())).collect()).await?;
    let coop_name = storage.coop_name(coop).await?;
    let offset = FixedOffset::east_opt(state.config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix());
    let history = histories.lineage.get(&key).map(Vec::as_slice).unwrap_or_default();
    let context = TraceContext { key: &key, history, events: &histories.events, state: &histories.state };
    let mut page = build_view(t, trace, &context, coop_name, &scans, coops.len() > 1, switch_href, offset);
    if let Some(lot) = lot {
        let folded = &histories.state;
        page.reports = report_views(t, storage.test_reports(coop, lot.as_str()).await?);
        let mut candidates = vec![register(folded, EntityKind::Lot, lot.as_str(), "photo")];
        candidates.push(farm.as_ref().and_then(|farm| register(folded, EntityKind::Party, farm, "photo")));
        for sha in candidates.into_iter().flatten() {
            if storage.photo_is_published(coop, &sha).await? {
                page.photos.push(photo_href(coop, &sha));
            }
        }
        page.story = farm.and_then(|farm| register(folded, EntityKind::Party, &farm, "story"));
    }
    Ok(render(StatusCode::OK, &page))
}

fn render(status: StatusCode, view: &impl Template) -> Response {
    match view.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => ApiError::Internal(format!("rendering the trace page: {err}")).into_response(),
    }
}

/// What the page shows about one unit: its history and the state it was folded from.
struct TraceContext<'a> {
    key: &'a str,
    history: &'a [UnitEvent],
    events: &'a [Event],
    state: &'a ReplicaState,
}

#[allow(clippy::too_many_arguments)]
fn build_view(
    t: &'static Words,
    trace: TraceCode,
    context: &TraceContext<'_>,
    coop: Option<String>,
    scans: &ScanHistory,
    several_coops: bool,
    switch_href: String,
    offset: FixedOffset,
) -> TraceView {
    let TraceContext { key, history, events, state } = *context;
    let lot = state.units.get(key).and_then(|unit| unit.lot.clone());
    let lot_field = |field: &str| lot.as_ref().and_then(|lot| register(state, EntityKind::Lot, &lot.0, field));
    let farm_id = lot_field("farm");
    let party_field =
        |id: &Option<String>, field: &str| id.as_ref().and_then(|id| register(state, EntityKind::Party, id, field));
    let first = offset.timestamp_millis_opt(scans.first_at_ms).single();
    let repeat_text = t
        .repeat_scan
        .replace("{n}", &scans.count.to_string())
        .replace("{first}", &first.map(|at| local_time(&at)).unwrap_or_default());
    TraceView {
        t,
        code: trace.to_string(),
        switch_href,
        product: lot_field("product"),
        variety: lot_field("variety"),
        grade: lot_field("grade"),
        harvest_date: lot_field("harvest_date"),
        farm: party_field(&farm_id, "name").or(farm_id.clone()),
        farm_region: party_field(&farm_id, "region"),
        coop,
        steps: journey(t, history, events, state),
        scans: scans.count,
        repeat_text,
        places: scans.places.clone(),
        several_coops,
        story: None,
        photos: Vec::new(),
        reports: Vec::new(),
    }
}

fn register(state: &ReplicaState, kind: EntityKind, id: &str, field: &str) -> Option<String> {
    state.registers.get(&(kind, id.to_owned()))?.get(field)?.value.clone()
}

/// The unit's journey: steps recorded on it or on the containers it was in at the time (the
/// fold's lineage, in causal order), voided ones left out, one line per step and party (three
/// farmers tapping 正常 on one crate are one "harvested").
fn journey(t: &'static Words, history: &[UnitEvent], events: &[Event], state: &ReplicaState) -> Vec<Step> {
    let by_id: BTreeMap<_, &Event> = events.iter().map(|e| (e.id, e)).collect();
    let relevant: Vec<&Event> = history
        .iter()
        .filter(|h| !h.voided)
        .filter_map(|h| by_id.get(&h.event).copied())
        .filter(|e| e.step.is_some())
        .collect();
    let mut steps: Vec<Step> = Vec::new();
    let mut last: Option<(BizStep, String)> = None;
    for event in relevant {
        let Some(step) = event.step else { continue };
        let who = register(state, EntityKind::Party, &event.actor.party.0, "name");
        let problem = match event.disposition {
            Some(Disposition::Abnormal(reason)) => Some(t.reason(reason)),
            _ => None,
        };
        let same_as_last = last.as_ref().is_some_and(|(s, p)| *s == step && *p == event.actor.party.0);
        if same_as_last && problem.is_none() {
            continue;
        }
        last = Some((step, event.actor.party.0.clone()));
        steps.push(Step { when: local_time(&event.recorded_at), what: t.step(step), who, problem });
    }
    steps
}

/// Times as the person who recorded them saw them (their phone's offset).
fn local_time(at: &DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// The step and reason words in `lang` (`zh-CN` or `en`), for other pages that show steps.
pub fn words_for(lang: &str) -> &'static Words {
    words::for_lang(Some(lang))
}
