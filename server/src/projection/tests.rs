//! Projections equal a full fold of the same log, whatever the arrival order, duplicates and
//! late events (packs behind later scans, corrections before or after their target), however
//! the pushes are split and however often the projector runs in between; and `reproject` gives
//! the same rows again.

use super::Projector;
use crate::analytics::{counts, unit_histories};
use crate::projection::plan::unit_row;
use crate::storage::prelude::*;
use crate::storage::{LotStats, PieceDay, ProjectionDump};
use chrono::DateTime;
use chrono::Datelike;
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::fold::{fold, fold_with_lineage};
use fieldtrace_core::model::*;
use fieldtrace_core::pieces::{piece_counts, piece_day, Month};
use fieldtrace_store_sqlite::SqliteStorage;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Few codes, so events collide: six units, two boxes, a pallet.
const CODES: [&str; 9] = ["t/U0", "t/U1", "t/U2", "t/U3", "t/U4", "t/U5", "box-0", "box-1", "pallet-0"];

#[derive(Debug, Clone)]
enum Op {
    Report {
        code: usize,
        abnormal: bool,
        lot: Option<usize>,
        step: usize,
    },
    /// An event whose kind applies to the contents of the codes it names (loading, a sensor).
    OnContainer {
        code: usize,
        sensor: bool,
    },
    Pack {
        parent: usize,
        children: BTreeSet<usize>,
        unpack: bool,
    },
    /// Voids the event made by an earlier op (index modulo the ops before it).
    Correct {
        target: usize,
    },
    SetGrade {
        lot: usize,
        grade: Option<u8>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..9usize, any::<bool>(), prop::option::of(0..3usize), 0..4usize)
            .prop_map(|(code, abnormal, lot, step)| Op::Report { code, abnormal, lot, step }),
        2 => (6..9usize, any::<bool>()).prop_map(|(code, sensor)| Op::OnContainer { code, sensor }),
        3 => (6..9usize, prop::collection::btree_set(0..9usize, 1..4), prop::bool::weighted(0.2))
            .prop_map(|(parent, children, unpack)| Op::Pack { parent, children, unpack }),
        1 => any::<usize>().prop_map(|target| Op::Correct { target }),
        1 => (0..3usize, prop::option::of(0..3u8)).prop_map(|(lot, grade)| Op::SetGrade { lot, grade }),
    ]
}

