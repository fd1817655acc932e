//! `fieldtrace sensors import` as an operator runs it: the real binary enrolls a desk store with a
//! real server on loopback, pulls the lot a manager's phone named, imports a logger's CSV and
//! pushes; the excursion reaches the server on the box's code, and importing again adds nothing.

use fieldtrace_cli::demo;
use fieldtrace_core::model::{Actor, EntityKind, EventKind, PartyId, Role, Update};
use fieldtrace_core::session::Session;
use fieldtrace_core::sync::SyncClient;
use fieldtrace_core::Store;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::{state, ServerConfig};
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::Path;
use std::sync::Arc;

fn run_cli(args: Vec<String>) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace")).args(args).output().expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

/// One day every 5 minutes at 2 °C, except 08:00–09:55 at 7.5 °C; one unreadable line.
fn write_csv(path: &Path) {
    let mut text = String::from("序号;时间;温度(℃);湿度(%RH)\n");
    for i in 0..288 {
        let (h, m) = (i / 12, (i % 12) * 5);
        let temperature = if (8..10).contains(&h) { "7,5" } else { "2,0" };
        text.push_str(&format!("{};2026-11-23 {h:02}:{m:02}:00;{temperature};91\n", i + 1));
    }
    text.push_str("289;2026-11-24 00:00:00;--;91\n");
    std::fs::write(path, text).expect("write csv");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logger_file_reaches_the_server_with_its_excursion_once() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop("coop-zz", "周至猕猴桃合作社").await.expect("coop");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));

    // The manager's phone names the lot (kiwi: 0–5 °C by default) and syncs.
    let phone = Arc::new(Store::open(dir.path().join("phone.db")).expect("phone"));
    let client = SyncClient::new(phone.clone(), Default::default()).expect("client");
    let qr =
        demo::enrollment_qr(&*storage, &url, "coop-zz", "manager-wang", Role::Manager, 3_600_000).await.expect("qr");
    client.enroll(&qr).await.expect("enroll");
    let manager = Actor { party: PartyId::new("manager-wang"), role: Role::Manager };
    let mut session = Session::new(phone.clone(), manager, Arc::new(fieldtrace_core::clock::SystemClock));
    session.update(Update::new(EntityKind::Lot, "K-0815").set("product", "猕猴桃")).expect("lot");
    client.sync_now().await.expect("sync");

    let csv = dir.path().join("LG-0042.csv");
    write_csv(&csv);
    let desk_qr =
        demo::enrollment_qr(&*storage, &url, "coop-zz", "driver-zhao", Role::Driver, 3_600_000).await.expect("qr");
    let desk = dir.path().join("desk.db").to_string_lossy().into_owned();
    let base: Vec<String> = [csv.to_string_lossy().as_ref(), "--logger", "LG-0042", "--box", "7KQ2-M9XD-4TV"]
        .into_iter()
        .chain(["--lot", "K-0815", "--store", &desk, "--sync"])
        .map(str::to_owned)
        .collect();
    let mut first = vec!["sensors".to_owned(), "import".to_owned()];
    first.extend(base.clone());
    first.extend(["--enroll".to_owned(), desk_qr]);
    let (ok, out, err) = tokio::task::spawn_blocking(move || run_cli(first)).await.expect("join");
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("288 readings stored in 24 events"), "{out}");
    assert!(out.contains("line 290, 温度(℃): \"--\" is not a number"), "{out}");
    assert!(out.contains("limits 0..5 °C") && out.contains("1 excursions (1 new events)"), "{out}");
    assert!(out.contains("0 refused") && out.contains("0 waiting"), "{out}");

    let events = state::coop_events(&*storage, "coop-zz").await.expect("events");
    let on_box: Vec<_> = events.iter().filter(|e| e.codes == ["t/7KQ2M9XD4TV"]).collect();
    assert_eq!(on_box.iter().filter(|e| e.kind == EventKind::SensorReading).count(), 24);
    let excursions: Vec<_> = on_box.iter().filter(|e| matches!(e.kind, EventKind::Excursion(_))).collect();
    assert_eq!(excursions.len(), 1);
    assert_eq!(excursions[0].actor.party.as_str(), "driver-zhao");
    let total = events.len();

    let mut again = vec!["sensors".to_owned(), "import".to_owned()];
    again.extend(base);
    let (ok, out, err) = tokio::task::spawn_blocking(move || run_cli(again)).await.expect("join");
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("0 readings stored in 0 events, 288 already stored"), "{out}");
    assert!(out.contains("1 excursions (0 new events)"), "{out}");
    assert_eq!(state::coop_events(&*storage, "coop-zz").await.expect("events").len(), total);

    // The manager's phone sees the excursion in the box's custody chain.
    client.sync_now().await.expect("sync");
    let history = phone.history("t/7KQ2M9XD4TV").expect("history");
    assert!(history.iter().any(|h| matches!(h.event.kind, EventKind::Excursion(_))));
}

#[test]
fn a_missing_file_or_bad_offset_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    let args = |extra: &[&str]| -> Vec<String> {
        ["sensors", "import", "nope.csv", "--logger", "L", "--box", "X-1", "--store", &store]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let (ok, _, err) = run_cli(args(&[]));
    assert!(!ok && err.contains("nope.csv"), "{err}");
    let (ok, _, err) = run_cli(args(&["--utc-offset", "eight"]));
    assert!(!ok && err.contains("--utc-offset"), "{err}");
}
