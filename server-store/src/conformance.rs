//! The behaviour every storage backend must show, as async test cases over any [`Storage`]. A
//! backend runs them all from its own tests with one macro line, so a new backend (PostgreSQL)
//! cannot drift from SQLite on what a retry, a cursor or a tenant boundary means:
//!
//! ```ignore
//! fieldtrace_server_store::storage_conformance_tests!((MyBackend::open_for_test(), ()));
//! ```
//!
//! The argument is an expression giving `(backend, guard)`, evaluated afresh for every case; the
//! guard (a temporary directory, a test database) lives until the case ends. The backend's test
//! crate needs `tokio` with the `macros` and `rt` features.

use crate::alerts::{AlertFilter, AlertKind, AlertSettings, AlertToFile, NewAlert};
use crate::prelude::*;
use crate::{AuditEntry, ManagerRecord, NewEnrollmentToken, PushOutcome, ReportOutcome, StorageError};
use chrono::NaiveDate;
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_core::test_report::{AnalyteResult, Measured, TestReport};

/// Generates one `#[tokio::test]` per conformance case for the backend `$open` gives.
#[macro_export]
macro_rules! storage_conformance_tests {
    ($open:expr) => {
        $crate::__conformance_cases!($open;
            enrollment_is_one_time_and_retry_safe,
            push_numbers_events_and_knows_retries,
            pull_pages_in_order_with_a_cursor,
            coops_are_isolated,
            revocation_and_device_keys,
            coop_signing_seed_is_set_once,
            manager_sessions_expire_and_end,
            audit_log_is_newest_first,
            photo_uploads_progress_complete_and_reset,
            test_reports_are_idempotent_by_number,
            trace_scans_are_counted_per_code,
            device_listing_shows_last_sync,
            alerts_file_once_and_acknowledge,
            schema_is_current_after_open,
            database_size_grows_with_the_log,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($open:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (backend, _guard) = $open;
                $crate::conformance::$case(backend).await;
            }
        )*
    };
}

const COOP: &str = "coop-a";
const OTHER: &str = "coop-b";
const NOW: i64 = 1_790_000_000_000;

/// A well-formed normal report of `code` by `device` in lot `LOT-1`, with the photos it names.
pub fn report_event(code: &str, device: DeviceId, wall_ms: u64, photos: &[&str]) -> Event {
    Event {
        lot: Some(LotId::new("LOT-1")),
        photos: photos.iter().map(|sha| PhotoRef((*sha).to_owned())).collect(),
        ..fieldtrace_proto::testing::report(code, device, HlcTimestamp { wall_ms, logical: 0 })
    }
}

async fn two_coops<S: Storage>(store: &S) {
    store.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop a");
    store.create_coop(OTHER, "田阳芒果合作社").await.expect("coop b");
}

fn token(byte: u8, coop: &str, expires_at_ms: i64) -> NewEnrollmentToken {
    NewEnrollmentToken {
        token_hash: [byte; 32],
        coop: coop.into(),
        party: PartyId::new("farmer-li"),
        role: Role::Farmer,
        expires_at_ms,
    }
}

/// An enrolled device of `coop`; `byte` tells tokens and credentials apart.
async fn enrolled<S: Storage>(store: &S, coop: &str, byte: u8) -> DeviceId {
    store.create_enrollment_token(token(byte, coop, i64::MAX)).await.expect("token");
    let device = DeviceId::new();
    store.enroll([byte; 32], device, [byte ^ 0xff; 32], NOW).await.expect("enroll");
    device
}

fn decoded(encoded: Vec<Vec<u8>>) -> Vec<Event> {
    let batch = wire::batch_from_encoded(encoded.iter().map(Vec::as_slice));
    wire::decode_events(&batch).expect("stored events decode")
}

/// A freshly opened backend has applied every migration it knows (what `/readyz` checks).
pub async fn schema_is_current_after_open<S: Storage>(store: S) {
    let status = store.schema_status().await.expect("the database answers");
    assert!(status.current() && status.expected > 0, "{status:?}");
}

