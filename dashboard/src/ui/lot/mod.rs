//! A lot's page on the dashboard, `/ui/lots/{lot}`: the custody chain (every hand-off, with the
//! signed handover pairs), the timeline of all events, abnormal reports with their photos, the
//! temperature chart (server-rendered SVG) and the farming records with pre-harvest-interval
//! flags; CSV exports of the timeline and the custody chain; photos for signed-in managers.
//! Everything is computed from the co-op's events with the same fold the phones use.

mod chart;
mod context;
mod custody;
mod photos;
mod sections;
#[cfg(test)]
mod tests;
mod timeline;
mod words;

use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{FixedOffset, Offset};
use context::LotContext;
use custody::CustodyRow;
use fieldtrace_core::model::{EntityKind, Event, EventKind};
use fieldtrace_core::payload::percent_encode;
use fieldtrace_server::custody::HANDOVER_KINDS;
use fieldtrace_server::projection::LotEvents;
use fieldtrace_server::storage::Registers;
use fieldtrace_server::storage::{ManagerRecord, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use sections::{AbnormalView, FarmView};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use timeline::TimelineRow;
use words::LotWords;

pub fn router<S: Storage>() -> Router<ReadState<S>> {
    Router::new()
        .route("/ui/lots/{lot}", get(lot_page::<S>))
        .route("/ui/lots/{lot}/timeline.csv", get(timeline_csv::<S>))
        .route("/ui/lots/{lot}/custody.csv", get(custody_csv::<S>))
        .route("/ui/photos/{sha256}", get(photos::full::<S>))
        .route("/ui/photos/{sha256}/thumb", get(photos::thumb::<S>))
}

#[derive(Debug, Default, Deserialize)]
pub struct LotQuery {
    lang: Option<String>,
    /// Timeline page, 1-based; default: the last (newest) page.
    page: Option<usize>,
}

/// Timeline rows per page: a season's big lot has tens of thousands of events (the CSV export has
/// them all).
pub const TIMELINE_PAGE: usize = 200;

/// One page of the timeline: which rows to show, and the links to the pages beside it.
pub struct TimelinePage {
    pub number: usize,
    pub pages: usize,
    pub earlier: Option<String>,
    pub later: Option<String>,
}

impl TimelinePage {
    /// Keeps only page `asked` (default and beyond the end: the newest) of `rows`.
    fn cut<T>(rows: &mut Vec<T>, asked: Option<usize>, href: impl Fn(usize) -> String) -> Self {
        let pages = rows.len().div_ceil(TIMELINE_PAGE).max(1);
        let number = asked.unwrap_or(pages).clamp(1, pages);
        let start = (number - 1) * TIMELINE_PAGE;
        rows.truncate(start + TIMELINE_PAGE);
        rows.drain(..start.min(rows.len()));
        Self {
            number,
            pages,
            earlier: (number > 1).then(|| href(number - 1)),
            later: (number < pages).then(|| href(number + 1)),
        }
    }
}

/// Everything the page shows, assembled from events (pure; photos marked not ready).
pub struct LotData {
    pub lot: String,
    pub product: String,
    pub variety: String,
    pub farm: String,
    pub harvest_date: String,
    pub custody: Vec<CustodyRow>,
    pub timeline: Vec<TimelineRow>,
    pub abnormal: Vec<AbnormalView>,
    pub chart: Option<String>,
    pub limits: String,
    pub farming: Vec<FarmView>,
}

/// What a lot's page is made from.
pub struct LotInput<'a> {
    /// The events filed under the lot and those concerning its units, in server order.
    pub events: &'a [Event],
    /// The lot's units (the codes whose lot is this one).
    pub units: &'a BTreeSet<String>,
    /// The registers of the lot and of the parties its events name.
    pub registers: BTreeMap<(EntityKind, String), Registers>,
    /// The co-op's farm records: a spraying is judged against harvests of its plot, in any lot.
    pub farm_records: &'a [Event],
    pub transfers: &'a [fieldtrace_server::custody::Transfer],
}

