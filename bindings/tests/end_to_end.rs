//! The adapter end to end in Rust, the way the apps use it: a database file, scans and taps, a
//! camera frame, enrollment and sync against a real sync server on loopback. The Kotlin tests
//! later cover only what these cannot: the generated glue itself.

use fieldtrace_core::decode::image_luma;
use fieldtrace_core::label::trace_qr_png;
use fieldtrace_core::payload::{parse_payload, Payload, TraceCode};
use fieldtrace_ffi::{
    AbnormalReason, BarcodeFormat, BizStep, Disposition, FieldTrace, FieldTraceConfig, FieldTraceError, Role,
    SyncListener, SyncPhase, SyncStatus,
};
use fieldtrace_tests::sync_harness::TestServer;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CODE: &str = "BATCH-2026-KIWI-0001";

fn open(dir: &tempfile::TempDir, party: &str) -> Arc<FieldTrace> {
    let path = dir.path().join("phone.db").to_string_lossy().into_owned();
    FieldTrace::open(path, Some(FieldTraceConfig { party_id: party.into(), role: Role::Farmer })).expect("open")
}

#[test]
fn scan_report_undo_and_history_on_a_database_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ft = open(&dir, "farm-li");

    let err = ft.report_normal().expect_err("nothing scanned yet");
    assert!(matches!(&err, FieldTraceError::NotAllowed { key, .. } if key == "nothing_scanned"), "{err:?}");
    let err = ft.scan(String::new()).expect_err("empty payload");
    assert!(matches!(err, FieldTraceError::InvalidInput { .. }), "{err:?}");

    let scan = ft.scan(CODE.into()).expect("scan");
    assert_eq!(scan.next_step, BizStep::Harvesting);
    assert_eq!(scan.last_step, None);
    let normal = ft.report_normal().expect("normal");
    assert_eq!(normal.step, Some(BizStep::Harvesting));
    assert_eq!(normal.disposition, Some(Disposition::Normal));
    assert!(!normal.duplicate);
    assert_eq!(normal.undo_until_ms, Some(normal.recorded_at_ms + 10_000));
    // A second thumb on the same button within 2 s is the same report.
    let again = ft.report_normal().expect("repeat");
    assert!(again.duplicate);
    assert_eq!(again.event_id, normal.event_id);

    let scan = ft.scan(CODE.into()).expect("scan again");
    assert_eq!(scan.last_disposition, Some(Disposition::Normal));
    assert_eq!(scan.recent_report.as_ref().map(|r| r.event_id.as_str()), Some(normal.event_id.as_str()));
    let abnormal = ft.report_abnormal(AbnormalReason::Bruised, Some("两箱压坏".into()), None).expect("abnormal report");
    assert_eq!(abnormal.disposition, Some(Disposition::Abnormal { reason: AbnormalReason::Bruised }));

    let undo = ft.undo(abnormal.event_id.clone()).expect("undo");
    assert_eq!(undo.undo_until_ms, None, "an undo cannot itself be undone");
    let err = ft.undo(abnormal.event_id.clone()).expect_err("twice");
    assert!(matches!(&err, FieldTraceError::NotAllowed { key, .. } if key == "undo_already_undone"), "{err:?}");
    let err = ft.undo("not-a-uuid".into()).expect_err("garbage id");
    assert_eq!(err.key(), "event_id_invalid");

    let history = ft.history(CODE.into()).expect("history");
    let lines: Vec<_> = history.iter().map(|h| (h.kind.as_str(), h.voided, h.note.as_deref())).collect();
    assert_eq!(lines, [("report", false, None), ("report", true, Some("两箱压坏")), ("correction", false, None)]);
    assert_eq!(history[2].voids_event_id.as_deref(), Some(abnormal.event_id.as_str()));
    assert_eq!(history[0].actor_party_id, "farm-li");
    assert_eq!(history[0].actor_role, Role::Farmer);

    assert_eq!(ft.pending_count().expect("pending"), 3);
    assert_eq!(ft.today_count().expect("today"), 1);
    assert_eq!(ft.enrollment().expect("enrollment"), None);

    // Reopening the file: everything was durable when the calls returned.
    drop(ft);
    let ft = open(&dir, "farm-li");
    assert_eq!(ft.history(CODE.into()).expect("history after reopen").len(), 3);
    assert_eq!(ft.pending_count().expect("pending after reopen"), 3);
    // The sync status is read when the object opens (and changes during syncs).
    assert_eq!(ft.sync_status().pending, 3);
}

#[test]
fn a_padded_camera_frame_decodes_to_a_code_that_scans() {
    let code = TraceCode::from_value(0x2_3456_789A_BCDE).expect("trace code");
    let label = image_luma(&trace_qr_png("trace.example.cn", code, 4).expect("label png")).expect("label luma");
    // A 640×480 Y plane with 64 bytes of row padding, as CameraX hands it over, the label inside.
    let (width, height, stride) = (640usize, 480usize, 704usize);
    let mut luma = vec![200u8; stride * height];
    for y in 0..label.height {
        let row = (40 + y) * stride + 60;
        luma[row..row + label.width].copy_from_slice(&label.pixels[y * label.width..(y + 1) * label.width]);
    }

    let codes =
        fieldtrace_ffi::decode_frame(width as u32, height as u32, stride as u32, luma.clone(), 0).expect("decode");
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].format, BarcodeFormat::QrCode);
    assert_eq!(codes[0].corners.len(), 4);
    assert!(codes[0].text.starts_with("https://trace.example.cn/t/"), "{}", codes[0].text);

    let dir = tempfile::tempdir().expect("temp dir");
    let ft = open(&dir, "farm-li");
    let via_object = ft.decode_frame(width as u32, height as u32, stride as u32, luma, 0).expect("decode");
    assert_eq!(via_object, codes);
    let scan = ft.scan(codes[0].text.clone()).expect("the decoded text scans");
    let payload = parse_payload(&codes[0].text).expect("payload");
    assert_eq!(payload, Payload::Trace(code));
    assert_eq!(scan.code, payload.code_key());

    let err = ft.decode_frame(640, 480, 704, vec![0; 10], 0).expect_err("short buffer");
    assert!(matches!(&err, FieldTraceError::InvalidInput { key, .. } if key == "decode_buffer_too_small"));
    let err = ft.decode_frame(4, 4, 4, vec![0; 16], 45).expect_err("bad rotation");
    assert_eq!(err.key(), "decode_invalid_rotation");
}

