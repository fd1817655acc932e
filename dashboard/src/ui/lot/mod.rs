//! A lot's page on the dashboard, `/ui/lots/{lot}`: the custody chain (every hand-off, with the
//! signed handover pairs), the timeline of all events, abnormal reports with their photos, the
//! temperature chart (server-rendered SVG) and the farming records with pre-harvest-interval
//! flags; CSV exports of the timeline and the custody chain; photos for signed-in managers.
//!
//! Everything is read from the lot's projected history (`read`), never folded from the log: the
//! timeline and the custody chain show one window of 200 events (newest by default, with links
//! to the pages beside it), the abnormal reports and the chart the newest of theirs, and the CSV
//! exports stream the whole history a page at a time (`export`).

mod chart;
mod context;
mod custody;
mod export;
mod photos;
mod read;
mod sections;
#[cfg(test)]
mod tests;
mod timeline;
mod words;

use super::words::UiWords;
use super::{language, page, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{FixedOffset, Offset};
use custody::CustodyRow;
use fieldtrace_core::payload::percent_encode;
use fieldtrace_server::storage::{CausalKey, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use read::{standing, LotRead};
use sections::{AbnormalView, FarmView};
use serde::Deserialize;
use timeline::TimelineRow;
use words::LotWords;

pub fn router<S: Storage>() -> Router<ReadState<S>> {
    Router::new()
        .route("/ui/lots/{lot}", get(lot_page::<S>))
        .route("/ui/lots/{lot}/timeline.csv", get(export::timeline_csv::<S>))
        .route("/ui/lots/{lot}/custody.csv", get(export::custody_csv::<S>))
        .route("/ui/photos/{sha256}", get(photos::full::<S>))
        .route("/ui/photos/{sha256}/thumb", get(photos::thumb::<S>))
}

#[derive(Debug, Default, Deserialize)]
pub struct LotQuery {
    lang: Option<String>,
    /// The window of the timeline before this key (a token from an "earlier" link).
    before: Option<String>,
    /// The window after this key (a token from a "later" link). Neither: the newest window.
    after: Option<String>,
}

impl LotQuery {
    fn window(&self) -> Result<read::Window, ApiError> {
        let key = |token: &str| {
            CausalKey::from_token(token).ok_or_else(|| {
                ApiError::bad_request("page_token_invalid", format!("{token:?} is not a window of this lot's timeline"))
            })
        };
        Ok(match (&self.before, &self.after) {
            (Some(token), _) => read::Window::Before(key(token)?),
            (None, Some(token)) => read::Window::After(key(token)?),
            (None, None) => read::Window::Newest,
        })
    }
}

/// The links to the windows beside the one shown.
pub struct TimelinePage {
    pub earlier: Option<String>,
    pub later: Option<String>,
}

impl TimelinePage {
    pub fn new(read: &LotRead, base: &str) -> Self {
        Self {
            earlier: read.earlier.map(|key| format!("{base}?before={}#timeline", key.token())),
            later: read.later.map(|key| format!("{base}?after={}#timeline", key.token())),
        }
    }
}

/// Everything the page shows (photos marked not ready until the server checks them).
pub struct LotData {
    pub lot: String,
    pub product: String,
    pub variety: String,
    pub farm: String,
    pub harvest_date: String,
    /// The hand-offs among the window's events.
    pub custody: Vec<CustodyRow>,
    /// The window's events.
    pub timeline: Vec<TimelineRow>,
    /// Which window of the history the custody chain shows, when there are several.
    pub window_note: Option<String>,
    /// The newest abnormal reports, oldest first.
    pub abnormal: Vec<AbnormalView>,
    /// How many of how many abnormal reports are shown, when not all are.
    pub abnormal_note: Option<String>,
    pub chart: Option<String>,
    pub limits: String,
    pub farming: Vec<FarmView>,
}

/// Assembles the page from what [`read::read`] read.
pub fn assemble(read: &LotRead, lang: &str) -> LotData {
    let ctx = &read.ctx;
    let w = words::for_lang(lang);
    let t = crate::trace_page::words_for(lang);
    let (series, marks) = sections::chart_data(standing(&read.chart));
    let band = sections::limits(ctx);
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
    let title = w.chart_title.replace("{lot}", &read.lot);
    let text = chart::ChartText { title: &title, desc: &desc, excursion: w.excursion_mark };
    let svg = chart::temperature_svg(&series, band, &marks, ctx.offset, &text);

    let mut chain = custody::Chain::new(ctx, &read.transfers);
    chain.feed(ctx, standing(&read.seed), w, t);
    chain.take(true);
    let window = standing(&read.window);
    chain.feed(ctx, window.iter().copied(), w, t);
    let several = read.earlier.is_some() || read.later.is_some();
    let window_note = match (window.first(), window.last()) {
        (Some(first), Some(last)) if several => Some(
            w.window_note
                .replace("{span}", &format!("{} – {}", ctx.time(&first.recorded_at), ctx.time(&last.recorded_at))),
        ),
        _ => None,
    };
    let abnormal = sections::abnormal_reports(ctx, standing(&read.abnormal), w, t);
    let abnormal_note = (read.abnormal_total > read.abnormal.rows.len() as u64).then(|| {
        w.newest_of.replace("{n}", &abnormal.len().to_string()).replace("{total}", &read.abnormal_total.to_string())
    });
    let farm_id = ctx.lot_field("farm");
    LotData {
        lot: read.lot.clone(),
        product: ctx.lot_field("product").unwrap_or_default(),
        variety: ctx.lot_field("variety").unwrap_or_default(),
        farm: farm_id.map(|f| ctx.party_name(&f)).unwrap_or_default(),
        harvest_date: ctx.lot_field("harvest_date").unwrap_or_default(),
        custody: chain.take(true),
        timeline: timeline::rows(ctx, window.iter().copied(), w, t),
        window_note,
        abnormal,
        abnormal_note,
        chart: svg,
        limits,
        farming: sections::farming(ctx, standing(&read.farming), &read.judged_against, w),
    }
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

/// The co-op's display offset for times on the lot's pages.
fn display_offset<S>(state: &ReadState<S>) -> FixedOffset {
    FixedOffset::east_opt(state.config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix())
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
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let coop = &manager.coop;
    state.projected(coop).await?;
    let storage = state.storage.as_ref();
    let window = query.window()?;
    let Some(read) = read::read(storage, &state.config, coop, &lot, window, display_offset(&state)).await? else {
        return Err(not_found(&lot));
    };
    let mut data = assemble(&read, t.lang);
    let photos = data.abnormal.iter_mut().flat_map(|r| r.photos.iter_mut());
    for photo in photos.chain(data.custody.iter_mut().flat_map(|r| r.photos.iter_mut())) {
        photo.ready = storage.photo(coop, &photo.sha256).await?.is_some_and(|p| p.complete());
    }
    let base = format!("/ui/lots/{}", percent_encode(&lot));
    let pager = TimelinePage::new(&read, &base);
    let view = LotView {
        t,
        w: words::for_lang(t.lang),
        manager: manager.display_name,
        lang_href: format!("{base}?lang={}", t.other_lang),
        timeline_csv: format!("{base}/timeline.csv"),
        custody_csv: format!("{base}/custody.csv"),
        pager,
        d: data,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}
