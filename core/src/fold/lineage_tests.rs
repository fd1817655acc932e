//! A unit's history follows containment over time: container events reach it only while it is
//! inside, at every depth; voided events are listed and flagged.

use super::*;
use crate::clock::HlcTimestamp;
use crate::model::{AbnormalReason, AggregationAction, DeviceId, Event, EventKind};
use crate::test_support::report;

fn at(wall_ms: u64) -> HlcTimestamp {
    HlcTimestamp { wall_ms, logical: 0 }
}

fn aggregation(device: DeviceId, wall: u64, parent: &str, action: AggregationAction, codes: &[&str]) -> Event {
    Event {
        kind: EventKind::Aggregation { parent: parent.to_owned(), action },
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        ..report("x", device, at(wall))
    }
}

fn on(device: DeviceId, wall: u64, code: &str) -> Event {
    let mut event = report(code, device, at(wall));
    event.step = Some(BizStep::Loading);
    event.disposition = Some(Disposition::Abnormal(AbnormalReason::CrushedPackage));
    event
}

fn history(events: &[Event], unit: &str) -> Vec<UnitEvent> {
    let watch = BTreeSet::from([unit.to_owned()]);
    let (state, lineage) = fold_with_lineage(events, &watch);
    assert_eq!(state.digest(), fold(events).digest(), "lineage never changes the state");
    let found = lineage.get(unit).cloned().unwrap_or_default();
    let (_, from_subset) = fold_with_lineage(lineage::concerning(events, unit), &watch);
    assert_eq!(from_subset.get(unit).cloned().unwrap_or_default(), found, "the events concerning a unit suffice");
    found
}

fn ids(history: &[UnitEvent]) -> Vec<EventId> {
    history.iter().map(|h| h.event).collect()
}

#[test]
fn a_box_event_before_the_unpack_reaches_the_kiwi_and_one_after_does_not() {
    let d = DeviceId::new();
    let harvest = report("kiwi-1", d, at(1));
    let pack = aggregation(d, 2, "box-1", AggregationAction::Pack, &["kiwi-1", "kiwi-2"]);
    let before = on(d, 3, "box-1");
    let unpack = aggregation(d, 4, "box-1", AggregationAction::Unpack, &["kiwi-1"]);
    let after = on(d, 5, "box-1");
    // Arrival order does not matter: the fold sorts causally.
    let events = vec![after.clone(), unpack.clone(), before.clone(), harvest.clone(), pack.clone()];
    let kiwi = history(&events, "kiwi-1");
    assert_eq!(ids(&kiwi), vec![harvest.id, pack.id, before.id, unpack.id]);
    assert_eq!(kiwi[2].via.as_deref(), Some("box-1"));
    assert!(kiwi.iter().all(|h| !h.voided));
    // kiwi-2 stayed in the box: both box events are its history.
    let other = history(&events, "kiwi-2");
    assert_eq!(ids(&other), vec![pack.id, before.id, after.id]);
    // The fold's counts agree with the history.
    let state = fold(&events);
    assert_eq!(state.units["kiwi-1"].via_container, 1);
    assert_eq!(state.units["kiwi-2"].via_container, 2);
}

#[test]
fn pallet_events_reach_kiwis_in_boxes_on_it_and_the_pallet_move_is_history() {
    let d = DeviceId::new();
    let into_box = aggregation(d, 1, "box-1", AggregationAction::Pack, &["kiwi-1"]);
    let early_pallet = on(d, 2, "pallet-1");
    let onto_pallet = aggregation(d, 3, "pallet-1", AggregationAction::Pack, &["box-1"]);
    let loaded = on(d, 4, "pallet-1");
    let off_pallet = aggregation(d, 5, "pallet-1", AggregationAction::Unpack, &["box-1"]);
    let late_pallet = on(d, 6, "pallet-1");
    // Packing other goods onto the pallet is not the kiwi's history.
    let other_box = aggregation(d, 7, "pallet-1", AggregationAction::Pack, &["box-2"]);
    let events = [
        into_box.clone(),
        early_pallet,
        onto_pallet.clone(),
        loaded.clone(),
        off_pallet.clone(),
        late_pallet,
        other_box,
    ];
    let kiwi = history(&events, "kiwi-1");
    assert_eq!(ids(&kiwi), vec![into_box.id, onto_pallet.id, loaded.id, off_pallet.id]);
    assert_eq!(kiwi[2].via.as_deref(), Some("pallet-1"), "the named container, not the box in between");
    assert_eq!(kiwi[1].via.as_deref(), Some("box-1"));
}

#[test]
fn voided_events_are_listed_flagged_and_a_voided_pack_moves_nothing() {
    let d = DeviceId::new();
    let pack = aggregation(d, 1, "box-1", AggregationAction::Pack, &["kiwi-1"]);
    let undo_pack = Event { kind: EventKind::Correction { voids: pack.id }, ..report("x", d, at(2)) };
    let box_event = on(d, 3, "box-1");
    let named = on(d, 4, "kiwi-1");
    let undo_named = Event { kind: EventKind::Correction { voids: named.id }, ..report("x", d, at(5)) };
    let kiwi = history(&[pack.clone(), undo_pack, box_event, named.clone(), undo_named], "kiwi-1");
    assert_eq!(ids(&kiwi), vec![pack.id, named.id]);
    assert!(kiwi.iter().all(|h| h.voided));
}

#[test]
fn unwatched_units_cost_nothing_and_appear_nowhere() {
    let d = DeviceId::new();
    let events = [report("kiwi-1", d, at(1))];
    let (_, lineage) = fold_with_lineage(&events, &BTreeSet::new());
    assert!(lineage.is_empty());
}
