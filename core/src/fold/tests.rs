use super::*;
use crate::clock::HlcTimestamp;
use crate::model::{DeviceId, EntityKind, Event, EventKind, Update};
use crate::store::Store;
use crate::test_support::report;
use proptest::prelude::*;

const CODES: [&str; 3] = ["t/KIWI", "t/MANGO", "t/APPLE"];
const LOTS: [&str; 2] = ["lot-1", "lot-2"];

/// One step of a random multi-device history.
#[derive(Debug, Clone)]
enum Step {
    Report {
        device: usize,
        code: usize,
        abnormal: bool,
    },
    Update {
        device: usize,
        lot: usize,
        field: usize,
        value: Option<u8>,
    },
    /// Voids the n-th event recorded so far (modulo), whatever its kind.
    Correct {
        device: usize,
        target: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 0..CODES.len(), any::<bool>()).prop_map(|(device, code, abnormal)| Step::Report {
            device,
            code,
            abnormal
        }),
        (0..3usize, 0..LOTS.len(), 0..3usize, prop::option::of(0u8..4))
            .prop_map(|(device, lot, field, value)| Step::Update { device, lot, field, value }),
        (0..3usize, any::<usize>()).prop_map(|(device, target)| Step::Correct { device, target }),
    ]
}

/// Builds the events of a history. Stamps come from a coarse random wall time so different
/// devices often tie on HLC and the device id must break the tie.
fn history(steps: &[(Step, u64)]) -> Vec<Event> {
    let devices: Vec<DeviceId> = (0..3).map(|_| DeviceId::new()).collect();
    let mut events: Vec<Event> = Vec::new();
    for (step, wall) in steps {
        let hlc = HlcTimestamp { wall_ms: *wall, logical: 0 };
        let event = match step {
            Step::Report { device, code, abnormal } => {
                let mut e = report(CODES[*code], devices[*device], hlc);
                if *abnormal {
                    e.disposition = Some(Disposition::Abnormal(crate::model::AbnormalReason::Bruised));
                }
                e
            }
            Step::Update { device, lot, field, value } => {
                let name = EntityKind::Lot.fields()[*field];
                let update = Update::new(EntityKind::Lot, LOTS[*lot]);
                let update = match value {
                    Some(v) => update.set(name, format!("v{v}")),
                    None => update.clear(name),
                };
                Event { kind: EventKind::Update(update), codes: Vec::new(), ..report("x", devices[*device], hlc) }
            }
            Step::Correct { device, target } => {
                let Some(voids) = (!events.is_empty()).then(|| events[target % events.len()].id) else { continue };
                Event { kind: EventKind::Correction { voids }, ..report("x", devices[*device], hlc) }
            }
        };
        events.push(event);
    }
    events
}

fn steps() -> impl Strategy<Value = Vec<(Step, u64)>> {
    prop::collection::vec((step(), 1u64..6), 1..40)
}

proptest! {
    #[test]
    fn any_arrival_order_with_duplicates_gives_the_same_digest(
        steps in steps(),
        seed in any::<u64>(),
        dupes in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let events = history(&steps);
        let mut shuffled = events.clone();
        for pick in dupes.iter().filter(|_| !events.is_empty()) {
            shuffled.push(pick.get(&events).clone());
        }
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(fold(&events).digest(), fold(&shuffled).digest());
    }

    #[test]
    fn the_store_merges_registers_exactly_like_the_fold(steps in steps(), seed in any::<u64>(), split in 1usize..6) {
        let events = history(&steps);
        let mut shuffled = events.clone();
        shuffle(&mut shuffled, seed);
        let store = Store::open_in_memory().expect("store");
        for chunk in shuffled.chunks(split) {
            store.insert_remote(chunk, 0).expect("insert");
        }
        let expected = fold(&events);
        for lot in LOTS {
            let stored: BTreeMap<String, (Option<String>, EventId)> = store
                .registers(EntityKind::Lot, lot).expect("registers")
                .into_iter().map(|(field, r)| (field, (r.value, r.set_by))).collect();
            let folded: BTreeMap<String, (Option<String>, EventId)> = expected
                .registers.get(&(EntityKind::Lot, lot.to_owned())).cloned().unwrap_or_default()
                .into_iter().map(|(field, f)| (field, (f.value, f.set_by))).collect();
            prop_assert_eq!(stored, folded, "lot {}", lot);
        }
        prop_assert_eq!(store.state().expect("state").digest(), expected.digest());
    }
}

/// Fisher–Yates with a small deterministic generator (the seed comes from proptest).
pub(super) fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        items.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

#[test]
fn the_later_writer_wins_per_field_and_ties_go_to_the_higher_device() {
    let (low, high) = {
        let (a, b) = (DeviceId::new(), DeviceId::new());
        if a < b {
            (a, b)
        } else {
            (b, a)
        }
    };
    let at = |wall_ms| HlcTimestamp { wall_ms, logical: 0 };
    let update =
        |device, wall, u: Update| Event { kind: EventKind::Update(u), codes: vec![], ..report("x", device, at(wall)) };
    let events = [
        update(low, 10, Update::new(EntityKind::Lot, "L").set("grade", "A").set("variety", "Hayward")),
        update(high, 10, Update::new(EntityKind::Lot, "L").set("grade", "B")),
        update(low, 5, Update::new(EntityKind::Lot, "L").set("variety", "Hongyang")),
    ];
    let state = fold(&events);
    let fields = &state.registers[&(EntityKind::Lot, "L".to_owned())];
    assert_eq!(fields["grade"].value.as_deref(), Some("B"), "same HLC: the higher device id wins");
    assert_eq!(fields["variety"].value.as_deref(), Some("Hayward"), "the earlier edit does not win by arriving last");
}

#[test]
fn voiding_the_winning_update_restores_the_previous_value() {
    let device = DeviceId::new();
    let at = |wall_ms| HlcTimestamp { wall_ms, logical: 0 };
    let first = Event {
        kind: EventKind::Update(Update::new(EntityKind::Party, "farm-li").set("name", "李家果园")),
        codes: vec![],
        ..report("x", device, at(1))
    };
    let second = Event {
        kind: EventKind::Update(Update::new(EntityKind::Party, "farm-li").set("name", "typo")),
        codes: vec![],
        ..report("x", device, at(2))
    };
    let undo = Event { kind: EventKind::Correction { voids: second.id }, ..report("x", device, at(3)) };
    let store = Store::open_in_memory().expect("store");
    // The correction arrives before the update it voids.
    store.insert_remote(&[first.clone(), undo.clone()], 0).expect("insert");
    store.insert_remote(std::slice::from_ref(&second), 0).expect("insert");
    assert_eq!(store.party(&crate::model::PartyId::new("farm-li")).expect("party").expect("cached").name, "李家果园");
    let state = fold(&[second, undo, first]);
    assert_eq!(state.registers[&(EntityKind::Party, "farm-li".to_owned())]["name"].value.as_deref(), Some("李家果园"));
    assert_eq!(store.state().expect("state").digest(), state.digest());
}
