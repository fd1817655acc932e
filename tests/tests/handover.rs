//! Custody handover between two phones with no network, through QR text only, then synced over
//! real HTTP to a real server on loopback (SQLite files on every side): the server pairs offer and
//! acceptance into one transfer whichever phone syncs first, flags an offer nobody accepted once
//! the configured time has passed (a controllable server clock, no sleeping), and refuses forged
//! offers — on the receiving phone and, when pushed, on the server.

use fieldtrace_core::clock::WallClock;
use fieldtrace_core::handover::keys::{new_seed, sign};
use fieldtrace_core::handover::SignedOffer;
use fieldtrace_core::model::{
    AbnormalReason, BizStep, Event, EventId, EventKind, HandoverAcceptance, HandoverOffer, PartyId, Recorder, Role,
};
use fieldtrace_core::payload::TraceCode;
use fieldtrace_core::sync::SyncError;
use fieldtrace_server::custody::TransferStatus;
use fieldtrace_server::state::coop_state;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::{ServerClock, ServerConfig};
use fieldtrace_tests::sync_harness::{Fault, FaultProxy, Phone, TestServer};
use serde_json::Value;
use std::path::Path;

const COOP: &str = "coop-zz";
const HOUR_MS: i64 = 3_600_000;

async fn enrolled(server: &TestServer, url: &str, dir: &Path, name: &str, role: Role) -> Phone {
    let phone = Phone::open(&dir.join(format!("{name}.db")), name, role, chrono::Duration::zero());
    let qr = fieldtrace_tests::sync_harness::enrollment_qr(&server.storage, url, COOP, name, role).await;
    phone.client.enroll(&qr).await.expect("enroll");
    assert!(fieldtrace_core::handover::is_certified(phone.store()).expect("read"), "{name} certified at enrollment");
    phone
}

fn boxes(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| format!("t/{}", TraceCode::from_value(0x1_2345_6789 + i * 7_919).expect("code").canonical()))
        .collect()
}

/// `GET /v1/custody` as `phone` (authenticated with its credential, read from its database).
async fn custody(server: &TestServer, db: &Path, phone: &Phone, query: &str) -> Value {
    let conn = rusqlite::Connection::open(db).expect("phone db");
    let credential: String = conn
        .query_row("SELECT value FROM settings WHERE key = 'sync_credential'", [], |r| r.get(0))
        .expect("credential");
    let response = reqwest::Client::new()
        .get(format!("{}v1/custody?{query}", server.url()))
        .header("authorization", format!("Bearer {}:{credential}", phone.store().device_id()))
        .send()
        .await
        .expect("custody request");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("custody json")
}