/// A listener as the apps write one: remembers every status it is handed.
#[derive(Default)]
struct Recorder(Mutex<Vec<SyncStatus>>);

impl SyncListener for Recorder {
    fn on_status(&self, status: SyncStatus) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(status);
    }
}

impl Recorder {
    fn seen(&self) -> Vec<SyncStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits (the listener runs on its own thread) until a status matching `done` arrived.
    async fn wait_for(&self, done: impl Fn(&SyncStatus) -> bool) -> Vec<SyncStatus> {
        for _ in 0..200 {
            if self.seen().iter().any(&done) {
                return self.seen();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no such status; saw {:?}", self.seen());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_and_sync_deliver_exactly_the_reports_to_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let ft = open(&dir, "farm-li");
    // A second `set_sync_listener` replaces the first, which hears nothing more.
    let replaced = Arc::new(Recorder::default());
    ft.set_sync_listener(replaced.clone()).expect("first listener");
    replaced.wait_for(|_| true).await;
    let listener = Arc::new(Recorder::default());
    ft.set_sync_listener(listener.clone()).expect("listener");
    listener.wait_for(|s| s.pending == 0 && s.phase == SyncPhase::Idle).await;

    let err = ft.sync_now().await.expect_err("not enrolled");
    assert!(matches!(&err, FieldTraceError::EnrollmentNeeded { key, .. } if key == "sync_not_enrolled"), "{err:?}");
    let err = ft.enroll("https://example.com/not-an-enrollment".into()).await.expect_err("not a QR");
    assert_eq!(err.key(), "enrollment_qr_invalid");

    // Recorded offline, before enrollment: two reports stay, one is undone.
    ft.scan(CODE.into()).expect("scan");
    let kept = ft.report_normal().expect("normal");
    ft.scan("BATCH-2026-KIWI-0002".into()).expect("scan 2");
    let undone = ft.report_abnormal(AbnormalReason::Rotten, None, None).expect("abnormal");
    let correction = ft.undo(undone.event_id.clone()).expect("undo");
    ft.scan("BATCH-2026-KIWI-0003".into()).expect("scan 3");
    let wet = ft.report_abnormal(AbnormalReason::Wet, Some("雨淋".into()), None).expect("wet");

    let qr = server.enrollment_qr("coop-zhouzhi", "farm-li", fieldtrace_core::model::Role::Farmer).await;
    let enrolled = ft.enroll(qr).await.expect("enroll");
    assert_eq!(enrolled.coop_id, "coop-zhouzhi");
    assert_eq!(enrolled.party_id, "farm-li");
    assert_eq!(enrolled.role, Role::Farmer);
    assert_eq!(ft.enrollment().expect("enrollment"), Some(enrolled));

    let report = ft.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.known, report.refused, report.pending), (4, 0, 0, 0), "{report:?}");
    assert!(report.bytes_sent > 0);
    assert_eq!(ft.pending_count().expect("pending"), 0);

    let on_server: BTreeSet<String> = fieldtrace_server::state::coop_events(&*server.storage, "coop-zhouzhi")
        .await
        .expect("server events")
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    let expected: BTreeSet<String> =
        [kept.event_id, undone.event_id, correction.event_id, wet.event_id].into_iter().collect();
    assert_eq!(on_server, expected);

    // A second sync has nothing to send and nothing to fetch.
    let again = ft.sync_now().await.expect("sync again");
    assert_eq!((again.accepted, again.known, again.pulled, again.pending), (0, 0, 0, 0), "{again:?}");

    // The listener saw the state before any sync, then the successful one. (The core's status
    // channel changes during syncs only; the app reads `pending_count()` after a tap.)
    let statuses = listener.wait_for(|s| s.last_success_ms.is_some() && s.phase == SyncPhase::Idle).await;
    assert_eq!(statuses.first().map(|s| s.last_success_ms), Some(None), "{statuses:?}");
    let last = ft.sync_status();
    assert_eq!((last.phase, last.pending, last.last_error_key.clone()), (SyncPhase::Idle, 0, None));
    assert!(replaced.seen().iter().all(|s| s.last_success_ms.is_none()), "{:?}", replaced.seen());

    // After clearing, nothing more arrives.
    ft.clear_sync_listener();
    // A call already under way when the listener is cleared may still finish; let it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = listener.seen().len();
    ft.scan(CODE.into()).expect("scan");
    ft.report_abnormal(AbnormalReason::Missing, None, None).expect("report");
    let pushed = ft.push_now().await.expect("push after clear");
    assert_eq!((pushed.accepted, pushed.pending), (1, 0), "{pushed:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(listener.seen().len(), before);
}
