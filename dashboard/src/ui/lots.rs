//! The lots list: one row per lot with its product, farm, harvest date, the stage most of its
//! units are at, how many units were seen and how many had an abnormal report — computed from
//! the same deterministic fold the phones use.

use crate::trace_page::Words;
use fieldtrace_core::fold::ReplicaState;
use fieldtrace_core::model::{BizStep, EntityKind};
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

/// Every lot the co-op named or whose units were seen, sorted by harvest date (newest first).
pub fn lot_rows(state: &ReplicaState) -> Vec<LotRow> {
    let field = |kind: EntityKind, id: &str, name: &str| {
        state.registers.get(&(kind, id.to_owned())).and_then(|fields| fields.get(name)).and_then(|f| f.value.clone())
    };
    let mut per_lot: BTreeMap<String, (u64, u64, BTreeMap<BizStep, u64>)> = BTreeMap::new();
    for (kind, id) in state.registers.keys() {
        if *kind == EntityKind::Lot {
            per_lot.entry(id.clone()).or_default();
        }
    }
    for unit in state.units.values() {
        let Some(lot) = &unit.lot else { continue };
        let (units, abnormal, stages) = per_lot.entry(lot.0.clone()).or_default();
        *units += 1;
        if unit.abnormal_reports > 0 {
            *abnormal += 1;
        }
        if let Some(step) = unit.last_step {
            *stages.entry(step).or_default() += 1;
        }
    }
    let mut rows: Vec<LotRow> = per_lot
        .into_iter()
        .map(|(id, (units, abnormal_units, stages))| {
            let farm_id = field(EntityKind::Lot, &id, "farm");
            let farm =
                farm_id.as_deref().and_then(|f| field(EntityKind::Party, f, "name")).or(farm_id).unwrap_or_default();
            // The stage most units are at; ties go to the later step (goods move forward).
            let stage = stages.iter().max_by_key(|(step, n)| (**n, **step)).map(|(step, _)| *step);
            LotRow {
                product: field(EntityKind::Lot, &id, "product").unwrap_or_default(),
                harvest_date: field(EntityKind::Lot, &id, "harvest_date").unwrap_or_default(),
                id,
                farm,
                stage,
                units,
                abnormal_units,
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
