//! Loss figures from counters rather than from every unit: a unit's history contributes one
//! count to its (first day, lot) in each dimension — once overall, once per stage that handled
//! it, once per driver that held it. The projector keeps those counters as units change (adding
//! a unit's new contributions, taking back its old ones), so the loss page sums rows per lot and
//! day, however many units and events the co-op has. [`super::loss_report`] goes through the same
//! counting, so the known-answer tests cover both.

use super::{
    fill_periods, period_start, LossFilter, LossReport, LotLoss, NamedLoss, Period, Ratio, Stage, UnitHistory,
};
use crate::storage::{LossCount, LossDimension, Registers, UnitLossRow};
use chrono::NaiveDate;
use fieldtrace_core::model::EntityKind;
use std::collections::BTreeMap;

/// The stored form of a unit's history.
pub fn loss_row(history: &UnitHistory) -> UnitLossRow {
    UnitLossRow {
        code: history.code.clone(),
        lot: history.lot.clone(),
        first_day: history.first_day.format("%Y-%m-%d").to_string(),
        stages: history.stages.iter().map(|(stage, abnormal)| (stage.key().to_owned(), *abnormal)).collect(),
        drivers: history.drivers.clone(),
    }
}

/// What a unit's history adds to the counters (`sign` 1), or takes back from them (`sign` -1).
pub fn contributions(row: &UnitLossRow, sign: i64) -> Vec<LossCount> {
    let count = |dimension: LossDimension, key: &str, abnormal: bool| LossCount {
        day: row.first_day.clone(),
        lot: row.lot.clone().unwrap_or_default(),
        dimension,
        key: key.to_owned(),
        units: sign,
        abnormal: if abnormal { sign } else { 0 },
    };
    let mut out = vec![count(LossDimension::Overall, "", row.stages.values().any(|abnormal| *abnormal))];
    out.extend(row.stages.iter().map(|(stage, abnormal)| count(LossDimension::Stage, stage, *abnormal)));
    out.extend(row.drivers.iter().map(|(driver, abnormal)| count(LossDimension::Driver, driver, *abnormal)));
    out
}

/// Adds up contributions with the same (day, lot, dimension, key); drops those that cancel out.
pub fn merge(counts: impl IntoIterator<Item = LossCount>) -> Vec<LossCount> {
    let mut merged: BTreeMap<(String, String, LossDimension, String), (i64, i64)> = BTreeMap::new();
    for count in counts {
        let entry = merged.entry((count.day, count.lot, count.dimension, count.key)).or_default();
        entry.0 += count.units;
        entry.1 += count.abnormal;
    }
    merged
        .into_iter()
        .filter(|(_, (units, abnormal))| *units != 0 || *abnormal != 0)
        .map(|((day, lot, dimension, key), (units, abnormal))| LossCount { day, lot, dimension, key, units, abnormal })
        .collect()
}

/// The loss figures of the counters `filter` selects. `registers` holds the lots' products and
/// farms and the parties' names (entities missing from it show their ids).
pub fn report_from_counts(
    counts: &[LossCount],
    registers: &BTreeMap<(EntityKind, String), Registers>,
    filter: &LossFilter,
    period: Period,
) -> LossReport {
    let field = |kind: EntityKind, id: &str, name: &str| {
        registers.get(&(kind, id.to_owned())).and_then(|f| f.get(name)).and_then(|f| f.value.clone())
    };
    let party_name = |id: &str| field(EntityKind::Party, id, "name").unwrap_or_else(|| id.to_owned());
    let lot_field = |lot: &str, name: &str| (!lot.is_empty()).then(|| field(EntityKind::Lot, lot, name)).flatten();

    let mut overall = Ratio::default();
    let mut stages: BTreeMap<Stage, Ratio> = Stage::ALL.iter().map(|s| (*s, Ratio::default())).collect();
    let mut lots: BTreeMap<String, Ratio> = BTreeMap::new();
    let mut farms: BTreeMap<String, Ratio> = BTreeMap::new();
    let mut drivers: BTreeMap<String, Ratio> = BTreeMap::new();
    let mut periods: BTreeMap<NaiveDate, Ratio> = BTreeMap::new();
    for count in counts {
        // A day that does not parse cannot be in a date range, nor on the time axis.
        let Ok(day) = count.day.parse::<NaiveDate>() else { continue };
        let selected = filter.from.is_none_or(|from| day >= from)
            && filter.to.is_none_or(|to| day <= to)
            && filter.product.as_ref().is_none_or(|p| lot_field(&count.lot, "product").as_ref() == Some(p));
        if !selected {
            continue;
        }
        let ratio = Ratio { units: non_negative(count.units), abnormal: non_negative(count.abnormal) };
        match count.dimension {
            LossDimension::Overall => {
                overall.absorb(ratio);
                lots.entry(count.lot.clone()).or_default().absorb(ratio);
                farms.entry(lot_field(&count.lot, "farm").unwrap_or_default()).or_default().absorb(ratio);
                periods.entry(period_start(day, period)).or_default().absorb(ratio);
            }
            LossDimension::Stage => {
                if let Some(stage) = Stage::from_key(&count.key) {
                    stages.entry(stage).or_default().absorb(ratio);
                }
            }
            LossDimension::Driver => drivers.entry(count.key.clone()).or_default().absorb(ratio),
        }
    }
    let named = |map: BTreeMap<String, Ratio>| -> Vec<NamedLoss> {
        map.into_iter()
            .map(|(id, loss)| NamedLoss { name: if id.is_empty() { String::new() } else { party_name(&id) }, id, loss })
            .collect()
    };
    LossReport {
        overall,
        stages: stages.into_iter().collect(),
        lots: lots
            .into_iter()
            .map(|(lot, loss)| LotLoss {
                product: lot_field(&lot, "product").unwrap_or_default(),
                farm: lot_field(&lot, "farm").map(|f| party_name(&f)).unwrap_or_default(),
                lot,
                loss,
            })
            .collect(),
        farms: named(farms),
        drivers: named(drivers),
        periods: fill_periods(periods, period),
    }
}

fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