pub async fn enrollment_is_one_time_and_retry_safe<S: Storage>(store: S) {
    two_coops(&store).await;
    let unknown = store.create_enrollment_token(token(9, "coop-x", i64::MAX)).await;
    assert!(matches!(unknown, Err(StorageError::UnknownCoop(_))), "{unknown:?}");
    store.create_enrollment_token(token(1, COOP, NOW + 1000)).await.expect("token");
    let device = DeviceId::new();
    let first = store.enroll([1; 32], device, [7; 32], NOW).await.expect("enroll");
    assert_eq!((first.coop.as_str(), first.role, first.revoked), (COOP, Role::Farmer, false));
    let retry = store.enroll([1; 32], device, [7; 32], NOW + 5).await.expect("retry of the same enrollment");
    assert_eq!(retry, first);
    let other_credential = store.enroll([1; 32], device, [8; 32], NOW).await;
    assert!(matches!(other_credential, Err(StorageError::DeviceConflict(id)) if id == device));
    let reused = store.enroll([1; 32], DeviceId::new(), [7; 32], NOW).await;
    assert!(matches!(reused, Err(StorageError::TokenInvalid)), "a used token: {reused:?}");
    let never_issued = store.enroll([2; 32], DeviceId::new(), [7; 32], NOW).await;
    assert!(matches!(never_issued, Err(StorageError::TokenInvalid)));
    store.create_enrollment_token(token(3, COOP, NOW - 1)).await.expect("expired token");
    let expired = store.enroll([3; 32], DeviceId::new(), [7; 32], NOW).await;
    assert!(matches!(expired, Err(StorageError::TokenInvalid)), "an expired token: {expired:?}");
    assert_eq!(store.device(device).await.expect("device"), Some(first));
    assert_eq!(store.device(DeviceId::new()).await.expect("no device"), None);
}

