//! The field flows through the FFI surface, the way the shells call them: database files, phones
//! enrolled with a real sync server on loopback, QR texts handed from one `FieldTrace` to another.

use fieldtrace_core::label::trace_qr_png;
use fieldtrace_core::model::{EntityKind, Role as CoreRole, Update};
use fieldtrace_core::payload::TraceCode;
use fieldtrace_ffi::{
    AbnormalReason, FieldTrace, FieldTraceConfig, FieldTraceError, LimitSide, LoadOutcome, LoggerReading, Role,
    SensorKind, UnitCheck,
};
use fieldtrace_server::custody::{transfers, CustodyFilter};
use fieldtrace_tests::sync_harness::TestServer;
use std::sync::Arc;

const COOP: &str = "coop-zhouzhi";

fn open(dir: &tempfile::TempDir, name: &str, party: &str, role: Role) -> Arc<FieldTrace> {
    let path = dir.path().join(format!("{name}.db")).to_string_lossy().into_owned();
    FieldTrace::open(path, Some(FieldTraceConfig { party_id: party.into(), role })).expect("open")
}

/// A phone enrolled with `server` as `party` in `role`.
async fn enrolled(
    dir: &tempfile::TempDir,
    server: &TestServer,
    name: &str,
    party: &str,
    role: CoreRole,
) -> Arc<FieldTrace> {
    let phone = open(dir, name, party, role.into());
    phone.enroll(server.enrollment_qr(COOP, party, role).await).await.expect("enroll");
    phone
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_opens_unenrolled_enrolls_in_place_and_reopens_as_the_enrolled_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let path = dir.path().join("phone.db").to_string_lossy().into_owned();
    let err = FieldTrace::open(path.clone(), None).err().expect("no enrollment to open as");
    assert!(matches!(&err, FieldTraceError::EnrollmentNeeded { key, .. } if key == "sync_not_enrolled"), "{err:?}");

    // The sign-in screen's guess, then the enrollment decides: no reopening in between.
    let phone = FieldTrace::open(path.clone(), Some(FieldTraceConfig { party_id: "guess".into(), role: Role::Farmer }))
        .expect("open");
    phone.enroll(server.enrollment_qr(COOP, "driver-zhang", CoreRole::Driver).await).await.expect("enroll");
    assert_eq!(phone.user(), FieldTraceConfig { party_id: "driver-zhang".into(), role: Role::Driver });
    phone.scan("BATCH-2026-KIWI-0001".into()).expect("scan");
    phone.report_normal().expect("report");
    let history = phone.history("BATCH-2026-KIWI-0001".into()).expect("history");
    assert_eq!((history[0].actor_party_id.as_str(), history[0].actor_role), ("driver-zhang", Role::Driver));
    let report = phone.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.refused), (1, 0), "{report:?}");
    drop(phone);

    let reopened = FieldTrace::open(path, None).expect("open as the enrolled user");
    assert_eq!(reopened.user(), FieldTraceConfig { party_id: "driver-zhang".into(), role: Role::Driver });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_from_the_server_is_loaded_with_warnings_departed_and_delivered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let manager = enrolled(&dir, &server, "manager", "manager-wu", CoreRole::Manager).await;

    // The packing shed: three kiwis in box A, box A on the manifest with a loose crate and box M.
    let kiwis: Vec<String> = (1..=3).map(|i| format!("KIWI-{i:04}")).collect();
    let packed = manager.pack("BOX-A".into(), kiwis.clone()).expect("pack");
    assert_eq!((packed.units.len(), packed.contents), (3, 3));
    assert!(packed.event_id.is_some() && packed.undo_until_ms.is_some());
    let contents = manager.contents("BOX-A".into()).expect("contents");
    assert_eq!(contents.direct, kiwis);
    let err = manager.pack("KIWI-0001".into(), vec!["BOX-A".into()]).expect_err("a box into its own kiwi");
    assert!(matches!(&err, FieldTraceError::NotAllowed { key, .. } if key == "pack_cycle"), "{err:?}");
    let moved = manager.pack("BOX-B".into(), vec!["KIWI-0003".into()]).expect("repack");
    assert_eq!(moved.moved_from.len(), 1);
    assert_eq!(moved.moved_from[0].from_container, "BOX-A");
    manager.pack("BOX-A".into(), vec!["KIWI-0003".into()]).expect("back again");
    let out = manager.unpack("BOX-B".into(), vec!["KIWI-0001".into()]).expect_err("not in B");
    assert_eq!(out.key(), "unpack_not_inside");

    let trip = "TRIP-2026-11-23-1";
    let err = manager.start_loading(trip.into()).err().expect("no manifest yet");
    assert!(matches!(&err, FieldTraceError::NotAllowed { key, .. } if key == "trip_no_manifest"), "{err:?}");
    manager.set_trip_manifest(trip.into(), vec!["BOX-A".into(), "CRATE-7".into(), "BOX-M".into()]).expect("manifest");
    manager.sync_now().await.expect("manager sync");

    // The driver's phone pulls the manifest and the packing, then loads.
    let driver = enrolled(&dir, &server, "driver", "driver-zhang", CoreRole::Driver).await;
    driver.sync_now().await.expect("driver pulls");
    let loading = driver.start_loading(trip.into()).expect("loading");
    assert_eq!(loading.manifest(), ["BOX-A", "CRATE-7", "BOX-M"]);
    let first = loading.progress();
    assert_eq!((first.loaded, first.expected, first.missing.len()), (0, 3, 3));

    let a = loading.scan("BOX-A".into()).expect("box A");
    assert_eq!((a.outcome, a.counted.as_slice()), (LoadOutcome::Loaded, ["BOX-A".to_owned()].as_slice()));
    let kiwi = loading.scan("KIWI-0002".into()).expect("a kiwi inside box A");
    assert_eq!((kiwi.outcome, kiwi.event_id), (LoadOutcome::AlreadyLoaded, None));
    let stranger = loading.scan("BOX-STRANGER".into()).expect("not on the manifest");
    assert_eq!(stranger.outcome, LoadOutcome::NotOnManifest);
    assert!(stranger.event_id.is_some(), "the first off-manifest scan is recorded for the server");
    let twice = loading.scan("BOX-A".into()).expect("again");
    assert_eq!(twice.outcome, LoadOutcome::AlreadyLoaded);
    let crate7 = loading.scan("CRATE-7".into()).expect("crate");
    assert_eq!(crate7.progress.loaded, 2);
    assert_eq!(crate7.progress.missing, ["BOX-M"]);
    assert_eq!(crate7.progress.off_manifest, ["BOX-STRANGER"]);
    // Resuming (a restart) rebuilds the same state from the database.
    assert_eq!(driver.start_loading(trip.into()).expect("resume").progress(), crate7.progress);

    let departed = loading.depart(Some("BOX-M 未到".into())).expect("depart");
    assert!(departed.progress.departed);
    assert_eq!((departed.progress.loaded, departed.progress.expected), (2, 3));
    let err = loading.scan("BOX-M".into()).expect_err("after departure");
    assert_eq!(err.key(), "trip_already_departed");
    let err = loading.depart(None).expect_err("twice");
    assert_eq!(err.key(), "trip_already_departed");

    // At the market: a photo of the signed slip, the recipient's name, what departed by default.
    let slip = trace_qr_png("trace.example.cn", TraceCode::from_value(0x1_2345_6789).expect("code"), 4).expect("png");
    let photo = driver.save_photo(slip).expect("photo");
    assert_eq!(photo.len(), 64);
    let err = driver.confirm_delivery(trip.into(), vec![], "  ".into(), vec![], None).expect_err("no name");
    assert!(matches!(&err, FieldTraceError::InvalidInput { key, .. } if key == "delivery_recipient"), "{err:?}");
    let delivered = driver
        .confirm_delivery(trip.into(), vec![], " 西安水果市场 王经理 ".into(), vec![photo.clone()], None)
        .expect("deliver");
    assert_eq!(delivered.recipient, "西安水果市场 王经理");
    assert_eq!(delivered.units, ["BOX-A", "CRATE-7"]);
    assert_eq!(delivered.photos, [photo]);

    let report = driver.sync_now().await.expect("driver sync");
    // Two loads, one off-manifest load, the departure and the delivery.
    assert_eq!((report.accepted, report.refused, report.pending), (5, 0, 0), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_offline_phones_hand_over_by_qr_texts_and_the_server_pairs_the_custody() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let giver = enrolled(&dir, &server, "giver", "driver-zhang", CoreRole::Driver).await;
    let receiver = enrolled(&dir, &server, "receiver", "warehouse-liu", CoreRole::Manager).await;
    let boxes: Vec<String> = (1..=4).map(|i| format!("BOX-{i}")).collect();

    // From here both phones are offline: only QR texts pass between them.
    let giving = giver.handover();
    let offer = giving.offer(Some("TRIP-9".into()), boxes.clone()).expect("offer");
    assert!(offer.qr_text.starts_with("FTHO1:"), "{}", offer.qr_text);
    assert_eq!(offer.codes, boxes);

    // What the giver's screen draws, read back by the receiver's camera.
    let symbol = fieldtrace_ffi::qr_code(offer.qr_text.clone()).expect("qr");
    let side = symbol.side as usize * 3;
    let luma: Vec<u8> = (0..side * side)
        .map(|i| if symbol.dark[(i / side / 3) * symbol.side as usize + (i % side) / 3] { 0 } else { 255 })
        .collect();
    let seen = fieldtrace_ffi::decode_frame(side as u32, side as u32, side as u32, luma, 0).expect("decode");
    assert_eq!(seen.first().map(|code| code.text.as_str()), Some(offer.qr_text.as_str()));

    let receiving = receiver.handover();
    let tampered = offer.qr_text.replacen('A', "B", 1);
    let err = receiving.review_offer(tampered).expect_err("altered offer");
    assert!(
        matches!(&err, FieldTraceError::Untrusted { .. } | FieldTraceError::InvalidInput { .. })
            && err.key().starts_with("handover_"),
        "{err:?}"
    );
    let err = giving.review_offer(offer.qr_text.clone()).expect_err("own offer");
    assert_eq!(err.key(), "handover_own_offer");

    let review = receiving.review_offer(offer.qr_text.clone()).expect("review");
    assert_eq!((review.giver_party_id.as_str(), review.giver_role), ("driver-zhang", Role::Driver));
    assert_eq!((review.trip.as_deref(), review.codes.clone()), (Some("TRIP-9"), boxes.clone()));
    for code in &boxes[..3] {
        assert_eq!(receiving.check_unit(code.clone(), None).expect("check").check, UnitCheck::Checked);
    }
    let recheck = receiving.check_unit("BOX-2".into(), Some(AbnormalReason::CrushedPackage)).expect("recheck");
    assert_eq!((recheck.check, recheck.abnormal), (UnitCheck::Rechecked, 1));
    let stranger = receiving.check_unit("BOX-99".into(), None).expect("not offered");
    assert_eq!(stranger.check, UnitCheck::NotOnOffer);
    assert_eq!((stranger.checked, stranger.expected, stranger.unchecked.clone()), (3, 4, vec!["BOX-4".to_owned()]));
    let accepted = receiving.accept().expect("accept");
    assert!(accepted.qr_text.starts_with("FTHR1:"));
    assert_eq!((accepted.offered, accepted.received), (4, 3));
    let reasons: Vec<_> = accepted.abnormal.iter().map(|b| (b.code.as_str(), b.reason)).collect();
    assert_eq!(reasons, [("BOX-2", AbnormalReason::CrushedPackage), ("BOX-4", AbnormalReason::Missing)]);

    let filed = giving.store_receipt(accepted.qr_text.clone()).expect("receipt");
    assert_eq!((filed.receiver_party_id.as_str(), filed.received, filed.duplicate), ("warehouse-liu", 3, false));
    assert_eq!(filed.abnormal, accepted.abnormal);
    assert!(giving.store_receipt(accepted.qr_text.clone()).expect("again").duplicate);

    // Another co-op's phone cannot hand over to this one.
    let stranger_phone = open(&dir, "other", "driver-ma", Role::Driver);
    stranger_phone
        .enroll(server.enrollment_qr("coop-other", "driver-ma", CoreRole::Driver).await)
        .await
        .expect("enroll elsewhere");
    let foreign = stranger_phone.handover().offer(None, vec!["BOX-X".into()]).expect("foreign offer");
    let err = receiver.handover().review_offer(foreign.qr_text).expect_err("wrong co-op");
    assert!(matches!(&err, FieldTraceError::Untrusted { key, .. } if key == "handover_wrong_coop"), "{err:?}");

    // Receiver first, then giver: the server pairs them.
    receiver.sync_now().await.expect("receiver sync");
    giver.sync_now().await.expect("giver sync");
    let listed = transfers(&*server.storage, COOP, &CustodyFilter::default(), i64::MAX / 2, 6 * 3_600_000)
        .await
        .expect("custody");
    assert_eq!(listed.len(), 1, "{listed:?}");
    let transfer = &listed[0];
    assert_eq!(transfer.offer, offer.offer_id);
    assert_eq!(transfer.acceptance.as_deref(), Some(accepted.acceptance_id.as_str()));
    assert_eq!((transfer.offered_count, transfer.received_count), (4, Some(3)));
    assert_eq!(transfer.missing, ["BOX-4"]);
    assert!(transfer.receipt_filed);
    // And each phone now holds the other's half.
    let kinds: Vec<String> = giver.history("BOX-1".into()).expect("history").into_iter().map(|h| h.kind).collect();
    assert!(kinds.contains(&"handover_acceptance".to_owned()), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_counts_pieces_and_a_photo_report_uploads_after_its_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let assistant = enrolled(&dir, &server, "assistant", "assistant-wang", CoreRole::Assistant).await;
    assistant.set_working_lot(Some("K-0815".into()));
    for i in 1..=3 {
        assistant.scan(format!("KIWI-{i:04}")).expect("scan");
        assistant.report_normal().expect("report");
    }
    assistant.scan("KIWI-0004".into()).expect("scan");
    let undone = assistant.report_normal().expect("report");
    assistant.undo(undone.event_id).expect("undo");
    let scan = assistant.scan("KIWI-0009".into()).expect("a new code");
    assert_eq!(scan.lot, None);

    let photo = trace_qr_png("trace.example.cn", TraceCode::from_value(0x2_3456_789A).expect("code"), 4).expect("png");
    let photo = assistant.save_photo(photo).expect("save photo");
    let err = assistant.save_photo(b"GIF89a not a photo".to_vec()).expect_err("a gif");
    assert!(matches!(err, FieldTraceError::InvalidInput { .. }), "{err:?}");
    let err = assistant
        .report_abnormal_with_photos(AbnormalReason::Rotten, None, vec!["ab".repeat(32)])
        .expect_err("a photo this phone does not have");
    assert_eq!(err.key(), "event_invalid");
    let bad = assistant.report_abnormal_with_photos(AbnormalReason::Rotten, Some("烂果".into()), vec![photo.clone()]);
    bad.expect("report with photo");
    let queue = assistant.photo_queue().expect("queue");
    assert_eq!((queue.pending, queue.waiting_for_events, queue.uploaded), (1, 1, 0));
    let history = assistant.history("KIWI-0009".into()).expect("history");
    assert_eq!(history.len(), 1);

    let now = chrono::Local::now().format("%Y-%m").to_string();
    let counts = assistant.piece_counts(now.clone()).expect("pieces");
    // Three reports, the report with the photo; the undone report and its undo do not count.
    assert_eq!((counts.party_id.as_str(), counts.month.as_str(), counts.total), ("assistant-wang", now.as_str(), 4));
    assert_eq!(counts.days.iter().map(|d| d.pieces).sum::<u64>(), 4);
    let err = assistant.piece_counts("2026-13".into()).expect_err("no such month");
    assert!(matches!(&err, FieldTraceError::InvalidInput { key, .. } if key == "month_invalid"), "{err:?}");

    let report = assistant.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.photos_uploaded, report.photos_pending), (6, 1, 0), "{report:?}");
    assert!(report.photo_bytes_sent > 0);
    let queue = assistant.photo_queue().expect("queue after sync");
    assert_eq!((queue.pending, queue.uploaded), (0, 1));
    assert_eq!(assistant.sync_status().photos_pending, 0);
}

