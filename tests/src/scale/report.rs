//! Turns samples into the benchmark's JSON: figures per size, the summary keys issue 16 states
//! its targets in, the targets and whether each was met. The summary's "1m" keys are read at
//! 1,000,000 events when that size was measured, else at the largest size measured
//! (`summary_size` says which); growth compares that size with the smallest one measured.

use super::build::Built;
use super::measure::{Measured, PageSamples};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The size the "1m" summary keys are meant for.
const SUMMARY_SIZE: u64 = 1_000_000;

/// Nearest-rank percentile `p` (0–100) of `samples`; `None` when there are none.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn stat(samples: &[f64], p: f64) -> Value {
    percentile(samples, p).map_or(Value::Null, |x| json!(round1(x)))
}

fn page_figures(page: &PageSamples) -> Value {
    json!({
        "cold_first_ms": page.cold_ms.first().map(|x| round1(*x)),
        "cold_p50_ms": stat(&page.cold_ms, 50.0),
        "cold_p95_ms": stat(&page.cold_ms, 95.0),
        "warm_p50_ms": stat(&page.warm_ms, 50.0),
        "warm_p95_ms": stat(&page.warm_ms, 95.0),
        "cold_n": page.cold_ms.len(),
        "warm_n": page.warm_ms.len(),
        "bytes": page.bytes,
    })
}

/// The figures of one size.
pub fn size_figures(built: &Built, measured: &Measured) -> Value {
    let info = &built.info;
    let pages: Map<String, Value> = measured.pages.iter().map(|p| (p.key.to_owned(), page_figures(p))).collect();
    json!({
        "events": built.events,
        "build_s": round1(built.build.as_secs_f64()),
        "generate_s": round1(built.generate.as_secs_f64()),
        "push_s": round1(built.push.as_secs_f64()),
        "project_s": round1(built.project.as_secs_f64()),
        "ingest_events_per_s": built.ingest_events_per_s().round(),
        "season_alerts_filed": built.alerts_filed,
        "season_abnormal_findings": built.findings,
        "season_alerts_evaluate_s": round1(built.file_alerts.as_secs_f64()),
        "db_bytes": built.db_bytes,
        "db_bytes_per_event": round1(built.db_bytes as f64 / built.events.max(1) as f64),
        "season": {
            "units": info.units,
            "boxes": info.boxes,
            "pallets": info.pallets,
            "trips": info.trips,
            "lots": info.lots.len(),
            "abnormal_taps": info.abnormal_taps,
            "big_lot_units": info.big_lot_units,
            "big_lot_events": info.big_lot_events,
            "kinds": info.kinds,
        },
        "pages": pages,
        "push_100_p50_ms": stat(&measured.push_100_ms, 50.0),
        "push_100_p95_ms": stat(&measured.push_100_ms, 95.0),
        "alert_delay_ms": stat(&measured.alert_delays_ms, 50.0),
        "alert_delay_max_ms": stat(&measured.alert_delays_ms, 100.0),
        "alert_delays_ms": measured.alert_delays_ms.iter().map(|x| round1(*x)).collect::<Vec<_>>(),
        "alert_poll_p50_ms": stat(&measured.alert_polls_ms, 50.0),
        "alert_note": measured.alert_note,
        "settle_s": round1(measured.settle_s),
        "rss_mb": round1(measured.rss_mb),
        "rss_mb_after": measured
            .rss_mb_after
            .iter()
            .map(|(phase, mb)| json!({ "phase": phase, "mb": round1(*mb) }))
            .collect::<Vec<_>>(),
    })
}

fn number(value: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(value, |v, key| v.get(key)).and_then(Value::as_f64)
}

/// Largest `field` of any page of `figures`.
fn page_max(figures: &Value, field: &str) -> Option<f64> {
    let pages = figures.get("pages")?.as_object()?;
    pages.values().filter_map(|page| page.get(field)?.as_f64()).reduce(f64::max)
}

/// Largest ratio of a page's warm p95 at `large` over the same page's at `small`.
fn growth_max(large: &Value, small: &Value) -> Option<f64> {
    let pages = large.get("pages")?.as_object()?;
    pages
        .iter()
        .filter_map(|(key, page)| {
            let big = page.get("warm_p95_ms")?.as_f64()?;
            let base = number(small, &["pages", key, "warm_p95_ms"])?;
            (base > 0.0).then(|| big / base)
        })
        .reduce(f64::max)
}

/// The targets: `(summary key, bound, true if the figure must stay at or below it)`.
const TARGETS: [(&str, f64, bool); 7] = [
    ("page_p95_warm_ms_1m_max", 50.0, true),
    ("page_p95_cold_ms_1m_max", 200.0, true),
    ("page_p95_growth_max", 1.5, true),
    ("alert_delay_ms", 1_000.0, true),
    ("ingest_events_per_s", 50_000.0, false),
    ("rss_mb_1m", 300.0, true),
    ("db_bytes_per_event", 400.0, true),
];