fn base(kind: EventKind, codes: Vec<String>, wall: u64, device: DeviceId) -> Event {
    let start = DateTime::parse_from_rfc3339("2026-09-10T07:00:00+08:00").expect("time");
    let at = start + chrono::Duration::milliseconds(i64::try_from(wall).unwrap_or(0));
    Event {
        id: EventId::new(),
        kind,
        step: None,
        disposition: None,
        codes,
        lot: None,
        actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms: 1_790_000_000_000 + wall, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

/// The events of `ops`, op `i` at wall time `walls[i]` from device `devices[i]`.
fn events_of(ops: &[(Op, u64, usize)]) -> Vec<Event> {
    let devices = [DeviceId::new(), DeviceId::new(), DeviceId::new()];
    let steps = [BizStep::Harvesting, BizStep::Packing, BizStep::Loading, BizStep::Receiving];
    let mut events: Vec<Event> = Vec::new();
    for (op, wall, device_no) in ops {
        let device = devices[device_no % devices.len()];
        // Two recorders (piece counts), over several days (piece days, loss days).
        let recorder = ["farmer-li", "assistant-wang"][device_no % 2];
        let wall = &(wall * 5 * 3_600_000);
        let code = |i: &usize| CODES[*i].to_owned();
        let event = match op {
            Op::Report { code: c, abnormal, lot, step } => {
                let mut event = base(EventKind::Report, vec![code(c)], *wall, device);
                event.step = Some(steps[*step]);
                event.disposition =
                    Some(if *abnormal { Disposition::Abnormal(AbnormalReason::Bruised) } else { Disposition::Normal });
                event.lot = lot.map(|l| LotId::new(format!("K-{l}")));
                // Drivers load and receive: their custody is in the loss histories.
                if *step >= 2 {
                    let driver = PartyId::new(["driver-zhao", "driver-sun"][*step - 2]);
                    event.actor = Actor { party: driver, role: Role::Driver };
                }
                event
            }
            Op::OnContainer { code: c, sensor } => {
                let kind = if *sensor { EventKind::SensorReading } else { EventKind::Observation };
                let mut event = base(kind, vec![code(c)], *wall, device);
                event.step = Some(BizStep::Loading);
                event
            }
            Op::Pack { parent, children, unpack } => {
                let children: Vec<String> = children.iter().filter(|c| *c != parent).map(code).collect();
                if children.is_empty() {
                    continue;
                }
                let action = if *unpack { AggregationAction::Unpack } else { AggregationAction::Pack };
                let mut event = base(EventKind::Aggregation { parent: code(parent), action }, children, *wall, device);
                event.step = Some(BizStep::Packing);
                event
            }
            Op::Correct { target } => {
                let Some(voided) = (!events.is_empty()).then(|| events[target % events.len()].clone()) else {
                    continue;
                };
                base(EventKind::Correction { voids: voided.id }, voided.codes.clone(), *wall, device)
            }
            Op::SetGrade { lot, grade } => {
                let update = Update::new(EntityKind::Lot, format!("K-{lot}"));
                let update = match grade {
                    Some(g) => update.set("grade", format!("G{g}")),
                    None => update.clear("grade"),
                };
                base(EventKind::Update(update), Vec::new(), *wall, device)
            }
        };
        let mut event = event;
        event.recorder.party = PartyId::new(recorder);
        events.push(event);
    }
    events
}

/// What the projection tables must hold for `events` (folded whole).
fn expected(events: &[&Event]) -> ProjectionDump {
    let state = &fold(events.iter().copied());
    let owned: Vec<Event> = events.iter().map(|e| (*e).clone()).collect();
    let histories = unit_histories(&owned);
    let losses: Vec<_> = histories.iter().map(counts::loss_row).collect();
    let mut loss_counts = counts::merge(losses.iter().flat_map(|row| counts::contributions(row, 1)));
    loss_counts.sort();
    let parties: BTreeSet<PartyId> = owned.iter().map(|e| e.recorder.party.clone()).collect();
    let mut pieces = Vec::new();
    for party in &parties {
        let months: BTreeSet<Month> =
            owned.iter().filter_map(piece_day).filter_map(|d| Month::new(d.year(), d.month())).collect();
        for month in months {
            for day in piece_counts(&owned, party, month).days {
                pieces.push(PieceDay { party: party.0.clone(), day: day.date, pieces: day.pieces });
            }
        }
    }
    let codes: BTreeSet<&String> = state.units.keys().chain(state.containers.keys()).collect();
    let units: Vec<_> = codes.into_iter().filter_map(|code| unit_row(state, code)).collect();
    let mut lots: BTreeMap<String, LotStats> = BTreeMap::new();
    for unit in state.units.values() {
        let Some(lot) = &unit.lot else { continue };
        let stats = lots.entry(lot.0.clone()).or_insert_with(|| LotStats { lot: lot.0.clone(), ..LotStats::default() });
        stats.units += 1;
        stats.abnormal_units += u64::from(unit.abnormal_reports > 0);
        if let Some(step) = unit.last_step {
            *stats.steps.entry(step).or_default() += 1;
        }
    }
    ProjectionDump {
        units,
        registers: state.registers.clone(),
        voided: state.voided.iter().copied().collect(),
        lots: lots.into_values().collect(),
        losses,
        loss_counts,
        pieces,
        lot_history: lot_history(events),
    }
}

/// Every lot's history as the lot page built it from a full fold: (lot, event) → (how many of the
/// lot's units have the event in their lineage, the event is filed under the lot).
fn lot_history(events: &[&Event]) -> BTreeMap<(String, EventId), (u64, bool)> {
    let state = fold(events.iter().copied());
    let with_lots: BTreeSet<String> =
        state.units.iter().filter(|(_, unit)| unit.lot.is_some()).map(|(code, _)| code.clone()).collect();
    let (_, lineage) = fold_with_lineage(events.iter().copied(), &with_lots);
    let mut history: BTreeMap<(String, EventId), (u64, bool)> = BTreeMap::new();
    for (code, entries) in &lineage {
        let Some(lot) = state.units.get(code).and_then(|unit| unit.lot.as_ref()) else { continue };
        for entry in entries {
            history.entry((lot.0.clone(), entry.event)).or_default().0 += 1;
        }
    }
    for event in events {
        if let Some(lot) = super::history::filed_lot(event) {
            history.entry((lot.to_owned(), event.id)).or_default().1 = true;
        }
    }
    history
}

async fn check(events: Vec<Event>, arrival: Vec<usize>, cuts: Vec<(usize, bool)>) -> Result<(), TestCaseError> {
    let storage = SqliteStorage::open_in_memory().expect("open");
    storage.create_coop("coop", "coop").await.expect("coop");
    let projector = Projector::new();
    // Arrival order: a permutation with repeats (duplicates are pushed again, as retries are).
    let arriving: Vec<Event> = arrival.iter().map(|i| events[i % events.len()].clone()).collect();
    let mut start = 0usize;
    for (len, project) in cuts.into_iter().chain(std::iter::once((usize::MAX, true))) {
        let end = start.saturating_add(len).min(arriving.len());
        let device = DeviceId::new();
        storage.push("coop", device, arriving[start..end].to_vec(), 0).await.expect("push");
        start = end;
        if project {
            projector.catch_up(&storage, "coop").await.expect("catch up");
        }
    }
    let stored: Vec<&Event> = arriving.iter().collect();
    let want = expected(&stored);
    prop_assert_eq!(&storage.projection_dump("coop").await.expect("dump"), &want);
    projector.reproject(&storage, "coop", |_| {}).await.expect("reproject");
    prop_assert_eq!(storage.projection_dump("coop").await.expect("dump"), want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn projections_equal_a_full_fold(
        ops in prop::collection::vec((op(), 0u64..40, 0usize..3), 1..40),
        arrival in prop::collection::vec(any::<usize>(), 1..60),
        cuts in prop::collection::vec((1usize..12, any::<bool>()), 0..8),
    ) {
        let events = events_of(&ops);
        prop_assume!(!events.is_empty());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(check(events, arrival, cuts))?;
    }
}

#[tokio::test]
async fn a_late_pack_moves_a_container_event_onto_the_unit() {
    let device = DeviceId::new();
    let mut loading = base(EventKind::Observation, vec!["box-0".into()], 20, device);
    loading.step = Some(BizStep::Loading);
    let pack = base(
        EventKind::Aggregation { parent: "box-0".into(), action: AggregationAction::Pack },
        vec!["t/U0".into()],
        10,
        device,
    );
    let storage = SqliteStorage::open_in_memory().expect("open");
    storage.create_coop("coop", "coop").await.expect("coop");
    let projector = Projector::new();
    storage.push("coop", device, vec![loading], 0).await.expect("push");
    projector.catch_up(&storage, "coop").await.expect("catch up");
    storage.push("coop", device, vec![pack], 0).await.expect("push");
    projector.catch_up(&storage, "coop").await.expect("catch up");
    let rows = storage.unit_rows("coop", vec!["t/U0".into()]).await.expect("rows");
    assert_eq!(rows[0].state.last_step, Some(BizStep::Loading), "the box's later loading counts for the kiwi");
    assert_eq!(rows[0].state.via_container, 1);
    assert_eq!(rows[0].parent.as_deref(), Some("box-0"));
}
