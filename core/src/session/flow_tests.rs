//! Packing, loading, departure and delivery through the session API on one device.

use super::*;
use crate::clock::ManualClock;
use crate::model::{PartyId, Role, TripStage};
use crate::test_support::manual_clock;

fn sessions() -> (Session, Session, Arc<ManualClock>) {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let clock = manual_clock();
    let actor = |party: &str, role| Actor { party: PartyId::new(party), role };
    let packer = Session::new(store.clone(), actor("assistant-wang", Role::Assistant), clock.clone());
    let driver = Session::new(store, actor("driver-zhao", Role::Driver), clock.clone());
    (packer, driver, clock)
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn a_scanned_box_shows_its_contents_and_a_report_on_it_covers_them() {
    let (mut packer, _, clock) = sessions();
    let receipt = packer.pack("BOX-1", &codes(&["KIWI-1", "KIWI-2", "KIWI-1"])).expect("pack");
    assert_eq!(receipt.units, codes(&["KIWI-1", "KIWI-2"]));
    assert_eq!(receipt.contents, 2);
    packer.pack("PALLET-1", &codes(&["BOX-1"])).expect("pallet");

    let scan = packer.scan("PALLET-1").expect("scan");
    assert_eq!(scan.contents, 3);
    assert_eq!(packer.scan("KIWI-1").expect("scan").container.as_deref(), Some("BOX-1"));

    clock.advance_ms(3_000);
    packer.scan("PALLET-1").expect("scan");
    packer.report_abnormal(AbnormalReason::Wet, None, None).expect("report on the pallet");
    let kiwi = packer.scan("KIWI-2").expect("scan");
    assert_eq!(kiwi.last_disposition, Some(Disposition::Abnormal(AbnormalReason::Wet)));
    let history = packer.history("KIWI-2").expect("history");
    assert_eq!(history.last().and_then(|h| h.via.as_deref()), Some("PALLET-1"));
}

#[test]
fn repacking_moves_unpacking_checks_and_cycles_are_refused() {
    let (mut packer, _, _) = sessions();
    packer.pack("BOX-1", &codes(&["KIWI-1", "KIWI-2"])).expect("pack");
    let moved = packer.pack("BOX-2", &codes(&["KIWI-1"])).expect("repack");
    assert_eq!(moved.moved_from, vec![MovedUnit { code: "KIWI-1".into(), from: "BOX-1".into() }]);
    assert_eq!(packer.contents("BOX-1").expect("contents").all, codes(&["KIWI-2"]));
    let again = packer.pack("BOX-2", &codes(&["KIWI-1"])).expect("already inside");
    assert_eq!(again.event_id, None, "nothing recorded for a unit already in the box");

    let err = packer.unpack("BOX-1", &codes(&["KIWI-1"])).expect_err("not inside");
    assert_eq!(err.key(), "unpack_not_inside");
    assert!(err.to_string().contains("it is in BOX-2"), "{err}");

    packer.pack("PALLET-1", &codes(&["BOX-2"])).expect("pallet");
    let events = packer.store().event_count().expect("count");
    for (container, item) in [("KIWI-1", "PALLET-1"), ("BOX-2", "BOX-2"), ("KIWI-1", "BOX-2")] {
        let err = packer.pack(container, &codes(&[item])).expect_err("cycle");
        assert_eq!(err.key(), "pack_cycle", "{item} into {container}");
    }
    assert_eq!(packer.store().event_count().expect("count"), events, "refusals record nothing");

    let emptied = packer.unpack_all("PALLET-1").expect("unpack all");
    assert_eq!(emptied.units, codes(&["BOX-2"]));
    assert_eq!(packer.contents("BOX-2").expect("contents").all, codes(&["KIWI-1"]), "the box keeps its kiwi");
    assert_eq!(packer.unpack_all("PALLET-1").expect_err("empty").key(), "unpack_container_empty");
}

#[test]
fn undoing_a_pack_empties_the_box_and_drivers_may_not_pack() {
    let (mut packer, mut driver, _) = sessions();
    let receipt = packer.pack("BOX-1", &codes(&["KIWI-1"])).expect("pack");
    packer.undo(receipt.event_id.expect("recorded")).expect("undo");
    assert!(packer.contents("BOX-1").expect("contents").all.is_empty());
    assert_eq!(packer.scan("BOX-1").expect("scan").contents, 0);
    assert_eq!(driver.pack("BOX-1", &codes(&["KIWI-1"])).expect_err("role").key(), "role_forbidden_kind");
}

/// A manifest of a box (whose 3 kiwis are also listed) and two loose crates.
fn loaded_trip() -> (Session, Session, Arc<ManualClock>) {
    let (mut packer, mut driver, clock) = sessions();
    packer.pack("BOX-1", &codes(&["KIWI-1", "KIWI-2", "KIWI-3"])).expect("pack");
    let manifest = codes(&["KIWI-1", "KIWI-2", "KIWI-3", "CRATE-1", "CRATE-2"]);
    driver.set_trip_manifest("trip-1", &manifest).expect("manifest");
    (packer, driver, clock)
}

#[test]
fn loading_counts_boxes_warns_on_strangers_and_repeats_and_departure_records_the_count() {
    let (_, driver, _) = loaded_trip();
    let mut loading = driver.start_loading("trip-1").expect("start");
    assert_eq!((loading.progress().loaded, loading.progress().expected), (0, 5));

    let scan = loading.scan("BOX-1").expect("box");
    assert_eq!(scan.outcome, LoadOutcome::Loaded);
    assert_eq!(scan.counted, codes(&["KIWI-1", "KIWI-2", "KIWI-3"]));
    assert_eq!(loading.scan("KIWI-2").expect("item of a loaded box").outcome, LoadOutcome::AlreadyLoaded);
    assert_eq!(loading.scan("BOX-1").expect("box again").outcome, LoadOutcome::AlreadyLoaded);
    let stranger = loading.scan("CRATE-9").expect("stranger");
    assert_eq!(stranger.outcome, LoadOutcome::NotOnManifest);
    assert!(stranger.event_id.is_some(), "recorded so the server sees it");
    assert_eq!(loading.scan("CRATE-9").expect("again").event_id, None);
    let crate_1 = loading.scan("CRATE-1").expect("crate");
    assert_eq!(crate_1.outcome, LoadOutcome::Loaded);
    assert_eq!((crate_1.progress.loaded, crate_1.progress.missing.clone()), (4, codes(&["CRATE-2"])));

    // The app restarts: the state comes back from the store.
    let mut resumed = driver.start_loading("trip-1").expect("resume");
    assert_eq!(resumed.progress(), loading.progress());
    let departure = resumed.depart(Some("CRATE-2 not found".into())).expect("depart");
    let event = driver.store().event(departure.event_id).expect("read").expect("stored").event;
    assert_eq!(event.step, Some(BizStep::Transfer));
    assert_eq!(event.codes, codes(&["BOX-1", "CRATE-1"]));
    let EventKind::Trip { trip, stage: TripStage::Depart { expected, loaded, missing, off_manifest } } = event.kind
    else {
        panic!("a departure: {:?}", event.kind)
    };
    assert_eq!((trip.as_str(), expected, loaded), ("trip-1", 5, 4));
    assert_eq!((missing, off_manifest), (codes(&["CRATE-2"]), codes(&["CRATE-9"])));
    assert_eq!(resumed.depart(None).expect_err("twice").key(), "trip_already_departed");
    assert_eq!(resumed.scan("CRATE-2").expect_err("after departure").key(), "trip_already_departed");
    assert!(driver.start_loading("trip-1").expect("reopen").progress().departed);
}

#[test]
fn an_undone_loading_scan_no_longer_counts_and_departure_needs_a_load() {
    let (_, driver, _) = loaded_trip();
    let mut loading = driver.start_loading("trip-1").expect("start");
    assert_eq!(loading.depart(None).expect_err("empty").key(), "trip_nothing_loaded");
    let scan = loading.scan("CRATE-2").expect("scan");
    loading.undo(scan.event_id.expect("recorded")).expect("undo");
    assert_eq!(loading.progress().loaded, 0);
    assert_eq!(loading.scan("CRATE-2").expect("rescan").outcome, LoadOutcome::Loaded);
}

#[test]
fn a_trip_without_a_manifest_or_with_a_bad_entry_is_refused_clearly() {
    let (_, mut driver, _) = sessions();
    assert_eq!(driver.start_loading("trip-x").err().map(|e| e.key()), Some("trip_no_manifest"));
    let update = Update::new(crate::model::EntityKind::Trip, "trip-y").set("units", "BOX-1 0950600013435 BOX-2");
    driver.update(update).expect("manifest with a mistyped EAN");
    let err = driver.start_loading("trip-y").err().expect("bad entry");
    assert_eq!(err.key(), "trip_manifest_entry");
    assert!(err.to_string().contains("entry 2"), "{err}");
}

#[test]
fn delivery_confirms_what_departed_with_recipient_and_photos() {
    let (_, mut driver, _) = loaded_trip();
    let mut loading = driver.start_loading("trip-1").expect("start");
    loading.scan("BOX-1").expect("box");
    loading.depart(None).expect("depart");
    let photo = PhotoRef("ab".repeat(32));
    let receipt = driver.confirm_delivery("trip-1", &[], " 王经理 ", vec![photo.clone()], None).expect("deliver");
    assert_eq!((receipt.recipient.as_str(), receipt.units.clone()), ("王经理", codes(&["BOX-1"])));
    let kiwi = driver.scan("KIWI-3").expect("scan");
    assert_eq!(kiwi.last_step, Some(BizStep::Delivering), "the box's delivery covers its kiwis");
    let event = driver.store().event(receipt.event_id).expect("read").expect("stored").event;
    assert_eq!(event.photos, vec![photo]);

    let scanned = driver.confirm_delivery("trip-1", &codes(&["CRATE-1"]), "李", vec![], None).expect("scanned");
    assert_eq!(scanned.units, codes(&["CRATE-1"]));
    let no_name = driver.confirm_delivery("trip-1", &[], "  ", vec![], None).expect_err("no recipient");
    assert_eq!(no_name.key(), "delivery_recipient");
    let bad_photo = driver.confirm_delivery("trip-1", &[], "李", vec![PhotoRef("x".into())], None);
    assert_eq!(bad_photo.err().map(|e| e.key()), Some("delivery_photo_ref"));
}
