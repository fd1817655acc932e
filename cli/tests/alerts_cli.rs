//! `fieldtrace alerts config` as an operator runs it: the real binary stores a co-op's settings in
//! the server database, keeps options not given, never prints the SMS token, and refuses bad input
//! naming the option.

use fieldtrace_server::alerts::AlertStore;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;

fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace"));
    command.args(args).env_remove("FIELDTRACE_SMS_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test]
async fn settings_are_stored_kept_and_checked() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    SqliteStorage::open(&db).expect("open").create_coop("coop-z", "周至").await.expect("coop");
    let db_text = db.to_str().expect("utf-8 path");
    let base = ["alerts", "config", "--db", db_text, "--coop", "coop-z"];
    let with = |more: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(more.iter().copied()).collect() };

    let (ok, out, err) = run_cli(
        &with(&[
            "--webhook",
            "https://hooks.example.cn/ft",
            "--sms-gateway",
            "http://127.0.0.1:9/sms",
            "--excursion-minutes",
            "45",
        ]),
        &[("FIELDTRACE_SMS_TOKEN", "tok-secret-1")],
    );
    assert!(ok, "{err}");
    assert!(out.contains("https://hooks.example.cn/ft") && out.contains("45"), "{out}");
    assert!(!out.contains("tok-secret-1") && out.contains("(set)"), "{out}");

    // Changing one option keeps the others.
    let (ok, _, err) = run_cli(&with(&["--max-per-hour", "5"]), &[]);
    assert!(ok, "{err}");
    let settings = SqliteStorage::open(&db).expect("open").alert_settings("coop-z").await.expect("settings");
    assert_eq!(settings.webhook_url.as_deref(), Some("https://hooks.example.cn/ft"));
    assert_eq!(settings.sms_token.as_deref(), Some("tok-secret-1"));
    assert_eq!((settings.excursion_minutes, settings.max_per_hour), (45, 5));

    let (ok, _, err) = run_cli(&with(&["--webhook", "ftp://example.cn"]), &[]);
    assert!(!ok && err.contains("--webhook"), "{err}");
    let (ok, _, err) = run_cli(&with(&["--excursion-minutes=-3"]), &[]);
    assert!(!ok && err.contains("--excursion-minutes"), "{err}");
    let (ok, _, err) = run_cli(&["alerts", "config", "--db", db_text, "--coop", "nope"], &[]);
    assert!(!ok && err.contains("no co-op \"nope\""), "{err}");

    let (ok, out, _) = run_cli(&with(&["--no-webhook", "--no-sms"]), &[]);
    assert!(ok);
    assert_eq!(out.matches("(not configured)").count(), 2, "{out}");
}