/// The whole report: sizes, per-size figures, summary keys at the top level, targets, met.
pub fn report(per_size: &BTreeMap<u64, Value>) -> Value {
    let sizes: Vec<u64> = per_size.keys().copied().collect();
    let summary_size = if per_size.contains_key(&SUMMARY_SIZE) { Some(SUMMARY_SIZE) } else { sizes.last().copied() };
    let smallest = sizes.first().copied();
    let at = |size: Option<u64>| size.and_then(|s| per_size.get(&s)).cloned().unwrap_or(Value::Null);
    let (large, small) = (at(summary_size), at(smallest));
    let growth =
        if summary_size != smallest { growth_max(&large, &small).map(|g| (g * 100.0).round() / 100.0) } else { None };
    let mut summary = Map::new();
    summary.insert("page_p95_warm_ms_1m_max".into(), json!(page_max(&large, "warm_p95_ms")));
    summary.insert("page_p95_cold_ms_1m_max".into(), json!(page_max(&large, "cold_p95_ms")));
    summary.insert("page_p95_growth_max".into(), json!(growth));
    summary.insert("alert_delay_ms".into(), large.get("alert_delay_ms").cloned().unwrap_or(Value::Null));
    summary.insert("ingest_events_per_s".into(), large.get("ingest_events_per_s").cloned().unwrap_or(Value::Null));
    summary.insert("rss_mb_1m".into(), large.get("rss_mb").cloned().unwrap_or(Value::Null));
    summary.insert("db_bytes_per_event".into(), large.get("db_bytes_per_event").cloned().unwrap_or(Value::Null));

    let mut targets = Map::new();
    let mut met = Map::new();
    for (key, bound, at_most) in TARGETS {
        targets.insert(key.into(), if at_most { json!({ "max": bound }) } else { json!({ "min": bound }) });
        let figure = summary.get(key).and_then(Value::as_f64);
        // A figure not measured (growth with one size, an alert that never showed) is not met.
        met.insert(key.into(), json!(figure.is_some_and(|x| if at_most { x <= bound } else { x >= bound })));
    }
    let mut report = Map::new();
    report.insert("sizes".into(), json!(sizes));
    report.insert("summary_size".into(), json!(summary_size));
    report.insert("growth_from_size".into(), json!(if growth.is_some() { smallest } else { None }));
    report.extend(summary);
    report.insert("targets".into(), Value::Object(targets));
    report.insert("met".into(), Value::Object(met));
    report.insert("per_size".into(), Value::Object(per_size.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()));
    Value::Object(report)
}

/// A few lines for a person reading the terminal (without `--json`).
pub fn human(report: &Value) -> String {
    let mut out = String::new();
    if let Some(per_size) = report.get("per_size").and_then(Value::as_object) {
        for (size, figures) in per_size {
            let get = |path: &[&str]| number(figures, path).map_or("-".to_owned(), |x| format!("{x}"));
            out += &format!(
                "{size} events: build {} s, ingest {} events/s, {} B/event, push 100 p50 {} ms, alert {} ms, rss {} MB\n",
                get(&["build_s"]),
                get(&["ingest_events_per_s"]),
                get(&["db_bytes_per_event"]),
                get(&["push_100_p50_ms"]),
                get(&["alert_delay_ms"]),
                get(&["rss_mb"]),
            );
            if let Some(pages) = figures.get("pages").and_then(Value::as_object) {
                for (page, _) in pages {
                    let p = |field: &str| get(&["pages", page, field]);
                    out += &format!(
                        "  {page:<10} cold p50 {:>8} p95 {:>8} | warm p50 {:>8} p95 {:>8} ms\n",
                        p("cold_p50_ms"),
                        p("cold_p95_ms"),
                        p("warm_p50_ms"),
                        p("warm_p95_ms"),
                    );
                }
            }
        }
    }
    if let (Some(targets), Some(met)) = (report.get("targets"), report.get("met").and_then(Value::as_object)) {
        for (key, ok) in met {
            let figure = report.get(key).map_or("-".to_owned(), Value::to_string);
            let bound = targets.get(key).map_or("-".to_owned(), Value::to_string);
            out += &format!(
                "{key}: {figure} (target {bound}) {}\n",
                if ok.as_bool() == Some(true) { "met" } else { "NOT met" }
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), Some(10.0));
        assert_eq!(percentile(&samples, 95.0), Some(19.0));
        assert_eq!(percentile(&samples[..10], 95.0), Some(10.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn growth_compares_the_same_page() {
        let small = json!({"pages": {"ui": {"warm_p95_ms": 10.0}, "lot": {"warm_p95_ms": 4.0}}});
        let large = json!({"pages": {"ui": {"warm_p95_ms": 12.0}, "lot": {"warm_p95_ms": 8.0}}});
        assert_eq!(growth_max(&large, &small), Some(2.0));
    }
}
