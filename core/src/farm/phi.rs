//! The pre-harvest interval (安全间隔期): after spraying a pesticide, the label says how many days
//! must pass before the fruit may be picked. A spraying whose interval is not over when the same
//! lot, or the same farmer's same plot, is harvested is flagged.
//!
//! Days are calendar days in each event's own UTC offset (`recorded_at`: when it happened, as the
//! person saw it). Harvest is allowed from the day `sprayed_on + interval`; a harvest before that
//! day — including one on the spraying day itself — is flagged. A harvest before the spraying is
//! not affected by it. Voided records (undone or corrected) neither flag nor are flagged.

use super::Activity;
use crate::model::{BizStep, Event, EventId, EventKind, FarmRecord, LotId, PartyId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A spraying whose pre-harvest interval was not over at a harvest of the same lot or plot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhiFlag {
    pub spraying: EventId,
    /// The earliest harvest inside the interval (ties: causal order).
    pub harvest: EventId,
    pub farmer: PartyId,
    /// The spraying's lot, if it named one.
    pub lot: Option<LotId>,
    pub plot: Option<String>,
    /// The lot of the harvest named.
    pub harvest_lot: Option<LotId>,
    pub pesticide: Option<String>,
    /// `YYYY-MM-DD`.
    pub sprayed_on: String,
    pub harvested_on: String,
    pub interval_days: u32,
    /// Whole days from spraying to that harvest (less than `interval_days`).
    pub days_between: i64,
    /// How many harvests in all fell inside the interval.
    pub harvests_inside: u32,
}

/// The flags for `events` (any order, duplicates allowed), sorted by spraying date then id.
pub fn phi_flags<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<PhiFlag> {
    let mut by_id: BTreeMap<EventId, &Event> = BTreeMap::new();
    for event in events {
        by_id.entry(event.id).or_insert(event);
    }
    let voided: BTreeSet<EventId> = by_id.values().filter_map(|e| e.kind.voids()).collect();
    let live = || by_id.values().copied().filter(|e| !voided.contains(&e.id));

    // Harvests indexed both ways a spraying can name its scope.
    let mut harvests_by_lot: HashMap<&LotId, Vec<Harvest<'_>>> = HashMap::new();
    let mut harvests_by_plot: HashMap<(&PartyId, &str), Vec<Harvest<'_>>> = HashMap::new();
    for event in live() {
        let Some(harvest) = Harvest::of(event) else { continue };
        if let Some(lot) = &event.lot {
            harvests_by_lot.entry(lot).or_default().push(harvest);
        }
        if let Some(plot) = harvest.plot {
            harvests_by_plot.entry((&event.actor.party, plot)).or_default().push(harvest);
        }
    }

    let mut flags = Vec::new();
    for event in live() {
        let EventKind::FarmRecord(record) = &event.kind else { continue };
        let Some(interval) = record.pre_harvest_interval_days.filter(|days| *days > 0) else { continue };
        if Activity::from_key(&record.activity) != Some(Activity::Spraying) {
            continue;
        }
        let sprayed_on = event.recorded_at.date_naive();
        let by_lot = event.lot.as_ref().and_then(|lot| harvests_by_lot.get(lot));
        let by_plot = record.plot.as_deref().and_then(|plot| harvests_by_plot.get(&(&event.actor.party, plot)));
        let mut inside: BTreeSet<EventId> = BTreeSet::new();
        let mut first: Option<Harvest<'_>> = None;
        for harvest in by_lot.into_iter().chain(by_plot).flatten().copied() {
            let days = (harvest.on - sprayed_on).num_days();
            if !(0..i64::from(interval)).contains(&days) {
                continue;
            }
            inside.insert(harvest.event.id);
            let earlier = first
                .is_none_or(|best| harvest.on.cmp(&best.on).then_with(|| harvest.event.cmp_causal(best.event)).is_lt());
            if earlier {
                first = Some(harvest);
            }
        }
        let Some(first) = first else { continue };
        flags.push(PhiFlag {
            spraying: event.id,
            harvest: first.event.id,
            farmer: event.actor.party.clone(),
            lot: event.lot.clone(),
            plot: record.plot.clone(),
            harvest_lot: first.event.lot.clone(),
            pesticide: record.input.clone(),
            sprayed_on: sprayed_on.to_string(),
            harvested_on: first.on.to_string(),
            interval_days: interval,
            days_between: (first.on - sprayed_on).num_days(),
            harvests_inside: u32::try_from(inside.len()).unwrap_or(u32::MAX),
        });
    }
    flags.sort_by(|a, b| (&a.sprayed_on, a.spraying).cmp(&(&b.sprayed_on, b.spraying)));
    flags
}

/// A harvest: a farm record of activity harvest, or any goods event at the harvesting step.
#[derive(Clone, Copy)]
struct Harvest<'a> {
    event: &'a Event,
    on: NaiveDate,
    plot: Option<&'a str>,
}

impl<'a> Harvest<'a> {
    fn of(event: &'a Event) -> Option<Self> {
        let plot = match &event.kind {
            EventKind::FarmRecord(FarmRecord { activity, plot, .. })
                if Activity::from_key(activity) == Some(Activity::Harvest) =>
            {
                plot.as_deref()
            }
            EventKind::Correction { .. } | EventKind::Update(_) | EventKind::FarmRecord(_) => return None,
            _ if event.step == Some(BizStep::Harvesting) => None,
            _ => return None,
        };
        Some(Self { event, on: event.recorded_at.date_naive(), plot })
    }
}
