//! The lots list: one row per lot with its product, farm, harvest date, the stage most of its
//! units are at, how many units were seen and how many had an abnormal report — read from the
//! persisted read models, which equal the deterministic fold the phones compute.

use crate::trace_page::Words;
use fieldtrace_core::model::{BizStep, EntityKind};
use fieldtrace_server::storage::{LotStats, Registers, Storage, StorageError};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct LotRow {
    pub id: String,
    pub product: String,
    pub farm: String,
    pub harvest_date: String,
    pub stage: Option<BizStep>,
    pub units: u64,
    pub abnormal_units: u64,
}

/// Every lot the co-op named or whose units were seen, sorted by harvest date (newest first),
/// from the projected lot counters and registers (O(lots), whatever the log's length). The
/// caller brings the projection up to date first.
pub async fn lot_rows<S: Storage>(storage: &S, coop: &str) -> Result<Vec<LotRow>, StorageError> {
    let registers = storage.registers_of_kind(coop, EntityKind::Lot).await?;
    let stats = storage.lot_stats(coop).await?;
    let farms = registers
        .values()
        .filter_map(|fields| fields.get("farm")?.value.clone())
        .map(|farm| (EntityKind::Party, farm))
        .collect();
    let parties = storage.registers_of(coop, farms).await?;
    Ok(rows(&registers, stats, &parties))
}

fn rows(
    lots: &BTreeMap<String, Registers>,
    stats: Vec<LotStats>,
    parties: &BTreeMap<(EntityKind, String), Registers>,
) -> Vec<LotRow> {
    let value = |fields: Option<&Registers>, name: &str| fields?.get(name)?.value.clone();
    let mut per_lot: BTreeMap<String, LotStats> =
        lots.keys().map(|id| (id.clone(), LotStats { lot: id.clone(), ..LotStats::default() })).collect();
    per_lot.extend(stats.into_iter().map(|stats| (stats.lot.clone(), stats)));
    let mut rows: Vec<LotRow> = per_lot
        .into_values()
        .map(|stats| {
            let fields = lots.get(&stats.lot);
            let farm_id = value(fields, "farm");
            let farm_name = farm_id.as_ref().and_then(|f| value(parties.get(&(EntityKind::Party, f.clone())), "name"));
            // The stage most units are at; ties go to the later step (goods move forward).
            let stage = stats.steps.iter().max_by_key(|(step, n)| (**n, **step)).map(|(step, _)| *step);
            LotRow {
                product: value(fields, "product").unwrap_or_default(),
                harvest_date: value(fields, "harvest_date").unwrap_or_default(),
                farm: farm_name.or(farm_id).unwrap_or_default(),
                id: stats.lot,
                stage,
                units: stats.units,
                abnormal_units: stats.abnormal_units,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.harvest_date.cmp(&a.harvest_date).then_with(|| a.id.cmp(&b.id)));
    rows
}

/// Rows matching the filters (empty filter: any).
pub fn filter(rows: Vec<LotRow>, product: &str, farm: &str) -> Vec<LotRow> {
    rows.into_iter()
        .filter(|row| product.is_empty() || row.product == product)
        .filter(|row| farm.is_empty() || row.farm == farm)
        .collect()
}

/// The rows as CSV (RFC 4180; a UTF-8 BOM so spreadsheet programs on Chinese Windows read it).
pub fn csv(rows: &[LotRow], words: &Words) -> String {
    let header = ["lot", "product", "farm", "harvest_date", "stage", "units", "abnormal_units"];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let stage = row.stage.map_or("", |s| words.step(s)).to_owned();
            let (units, abnormal) = (row.units.to_string(), row.abnormal_units.to_string());
            vec![
                row.id.clone(),
                row.product.clone(),
                row.farm.clone(),
                row.harvest_date.clone(),
                stage,
                units,
                abnormal,
            ]
        })
        .collect();
    super::csv_export::csv(&header, &rows)
}
