//! A full trip over a real loopback server with real SQLite files: the co-op manager packs kiwis
//! into SSCC-labelled boxes and builds the trip manifest; it syncs to the driver's phone; the
//! driver loads (one box not on the manifest, one box scanned twice, one box left behind),
//! departs and delivers; every phone and the server fold to the same state, in which the box
//! events reached the kiwis inside.

use fieldtrace_core::model::{BizStep, EventKind, PhotoRef, Role, TripStage};
use fieldtrace_core::session::LoadOutcome;
use fieldtrace_server::state::coop_state;
use fieldtrace_tests::sync_harness::{Phone, TestServer};

const COOP: &str = "coop-zz";
const TRIP: &str = "trip-2026-11-23-1";

/// GS1 element strings of SSCC box labels (AI 00, valid check digits), as a scanner reads them.
const BOXES: [&str; 3] = ["]C100106141412345678908", "]C100106141412345678915", "]C100106141412345678922"];
const STRANGER: &str = "(00)106141412345678939";

fn sscc_key(label: &str) -> String {
    fieldtrace_core::payload::parse_payload(label).expect("SSCC label").code_key()
}

fn kiwis(box_index: usize) -> Vec<String> {
    (0..4).map(|n| format!("t/KIWI-{box_index}-{n}")).collect()
}

async fn enrolled(server: &TestServer, dir: &std::path::Path, name: &str, role: Role) -> Phone {
    let phone = Phone::open(&dir.join(format!("{name}.db")), name, role, chrono::Duration::zero());
    let qr = server.enrollment_qr(COOP, name, role).await;
    phone.client.enroll(&qr).await.expect("enroll");
    phone
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trip_is_packed_loaded_departed_and_delivered_and_every_replica_agrees() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut manager = enrolled(&server, dir.path(), "manager-chen", Role::Manager).await;
    let mut driver = enrolled(&server, dir.path(), "driver-zhao", Role::Driver).await;

    // The manager packs four kiwis into each box and lists the three boxes on the manifest.
    for (i, label) in BOXES.iter().enumerate() {
        let receipt = manager.session.pack(label, &kiwis(i)).expect("pack");
        assert_eq!(receipt.contents, 4);
    }
    let boxes: Vec<String> = BOXES.iter().map(|b| (*b).to_owned()).collect();
    manager.session.set_trip_manifest(TRIP, &boxes).expect("manifest");
    manager.client.sync_now().await.expect("manager sync");
    let pulled = driver.client.sync_now().await.expect("driver sync");
    assert_eq!(pulled.pulled, 4, "three packs and the manifest");

    // The driver loads offline: box 0, box 0 again, a stranger, box 1. Box 2 stays behind.
    let mut loading = driver.session.start_loading(TRIP).expect("start loading");
    assert_eq!((loading.progress().loaded, loading.progress().expected), (0, 3));
    let outcomes: Vec<LoadOutcome> = [BOXES[0], BOXES[0], STRANGER, BOXES[1]]
        .iter()
        .map(|label| {
            driver.clock.advance_ms(2_000);
            loading.scan(label).expect("scan").outcome
        })
        .collect();
    use LoadOutcome::*;
    assert_eq!(outcomes, [Loaded, AlreadyLoaded, NotOnManifest, Loaded]);
    let progress = loading.progress();
    assert_eq!((progress.loaded, progress.expected), (2, 3));
    assert_eq!(progress.missing, [sscc_key(BOXES[2])]);
    let departure = loading.depart(None).expect("depart");
    driver.clock.advance_ms(3_600_000);
    let photo = PhotoRef("0f".repeat(32));
    let delivery = driver.session.confirm_delivery(TRIP, &[], "王经理", vec![photo], None).expect("deliver");
    assert_eq!(delivery.units, [sscc_key(BOXES[0]), sscc_key(BOXES[1])]);

    driver.client.sync_now().await.expect("driver pushes");
    manager.client.sync_now().await.expect("manager pulls");

    let server_state = coop_state(server.storage.as_ref(), COOP).await.expect("server state");
    assert_eq!(manager.state().digest(), server_state.digest());
    assert_eq!(driver.state().digest(), server_state.digest());

    // The server saw the departure's count and the box events reached the kiwis inside.
    let departed = server_state.events.contains(&departure.event_id);
    assert!(departed);
    let stored = manager.store().event(departure.event_id).expect("read").expect("synced").event;
    let EventKind::Trip { stage: TripStage::Depart { expected, loaded, missing, off_manifest }, .. } = stored.kind
    else {
        panic!("a departure: {:?}", stored.kind)
    };
    assert_eq!((expected, loaded), (3, 2));
    assert_eq!((missing, off_manifest), (vec![sscc_key(BOXES[2])], vec![sscc_key(STRANGER)]));
    for kiwi in kiwis(0).iter().chain(&kiwis(1)) {
        let unit = &server_state.units[kiwi];
        assert_eq!(unit.last_step, Some(BizStep::Delivering), "{kiwi}");
        assert_eq!(unit.via_container, 3, "{kiwi}: loaded, departed, delivered in its box");
    }
    for kiwi in kiwis(2) {
        assert_eq!(server_state.units[&kiwi].last_step, Some(BizStep::Packing), "{kiwi} stayed behind");
    }
    let on_manager = manager.session.scan(&kiwis(1)[0]).expect("scan a delivered kiwi");
    assert_eq!(on_manager.last_step, Some(BizStep::Delivering));
    assert_eq!(on_manager.container, Some(sscc_key(BOXES[1])));
    assert_eq!(manager.session.scan(BOXES[1]).expect("scan its box").contents, 4);
}
