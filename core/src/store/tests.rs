use super::*;
use crate::clock::HlcTimestamp;
use crate::model::*;
use crate::test_support::{arb_event, morning, report};
use proptest::prelude::*;

fn ts(wall_ms: u64, logical: u32) -> HlcTimestamp {
    HlcTimestamp { wall_ms, logical }
}

fn local_report(store: &Store, code: &str, physical_ms: u64) -> Event {
    let device = store.device_id();
    store.record_local(physical_ms, |hlc| report(code, device, hlc)).expect("record")
}

#[test]
fn a_local_event_lands_with_its_outbox_row_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("device.db");
    let (device, first, clock) = {
        let store = Store::open(&path).expect("open");
        let first = local_report(&store, "KIWI-1", 5_000);
        assert_eq!(first.hlc, ts(5_000, 0));
        (store.device_id(), first, store.clock())
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.device_id(), device, "identity is stable");
    assert_eq!(store.clock(), clock, "clock is persisted");
    let stored = store.event(first.id).expect("read").expect("present");
    assert_eq!(stored.event, first);
    assert_eq!(stored.origin, Origin::Local);
    assert_eq!(store.outbox_pending_count().expect("pending"), 1);
    // The wall clock is now behind the persisted clock: the next stamp is still later.
    let second = local_report(&store, "KIWI-2", 1_000);
    assert_eq!(second.hlc, ts(5_000, 1));
    assert_eq!(store.integrity_check().expect("check"), "ok");
}

#[test]
fn a_local_event_must_carry_the_stamp_and_device_it_was_given() {
    let store = Store::open_in_memory().expect("open");
    let other = DeviceId::new();
    let err = store.record_local(1, |hlc| report("X", other, hlc)).expect_err("foreign device");
    assert_eq!(err.key(), "event_invalid");
    let device = store.device_id();
    let err = store.record_local(1, |_| report("X", device, ts(0, 9))).expect_err("made-up stamp");
    assert_eq!(err.key(), "event_invalid");
    assert_eq!(store.event_count().expect("count"), 0);
    assert_eq!(store.clock(), HlcTimestamp::ZERO, "a refused event does not advance the clock");
}

#[test]
fn remote_events_are_deduplicated_kept_out_of_the_outbox_and_observed_by_the_clock() {
    let store = Store::open_in_memory().expect("open");
    let remote = report("BOX-1", DeviceId::new(), ts(90_000, 4));
    assert_eq!(store.insert_remote(std::slice::from_ref(&remote), 1_000).expect("first"), 1);
    assert_eq!(store.insert_remote(&[remote.clone(), remote.clone()], 1_000).expect("again"), 0);
    assert_eq!(store.event_count().expect("count"), 1);
    assert_eq!(store.outbox_pending_count().expect("pending"), 0);
    assert!(store.clock() > remote.hlc);
    let mine = local_report(&store, "BOX-1", 1_000);
    assert!(mine.hlc > remote.hlc, "what I record after seeing it sorts after it");
}

#[test]
fn an_invalid_remote_batch_is_refused_whole() {
    let store = Store::open_in_memory().expect("open");
    let good = report("A", DeviceId::new(), ts(1, 0));
    let mut bad = report("B", DeviceId::new(), ts(2, 0));
    bad.sensors.push(SensorValue { kind: SensorKind::TemperatureCelsius, value: f64::NAN, at: None });
    let err = store.insert_remote(&[good, bad], 0).expect_err("NaN refused");
    assert!(matches!(err, crate::Error::InvalidEvent { field: "sensors", .. }));
    assert_eq!(store.event_count().expect("count"), 0);
}

