//! Sync scenarios over real HTTP on loopback, real SQLite files on both sides: enrollment,
//! convergence, lost answers and replays, partitions, roles and tenancy, revocation, a server
//! killed mid-push, and phones whose clocks are a day off.

use fieldtrace_core::clock::WallClock;
use fieldtrace_core::model::{BizStep, EntityKind, Event, EventId, EventKind, PartyId, Role, Update};
use fieldtrace_core::sync::SyncError;
use fieldtrace_server::state::coop_state;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::{enrollment_qr, Fault, FaultProxy, Phone, ServerProcess, TestServer};
use std::collections::HashSet;

fn no_skew() -> chrono::Duration {
    chrono::Duration::zero()
}

async fn enrolled(server: &TestServer, dir: &std::path::Path, name: &str, coop: &str, role: Role) -> Phone {
    let phone = Phone::open(&dir.join(format!("{name}.db")), name, role, no_skew());
    let qr = server.enrollment_qr(coop, name, role).await;
    let enrollment = phone.client.enroll(&qr).await.expect("enroll");
    assert_eq!((enrollment.coop.as_str(), enrollment.role), (coop, role));
    phone
}

async fn assert_no_duplicates(server: &TestServer, coop: &str, expected: usize) {
    let ids = server.storage.event_ids(coop).await.expect("ids");
    let distinct: HashSet<EventId> = ids.iter().copied().collect();
    assert_eq!((ids.len(), distinct.len()), (expected, expected), "server holds each event exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_enroll_sync_and_converge_with_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut farmer = enrolled(&server, dir.path(), "farmer-li", "coop-zz", Role::Farmer).await;
    let mut assistant = enrolled(&server, dir.path(), "assistant-wang", "coop-zz", Role::Assistant).await;

    for code in ["t/KIWI-1", "t/KIWI-2", "t/KIWI-3"] {
        farmer.tap_normal(code);
    }
    assistant.session.update(Update::new(EntityKind::Lot, "K-0815").set("product", "猕猴桃")).expect("update");
    assistant.tap_normal("t/KIWI-2");

    let pushed = farmer.client.sync_now().await.expect("farmer sync");
    assert_eq!((pushed.accepted, pushed.known, pushed.pending), (3, 0, 0));
    let second = assistant.client.sync_now().await.expect("assistant sync");
    assert_eq!((second.accepted, second.pulled), (2, 3));
    let third = farmer.client.sync_now().await.expect("farmer again");
    assert_eq!((third.accepted, third.pulled), (0, 2));

    let server_state = coop_state(server.storage.as_ref(), "coop-zz").await.expect("server state");
    assert_eq!(server_state.events.len(), 5);
    assert_eq!(farmer.state().digest(), server_state.digest());
    assert_eq!(assistant.state().digest(), server_state.digest());
    let lot = farmer.store().lot(&fieldtrace_core::model::LotId::new("K-0815")).expect("lot").expect("synced");
    assert_eq!(lot.product, "猕猴桃", "metadata edits reach every phone");
    let status = farmer.client.status();
    assert_eq!((status.pending, status.last_error.clone()), (0, None));
    assert!(status.last_success_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_and_replays_never_duplicate() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let proxy = FaultProxy::start(server.addr).await;
    let phone = Phone::open(&dir.path().join("phone.db"), "farmer-li", Role::Farmer, no_skew());
    let qr = enrollment_qr(&server.storage, &proxy.url(), "coop-zz", "farmer-li", Role::Farmer).await;
    phone.client.enroll(&qr).await.expect("enroll");
    let mut phone = phone;
    for i in 0..250 {
        phone.tap_normal(&format!("t/BOX-{i}"));
    }

    // Every answer is lost: the server stores the events but the phone never hears so.
    proxy.set(Fault::DropResponses, 1);
    let err = phone.client.sync_now().await.expect_err("no answer ever arrives");
    assert!(err.is_transient(), "{err}");
    assert_eq!(phone.client.status().last_error.as_deref(), Some("network_unavailable"));
    assert_eq!(phone.store().outbox_pending_count().expect("pending"), 250, "nothing leaves the outbox unconfirmed");
    assert!(!server.storage.event_ids("coop-zz").await.expect("ids").is_empty(), "the server did store some");

    proxy.set(Fault::None, 1);
    let report = phone.client.sync_now().await.expect("sync");
    assert_eq!(report.accepted + report.known, 250);
    assert!(report.known > 0, "the retried push was answered 'known' for what had arrived");
    // Replaying three more times changes nothing.
    for _ in 0..3 {
        let again = phone.client.sync_now().await.expect("replay");
        assert_eq!((again.accepted, again.pending), (0, 0));
    }
    assert_no_duplicates(&server, "coop-zz", 250).await;
    let server_state = coop_state(server.storage.as_ref(), "coop-zz").await.expect("state");
    assert_eq!(phone.state().digest(), server_state.digest());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_keeps_everything_queued_until_the_network_returns() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let proxy = FaultProxy::start(server.addr).await;
    let mut phone = Phone::open(&dir.path().join("phone.db"), "farmer-li", Role::Farmer, no_skew());
    let qr = enrollment_qr(&server.storage, &proxy.url(), "coop-zz", "farmer-li", Role::Farmer).await;
    phone.client.enroll(&qr).await.expect("enroll");
    proxy.set(Fault::Partition, 1);
    phone.tap_normal("t/MANGO-1");
    let err = phone.client.sync_now().await.expect_err("offline");
    assert_eq!(err.key(), "network_unavailable");
    let outbox = phone.store().outbox_status().expect("status");
    assert_eq!((outbox.pending, outbox.failing, outbox.last_error.as_deref()), (1, 1, Some("network_unavailable")));
    proxy.set(Fault::None, 1);
    let report = phone.client.sync_now().await.expect("back online");
    assert_eq!((report.accepted, report.pending), (1, 0));
    assert_eq!(phone.client.status().last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_tenancy_and_revocation_hold_through_the_client() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut farmer = enrolled(&server, dir.path(), "farmer-li", "coop-a", Role::Farmer).await;
    let mut other_coop = enrolled(&server, dir.path(), "farmer-ma", "coop-b", Role::Farmer).await;

    // A farmer's phone may not edit lot metadata: refused locally, nothing queued…
    let refused = farmer.session.update(Update::new(EntityKind::Lot, "L1").set("grade", "A"));
    assert_eq!(refused.expect_err("farmer may not").key(), "role_forbidden_kind");
    // …and if such an event is queued anyway (an older app), the server refuses it and the phone
    // keeps it with the reason instead of dropping it or retrying in a loop.
    let store = farmer.store().clone();
    let template = forbidden_update(&store);
    store.record_local(farmer.clock.now_ms(), |hlc| Event { hlc, ..template }).expect("queued");
    farmer.tap_normal("t/KIWI-1");
    let report = farmer.client.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.refused, report.pending), (1, 1, 1));
    assert_eq!(store.outbox_status().expect("status").last_error.as_deref(), Some("role_forbidden_kind"));

    other_coop.tap_normal("t/APPLE-1");
    other_coop.client.sync_now().await.expect("coop b sync");
    let report = farmer.client.sync_now().await.expect("coop a sync");
    assert_eq!(report.pulled, 0, "co-op A never sees co-op B's events");
    assert_eq!(other_coop.state().events.len(), 1);

    server.storage.revoke_device(store.device_id(), 0).await.expect("revoke");
    farmer.tap_normal("t/KIWI-2");
    let err = farmer.client.sync_now().await.expect_err("revoked");
    assert_eq!((err.key().as_str(), err.is_transient()), ("device_revoked", false));
    assert_eq!(store.outbox_pending_count().expect("pending"), 2, "a revoked phone keeps its records");
}

fn forbidden_update(store: &fieldtrace_core::Store) -> Event {
    let now = chrono::Utc::now().fixed_offset();
    Event {
        id: EventId::new(),
        kind: EventKind::Update(Update::new(EntityKind::Lot, "L1").set("grade", "A")),
        step: None,
        disposition: None,
        codes: Vec::new(),
        lot: None,
        actor: fieldtrace_core::model::Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
        recorder: fieldtrace_core::model::Recorder { party: PartyId::new("farmer-li"), device: store.device_id() },
        location: None,
        recorded_at: now,
        hlc: Default::default(),
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_push_loses_nothing_and_the_phone_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_sync-server"));
    let db = dir.path().join("server.db");
    let mut server = ServerProcess::start(binary, &db, "127.0.0.1:0");
    let storage = fieldtrace_store_sqlite::SqliteStorage::open(&db).expect("open");
    let qr = enrollment_qr(&storage, &server.url(), "coop-zz", "farmer-li", Role::Farmer).await;
    let mut phone = Phone::open(&dir.path().join("phone.db"), "farmer-li", Role::Farmer, no_skew());
    phone.client.enroll(&qr).await.expect("enroll");
    const EVENTS: usize = 3_000;
    for i in 0..EVENTS {
        phone.tap_normal(&format!("t/KIWI-{i}"));
    }
    let phone = std::sync::Arc::new(phone);
    let mut progress = phone.client.subscribe();
    let syncing = tokio::spawn({
        let phone = phone.clone();
        async move { phone.client.sync_now().await }
    });
    // Kill the server as soon as the first batches are confirmed: mid-push.
    progress.wait_for(|s| s.pushed > 0).await.expect("progress");
    server.kill();
    let interrupted = syncing.await.expect("join");
    assert!(interrupted.as_ref().is_err_and(SyncError::is_transient), "{interrupted:?}");
    let before = phone.store().outbox_pending_count().expect("pending");
    assert!(before > 0 && before < EVENTS as u64, "interrupted mid-push: {before} left");

    server.restart(binary);
    let report = phone.client.sync_now().await.expect("resumed");
    assert_eq!(report.pending, 0);
    let ids = storage.event_ids("coop-zz").await.expect("ids");
    let distinct: HashSet<EventId> = ids.iter().copied().collect();
    assert_eq!((ids.len(), distinct.len()), (EVENTS, EVENTS));
    let server_state = coop_state(&storage, "coop-zz").await.expect("state");
    assert_eq!(phone.state().digest(), server_state.digest());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_a_day_fast_and_a_day_slow_still_order_and_converge() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let open = |name: &str, role, skew_hours| {
        Phone::open(&dir.path().join(format!("{name}.db")), name, role, chrono::Duration::hours(skew_hours))
    };
    let (mut farmer, mut driver) = (open("farmer-li", Role::Farmer, 24), open("driver-zhao", Role::Driver, -24));
    for (phone, name, role) in [(&farmer, "farmer-li", Role::Farmer), (&driver, "driver-zhao", Role::Driver)] {
        phone.client.enroll(&server.enrollment_qr("coop-zz", name, role).await).await.expect("enroll");
    }
    // The farmer (clock a day fast) harvests; the driver (a day slow) loads it afterwards.
    farmer.tap_normal("t/KIWI-1");
    farmer.client.sync_now().await.expect("farmer sync");
    driver.client.sync_now().await.expect("driver pulls the harvest");
    driver.tap_normal("t/KIWI-1");
    driver.client.sync_now().await.expect("driver sync");
    farmer.client.sync_now().await.expect("farmer pulls the loading");

    let history = farmer.session.history("t/KIWI-1").expect("history");
    assert_eq!(history.len(), 2);
    let (harvest, loading) = (&history[0].event, &history[1].event);
    assert!(loading.recorded_at < harvest.recorded_at, "the wall clocks disagree by two days");
    assert!(loading.hlc > harvest.hlc, "the HLC still orders the loading after the harvest it saw");
    assert_eq!(loading.step, Some(BizStep::Loading));
    let server_state = coop_state(server.storage.as_ref(), "coop-zz").await.expect("state");
    assert_eq!(server_state.units["t/KIWI-1"].last_step, Some(BizStep::Loading));
    assert_eq!(farmer.state().digest(), server_state.digest());
    assert_eq!(driver.state().digest(), server_state.digest());
}
