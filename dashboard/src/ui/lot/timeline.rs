//! The lot's timeline: every event of its history, who did it (the actor party's name), who
//! recorded it when someone else did (an assistant for a farmer), on which device, when (in the
//! co-op's display offset), what it concerned and in what condition.

use super::context::{show_code, LotContext};
use super::words::LotWords;
use crate::trace_page::Words;
use fieldtrace_core::model::{AggregationAction, Disposition, Event, EventKind, SensorKind, TripStage};

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub when: String,
    pub what: String,
    pub who: String,
    /// The recorder's name when it is not the actor.
    pub recorder: Option<String>,
    /// The recording device, shortened: the last 8 hex digits of its id (UUIDv7 ids begin with
    /// their creation time, so phones enrolled together share the first digits).
    pub device: String,
    pub codes: String,
    /// How many of the lot's units the event concerned.
    pub units: u64,
    /// Empty when no condition was judged.
    pub condition: String,
    pub abnormal: bool,
    pub note: String,
}

/// What kind of thing happened, in words.
pub fn what(event: &Event, w: &LotWords, t: &Words) -> String {
    let step = event.step.map(|s| t.step(s).to_owned());
    match &event.kind {
        EventKind::Aggregation { parent, action: AggregationAction::Pack } => {
            format!("{} {}", w.packed_into, show_code(parent))
        }
        EventKind::Aggregation { parent, action: AggregationAction::Unpack } => {
            format!("{} {}", w.unpacked_from, show_code(parent))
        }
        EventKind::Trip { trip, stage } => {
            let word = match stage {
                TripStage::Load { .. } => w.trip_loaded,
                TripStage::Depart { .. } => w.trip_departed,
                TripStage::Deliver { .. } => w.trip_delivered,
            };
            format!("{word} · {trip}")
        }
        EventKind::HandoverOffer(_) => w.handover_offer.to_owned(),
        EventKind::HandoverAcceptance(_) => w.handover_acceptance.to_owned(),
        EventKind::HandoverReceipt(_) => w.handover_receipt.to_owned(),
        EventKind::Handover { .. } => w.handover.to_owned(),
        EventKind::SensorReading => w.readings.to_owned(),
        EventKind::Excursion(_) => w.excursion.to_owned(),
        EventKind::FarmRecord(record) => format!("{} · {}", w.farm_record, w.activity(&record.activity)),
        EventKind::Transformation { .. } => w.transformed.to_owned(),
        EventKind::Report | EventKind::Observation => step.unwrap_or_else(|| w.observed.to_owned()),
        EventKind::Correction { .. } | EventKind::Update(_) => String::new(),
    }
}

fn detail(event: &Event, w: &LotWords) -> String {
    match &event.kind {
        EventKind::SensorReading => {
            let temps: Vec<f64> =
                event.sensors.iter().filter(|s| s.kind == SensorKind::TemperatureCelsius).map(|s| s.value).collect();
            let range = match (temps.iter().copied().reduce(f64::min), temps.iter().copied().reduce(f64::max)) {
                (Some(lo), Some(hi)) => format!(" · {lo:.1}–{hi:.1} °C"),
                _ => String::new(),
            };
            format!("{} × {}{range}", event.sensors.len(), w.readings)
        }
        EventKind::Excursion(x) => format!(
            "{} · {}–{} · {:.1} °C / {:.1} °C",
            x.logger,
            x.start.format("%H:%M"),
            x.end.format("%H:%M"),
            x.peak,
            x.threshold
        ),
        EventKind::Trip { stage: TripStage::Deliver { recipient }, .. } => format!("→ {recipient}"),
        EventKind::Trip { stage: TripStage::Depart { expected, loaded, .. }, .. } => format!("{loaded}/{expected}"),
        EventKind::FarmRecord(record) => [
            record.plot.clone(),
            record.input.clone(),
            record.amount.as_ref().map(|a| format!("{} {}", a.value, a.unit)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · "),
        _ => String::new(),
    }
}

fn codes_text(event: &Event) -> String {
    match event.codes.as_slice() {
        [] => String::new(),
        [one] => show_code(one),
        [first, rest @ ..] => format!("{} +{}", show_code(first), rest.len()),
    }
}

/// One row per event of `events` (part of the lot's history, voided events left out).
pub fn rows<'e>(
    ctx: &LotContext,
    events: impl IntoIterator<Item = &'e Event>,
    w: &LotWords,
    t: &Words,
) -> Vec<TimelineRow> {
    events
        .into_iter()
        .map(|event| {
            let (condition, abnormal) = match (&event.kind, event.disposition) {
                (EventKind::HandoverAcceptance(a), _) if !a.abnormal.is_empty() => {
                    let list: Vec<String> =
                        a.abnormal.iter().map(|u| format!("{}: {}", show_code(&u.code), t.reason(u.reason))).collect();
                    (list.join(", "), true)
                }
                (_, Some(Disposition::Abnormal(reason))) => (t.reason(reason).to_owned(), true),
                (_, Some(Disposition::Normal)) => (w.normal.to_owned(), false),
                _ => (String::new(), false),
            };
            let recorder = (event.recorder.party != event.actor.party).then(|| ctx.party_name(&event.recorder.party.0));
            let note = [Some(detail(event, w)).filter(|d| !d.is_empty()), event.note.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            TimelineRow {
                when: ctx.time(&event.recorded_at),
                what: what(event, w, t),
                who: ctx.party_name(&event.actor.party.0),
                recorder,
                device: {
                    let id = event.recorder.device.to_string();
                    id[id.len().saturating_sub(8)..].to_owned()
                },
                codes: codes_text(event),
                units: ctx.units_of(event),
                condition,
                abnormal,
                note,
            }
        })
        .collect()
}

/// The timeline's CSV columns.
pub const CSV_HEADER: [&str; 9] = ["time", "event", "who", "recorder", "device", "codes", "units", "condition", "note"];

/// The timeline as CSV (formula-injection safe).
#[cfg(test)]
pub fn csv(rows: &[TimelineRow]) -> String {
    crate::ui::csv_export::csv(&CSV_HEADER, &csv_cells(rows))
}

/// The cells of `rows`, in [`CSV_HEADER`]'s order.
pub fn csv_cells(rows: &[TimelineRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            vec![
                row.when.clone(),
                row.what.clone(),
                row.who.clone(),
                row.recorder.clone().unwrap_or_default(),
                row.device.clone(),
                row.codes.clone(),
                row.units.to_string(),
                row.condition.clone(),
                row.note.clone(),
            ]
        })
        .collect()
}