#[test]
fn a_logger_csv_and_bluetooth_readings_record_an_excursion_on_the_box() {
    let dir = tempfile::tempdir().expect("temp dir");
    let phone = open(&dir, "phone", "driver-zhang", Role::Driver);
    // The lot's limit, recorded by a manager on this phone (lots arrive by sync in the field).
    let store = Arc::new(fieldtrace_core::Store::open(dir.path().join("phone.db")).expect("store"));
    let manager = fieldtrace_core::model::Actor {
        party: fieldtrace_core::model::PartyId::new("manager-wu"),
        role: CoreRole::Manager,
    };
    let mut session = fieldtrace_core::Session::new(store, manager, Arc::new(fieldtrace_core::clock::SystemClock));
    session.update(Update::new(EntityKind::Lot, "K-0815").set("temp_max", "5")).expect("limit");

    let csv = "Device,LG-0042\nTime,Temperature(°C),Humidity(%RH)\n\
               2026-11-23 08:00,4.0,90\n2026-11-23 08:20,7.5,90\n2026-11-23 08:40,8.0,91\n\
               2026-11-23 09:00,7.0,91\n2026-11-23 09:20,4.5,90\n2026-11-23 09:25,hot,90\n";
    let report = phone
        .import_logger_csv("LG-0042".into(), "BOX-A".into(), Some("K-0815".into()), csv.into(), 480, None)
        .expect("csv");
    assert_eq!((report.box_code.as_str(), report.readings_new, report.logger_linked), ("BOX-A", 5, true));
    assert_eq!(report.limits.and_then(|l| l.temp_max_c), Some(5.0));
    assert_eq!(report.line_errors.len(), 1, "{:?}", report.line_errors);
    assert_eq!(report.line_errors[0].line, 8);
    assert_eq!(report.excursions.len(), 1);
    let excursion = &report.excursions[0];
    assert_eq!(
        (excursion.sensor, excursion.side, excursion.peak),
        (SensorKind::TemperatureCelsius, LimitSide::Above, 8.0)
    );
    assert_eq!(excursion.end_ms - excursion.start_ms, 40 * 60_000);
    assert_eq!(report.excursion_events, 1);

    // The same logger read again over Bluetooth: the known readings are not stored twice.
    let start = excursion.start_ms - 20 * 60_000;
    let readings = vec![
        LoggerReading { at_ms: start, temperature_c: Some(4.0), humidity_percent: Some(90.0) },
        LoggerReading { at_ms: start + 120 * 60_000, temperature_c: Some(3.5), humidity_percent: None },
    ];
    let again = phone
        .import_logger_readings("LG-0042".into(), "BOX-A".into(), None, readings, 480, Some(30))
        .expect("readings");
    assert_eq!((again.readings_new, again.readings_known, again.excursion_events), (1, 1, 0));
    assert_eq!(again.lot_id.as_deref(), Some("K-0815"));

    let err = phone.import_logger_csv("LG-0042".into(), "BOX-A".into(), None, "nothing here".into(), 480, None);
    assert_eq!(err.expect_err("no header").key(), "sensor_log_no_header");
    let err = phone.import_logger_readings("LG-0042".into(), "BOX-A".into(), None, vec![], 100_000, None);
    assert_eq!(err.expect_err("bad offset").key(), "utc_offset_invalid");
    let kinds: Vec<String> = phone.history("BOX-A".into()).expect("history").into_iter().map(|h| h.kind).collect();
    assert!(kinds.contains(&"excursion".to_owned()), "{kinds:?}");
}
