//! The lot page's smaller sections: abnormal reports with their photos, the farming records with
//! pre-harvest-interval flags, and the chart's data (logger readings and excursions).

use super::chart::{ExcursionMark, Series};
use super::context::{show_code, LotContext};
use super::words::LotWords;
use crate::trace_page::Words;
use fieldtrace_core::farm::phi_flags;
use fieldtrace_core::model::{Bound, Disposition, Event, EventKind, SensorKind};
use fieldtrace_core::sensors::lot_limits;
use fieldtrace_core::store::Register;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct PhotoView {
    pub sha256: String,
    /// The server holds the whole photo (else the page shows a placeholder).
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AbnormalView {
    pub when: String,
    pub what: String,
    pub reason: String,
    pub who: String,
    pub codes: String,
    pub units: u64,
    pub note: String,
    pub photos: Vec<PhotoView>,
}

/// The abnormal judgements of the lot's goods among `events` (reports, scans, handover checks),
/// with photos.
pub fn abnormal_reports<'e>(
    ctx: &LotContext,
    events: impl IntoIterator<Item = &'e Event>,
    w: &LotWords,
    t: &Words,
) -> Vec<AbnormalView> {
    let mut out = Vec::new();
    for event in events {
        let reason = match (&event.kind, event.disposition) {
            (EventKind::Excursion(_), _) => continue, // on the chart
            (EventKind::HandoverAcceptance(a), _) if !a.abnormal.is_empty() => a
                .abnormal
                .iter()
                .map(|u| format!("{}: {}", show_code(&u.code), t.reason(u.reason)))
                .collect::<Vec<_>>()
                .join(", "),
            (_, Some(Disposition::Abnormal(reason))) => t.reason(reason).to_owned(),
            _ => continue,
        };
        out.push(AbnormalView {
            when: ctx.time(&event.recorded_at),
            what: super::timeline::what(event, w, t),
            reason,
            who: ctx.party_name(&event.actor.party.0),
            codes: event.codes.iter().map(|c| show_code(c)).collect::<Vec<_>>().join(", "),
            units: ctx.units_of(event),
            note: event.note.clone().unwrap_or_default(),
            photos: event
                .photos
                .iter()
                .filter(|p| p.is_well_formed())
                .map(|p| PhotoView { sha256: p.0.clone(), ready: false })
                .collect(),
        });
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct FarmView {
    pub when: String,
    pub activity: String,
    pub farmer: String,
    pub recorder: Option<String>,
    pub plot: String,
    pub input: String,
    pub amount: String,
    pub phi_days: String,
    /// Set when the spraying's interval was not over at a harvest: `harvested on (n days)`.
    pub phi_flag: Option<String>,
}

/// The lot's farming records among `events`, in causal order; `judged_against` holds the harvests
/// of the lot and the farm records of the co-op (a spraying is judged against every harvest of
/// the same lot or plot).
pub fn farming<'e>(
    ctx: &LotContext,
    events: impl IntoIterator<Item = &'e Event>,
    judged_against: impl IntoIterator<Item = &'e Event>,
    w: &LotWords,
) -> Vec<FarmView> {
    let flags: BTreeMap<_, _> = phi_flags(judged_against).into_iter().map(|f| (f.spraying, f)).collect();
    events
        .into_iter()
        .filter_map(|event| {
            let EventKind::FarmRecord(record) = &event.kind else { return None };
            let flag = flags.get(&event.id).map(|f| {
                format!(
                    "{}: {} ({} {} < {} {})",
                    w.phi_flag, f.harvested_on, f.days_between, w.days, f.interval_days, w.days
                )
            });
            Some(FarmView {
                when: ctx.time(&event.recorded_at),
                activity: w.activity(&record.activity),
                farmer: ctx.party_name(&event.actor.party.0),
                recorder: (event.recorder.party != event.actor.party).then(|| ctx.party_name(&event.recorder.party.0)),
                plot: record.plot.clone().unwrap_or_default(),
                input: record.input.clone().unwrap_or_default(),
                amount: record.amount.as_ref().map(|a| format!("{} {}", a.value, a.unit)).unwrap_or_default(),
                phi_days: record.pre_harvest_interval_days.map(|d| format!("{d} {}", w.days)).unwrap_or_default(),
                phi_flag: flag,
            })
        })
        .collect()
}

/// The lot's temperature limits (its registers, else its product's typical range).
pub fn limits(ctx: &LotContext) -> (Option<f64>, Option<f64>) {
    let registers: BTreeMap<String, Register> = ctx
        .registers
        .get(&(fieldtrace_core::model::EntityKind::Lot, ctx.lot.clone()))
        .map(|fields| {
            fields
                .iter()
                .map(|(name, f)| (name.clone(), Register { value: f.value.clone(), set_by: f.set_by }))
                .collect()
        })
        .unwrap_or_default();
    let limits = lot_limits(&ctx.lot_field("product").unwrap_or_default(), &registers);
    (limits.temp_min_c, limits.temp_max_c)
}

/// Temperature readings among `events` (of the lot's boxes while its goods were inside), one
/// series per logger and box, and the temperature excursions recorded on them.
pub fn chart_data<'e>(events: impl IntoIterator<Item = &'e Event>) -> (Vec<Series>, Vec<ExcursionMark>) {
    let mut series: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    let mut marks = Vec::new();
    let mut seen_marks = BTreeSet::new();
    for event in events {
        match &event.kind {
            EventKind::SensorReading => {
                let logger = event.note.as_deref().unwrap_or_default().trim_start_matches("logger ").to_owned();
                let label =
                    format!("{logger} · {}", event.codes.iter().map(|c| show_code(c)).collect::<Vec<_>>().join(", "));
                let line = series.entry(label).or_default();
                for value in event.sensors.iter().filter(|v| v.kind == SensorKind::TemperatureCelsius) {
                    let at = value.at.unwrap_or(event.recorded_at).timestamp_millis();
                    line.entry(at).or_insert(value.value);
                }
            }
            EventKind::Excursion(x) if x.sensor == SensorKind::TemperatureCelsius => {
                let key = (x.start.timestamp_millis(), x.end.timestamp_millis(), x.bound == Bound::Above);
                if seen_marks.insert(key) {
                    marks.push(ExcursionMark { start_ms: key.0, end_ms: key.1, peak: x.peak });
                }
            }
            _ => {}
        }
    }
    let series = series
        .into_iter()
        .map(|(label, points)| Series { label, points: points.into_iter().collect() })
        .filter(|s| !s.points.is_empty())
        .collect();
    (series, marks)
}
