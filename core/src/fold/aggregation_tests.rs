//! Containment in the fold and in the store: events on containers reach their contents, in
//! causal order, whatever order the events arrive in.

use super::*;
use crate::clock::HlcTimestamp;
use crate::model::{AbnormalReason, AggregationAction, DeviceId, Event, EventKind};
use crate::store::Store;
use crate::test_support::report;
use proptest::prelude::*;

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

fn pack(device: DeviceId, wall: u64, parent: &str, codes: &[&str]) -> Event {
    aggregation(device, wall, parent, AggregationAction::Pack, codes)
}

fn unpack(device: DeviceId, wall: u64, parent: &str, codes: &[&str]) -> Event {
    aggregation(device, wall, parent, AggregationAction::Unpack, codes)
}

fn crushed(device: DeviceId, wall: u64, code: &str) -> Event {
    let mut event = report(code, device, at(wall));
    event.step = Some(BizStep::Loading);
    event.disposition = Some(Disposition::Abnormal(AbnormalReason::CrushedPackage));
    event
}

fn undo(device: DeviceId, wall: u64, target: &Event) -> Event {
    Event { kind: EventKind::Correction { voids: target.id }, ..report("x", device, at(wall)) }
}

/// The store, fed `events` in two batches in reverse, must agree with the fold.
fn assert_store_agrees(events: &[Event]) -> ReplicaState {
    let store = Store::open_in_memory().expect("store");
    let mut reversed = events.to_vec();
    reversed.reverse();
    let (a, b) = reversed.split_at(reversed.len() / 2);
    store.insert_remote(a, 0).expect("insert");
    store.insert_remote(b, 0).expect("insert");
    let state = fold(events);
    let stored: BTreeMap<String, String> = store.containment().expect("containment").into_iter().collect();
    assert_eq!(stored, state.containers);
    for (code, unit) in &state.units {
        let history = store.history(code).expect("history");
        let counting: Vec<_> =
            history.iter().filter(|h| !h.voided && !matches!(h.event.kind, EventKind::Correction { .. })).collect();
        assert_eq!(counting.len() as u64, unit.events, "events of {code}");
        assert_eq!(counting.iter().filter(|h| h.via.is_some()).count() as u64, unit.via_container, "via of {code}");
    }
    assert_eq!(store.state().expect("state").digest(), state.digest());
    state
}

#[test]
fn an_event_on_a_pallet_reaches_its_boxes_and_their_items() {
    let d = DeviceId::new();
    let events =
        [pack(d, 1, "box-1", &["kiwi-1", "kiwi-2"]), pack(d, 2, "pallet-1", &["box-1"]), crushed(d, 3, "pallet-1")];
    let state = assert_store_agrees(&events);
    for code in ["box-1", "kiwi-1", "kiwi-2"] {
        let unit = &state.units[code];
        assert_eq!(unit.last_step, Some(BizStep::Loading), "{code}");
        assert_eq!(unit.abnormal_reports, 1, "{code}");
        assert_eq!(unit.via_container, 1, "{code}");
    }
    assert_eq!(state.units["pallet-1"].via_container, 0);
    assert_eq!(state.containers["kiwi-1"], "box-1");
    assert_eq!(state.containers["box-1"], "pallet-1");
}

#[test]
fn events_before_packing_and_after_unpacking_do_not_reach_the_unit() {
    let d = DeviceId::new();
    let events = [
        crushed(d, 1, "box-1"),
        pack(d, 2, "box-1", &["kiwi-1", "kiwi-2"]),
        unpack(d, 3, "box-1", &["kiwi-1"]),
        crushed(d, 4, "box-1"),
    ];
    let state = assert_store_agrees(&events);
    assert_eq!(state.units["kiwi-1"].abnormal_reports, 0);
    assert_eq!(state.units["kiwi-2"].abnormal_reports, 1);
    assert!(!state.containers.contains_key("kiwi-1"));
}

#[test]
fn a_voided_pack_counts_for_nothing_even_when_the_correction_arrives_last() {
    let d = DeviceId::new();
    let packed = pack(d, 1, "box-1", &["kiwi-1"]);
    let events = [packed.clone(), crushed(d, 2, "box-1"), undo(d, 3, &packed)];
    let state = assert_store_agrees(&events);
    assert!(state.containers.is_empty());
    assert!(!state.units.contains_key("kiwi-1"), "neither the pack nor the box's report count for it");
    // Same events, in causal order one at a time: the incremental path, then the correction.
    let store = Store::open_in_memory().expect("store");
    for event in &events[..2] {
        store.insert_remote(std::slice::from_ref(event), 0).expect("insert");
    }
    assert_eq!(store.contents("box-1").expect("contents"), ["kiwi-1"]);
    assert_eq!(store.history("kiwi-1").expect("history").len(), 2);
    store.insert_remote(&events[2..], 0).expect("insert");
    assert!(store.contents("box-1").expect("contents").is_empty());
    assert_eq!(store.state().expect("state").digest(), state.digest());
}

