//! `fieldtrace labels` as an operator runs it: the product comes from the lot in a device store,
//! the printed codes are valid trace codes on the sheet, and bad requests say what to fix.

use fieldtrace_core::model::{Actor, EntityKind, PartyId, Role, Update};
use fieldtrace_core::payload::TraceCode;
use fieldtrace_core::session::Session;
use fieldtrace_core::Store;
use std::sync::Arc;

fn run_cli(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace")).args(args).output().expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[test]
fn a_sheet_for_a_lot_named_in_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    {
        let store = Arc::new(Store::open(&db).expect("store"));
        let manager = Actor { party: PartyId::new("manager-wang"), role: Role::Manager };
        let mut session = Session::new(store, manager, Arc::new(fieldtrace_core::clock::SystemClock));
        session.update(Update::new(EntityKind::Lot, "K-0815").set("product", "猕猴桃")).expect("lot");
    }
    let (db, out) = (db.to_string_lossy().into_owned(), dir.path().join("k.svg"));
    let out = out.to_string_lossy().into_owned();
    let args = ["labels", "--lot", "K-0815", "--count", "3", "--out", &out, "--store", &db, "--host", "t.example.cn"];
    let (ok, stdout, stderr) = run_cli(&args);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("3 labels for 猕猴桃:"), "{stdout}");
    let codes: Vec<TraceCode> =
        stdout.lines().skip(1).take(3).map(|l| TraceCode::parse(l).expect("a trace code")).collect();
    let svg = std::fs::read_to_string(&out).expect("svg");
    assert!(svg.contains("猕猴桃"));
    for code in codes {
        assert!(svg.contains(&format!("https://t.example.cn/t/{}", code.canonical())));
    }

    // Unknown lot without --product; store without enrollment and no --host; a font that is not there.
    let (ok, _, err) = run_cli(&["labels", "--lot", "X-9", "--out", &out, "--store", &db, "--host", "t.example.cn"]);
    assert!(!ok && err.contains("lot X-9 has no product") && err.contains("--product"), "{err}");
    let (ok, _, err) = run_cli(&["labels", "--lot", "K-0815", "--out", &out, "--store", &db]);
    assert!(!ok && err.contains("--host"), "{err}");
    let png = dir.path().join("k.png").to_string_lossy().into_owned();
    let no_font = ["labels", "--lot", "K", "--product", "芒果", "--host", "t.example.cn", "--out", &png];
    let (ok, _, err) = run_cli(&[&no_font[..], &["--font", "/no/such.ttc"]].concat());
    assert!(!ok && err.contains("/no/such.ttc"), "{err}");
    let missing = dir.path().join("typo.db").to_string_lossy().into_owned();
    let (ok, _, err) = run_cli(&["labels", "--lot", "K-0815", "--out", &out, "--store", &missing]);
    assert!(!ok && err.contains("no such file") && !dir.path().join("typo.db").exists(), "{err}");
    let (ok, _, err) = run_cli(&["labels", "--lot", "K", "--product", "芒果", "--host", "h", "--out", "x.gif"]);
    assert!(!ok && err.contains(".png, .svg or .pdf"), "{err}");
}