#[test]
fn the_outbox_keeps_order_counts_failures_and_forgets_acknowledged_events() {
    let store = Store::open_in_memory().expect("open");
    let events: Vec<Event> = (0..5).map(|i| local_report(&store, &format!("C{i}"), 1_000 + i)).collect();
    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    let batch = store.outbox_batch(3, 10_000).expect("batch");
    assert_eq!(batch.iter().map(|e| e.event.id).collect::<Vec<_>>(), ids[..3]);

    store.outbox_failed(&ids[..2], "network_timeout", 10_000, 20_000).expect("failed");
    let status = store.outbox_status().expect("status");
    assert_eq!((status.pending, status.failing), (5, 2));
    assert_eq!(status.last_error.as_deref(), Some("network_timeout"));
    assert_eq!(status.oldest_enqueued_ms, Some(1_000));
    // Before their retry time the failed ones wait; the rest go ahead.
    let batch = store.outbox_batch(10, 15_000).expect("batch");
    assert_eq!(batch.iter().map(|e| e.event.id).collect::<Vec<_>>(), ids[2..]);
    // If the phone's clock is set back behind the last attempt, the failed ones are due at once.
    assert_eq!(store.outbox_batch(10, 9_000).expect("batch").len(), 5);
    let batch = store.outbox_batch(10, 20_000).expect("batch");
    assert_eq!(batch[0].attempts, 1);
    assert_eq!(batch[0].last_error.as_deref(), Some("network_timeout"));

    store.outbox_acknowledge(&ids[..4]).expect("ack");
    store.outbox_acknowledge(&ids[..4]).expect("ack twice is harmless");
    assert_eq!(store.outbox_pending_count().expect("pending"), 1);
    assert_eq!(store.outbox_status().expect("status").failing, 0);
    assert_eq!(store.event_count().expect("events stay"), 5);
}

#[test]
fn the_catalog_caches_parties_lots_and_units() {
    let store = Store::open_in_memory().expect("open");
    let farm =
        Party { id: PartyId::new("farm-1"), kind: PartyKind::Farm, name: "王家".into(), region: Some("610".into()) };
    store.upsert_party(&farm).expect("party");
    let lot = Lot {
        id: LotId::new("L1"),
        product: "苹果".into(),
        variety: None,
        farm: farm.id.clone(),
        plot: None,
        harvest_date: Some(morning().date_naive()),
        grade: None,
    };
    store.upsert_lot(&lot).expect("lot");
    let mut unit = TraceUnit { code: "ITEM-1".into(), level: UnitLevel::Item, lot: Some(lot.id.clone()), parent: None };
    store.upsert_unit(&unit).expect("unit");
    unit.parent = Some("BOX-1".into());
    store.upsert_unit(&unit).expect("update");
    assert_eq!(store.party(&farm.id).expect("read"), Some(farm));
    assert_eq!(store.lot(&lot.id).expect("read"), Some(lot));
    assert_eq!(store.unit("ITEM-1").expect("read"), Some(unit));
    assert_eq!(store.unit("nope").expect("read"), None);
}

#[test]
fn a_pulled_page_and_its_cursor_commit_together_and_the_cursor_never_goes_back() {
    let store = Store::open_in_memory().expect("open");
    assert_eq!(store.sync_cursor().expect("read"), 0);
    let remote = report("KIWI-1", DeviceId::new(), HlcTimestamp { wall_ms: 5, logical: 0 });
    assert_eq!(store.apply_pulled_page(std::slice::from_ref(&remote), 42, 0).expect("page"), 1);
    assert_eq!(store.sync_cursor().expect("read"), 42);
    // A slower, overlapping pull finishing later must not rewind the cursor.
    assert_eq!(store.apply_pulled_page(std::slice::from_ref(&remote), 17, 0).expect("page"), 0);
    assert_eq!(store.sync_cursor().expect("read"), 42);
    // A page with an invalid event stores nothing, cursor included.
    let mut bad = report("KIWI-2", DeviceId::new(), HlcTimestamp { wall_ms: 6, logical: 0 });
    bad.codes.clear();
    assert!(store.apply_pulled_page(&[bad], 99, 0).is_err());
    assert_eq!(store.sync_cursor().expect("read"), 42);
    assert_eq!(store.event_count().expect("count"), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn events_round_trip_through_a_file_exactly(events in prop::collection::vec(arb_event(), 1..8)) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("round-trip.db");
        Store::open(&path).expect("open").insert_remote(&events, 0).expect("insert");
        let store = Store::open(&path).expect("reopen");
        for event in &events {
            let stored = store.event(event.id).expect("read").expect("present");
            prop_assert_eq!(&stored.event, event);
            for code in &event.codes {
                let history = store.history(code).expect("history");
                prop_assert!(history.iter().any(|h| h.event.id == event.id));
                // History is in causal order.
                prop_assert!(history.windows(2).all(|w| w[0].event.cmp_causal(&w[1].event).is_lt()));
            }
        }
        let all: Vec<Event> = store.all_events().expect("all").into_iter().map(|s| s.event).collect();
        prop_assert_eq!(&all, &events);
    }
}