fn server_with_clock(unpaired_after_ms: i64) -> (ServerConfig, ServerClock) {
    let clock = ServerClock::default();
    (ServerConfig { unpaired_after_ms, clock: clock.clone(), ..ServerConfig::default() }, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_offline_phones_hand_over_by_qr_and_the_server_pairs_it_whichever_syncs_first() {
    for receiver_syncs_first in [true, false] {
        let dir = tempfile::tempdir().expect("dir");
        let (config, _clock) = server_with_clock(6 * HOUR_MS);
        let server = TestServer::start_with(&dir.path().join("server.db"), config).await;
        let proxy = FaultProxy::start(server.addr).await;
        let giver = enrolled(&server, &proxy.url(), dir.path(), "driver-wang", Role::Driver).await;
        let receiver = enrolled(&server, &proxy.url(), dir.path(), "warehouse-xian", Role::Manager).await;

        // Both phones lose the network; everything below goes through QR text only.
        proxy.set(Fault::Partition, 1);
        let codes = boxes(40);
        let offer = giver.handover.offer(Some("TRIP-1123".into()), codes.clone()).expect("offer");
        let review = receiver.handover.review_offer(&offer.qr_text).expect("verified offline");
        assert_eq!((review.codes.len(), review.giver_party.as_str()), (40, "driver-wang"));
        for (i, code) in codes.iter().enumerate().take(39) {
            receiver.clock.advance_ms(1_500);
            let condition = (i == 7).then_some(AbnormalReason::CrushedPackage);
            receiver.handover.check_unit(code, condition).expect("check");
        }
        let accepted = receiver.handover.accept().expect("accept");
        assert_eq!((accepted.offered, accepted.received), (40, 39));
        let receipt = giver.handover.store_receipt(&accepted.qr_text).expect("receipt");
        assert_eq!((receipt.received, receipt.acceptance_id), (39, accepted.acceptance_id));
        assert!(matches!(giver.client.push_now().await, Err(SyncError::Network(_))), "still offline");

        proxy.set(Fault::None, 1);
        let (first, second) = if receiver_syncs_first { (&receiver, &giver) } else { (&giver, &receiver) };
        let (first_db, second_db) = if receiver_syncs_first {
            (dir.path().join("warehouse-xian.db"), dir.path().join("driver-wang.db"))
        } else {
            (dir.path().join("driver-wang.db"), dir.path().join("warehouse-xian.db"))
        };
        let report = first.client.sync_now().await.expect("first sync");
        assert_eq!(report.refused, 0);
        let halfway = custody(&server, &first_db, first, "trip=TRIP-1123").await;
        let expected = if receiver_syncs_first { "acceptance_only" } else { "pending" };
        assert_eq!(halfway["transfers"][0]["status"], expected, "{halfway}");

        let report = second.client.sync_now().await.expect("second sync");
        assert_eq!(report.refused, 0);
        first.client.sync_now().await.expect("pull the rest");
        let answer = custody(&server, &second_db, second, "trip=TRIP-1123").await;
        let transfers = answer["transfers"].as_array().expect("transfers");
        assert_eq!(transfers.len(), 1, "{answer}");
        let t = &transfers[0];
        assert_eq!(t["status"], "paired");
        assert_eq!(
            (t["giver"]["party"].as_str(), t["receiver"]["party"].as_str()),
            (Some("driver-wang"), Some("warehouse-xian"))
        );
        assert_eq!((t["offered_count"].as_u64(), t["received_count"].as_u64()), (Some(40), Some(39)));
        assert_eq!(t["missing"], serde_json::json!([codes[39]]));
        assert_eq!(t["abnormal"], serde_json::json!([{ "code": codes[7], "reason": "crushed_package" }]));
        assert_eq!((t["receipt_filed"].as_bool(), t["disputed"].as_bool()), (Some(true), Some(false)));
        assert_eq!(t["offer"], offer.offer_id.to_string());
        // By box, too; and a box on no handover finds nothing.
        assert_eq!(
            custody(&server, &first_db, first, &format!("code={}", codes[3])).await["transfers"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(
            custody(&server, &first_db, first, "code=t/0000000000").await["transfers"].as_array().map(Vec::len),
            Some(0)
        );

        let server_digest = coop_state(server.storage.as_ref(), COOP).await.expect("state").digest();
        assert_eq!(giver.state().digest(), server_digest);
        assert_eq!(receiver.state().digest(), server_digest);
        let unit = receiver.state().units.get(&codes[7]).cloned().expect("box 8");
        assert_eq!(
            unit.last_disposition,
            Some(fieldtrace_core::model::Disposition::Abnormal(AbnormalReason::CrushedPackage))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_nobody_accepts_is_flagged_unpaired_once_the_configured_time_has_passed() {
    let dir = tempfile::tempdir().expect("dir");
    let (config, clock) = server_with_clock(6 * HOUR_MS);
    let server = TestServer::start_with(&dir.path().join("server.db"), config).await;
    let giver = enrolled(&server, &server.url(), dir.path(), "driver-wang", Role::Driver).await;
    let db = dir.path().join("driver-wang.db");
    giver.handover.offer(Some("TRIP-9".into()), boxes(3)).expect("offer");
    giver.client.sync_now().await.expect("sync");

    let answer = custody(&server, &db, &giver, "").await;
    assert_eq!((answer["transfers"][0]["status"].as_str(), answer["unpaired"].as_u64()), (Some("pending"), Some(0)));
    clock.advance_ms(6 * HOUR_MS - 60_000);
    assert_eq!(custody(&server, &db, &giver, "").await["transfers"][0]["status"], "pending", "a minute early");
    clock.advance_ms(60_000);
    let answer = custody(&server, &db, &giver, "").await;
    assert_eq!((answer["transfers"][0]["status"].as_str(), answer["unpaired"].as_u64()), (Some("unpaired"), Some(1)));
    assert_eq!(answer["unpaired_after_ms"].as_i64(), Some(6 * HOUR_MS));
    let _ = TransferStatus::Unpaired;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_offer_is_refused_by_the_receiving_phone_and_by_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let giver = enrolled(&server, &server.url(), dir.path(), "driver-wang", Role::Driver).await;
    let receiver = enrolled(&server, &server.url(), dir.path(), "warehouse-xian", Role::Manager).await;
    let genuine = giver.handover.offer(None, boxes(5)).expect("offer");

    // On the phone: a box slipped into the genuine offer, and an offer signed with a thief's key.
    let mut altered = SignedOffer::parse(&genuine.qr_text).expect("parse");
    altered.statement.codes.push(boxes(6).pop().expect("sixth box"));
    let err = receiver.handover.review_offer(&altered.to_qr_text()).expect_err("altered");
    assert_eq!(err.key(), "handover_bad_signature");
    assert!(err.to_string().contains("offer signature of device"), "{err}");
    let thief_seed = new_seed().expect("entropy");
    let mut forged = SignedOffer::parse(&genuine.qr_text).expect("parse");
    forged.signature = sign(&thief_seed, &forged.statement.message());
    assert_eq!(
        receiver.handover.review_offer(&forged.to_qr_text()).expect_err("forged").key(),
        "handover_bad_signature"
    );

    // On the server: a phone pushes an offer signed with a key the co-op never registered for it,
    // and an acceptance carrying a forged offer of the giver's.
    let thief = enrolled(&server, &server.url(), dir.path(), "driver-zhao", Role::Driver).await;
    let now = thief.clock.now();
    let store = thief.store().clone();
    let offer = store
        .record_local(thief.clock.now_ms(), |hlc| Event {
            id: EventId::new(),
            kind: EventKind::HandoverOffer(HandoverOffer { trip: None, signature: vec![7; 64] }),
            step: Some(BizStep::Transfer),
            disposition: None,
            codes: boxes(2),
            lot: None,
            actor: fieldtrace_core::model::Actor { party: PartyId::new("driver-zhao"), role: Role::Driver },
            recorder: Recorder { party: PartyId::new("driver-zhao"), device: store.device_id() },
            location: None,
            recorded_at: now,
            hlc,
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        })
        .expect("a forged offer gets into the outbox");
    let claimed = SignedOffer::parse(&genuine.qr_text).expect("parse").statement;
    let mut forged_claim = claimed.clone();
    forged_claim.codes = boxes(2);
    let acceptance = store
        .record_local(thief.clock.now_ms(), |hlc| Event {
            id: EventId::new(),
            kind: EventKind::HandoverAcceptance(HandoverAcceptance {
                offer: claimed.offer,
                trip: None,
                giver: Recorder { party: claimed.giver_party.clone(), device: claimed.giver_device },
                offered_at_ms: claimed.offered_ms,
                offer_signature: sign(&thief_seed, &forged_claim.message()),
                abnormal: Vec::new(),
                signature: vec![1; 64],
            }),
            step: Some(BizStep::Receiving),
            codes: boxes(2),
            hlc,
            ..offer.clone()
        })
        .expect("queued");
    let report = thief.client.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.refused), (0, 2));
    let status = store.outbox_status().expect("outbox");
    assert_eq!((status.pending, status.last_error.as_deref()), (2, Some("handover_bad_signature")));
    let held = server.storage.event_ids(COOP).await.expect("ids");
    assert!(!held.contains(&offer.id) && !held.contains(&acceptance.id), "nothing forged is stored");
    // The genuine offer goes through.
    assert_eq!(giver.client.sync_now().await.expect("sync").accepted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_enrolled_before_device_keys_gets_a_certified_key_on_its_next_sync() {
    let dir = tempfile::tempdir().expect("dir");
    let server_db = dir.path().join("server.db");
    let server = TestServer::start(&server_db).await;
    let receiver = enrolled(&server, &server.url(), dir.path(), "warehouse-xian", Role::Manager).await;
    let old_db = dir.path().join("driver-wang.db");
    {
        let phone = enrolled(&server, &server.url(), dir.path(), "driver-wang", Role::Driver).await;
        // Turn it into what an older app left behind: no key on the phone, none registered.
        let conn = rusqlite::Connection::open(&old_db).expect("phone db");
        conn.execute(
            "DELETE FROM settings WHERE key IN ('device_signing_seed', 'device_certificate', 'coop_public_key')",
            [],
        )
        .expect("forget key");
        let conn = rusqlite::Connection::open(&server_db).expect("server db");
        let changed = conn
            .execute(
                "UPDATE devices SET public_key = NULL, key_registered_at_ms = NULL WHERE id = ?1",
                [phone.store().device_id().to_string()],
            )
            .expect("unregister");
        assert_eq!(changed, 1);
    }
    let phone = Phone::open(&old_db, "driver-wang", Role::Driver, chrono::Duration::zero());
    assert_eq!(phone.handover.offer(None, boxes(1)).expect_err("no key yet").key(), "handover_no_device_key");
    phone.client.sync_now().await.expect("sync registers the key");
    assert!(fieldtrace_core::handover::is_certified(phone.store()).expect("read"));
    let offer = phone.handover.offer(None, boxes(2)).expect("offer");
    receiver.handover.review_offer(&offer.qr_text).expect("the receiver trusts the new certificate");
    assert_eq!(phone.client.sync_now().await.expect("sync").accepted, 1, "the server verifies the new key");
    let device = server.storage.device(phone.store().device_id()).await.expect("device").expect("registered");
    assert_eq!(device.public_key, fieldtrace_core::handover::device_public_key(phone.store()).expect("key"));
}
