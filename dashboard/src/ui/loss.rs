//! `/ui/loss`: loss analytics (see `crate::analytics` and `docs/analytics.md`) with filters, a
//! server-rendered chart and a CSV download of every table (`/ui/loss.csv?table=…`).

use super::csv_export::{csv, download, percent};
use super::insight_words::InsightWords;
use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use crate::analytics::counts::report_from_counts;
use crate::analytics::{LossFilter, LossReport, Period, Ratio};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use fieldtrace_core::model::EntityKind;
use fieldtrace_core::payload::percent_encode;
use fieldtrace_server::storage::{Registers, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
pub struct LossQuery {
    lang: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    product: String,
    /// `week` (default) or `day`.
    #[serde(default)]
    period: String,
    /// For CSV: `stages`, `lots`, `farms`, `drivers` or `periods`.
    #[serde(default)]
    table: String,
}

impl LossQuery {
    fn filter(&self) -> Result<LossFilter, ApiError> {
        let date = |field: &'static str, text: &str| -> Result<Option<NaiveDate>, ApiError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| {
                ApiError::bad_request("date_invalid", format!("{field} {text:?} is not a date YYYY-MM-DD"))
            })
        };
        let product = self.product.trim();
        Ok(LossFilter {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            product: (!product.is_empty()).then(|| product.to_owned()),
        })
    }

    fn period(&self) -> Period {
        if self.period == "day" {
            Period::Day
        } else {
            Period::Week
        }
    }

    /// The filters as a query string, for links that keep them.
    fn link_query(&self) -> String {
        format!(
            "from={}&to={}&product={}&period={}",
            percent_encode(self.from.trim()),
            percent_encode(self.to.trim()),
            percent_encode(self.product.trim()),
            if self.period() == Period::Day { "day" } else { "week" }
        )
    }
}

/// One table row: a label and its counts.
pub struct Row {
    pub cells: Vec<String>,
    pub loss: Ratio,
    pub percent: String,
}

#[derive(Template)]
#[template(path = "ui/loss.html")]
struct LossView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    query: LossQuery,
    products: Vec<String>,
    day_period: bool,
    overall: Ratio,
    overall_percent: String,
    chart: String,
    stages: Vec<Row>,
    lots: Vec<Row>,
    farms: Vec<Row>,
    drivers: Vec<Row>,
    periods: Vec<Row>,
    filters: String,
    lang_href: String,
}

async fn compute<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    query: &LossQuery,
) -> Result<(LossReport, Vec<String>), ApiError> {
    let filter = query.filter()?;
    // The projected counters of the days asked for, and the catalog that names them: O(lots ×
    // days), whatever the number of units and events.
    state.projected(coop).await?;
    let storage = state.storage.as_ref();
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let counts = storage.loss_counts(coop, day(filter.from), day(filter.to)).await?;
    let lots = storage.registers_of_kind(coop, EntityKind::Lot).await?;
    let parties = storage.registers_of_kind(coop, EntityKind::Party).await?;
    let mut products: Vec<String> =
        lots.values().filter_map(|fields| fields.get("product").and_then(|f| f.value.clone())).collect();
    products.sort();
    products.dedup();
    let mut registers: BTreeMap<(EntityKind, String), Registers> =
        lots.into_iter().map(|(id, fields)| ((EntityKind::Lot, id), fields)).collect();
    registers.extend(parties.into_iter().map(|(id, fields)| ((EntityKind::Party, id), fields)));
    Ok((report_from_counts(&counts, &registers, &filter, query.period()), products))
}

/// The rows of table `name` (header, rows) in the page's language.
fn table(report: &LossReport, name: &str, w: &InsightWords) -> Option<(Vec<&'static str>, Vec<Row>)> {
    let row = |cells: Vec<String>, loss: Ratio| Row { percent: percent(&loss), cells, loss };
    Some(match name {
        "stages" => (
            vec!["stage"],
            report.stages.iter().map(|(stage, loss)| row(vec![w.stage(*stage).to_owned()], *loss)).collect(),
        ),
        "lots" => (
            vec!["lot", "product", "farm"],
            report
                .lots
                .iter()
                .map(|l| {
                    let lot = if l.lot.is_empty() { w.no_lot.to_owned() } else { l.lot.clone() };
                    row(vec![lot, l.product.clone(), l.farm.clone()], l.loss)
                })
                .collect(),
        ),
        "farms" => (
            vec!["farm"],
            report
                .farms
                .iter()
                .map(|f| row(vec![if f.id.is_empty() { w.no_lot.to_owned() } else { f.name.clone() }], f.loss))
                .collect(),
        ),
        "drivers" => (
            vec!["driver_party", "driver"],
            report.drivers.iter().map(|d| row(vec![d.id.clone(), d.name.clone()], d.loss)).collect(),
        ),
        "periods" => {
            (vec!["period_start"], report.periods.iter().map(|p| row(vec![p.start.to_string()], p.loss)).collect())
        }
        _ => return None,
    })
}

pub async fn loss_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<LossQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let w = InsightWords::for_lang(t.lang);
    let (report, products) = compute(&state, &manager.coop, &query).await?;
    let rows = |name: &str| table(&report, name, w).map(|(_, rows)| rows).unwrap_or_default();
    let filters = query.link_query();
    let view = LossView {
        t,
        w,
        manager: manager.display_name,
        products,
        day_period: query.period() == Period::Day,
        overall: report.overall,
        overall_percent: percent(&report.overall),
        chart: super::loss_chart::svg(&report.periods, w),
        stages: rows("stages"),
        lots: rows("lots"),
        farms: rows("farms"),
        drivers: rows("drivers"),
        periods: rows("periods"),
        lang_href: format!("/ui/loss?lang={}&{filters}", t.other_lang),
        filters,
        query,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

pub async fn loss_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<LossQuery>,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, query.lang.as_deref());
    let w = InsightWords::for_lang(t.lang);
    let (report, _) = compute(&state, &manager.coop, &query).await?;
    let (mut header, rows) = table(&report, &query.table, w).ok_or_else(|| {
        ApiError::bad_request(
            "table_invalid",
            format!("table {:?} is not one of stages, lots, farms, drivers, periods", query.table),
        )
    })?;
    header.extend(["units_handled", "abnormal_units", "loss_percent"]);
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            let mut cells = row.cells;
            cells.extend([row.loss.units.to_string(), row.loss.abnormal.to_string(), row.percent]);
            cells
        })
        .collect();
    let detail = format!("loss {}: {} rows ({})", query.table, cells.len(), query.link_query());
    audit(&state, &manager.coop, &manager.name, "export_csv", &detail).await?;
    Ok(download(&format!("loss-{}.csv", query.table), csv(&header, &cells)))
}
