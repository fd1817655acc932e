//! `fieldtrace reproject` as an operator runs it on the demo co-op's database: the rebuilt read
//! models equal the ones the projector kept while the events arrived, a co-op that does not exist
//! is refused by name, and a projection emptied behind the server's back comes back.

use fieldtrace_cli::demo;
use fieldtrace_server::projection::Projector;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::sync::Arc;

fn reproject(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace"))
        .arg("reproject")
        .args(args)
        .output()
        .expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprojecting_the_demo_gives_the_same_read_models() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    let storage = Arc::new(SqliteStorage::open(&db).expect("open"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let server =
        fieldtrace_dashboard::serve(listener, storage.clone(), ServerConfig::default(), std::future::pending());
    tokio::spawn(server);
    demo::run(&storage, &url, dir.path()).await.expect("demo");
    let coop = demo::COOP_ID;
    Projector::new().catch_up(storage.as_ref(), coop).await.expect("project");
    let before = storage.projection_dump(coop).await.expect("dump");
    assert!(before.units.len() > 100 && !before.loss_counts.is_empty() && !before.registers.is_empty());
    // As after a migration that added a read model: the tables are empty, the log is not.
    let raw = rusqlite::Connection::open(&db).expect("raw");
    for table in ["units", "unit_losses", "loss_counts", "lot_stats", "lot_steps"] {
        raw.execute(&format!("DELETE FROM {table}"), []).expect("empty");
    }
    drop(raw);

    let db_text = db.to_str().expect("utf-8 path");
    let (ok, out, err) = reproject(&["--db", db_text]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("co-op {coop}:")), "{out}");
    assert!(err.contains("(100%)"), "progress is shown: {err}");
    assert_eq!(storage.projection_dump(coop).await.expect("dump"), before);

    let (ok, _, err) = reproject(&["--db", db_text, "--coop", "coop-nowhere"]);
    assert!(!ok);
    assert!(err.contains("no co-op \"coop-nowhere\""), "{err}");
}
