//! Loss analytics: abnormal units ÷ units handled, per stage, lot, farm, driver and period.
//!
//! Pure functions over a co-op's events (the same events every replica folds); the dashboard
//! renders what they return. The rules — which step is which stage, what a unit is, when a unit
//! is in a driver's custody — are in `docs/analytics.md`. In short:
//!
//! - A **unit** is a code that never held anything (a fruit, or a crate nobody packed into). An
//!   event on a container counts for the units inside it at that moment, at every depth; the
//!   container itself is not a unit, so a crushed box of 40 kiwis is 40 abnormal units, not 41.
//! - Each unit counts **once per stage**: handled if any event touched it there, abnormal if any
//!   of those found it abnormal. Voided events (undone, corrected) count nowhere.
//! - The overall loss and the per-lot/farm/period figures count a unit abnormal if it was found
//!   abnormal at any stage.

pub mod counts;
mod custody;
#[cfg(test)]
mod tests;

use chrono::{Datelike, Days, NaiveDate};
use custody::Custody;
use fieldtrace_core::fold::{Containment, ReplicaState};
use fieldtrace_core::model::{BizStep, Disposition, Event, EventId, EventKind};
use std::collections::{BTreeMap, BTreeSet};

/// Where along the chain a unit was when something happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Harvest,
    Storage,
    Loading,
    Transport,
    Delivery,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Harvest, Stage::Storage, Stage::Loading, Stage::Transport, Stage::Delivery];

    /// Stable key (CSV exports).
    pub fn key(self) -> &'static str {
        match self {
            Stage::Harvest => "harvest",
            Stage::Storage => "storage",
            Stage::Loading => "loading",
            Stage::Transport => "transport",
            Stage::Delivery => "delivery",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.key() == key)
    }

    /// The stage a business step belongs to; `None` for a check that does not move the goods
    /// (inspecting), which counts at the stage the unit is in.
    pub fn of_step(step: BizStep) -> Option<Stage> {
        match step {
            BizStep::Harvesting => Some(Stage::Harvest),
            BizStep::Packing | BizStep::WarehouseIn | BizStep::WarehouseOut => Some(Stage::Storage),
            BizStep::Loading => Some(Stage::Loading),
            // Damage found on receiving happened on the leg that ended there.
            BizStep::Transfer | BizStep::Receiving => Some(Stage::Transport),
            BizStep::Delivering => Some(Stage::Delivery),
            BizStep::Inspecting => None,
        }
    }
}

/// What happened to one unit, as the analytics need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHistory {
    pub code: String,
    /// The lot the last event naming the unit itself gave it (as the fold does).
    pub lot: Option<String>,
    /// Local calendar day (the recording phone's) of the first event that handled it.
    pub first_day: NaiveDate,
    /// Per stage it was handled at: whether it was found abnormal there.
    pub stages: BTreeMap<Stage, bool>,
    /// Per driver party that held it: whether it was found abnormal while (or right after) they did.
    pub drivers: BTreeMap<String, bool>,
}

impl UnitHistory {
    pub fn abnormal(&self) -> bool {
        self.stages.values().any(|abnormal| *abnormal)
    }
}

/// Every unit's history, from `events` in any order (duplicates allowed), in causal order.
pub fn unit_histories(events: &[Event]) -> Vec<UnitHistory> {
    let mut by_id: BTreeMap<EventId, &Event> = BTreeMap::new();
    for event in events {
        by_id.entry(event.id).or_insert(event);
    }
    let mut ordered: Vec<&Event> = by_id.values().copied().collect();
    ordered.sort_by(|a, b| a.cmp_causal(b));
    let voided: BTreeSet<EventId> =
        ordered.iter().filter_map(|e| e.kind.voids()).filter(|id| by_id.contains_key(id)).collect();
    let live: Vec<&Event> = ordered.into_iter().filter(|e| !voided.contains(&e.id)).collect();
    // A code that ever held something is a container, never a unit of its own.
    let containers: BTreeSet<&str> = live
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Aggregation { parent, action: fieldtrace_core::model::AggregationAction::Pack } => {
                Some(parent.as_str())
            }
            _ => None,
        })
        .collect();

    let mut units: BTreeMap<String, Tracked> = BTreeMap::new();
    let mut containment = Containment::default();
    for event in live {
        if let EventKind::Aggregation { parent, action } = &event.kind {
            containment.apply(parent, *action, &event.codes);
        }
        if !counts_as_handling(&event.kind) {
            continue;
        }
        let mut done: BTreeSet<String> = BTreeSet::new();
        for code in &event.codes {
            let disposition = disposition_of(event, code);
            let leaves: Vec<String> = if containers.contains(code.as_str()) {
                if !event.kind.applies_to_contents() {
                    continue;
                }
                containment.descendants(code).into_iter().filter(|c| !containers.contains(c.as_str())).collect()
            } else {
                vec![code.clone()]
            };
            for leaf in leaves {
                if !done.insert(leaf.clone()) {
                    continue;
                }
                let named = leaf == *code;
                let unit = units.entry(leaf).or_insert_with(|| Tracked::new(event.recorded_at.date_naive()));
                unit.apply(event, disposition, named);
            }
        }
    }
    units
        .into_iter()
        .map(|(code, t)| UnitHistory {
            code,
            lot: t.lot,
            first_day: t.first_day,
            stages: t.stages,
            drivers: t.custody.into_drivers(),
        })
        .collect()
}