pub async fn push_numbers_events_and_knows_retries<S: Storage>(store: S) {
    two_coops(&store).await;
    let device = enrolled(&store, COOP, 1).await;
    let events: Vec<Event> = (0..3).map(|i| report_event(&format!("BOX-{i}"), device, 1000 + i, &[])).collect();
    let first = store.push(COOP, device, events.clone(), NOW).await.expect("push");
    assert_eq!(first, vec![PushOutcome::Accepted(1), PushOutcome::Accepted(2), PushOutcome::Accepted(3)]);
    let mut again = events.clone();
    again.push(report_event("BOX-3", device, 2000, &[]));
    let second = store.push(COOP, device, again.clone(), NOW + 1).await.expect("retried push");
    assert_eq!(second[..3], [PushOutcome::Known; 3]);
    assert_eq!(second[3], PushOutcome::Accepted(4));
    let ids = store.event_ids(COOP).await.expect("ids");
    assert_eq!(ids, again.iter().map(|e| e.id).collect::<Vec<_>>());
    let unknown = store.push("coop-x", device, vec![report_event("BOX-9", device, 1, &[])], NOW).await;
    assert!(matches!(unknown, Err(StorageError::UnknownCoop(_))), "{unknown:?}");
    let reports = store.events_of_kinds(COOP, &["report"]).await.expect("by kind");
    assert_eq!(reports.iter().map(|row| row.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(reports.iter().all(|row| row.received_at_ms >= NOW));
    assert!(store.events_of_kinds(COOP, &["aggregation"]).await.expect("none").is_empty());
}

pub async fn pull_pages_in_order_with_a_cursor<S: Storage>(store: S) {
    two_coops(&store).await;
    let device = enrolled(&store, COOP, 1).await;
    let events: Vec<Event> = (0..5).map(|i| report_event(&format!("BOX-{i}"), device, 1000 + i, &[])).collect();
    store.push(COOP, device, events.clone(), NOW).await.expect("push");
    let first = store.pull(COOP, 0, 2).await.expect("first page");
    assert_eq!((first.next_after, first.has_more), (2, true));
    let second = store.pull(COOP, first.next_after, 2).await.expect("second page");
    assert_eq!((second.next_after, second.has_more), (4, true));
    let last = store.pull(COOP, second.next_after, 2).await.expect("last page");
    assert_eq!((last.next_after, last.has_more), (5, false));
    let all = [first.encoded, second.encoded, last.encoded].concat();
    assert_eq!(decoded(all), events);
    let beyond = store.pull(COOP, 5, 10).await.expect("nothing new");
    assert_eq!((beyond.encoded.len(), beyond.next_after, beyond.has_more), (0, 5, false));
}

pub async fn coops_are_isolated<S: Storage>(store: S) {
    two_coops(&store).await;
    let a = enrolled(&store, COOP, 1).await;
    let b = enrolled(&store, OTHER, 2).await;
    store
        .push(COOP, a, vec![report_event("KIWI-1", a, 1, &[]), report_event("SHARED", a, 2, &[])], NOW)
        .await
        .expect("a");
    store.push(OTHER, b, vec![report_event("SHARED", b, 3, &[])], NOW).await.expect("b");
    assert_eq!(store.pull(OTHER, 0, 100).await.expect("pull b").encoded.len(), 1, "b sees only its own event");
    assert_eq!(store.event_ids(COOP).await.expect("ids").len(), 2);
    assert_eq!(store.coops_with_code("KIWI-1").await.expect("lookup"), vec![COOP.to_owned()]);
    assert_eq!(store.coops_with_code("SHARED").await.expect("lookup"), vec![COOP.to_owned(), OTHER.to_owned()]);
    assert!(store.coops_with_code("NOWHERE").await.expect("lookup").is_empty());
    assert_eq!(store.coop_name(OTHER).await.expect("name").as_deref(), Some("田阳芒果合作社"));
    assert_eq!(store.coop_name("coop-x").await.expect("name"), None);
}

pub async fn revocation_and_device_keys<S: Storage>(store: S) {
    two_coops(&store).await;
    let device = enrolled(&store, COOP, 1).await;
    let record = store.register_device_key(device, [5; 32], NOW).await.expect("register");
    assert_eq!((record.public_key, record.key_registered_at_ms), (Some([5; 32]), Some(NOW)));
    let retry = store.register_device_key(device, [5; 32], NOW + 10).await.expect("same key again");
    assert_eq!(retry, record, "a retry changes nothing");
    let other = store.register_device_key(device, [6; 32], NOW).await;
    assert!(matches!(other, Err(StorageError::DeviceKeyConflict(id)) if id == device));
    assert!(store.revoke_device(device, NOW).await.expect("revoke"));
    assert!(!store.revoke_device(device, NOW + 1).await.expect("already revoked"));
    assert!(!store.revoke_device(DeviceId::new(), NOW).await.expect("unknown device"));
    let stored = store.device(device).await.expect("device").expect("still listed");
    assert!(stored.revoked);
    assert_eq!(stored.public_key, Some([5; 32]));
}

pub async fn coop_signing_seed_is_set_once<S: Storage>(store: S) {
    two_coops(&store).await;
    assert_eq!(store.coop_signing_seed(COOP, [1; 32], NOW).await.expect("first"), [1; 32]);
    assert_eq!(store.coop_signing_seed(COOP, [2; 32], NOW).await.expect("kept"), [1; 32]);
    assert_eq!(store.coop_signing_seed(OTHER, [3; 32], NOW).await.expect("own seed"), [3; 32]);
}

pub async fn manager_sessions_expire_and_end<S: Storage>(store: S) {
    two_coops(&store).await;
    let mut manager = ManagerRecord {
        coop: COOP.into(),
        name: "wang".into(),
        display_name: "王经理".into(),
        password_hash: "$argon2id$first".into(),
        totp_secret: None,
    };
    store.put_manager(manager.clone(), NOW).await.expect("create");
    manager.password_hash = "$argon2id$second".into();
    manager.totp_secret = Some(vec![1, 2, 3]);
    store.put_manager(manager.clone(), NOW).await.expect("replace password");
    assert_eq!(store.manager("wang").await.expect("manager"), Some(manager.clone()));
    assert_eq!(store.manager("nobody").await.expect("no manager"), None);
    store.create_ui_session([4; 32], COOP, "wang", NOW, NOW + 1000).await.expect("session");
    assert_eq!(store.ui_session([4; 32], NOW + 999).await.expect("live"), Some(manager));
    assert_eq!(store.ui_session([4; 32], NOW + 1001).await.expect("expired"), None);
    assert_eq!(store.ui_session([5; 32], NOW).await.expect("unknown"), None);
    store.create_ui_session([6; 32], COOP, "wang", NOW, NOW + 1000).await.expect("second session");
    store.delete_ui_session([6; 32]).await.expect("sign out");
    assert_eq!(store.ui_session([6; 32], NOW).await.expect("ended"), None);
}

pub async fn audit_log_is_newest_first<S: Storage>(store: S) {
    two_coops(&store).await;
    for i in 0..4 {
        let entry =
            AuditEntry { at_ms: NOW + i, manager: "wang".into(), action: format!("act-{i}"), detail: "详情".into() };
        store.append_audit(COOP, entry).await.expect("append");
    }
    let other = AuditEntry { at_ms: NOW, manager: "zhou".into(), action: "other".into(), detail: String::new() };
    store.append_audit(OTHER, other).await.expect("other co-op");
    let log = store.audit_log(COOP, 3).await.expect("log");
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["act-3", "act-2", "act-1"]);
    assert_eq!(log[0].detail, "详情");
}

pub async fn photo_uploads_progress_complete_and_reset<S: Storage>(store: S) {
    two_coops(&store).await;
    let device = enrolled(&store, COOP, 1).await;
    let sha = "ab".repeat(32);
    assert!(!store.photo_referenced(COOP, &sha).await.expect("not yet"));
    store.push(COOP, device, vec![report_event("BOX-1", device, 1, &[&sha])], NOW).await.expect("push");
    assert!(store.photo_referenced(COOP, &sha).await.expect("named by an event"));
    assert!(!store.photo_referenced(OTHER, &sha).await.expect("not in the other co-op"));
    assert_eq!(store.photo(COOP, &sha).await.expect("none"), None);
    store.photo_progress(COOP, &sha, 100, 40, device, NOW).await.expect("start");
    let partial = store.photo(COOP, &sha).await.expect("record").expect("started");
    assert_eq!((partial.size, partial.received, partial.uploader, partial.complete()), (100, 40, device, false));
    store.photo_reset(COOP, &sha).await.expect("reset");
    assert_eq!(store.photo(COOP, &sha).await.expect("record"), None, "a reset upload starts from 0");
    store.photo_progress(COOP, &sha, 100, 100, device, NOW + 1).await.expect("again");
    store.photo_complete(COOP, &sha, NOW + 2).await.expect("complete");
    let done = store.photo(COOP, &sha).await.expect("record").expect("complete");
    assert_eq!((done.received, done.completed_at_ms), (100, Some(NOW + 2)));
    store.photo_reset(COOP, &sha).await.expect("reset after completion");
    assert!(store.photo(COOP, &sha).await.expect("record").is_some_and(|p| p.complete()), "complete photos stay");
}

fn lab_report(number: &str, lot: &str, issued_day: u32, value: f64) -> TestReport {
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("valid date");
    TestReport {
        report_no: number.into(),
        lot: lot.into(),
        lab: "周至县农产品检测站".into(),
        sampled_on: day(1),
        issued_on: day(issued_day),
        results: vec![AnalyteResult {
            analyte: "毒死蜱".into(),
            value: Measured::Value(value),
            unit: "mg/kg".into(),
            min: None,
            max: Some(0.05),
            standard: None,
        }],
    }
}

pub async fn test_reports_are_idempotent_by_number<S: Storage>(store: S) {
    two_coops(&store).await;
    let older = lab_report("R-1", "LOT-1", 3, 0.01);
    assert_eq!(store.put_test_report(COOP, older.clone(), "wang", NOW).await.expect("put"), ReportOutcome::Stored);
    assert_eq!(store.put_test_report(COOP, older.clone(), "wang", NOW).await.expect("again"), ReportOutcome::Unchanged);
    let altered = lab_report("R-1", "LOT-1", 3, 0.09);
    assert_eq!(store.put_test_report(COOP, altered, "wang", NOW).await.expect("altered"), ReportOutcome::Conflict);
    let newer = lab_report("R-2", "LOT-1", 9, 0.02);
    store.put_test_report(COOP, newer.clone(), "wang", NOW).await.expect("newer");
    store.put_test_report(COOP, lab_report("R-3", "LOT-2", 5, 0.0), "wang", NOW).await.expect("other lot");
    assert_eq!(store.test_reports(COOP, "LOT-1").await.expect("reports"), vec![newer, older]);
    assert!(store.test_reports(OTHER, "LOT-1").await.expect("other co-op").is_empty());
    let unknown = store.put_test_report("coop-x", lab_report("R-9", "L", 1, 0.0), "wang", NOW).await;
    assert!(matches!(unknown, Err(StorageError::UnknownCoop(_))), "{unknown:?}");
}

pub async fn trace_scans_are_counted_per_code<S: Storage>(store: S) {
    two_coops(&store).await;
    let first = store.record_trace_scan(COOP, "KIWI-1", NOW, Some("西安".into())).await.expect("scan");
    assert_eq!((first.count, first.first_at_ms), (1, NOW));
    store.record_trace_scan(COOP, "KIWI-1", NOW + 5, None).await.expect("scan without a place");
    store.record_trace_scan(OTHER, "KIWI-1", NOW + 6, Some("南宁".into())).await.expect("other co-op");
    let third = store.record_trace_scan(COOP, "KIWI-1", NOW + 9, Some("西安".into())).await.expect("scan");
    assert_eq!((third.count, third.first_at_ms), (3, NOW));
    assert_eq!(third.places, vec![("西安".to_owned(), 2)]);
}

pub async fn device_listing_shows_last_sync<S: Storage>(store: S) {
    two_coops(&store).await;
    let older = enrolled(&store, COOP, 1).await;
    let newer = {
        store.create_enrollment_token(token(2, COOP, i64::MAX)).await.expect("token");
        let device = DeviceId::new();
        store.enroll([2; 32], device, [9; 32], NOW + 100).await.expect("enroll");
        device
    };
    enrolled(&store, OTHER, 3).await;
    store.record_sync(older, NOW + 200, Some(12)).await.expect("sync");
    let listed = store.devices(COOP).await.expect("devices");
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![newer, older], "newest enrollment first");
    assert_eq!((listed[1].last_sync_ms, listed[1].pending), (Some(NOW + 200), Some(12)));
    assert_eq!((listed[0].last_sync_ms, listed[0].pending), (None, None));
    store.record_sync(older, NOW + 300, None).await.expect("an older app says no count");
    let listed = store.devices(COOP).await.expect("devices");
    assert_eq!((listed[1].last_sync_ms, listed[1].pending), (Some(NOW + 300), None));
}