/// Assembles the page for `lot`; `None` when the co-op knows no such lot.
pub fn assemble(input: LotInput<'_>, lot: &str, offset: FixedOffset, lang: &str) -> Option<LotData> {
    let LotInput { events, units, registers, farm_records, transfers } = input;
    let ctx = LotContext::new(events, units, registers, lot, offset)?;
    let w = words::for_lang(lang);
    let t = crate::trace_page::words_for(lang);
    let (series, marks) = sections::chart_data(&ctx);
    let band = sections::limits(&ctx);
    let limits = match band {
        (Some(lo), Some(hi)) => format!("{lo}–{hi} °C"),
        (Some(lo), None) => format!("≥ {lo} °C"),
        (None, Some(hi)) => format!("≤ {hi} °C"),
        (None, None) => "—".to_owned(),
    };
    let readings: usize = series.iter().map(|s| s.points.len()).sum();
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (min, max) = (values.clone().fold(f64::INFINITY, f64::min), values.fold(f64::NEG_INFINITY, f64::max));
    let span = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (from, to) = (span.clone().min().unwrap_or_default(), span.max().unwrap_or_default());
    let desc = w
        .chart_desc
        .replace("{series}", &series.len().to_string())
        .replace("{n}", &readings.to_string())
        .replace("{from}", &ctx.time_ms(from))
        .replace("{to}", &ctx.time_ms(to))
        .replace("{min}", &format!("{min:.1}"))
        .replace("{max}", &format!("{max:.1}"))
        .replace("{limits}", &limits)
        .replace("{k}", &marks.len().to_string());
    let title = w.chart_title.replace("{lot}", lot);
    let text = chart::ChartText { title: &title, desc: &desc, excursion: w.excursion_mark };
    let svg = chart::temperature_svg(&series, band, &marks, offset, &text);
    let farm_id = ctx.lot_field("farm");
    Some(LotData {
        lot: lot.to_owned(),
        product: ctx.lot_field("product").unwrap_or_default(),
        variety: ctx.lot_field("variety").unwrap_or_default(),
        farm: farm_id.map(|f| ctx.party_name(&f)).unwrap_or_default(),
        harvest_date: ctx.lot_field("harvest_date").unwrap_or_default(),
        custody: custody::chain(&ctx, transfers, w, t),
        timeline: timeline::rows(&ctx, w, t),
        abnormal: sections::abnormal_reports(&ctx, w, t),
        chart: svg,
        limits,
        farming: sections::farming(&ctx, events.iter().chain(farm_records), w),
    })
}

#[derive(Template)]
#[template(path = "ui/lot.html")]
struct LotView {
    t: &'static UiWords,
    w: &'static LotWords,
    manager: String,
    lang_href: String,
    timeline_csv: String,
    custody_csv: String,
    pager: TimelinePage,
    d: LotData,
}

struct Loaded {
    data: LotData,
    t: &'static UiWords,
    lang_cookie: Option<String>,
}

async fn load<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    lot: &str,
    headers: &HeaderMap,
    asked_lang: Option<&str>,
) -> Result<Option<Loaded>, ApiError> {
    let (t, lang_cookie) = language(state, headers, asked_lang);
    state.projected(coop).await?;
    let storage = state.storage.as_ref();
    let lot_events = LotEvents::of(storage, coop, lot).await?;
    let handovers = lot_events
        .events
        .iter()
        .zip(&lot_events.received_at_ms)
        .filter(|(e, _)| HANDOVER_KINDS.contains(&e.kind.key()));
    let now = state.config.clock.now_ms();
    let filter = fieldtrace_server::custody::CustodyFilter::default();
    let handovers = handovers.map(|(event, at)| (event.clone(), *at));
    let transfers = fieldtrace_server::custody::transfers_from(handovers, &filter, now, state.config.unpaired_after_ms);
    let mut entities: BTreeSet<(EntityKind, String)> = BTreeSet::from([(EntityKind::Lot, lot.to_owned())]);
    for event in &lot_events.events {
        entities.extend([&event.actor.party, &event.recorder.party].map(|p| (EntityKind::Party, p.0.clone())));
        if let EventKind::Handover { from, to } = &event.kind {
            entities.extend([from, to].map(|p| (EntityKind::Party, p.0.clone())));
        }
    }
    for transfer in &transfers {
        entities.extend(transfer.receiver.iter().map(|r| (EntityKind::Party, r.party.clone())));
        entities.insert((EntityKind::Party, transfer.giver.party.clone()));
    }
    let mut registers = storage.registers_of(coop, entities.into_iter().collect()).await?;
    let farm = registers.get(&(EntityKind::Lot, lot.to_owned())).and_then(|f| f.get("farm")?.value.clone());
    if let Some(farm) = farm.filter(|farm| !registers.contains_key(&(EntityKind::Party, farm.clone()))) {
        registers.extend(storage.registers_of(coop, vec![(EntityKind::Party, farm)]).await?);
    }
    let farm_records = fieldtrace_server::projection::farm_records(storage, coop).await?;
    let offset = FixedOffset::east_opt(state.config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix());
    let input = LotInput {
        events: &lot_events.events,
        units: &lot_events.units,
        registers,
        farm_records: &farm_records,
        transfers: &transfers,
    };
    let Some(mut data) = assemble(input, lot, offset, t.lang) else { return Ok(None) };
    let photos = data.abnormal.iter_mut().flat_map(|r| r.photos.iter_mut());
    for photo in photos.chain(data.custody.iter_mut().flat_map(|r| r.photos.iter_mut())) {
        photo.ready = state.storage.photo(coop, &photo.sha256).await?.is_some_and(|p| p.complete());
    }
    Ok(Some(Loaded { data, t, lang_cookie }))
}