#[test]
fn repacking_moves_a_unit_and_a_cycle_made_offline_is_ignored_everywhere() {
    let (a, b) = (DeviceId::new(), DeviceId::new());
    let events = [
        pack(a, 1, "box-1", &["kiwi-1"]),
        pack(a, 2, "box-2", &["kiwi-1"]),
        // Two phones, offline: one puts box-2 on pallet-1, the other pallet-1 into box-2.
        pack(a, 3, "pallet-1", &["box-2"]),
        pack(b, 4, "box-2", &["pallet-1"]),
        crushed(a, 5, "pallet-1"),
    ];
    let state = assert_store_agrees(&events);
    assert_eq!(state.containers.get("kiwi-1").map(String::as_str), Some("box-2"));
    assert_eq!(state.containers.get("box-2").map(String::as_str), Some("pallet-1"));
    assert!(!state.containers.contains_key("pallet-1"), "the later pack would close a cycle");
    assert_eq!(state.units["kiwi-1"].abnormal_reports, 1);
}

#[test]
fn a_container_event_arriving_before_the_pack_it_follows_reaches_the_contents() {
    let d = DeviceId::new();
    let store = Store::open_in_memory().expect("store");
    let packed = pack(d, 1, "box-1", &["kiwi-1"]);
    let report = crushed(d, 2, "box-1");
    store.insert_remote(std::slice::from_ref(&report), 0).expect("report first");
    store.insert_remote(std::slice::from_ref(&packed), 0).expect("then the pack");
    let history = store.history("kiwi-1").expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].via.as_deref(), Some("box-1"));
    assert_eq!(store.code_summary("kiwi-1").expect("summary").last_step, Some(BizStep::Loading));
}

/// One step of a random history with containers.
#[derive(Debug, Clone)]
enum Step {
    Pack { device: usize, parent: usize, child: usize },
    Unpack { device: usize, parent: usize, child: usize },
    Report { device: usize, code: usize },
    Correct { device: usize, target: usize },
}

/// Pallet, boxes and items in one pool, so random packs also try to build cycles.
const UNITS: [&str; 6] = ["pallet-1", "box-1", "box-2", "kiwi-1", "kiwi-2", "kiwi-3"];

fn step() -> impl Strategy<Value = Step> {
    let n = UNITS.len();
    prop_oneof![
        3 => (0..3usize, 0..n, 0..n).prop_map(|(device, parent, child)| Step::Pack { device, parent, child }),
        1 => (0..3usize, 0..n, 0..n).prop_map(|(device, parent, child)| Step::Unpack { device, parent, child }),
        3 => (0..3usize, 0..n).prop_map(|(device, code)| Step::Report { device, code }),
        1 => (0..3usize, any::<usize>()).prop_map(|(device, target)| Step::Correct { device, target }),
    ]
}

fn history(steps: &[(Step, u64)]) -> Vec<Event> {
    let devices: Vec<DeviceId> = (0..3).map(|_| DeviceId::new()).collect();
    let mut events: Vec<Event> = Vec::new();
    for (step, wall) in steps {
        let event = match *step {
            Step::Pack { device, parent, child } if parent != child => {
                pack(devices[device], *wall, UNITS[parent], &[UNITS[child]])
            }
            Step::Unpack { device, parent, child } if parent != child => {
                unpack(devices[device], *wall, UNITS[parent], &[UNITS[child]])
            }
            Step::Report { device, code } => crushed(devices[device], *wall, UNITS[code]),
            Step::Correct { device, target } if !events.is_empty() => {
                let target = events[target % events.len()].clone();
                undo(devices[device], *wall, &target)
            }
            _ => continue,
        };
        events.push(event);
    }
    events
}

proptest! {
    #[test]
    fn containment_is_independent_of_arrival_order_and_the_store_agrees(
        steps in prop::collection::vec((step(), 1u64..8), 1..40),
        seed in any::<u64>(),
        split in 1usize..6,
    ) {
        let events = history(&steps);
        let mut shuffled = events.clone();
        shuffled.extend(events.iter().take(3).cloned());
        super::tests::shuffle(&mut shuffled, seed);
        let expected = fold(&events);
        prop_assert_eq!(fold(&shuffled).digest(), expected.digest());

        let store = Store::open_in_memory().expect("store");
        for chunk in shuffled.chunks(split) {
            store.insert_remote(chunk, 0).expect("insert");
        }
        let stored: BTreeMap<String, String> = store.containment().expect("containment").into_iter().collect();
        prop_assert_eq!(&stored, &expected.containers);
        for code in UNITS {
            let history = store.history(code).expect("history");
            let counting = history.iter().filter(|h| !h.voided && !matches!(h.event.kind, EventKind::Correction { .. }));
            let unit = expected.units.get(code).cloned().unwrap_or_default();
            prop_assert_eq!(counting.clone().count() as u64, unit.events, "events of {}", code);
            prop_assert_eq!(counting.filter(|h| h.via.is_some()).count() as u64, unit.via_container, "via of {}", code);
        }
        prop_assert_eq!(store.state().expect("state").digest(), expected.digest());
    }
}
