//! `fieldtrace demo`'s simulation against a real server on loopback: every simulated phone
//! enrolls, works offline, syncs, and ends with the server's state digest.

use fieldtrace_cli::demo;
use fieldtrace_core::model::Role;
use fieldtrace_core::sync::EnrollmentOffer;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_co_op_converges_and_leaves_working_enrollment_codes() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));

    let report = demo::run(&storage, &url, dir.path()).await.expect("demo");
    assert_eq!(report.phones.len(), 6);
    assert!(report.phones.iter().all(|(_, _, r)| r.pending == 0 && r.refused == 0), "{:?}", report.phones);
    let recorded: u64 = report.phones.iter().map(|(_, _, r)| r.accepted).sum();
    assert_eq!((recorded + report.history_events) as usize, report.server_events);
    assert!(report.history_events > 1_000, "eight weeks of history for the loss analytics");
    assert!(report.phone_digests.iter().all(|d| *d == report.server_digest));
    let text = demo::describe(&report);
    assert!(text.contains("6 phones converged"), "{text}");

    // The printed QR texts enroll a real client.
    let (role, qr) = &report.enrollment_qrs[0];
    assert_eq!(EnrollmentOffer::parse(qr).expect("qr").server.as_str(), url);
    let store = Arc::new(fieldtrace_core::Store::open(dir.path().join("new.db")).expect("store"));
    let client = fieldtrace_core::sync::SyncClient::new(store, Default::default()).expect("client");
    let enrollment = client.enroll(qr).await.expect("enroll");
    assert_eq!((enrollment.role, *role), (Role::Farmer, Role::Farmer));
    let pulled = client.sync_now().await.expect("sync").pulled;
    assert_eq!(pulled as usize, report.server_events, "a new phone catches up with the co-op");
}