/// Events that mean someone had the goods in hand. Packing lists, corrections, updates, farm
/// records and raw sensor readings do not; a handover receipt repeats an acceptance.
fn counts_as_handling(kind: &EventKind) -> bool {
    match kind {
        EventKind::Observation
        | EventKind::Report
        | EventKind::Aggregation { .. }
        | EventKind::Transformation { .. }
        | EventKind::Handover { .. }
        | EventKind::Trip { .. }
        | EventKind::HandoverOffer(_)
        | EventKind::HandoverAcceptance(_)
        | EventKind::Excursion(_) => true,
        EventKind::FarmRecord(_)
        | EventKind::SensorReading
        | EventKind::Correction { .. }
        | EventKind::Update(_)
        | EventKind::HandoverReceipt(_) => false,
    }
}

/// The condition `event` records for `code`: an acceptance judges box by box (unlisted: normal).
fn disposition_of(event: &Event, code: &str) -> Option<Disposition> {
    match &event.kind {
        EventKind::HandoverAcceptance(acceptance) => {
            let reason = acceptance.abnormal.iter().find(|unit| unit.code == code).map(|unit| unit.reason);
            Some(reason.map_or(Disposition::Normal, Disposition::Abnormal))
        }
        _ => event.disposition,
    }
}

struct Tracked {
    lot: Option<String>,
    first_day: NaiveDate,
    current: Option<Stage>,
    stages: BTreeMap<Stage, bool>,
    custody: Custody,
}

impl Tracked {
    fn new(first_day: NaiveDate) -> Self {
        Self { lot: None, first_day, current: None, stages: BTreeMap::new(), custody: Custody::default() }
    }

    fn apply(&mut self, event: &Event, disposition: Option<Disposition>, named: bool) {
        if named {
            if let Some(lot) = &event.lot {
                self.lot = Some(lot.0.clone());
            }
        }
        let stage = event.step.and_then(Stage::of_step).or(self.current).unwrap_or(Stage::Harvest);
        self.current = Some(stage);
        let abnormal = disposition.is_some_and(Disposition::is_abnormal);
        *self.stages.entry(stage).or_default() |= abnormal;
        self.custody.apply(event, disposition);
    }
}

/// Abnormal of handled units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    pub units: u64,
    pub abnormal: u64,
}

impl Ratio {
    fn absorb(&mut self, other: Ratio) {
        self.units += other.units;
        self.abnormal += other.abnormal;
    }

    /// Loss in percent, `None` when nothing was handled.
    pub fn percent(&self) -> Option<f64> {
        (self.units > 0).then(|| self.abnormal as f64 * 100.0 / self.units as f64)
    }
}

/// Which units to count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LossFilter {
    /// Units first handled on or after / on or before these days.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The lot's product (as the co-op named it); `None`: any.
    pub product: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    /// Weeks start on Monday.
    Week,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LotLoss {
    pub lot: String,
    pub product: String,
    pub farm: String,
    pub loss: Ratio,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedLoss {
    /// Party id (farm or driver) or "" for units without one.
    pub id: String,
    pub name: String,
    pub loss: Ratio,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeriodLoss {
    /// First day of the period.
    pub start: NaiveDate,
    pub loss: Ratio,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LossReport {
    pub overall: Ratio,
    /// Every stage, in chain order (zero where nothing was handled).
    pub stages: Vec<(Stage, Ratio)>,
    pub lots: Vec<LotLoss>,
    pub farms: Vec<NamedLoss>,
    pub drivers: Vec<NamedLoss>,
    /// Periods in order, including empty ones between the first and the last.
    pub periods: Vec<PeriodLoss>,
}

/// The co-op's loss figures for the units `filter` selects. `state` is the fold of the same
/// events: lots' products and farms and parties' names come from its registers. Counts the
/// histories the way the projector's counters do, then sums them (see [`counts`]).
pub fn loss_report(histories: &[UnitHistory], state: &ReplicaState, filter: &LossFilter, period: Period) -> LossReport {
    let counted = counts::merge(histories.iter().flat_map(|unit| counts::contributions(&counts::loss_row(unit), 1)));
    counts::report_from_counts(&counted, &state.registers, filter, period)
}

/// The first day of the period `day` falls in.
pub fn period_start(day: NaiveDate, period: Period) -> NaiveDate {
    match period {
        Period::Day => day,
        Period::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
    }
}

/// Most periods shown with the empty ones filled in.
const MAX_FILLED_PERIODS: i64 = 400;

/// Adds the empty periods between the first and the last, so a chart's time axis is even.
fn fill_periods(periods: BTreeMap<NaiveDate, Ratio>, period: Period) -> Vec<PeriodLoss> {
    let (Some(first), Some(last)) = (periods.keys().next().copied(), periods.keys().next_back().copied()) else {
        return Vec::new();
    };
    let step_days: u32 = match period {
        Period::Day => 1,
        Period::Week => 7,
    };
    let step = Days::new(u64::from(step_days));
    let span = (last - first).num_days() / i64::from(step_days) + 1;
    if span > MAX_FILLED_PERIODS {
        // A phone with a wildly wrong clock must not make thousands of empty bars.
        return periods.into_iter().map(|(start, loss)| PeriodLoss { start, loss }).collect();
    }
    let mut out = Vec::new();
    let mut start = first;
    while start <= last {
        out.push(PeriodLoss { start, loss: periods.get(&start).copied().unwrap_or_default() });
        match start.checked_add_days(step) {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}
