//! What a unit history costs on top of the fold: a co-op's 100,000 events (4,000 kiwi trays in
//! 400 boxes on 40 pallets, each box loaded, handed over and read by a logger; reports on trays)
//! folded plain, then with the lineage of one lot's 400 trays, then of all 4,000. Prints one JSON
//! object (median of 5 runs each); not criterion, because a page load is one fold.
//!
//! Run: `cargo bench -p fieldtrace-core --bench fold_lineage`

use chrono::{DateTime, Duration};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::fold::{fold, fold_with_lineage};
use fieldtrace_core::model::*;
use std::collections::BTreeSet;
use std::time::Instant;

fn main() {
    let device = DeviceId::new();
    let start = DateTime::parse_from_rfc3339("2026-11-01T08:00:00+08:00").expect("start");
    let mut n = 0i64;
    let mut event = |kind: EventKind, codes: Vec<String>, lot: Option<&str>| {
        n += 1;
        let at = start + Duration::seconds(n);
        Event {
            id: EventId::new(),
            kind,
            step: Some(BizStep::Loading),
            disposition: Some(Disposition::Normal),
            codes,
            lot: lot.map(LotId::new),
            actor: Actor { party: PartyId::new("driver-zhao"), role: Role::Driver },
            recorder: Recorder { party: PartyId::new("driver-zhao"), device },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    };
    let tray = |i: usize| format!("t/TRAY{i:06}");
    let mut events = Vec::new();
    for i in 0..4_000 {
        let lot = format!("K-{:02}", i / 400);
        events.push(event(EventKind::Report, vec![tray(i)], Some(&lot)));
    }
    for b in 0..400 {
        let trays: Vec<String> = (b * 10..b * 10 + 10).map(tray).collect();
        let pack = AggregationAction::Pack;
        events.push(event(EventKind::Aggregation { parent: format!("box-{b}"), action: pack }, trays, None));
    }
    for p in 0..40 {
        let boxes: Vec<String> = (p * 10..p * 10 + 10).map(|b| format!("box-{b}")).collect();
        let pack = AggregationAction::Pack;
        events.push(event(EventKind::Aggregation { parent: format!("pallet-{p}"), action: pack }, boxes, None));
    }
    while events.len() < 100_000 {
        let k = events.len();
        let code = match k % 4 {
            0 => format!("box-{}", k % 400),
            1 => format!("pallet-{}", k % 40),
            _ => tray(k % 4_000),
        };
        events.push(event(EventKind::Observation, vec![code], None));
    }
    let one_lot: BTreeSet<String> = (0..400).map(tray).collect();
    let all: BTreeSet<String> = (0..4_000).map(tray).collect();
    let median = |f: &dyn Fn() -> usize| {
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[2]
    };
    let plain = median(&|| fold(&events).units.len());
    let lot = median(&|| fold_with_lineage(&events, &one_lot).1.len());
    let every = median(&|| fold_with_lineage(&events, &all).1.len());
    let entries: usize = fold_with_lineage(&events, &one_lot).1.values().map(Vec::len).sum();
    println!(
        "{{\"events\": {}, \"fold_ms\": {plain:.1}, \"fold_with_lineage_one_lot_ms\": {lot:.1}, \"lineage_one_lot_entries\": {entries}, \"fold_with_lineage_all_units_ms\": {every:.1}}}",
        events.len()
    );
}