fn not_found(lot: &str) -> ApiError {
    ApiError::Rejected { status: StatusCode::NOT_FOUND, key: "lot_not_found", message: format!("no lot {lot:?}") }
}

async fn lot_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(lot): Path<String>,
    Query(query): Query<LotQuery>,
) -> Result<Response, ApiError> {
    let Some(mut loaded) = load(&state, &manager.coop, &lot, &headers, query.lang.as_deref()).await? else {
        return Err(not_found(&lot));
    };
    let base = format!("/ui/lots/{}", percent_encode(&lot));
    let pager = TimelinePage::cut(&mut loaded.data.timeline, query.page, |n| format!("{base}?page={n}#timeline"));
    let view = LotView {
        t: loaded.t,
        w: words::for_lang(loaded.t.lang),
        manager: manager.display_name,
        lang_href: format!("{base}?lang={}", loaded.t.other_lang),
        timeline_csv: format!("{base}/timeline.csv"),
        custody_csv: format!("{base}/custody.csv"),
        pager,
        d: loaded.data,
    };
    Ok(page(StatusCode::OK, &view, loaded.lang_cookie))
}

/// File names keep only safe characters of the lot id.
fn file_name(lot: &str, what: &str) -> String {
    let safe: String = lot.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!("lot-{safe}-{what}.csv")
}

async fn timeline_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(lot): Path<String>,
    Query(query): Query<LotQuery>,
) -> Result<Response, ApiError> {
    let export = |data: &LotData| (data.timeline.len(), timeline::csv(&data.timeline));
    lot_csv(&state, &manager, &headers, &lot, query.lang.as_deref(), "timeline", export).await
}

async fn custody_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(lot): Path<String>,
    Query(query): Query<LotQuery>,
) -> Result<Response, ApiError> {
    let export = |data: &LotData| (data.custody.len(), custody::csv(&data.custody));
    lot_csv(&state, &manager, &headers, &lot, query.lang.as_deref(), "custody", export).await
}

/// One of the lot's lists as a CSV download; `export` gives its row count (for the audit log)
/// and its CSV text.
async fn lot_csv<S: Storage>(
    state: &ReadState<S>,
    manager: &ManagerRecord,
    headers: &HeaderMap,
    lot: &str,
    lang: Option<&str>,
    what: &str,
    export: impl Fn(&LotData) -> (usize, String),
) -> Result<Response, ApiError> {
    let Some(loaded) = load(state, &manager.coop, lot, headers, lang).await? else {
        return Err(not_found(lot));
    };
    let (rows, body) = export(&loaded.data);
    audit(state, &manager.coop, &manager.name, "export_csv", &format!("lot {lot} {what}: {rows} rows")).await?;
    Ok(crate::ui::csv_export::download(&file_name(lot, what), body))
}