fn abnormal_alert(subject: &str) -> AlertToFile {
    AlertToFile {
        alert: NewAlert {
            kind: AlertKind::Abnormal,
            subject: subject.into(),
            lot: Some("LOT-1".into()),
            code: Some("BOX-1".into()),
            text_zh: "异常".into(),
            text_en: "abnormal".into(),
            recipients: vec!["wang".into()],
        },
        phones: vec![("wang".into(), "13800000000".into())],
    }
}

pub async fn alerts_file_once_and_acknowledge<S: Storage>(store: S) {
    two_coops(&store).await;
    let settings = AlertSettings { webhook_url: Some("http://127.0.0.1:9/hook".into()), ..AlertSettings::default() };
    store.put_alert_settings(COOP, settings.clone()).await.expect("settings");
    assert_eq!(store.alert_settings(COOP).await.expect("settings"), settings);
    assert_eq!(store.alert_settings(OTHER).await.expect("defaults"), AlertSettings::default());
    let filed = store.file_alerts(COOP, vec![abnormal_alert("e1"), abnormal_alert("e2")], 2, 0, NOW).await;
    assert_eq!(filed.expect("file"), 2);
    let again = store.file_alerts(COOP, vec![abnormal_alert("e1")], 3, 0, NOW + 1).await.expect("file again");
    assert_eq!(again, 0, "the same (kind, subject) fires once");
    let cursor = store.alert_cursors().await.expect("cursors").into_iter().find(|c| c.coop == COOP);
    assert_eq!(cursor.map(|c| c.event_seq), Some(3));
    assert_eq!(store.open_alert_count(COOP).await.expect("count"), 2);
    let all = store.alerts(COOP, AlertFilter { limit: 10, ..AlertFilter::default() }).await.expect("alerts");
    assert_eq!(all.len(), 2);
    let first = store.alerts(COOP, AlertFilter { limit: 1, ..AlertFilter::default() }).await.expect("page 1");
    let next = AlertFilter { limit: 1, before: first.first().map(|a| a.id), ..AlertFilter::default() };
    let second = store.alerts(COOP, next).await.expect("page 2");
    assert_eq!([&first[..], &second[..]].concat(), all, "pages of one alert, newest first, make the list");
    assert!(all.iter().all(|a| a.notifications.iter().any(|n| n.channel == crate::alerts::WEBHOOK)));
    assert!(store.acknowledge_alert(COOP, all[0].id, "wang", NOW + 2).await.expect("ack"));
    assert!(!store.acknowledge_alert(COOP, all[0].id, "wang", NOW + 3).await.expect("already acknowledged"));
    assert!(!store.acknowledge_alert(OTHER, all[1].id, "zhou", NOW).await.expect("another co-op's alert"));
    assert_eq!(store.open_alert_count(COOP).await.expect("count"), 1);
    let open = AlertFilter { acknowledged: Some(false), limit: 10, ..AlertFilter::default() };
    assert_eq!(store.alerts(COOP, open).await.expect("open").len(), 1);
    let due = store.due_notifications(NOW + 10, 100).await.expect("due");
    assert!(due.iter().any(|n| n.coop == COOP && n.channel == crate::alerts::WEBHOOK), "{due:?}");
    let pending = all.iter().flat_map(|a| &a.notifications).filter(|n| n.status == crate::alerts::status::PENDING);
    let pending = pending.count() as u64;
    assert!(pending >= 2, "a webhook notification per alert at least");
    assert_eq!(store.pending_notification_count().await.expect("queue depth"), pending);
    let first = due.first().map(|n| n.id).expect("a due notification");
    store.record_attempt(first, crate::alerts::Attempt::Delivered, NOW + 11).await.expect("delivered");
    assert_eq!(store.pending_notification_count().await.expect("queue depth"), pending - 1, "sent ones leave");
}

pub async fn database_size_grows_with_the_log<S: Storage>(store: S) {
    two_coops(&store).await;
    let empty = store.database_bytes().await.expect("size");
    assert!(empty > 0, "the schema alone takes pages");
    let device = enrolled(&store, COOP, 1).await;
    let events: Vec<Event> = (0..500).map(|n| report_event(&format!("BOX-{n}"), device, 1_000 + n, &[])).collect();
    store.push(COOP, device, events, NOW).await.expect("push");
    let grown = store.database_bytes().await.expect("size");
    assert!(grown > empty, "500 events take pages: {empty} -> {grown}");
}
