//! 100 phones × 1,000 one-tap reports each, pushed concurrently through the real HTTP path to one
//! server on a SQLite file: every event arrives exactly once, and phones that pull afterwards
//! converge to the server's state.

use fieldtrace_core::model::Role;
use fieldtrace_server::state::coop_state;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::{push_all, Phone, TestServer};
use std::collections::HashSet;
use std::sync::Arc;

const DEVICES: usize = 100;
const EVENTS_PER_DEVICE: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_phones_push_a_thousand_events_each() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut phones = Vec::with_capacity(DEVICES);
    for i in 0..DEVICES {
        let name = format!("farmer-{i:03}");
        let phone = Phone::open(&dir.path().join(format!("{name}.db")), &name, Role::Farmer, chrono::Duration::zero());
        phone.client.enroll(&server.enrollment_qr("coop-zz", &name, Role::Farmer).await).await.expect("enroll");
        phones.push(phone);
    }
    // Record offline, durable commit per tap, on blocking threads (SQLite is synchronous).
    let recorders: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(i, mut phone)| {
            tokio::task::spawn_blocking(move || {
                for n in 0..EVENTS_PER_DEVICE {
                    let _ = phone.tap_normal(&format!("t/D{i:03}-{n:04}"));
                }
                phone
            })
        })
        .collect();
    let mut phones = Vec::with_capacity(DEVICES);
    for recorder in recorders {
        phones.push(Arc::new(recorder.await.expect("recorder")));
    }

    eprintln!("recorded {} reports in {:?}", DEVICES * EVENTS_PER_DEVICE, started.elapsed());
    // Everyone finds signal at once and pushes (a full pull of 100,000 events by every phone
    // is the bootstrap benchmark's business, not this test's).
    let mut accepted = 0;
    for report in push_all(&phones).await.expect("push") {
        assert_eq!(report.pending, 0);
        accepted += report.accepted + report.known;
    }
    assert_eq!(accepted, (DEVICES * EVENTS_PER_DEVICE) as u64);

    eprintln!("pushed by {:?}", started.elapsed());
    let ids = server.storage.event_ids("coop-zz").await.expect("ids");
    let distinct: HashSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (DEVICES * EVENTS_PER_DEVICE, DEVICES * EVENTS_PER_DEVICE));

    // A few phones pull everyone else's events and agree with the server.
    let server_digest = coop_state(server.storage.as_ref(), "coop-zz").await.expect("state").digest();
    for phone in [&phones[0], &phones[DEVICES - 1]] {
        phone.client.sync_now().await.expect("pull");
        assert_eq!(phone.store().event_count().expect("count"), (DEVICES * EVENTS_PER_DEVICE) as u64);
        assert_eq!(phone.state().digest(), server_digest);
        eprintln!("a phone converged by {:?}", started.elapsed());
    }
}
