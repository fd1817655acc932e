//! Test reports and the farm story on the consumer trace page, over real HTTP with a SQLite file:
//! the CSV import (bad rows named, idempotent, conflicts refused, co-op scoped), the `reports
//! import` command's exit codes, `POST /v1/test-reports` (managers only), values marked ✓ within
//! and ✗ outside their limits, and published photos — public and cacheable — while photos of
//! abnormal reports stay private even if a register names them.

use chrono::{DateTime, Duration};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::payload::TraceCode;
use fieldtrace_core::photo::compress_photo;
use fieldtrace_server::reports::import_csv;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken, ReportOutcome};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use serde_json::{json, Value};
use std::sync::Arc;

const KIWI: &str = "报告编号,检测机构,采样日期,签发日期,检测项目,检测结果,单位,下限,上限,标准
SX-1,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,多菌灵,0.02,mg/kg,,0.5,GB 2763-2021
SX-1,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,吡虫啉,0.9,mg/kg,,0.5,GB 2763-2021
SX-1,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,可溶性固形物,16.2,%,15,,
SX-2,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,多菌灵,很少,mg/kg,,0.5,
";

struct Server {
    base: String,
    storage: Arc<SqliteStorage>,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

struct Device {
    id: DeviceId,
    credential: String,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().expect("dir");
        let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
        storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop a");
        storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop b");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(fieldtrace_dashboard::serve(
            listener,
            storage.clone(),
            ServerConfig::default(),
            std::future::pending(),
        ));
        Server { base, storage, _dir: dir, http: reqwest::Client::new() }
    }

    async fn enroll(&self, coop: &str, party: &str, role: Role) -> Device {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: coop.into(),
            party: PartyId::new(party),
            role,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        let (id, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        let body = json!({ "token": token, "device_id": id.to_string(), "credential": credential });
        let response = self.http.post(format!("{}/v1/enroll", self.base)).json(&body).send().await.expect("enroll");
        assert_eq!(response.status(), 200);
        Device { id, credential }
    }

    async fn post_report(&self, device: &Device, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/test-reports", self.base))
            .bearer_auth(format!("{}:{}", device.id, device.credential))
            .json(body)
            .send()
            .await
            .expect("post");
        (response.status().as_u16(), response.json().await.expect("json"))
    }

    async fn page(&self, code: &TraceCode) -> String {
        let response = self.http.get(format!("{}/t/{code}", self.base)).send().await.expect("get");
        assert_eq!(response.status(), 200);
        response.text().await.expect("html")
    }
}

fn crate_code(n: u64) -> TraceCode {
    TraceCode::from_value(0x5EED_0000 + n).expect("code")
}

fn event(device: DeviceId, party: &str, kind: EventKind, codes: Vec<String>, minute: i64) -> Event {
    let at = DateTime::parse_from_rfc3339("2026-09-10T07:00:00+08:00").expect("time") + Duration::minutes(minute);
    Event {
        id: EventId::new(),
        kind,
        step: None,
        disposition: None,
        codes,
        lot: None,
        actor: Actor { party: PartyId::new(party), role: Role::Manager },
        recorder: Recorder { party: PartyId::new(party), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

/// Lot K with farm `farmer-li`, and crate 1 harvested into it.
fn kiwi_lot(device: DeviceId) -> Vec<Event> {
    let lot = Update::new(EntityKind::Lot, "K-2026-0815").set("product", "猕猴桃").set("farm", "farmer-li");
    let farm = Update::new(EntityKind::Party, "farmer-li").set("name", "李家果园");
    let mut harvest =
        event(device, "manager-chen", EventKind::Report, vec![format!("t/{}", crate_code(1).canonical())], 2);
    harvest.step = Some(BizStep::Harvesting);
    harvest.disposition = Some(Disposition::Normal);
    harvest.lot = Some(LotId::new("K-2026-0815"));
    vec![
        event(device, "manager-chen", EventKind::Update(lot), vec![], 0),
        event(device, "manager-chen", EventKind::Update(farm), vec![], 1),
        harvest,
    ]
}

#[tokio::test]
async fn csv_import_names_bad_rows_is_idempotent_and_marks_values_on_the_page() {
    let server = Server::start().await;
    let manager = server.enroll("coop-a", "manager-chen", Role::Manager).await;
    server.storage.push("coop-a", manager.id, kiwi_lot(manager.id), 0).await.expect("push");

    let summary = import_csv(&*server.storage, "coop-a", "K-2026-0815", KIWI.as_bytes(), "cli").await.expect("import");
    assert_eq!(summary.outcomes, [("SX-1".to_owned(), ReportOutcome::Stored)]);
    let named: Vec<(usize, &str)> = summary.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
    assert_eq!(named, [(5, "检测结果")], "{:?}", summary.problems);
    assert_eq!(summary.refused, ["SX-2"]);

    let again = import_csv(&*server.storage, "coop-a", "K-2026-0815", KIWI.as_bytes(), "cli").await.expect("again");
    assert_eq!(again.outcomes, [("SX-1".to_owned(), ReportOutcome::Unchanged)]);
    let changed = KIWI.replace("0.02", "0.03");
    let conflict = import_csv(&*server.storage, "coop-a", "K-2026-0815", changed.as_bytes(), "cli").await.expect("c");
    assert_eq!(conflict.outcomes, [("SX-1".to_owned(), ReportOutcome::Conflict)]);
    assert_eq!(server.storage.test_reports("coop-a", "K-2026-0815").await.expect("reports").len(), 1);
    assert!(server.storage.test_reports("coop-b", "K-2026-0815").await.expect("b").is_empty(), "co-op scoped");

    let html = server.page(&crate_code(1)).await;
    for expected in [
        "检测报告",
        "陕西省农产品质量安全检测中心",
        "SX-1",
        r#"<td class="within">✓ 0.02 mg/kg"#,
        "≤ 0.5 mg/kg",
        "GB 2763-2021",
        r#"<td class="outside">✗ 0.9 mg/kg"#,
        "超标",
        r#"<td class="within">✓ 16.2 %"#,
        "≥ 15 %",
        "✗ 有项目不合格",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
    assert!(!html.contains("0.03"), "the conflicting re-import changed nothing");
}

#[tokio::test]
async fn the_reports_command_exits_2_on_problems_and_0_when_all_is_in() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    SqliteStorage::open(&db).expect("open").create_coop("coop-a", "合作社").await.expect("coop");
    let (bad, good) = (dir.path().join("bad.csv"), dir.path().join("good.csv"));
    std::fs::write(&bad, KIWI).expect("write");
    std::fs::write(&good, KIWI.lines().take(4).collect::<Vec<_>>().join("\n")).expect("write");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace"))
            .args(["reports", "import", "--coop", "coop-a", "--lot", "K-2026-0815", "--db"])
            .arg(&db)
            .arg(file)
            .output()
            .expect("run")
    };
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row 5, column 检测结果") && stderr.contains("SX-2"), "{stderr}");
    let out = run(&good);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already there"));
}

#[tokio::test]
async fn only_managers_post_reports_and_numbers_are_not_reused() {
    let server = Server::start().await;
    let manager = server.enroll("coop-a", "manager-chen", Role::Manager).await;
    let farmer = server.enroll("coop-a", "farmer-li", Role::Farmer).await;
    let report = json!({
        "report_no": "HN-7", "lot": "M-2026-0702", "lab": "海南省农产品检测中心",
        "sampled_on": "2026-11-17", "issued_on": "2026-11-19",
        "results": [{"analyte": "吡虫啉", "value": "0.35", "unit": "mg/kg", "max": 0.2, "standard": "GB 2763-2021"},
                    {"analyte": "毒死蜱", "value": "ND", "unit": "mg/kg", "max": 0.05}]
    });
    let (status, body) = server.post_report(&farmer, &report).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("test_reports_manager_only")));
    let (status, body) = server.post_report(&manager, &report).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("stored")), "{body}");
    let (status, body) = server.post_report(&manager, &report).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("unchanged")));
    let mut other = report.clone();
    other["results"][0]["value"] = json!("0.1");
    let (status, body) = server.post_report(&manager, &other).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("test_report_conflict")));
    let mut bad = report.clone();
    bad["issued_on"] = json!("2026-11-01");
    let (status, body) = server.post_report(&manager, &bad).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("test_report_invalid")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("issued_on")), "{body}");
    let mut bad = report.clone();
    bad["results"][1]["value"] = json!("n/a");
    let (status, _) = server.post_report(&manager, &bad).await;
    assert_eq!(status, 400);
    let stored = server.storage.test_reports("coop-a", "M-2026-0702").await.expect("stored");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].results[0].within_limits(), Some(false));
}

fn photo(seed: u8) -> Vec<u8> {
    let scene = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x as u8) ^ seed, y as u8, seed]));
    let mut png = Vec::new();
    scene.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("png");
    compress_photo(&png).expect("compress").jpeg
}

#[tokio::test]
async fn published_photos_are_public_and_cacheable_abnormal_ones_never() {
    let server = Server::start().await;
    let manager = server.enroll("coop-a", "manager-chen", Role::Manager).await;
    let (orchard, bruise) = (photo(1), photo(2));
    let (orchard_sha, bruise_sha) =
        (fieldtrace_core::photo::sha256_hex(&orchard), fieldtrace_core::photo::sha256_hex(&bruise));
    let mut events = kiwi_lot(manager.id);
    let story = Update::new(EntityKind::Party, "farmer-li")
        .set("story", "李大爷种了三十年猕猴桃。")
        .set("photo", orchard_sha.clone());
    let mut publish = event(manager.id, "manager-chen", EventKind::Update(story), vec![], 3);
    publish.photos = vec![PhotoRef(orchard_sha.clone())];
    // A bruised crate's photo, and a (mistaken) lot photo register naming it.
    let mut abnormal = event(manager.id, "manager-chen", EventKind::Report, vec!["t/OTHER".into()], 4);
    abnormal.disposition = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    abnormal.photos = vec![PhotoRef(bruise_sha.clone())];
    let leak = Update::new(EntityKind::Lot, "K-2026-0815").set("photo", bruise_sha.clone());
    events.extend([publish, abnormal, event(manager.id, "manager-chen", EventKind::Update(leak), vec![], 5)]);
    server.storage.push("coop-a", manager.id, events, 0).await.expect("push");

    let public = |coop: &str, sha: &str| format!("{}/t/photos/{coop}/{sha}", server.base);
    // Not uploaded yet: nothing to serve.
    assert_eq!(server.http.get(public("coop-a", &orchard_sha)).send().await.expect("get").status(), 404);
    for (sha, bytes) in [(&orchard_sha, &orchard), (&bruise_sha, &bruise)] {
        let response = server
            .http
            .put(format!("{}/v1/photos/{sha}?offset=0&size={}", server.base, bytes.len()))
            .bearer_auth(format!("{}:{}", manager.id, manager.credential))
            .body(bytes.clone())
            .send()
            .await
            .expect("put");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }

    let html = server.page(&crate_code(1)).await;
    assert!(html.contains("李大爷种了三十年猕猴桃。"), "{html}");
    assert!(html.contains(&format!("/t/photos/coop-a/{orchard_sha}")), "{html}");
    assert!(!html.contains(&bruise_sha), "an abnormal report's photo is never linked publicly");

    let response = server.http.get(public("coop-a", &orchard_sha)).send().await.expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), orchard.as_slice());
    let revalidate = server
        .http
        .get(public("coop-a", &orchard_sha))
        .header("if-none-match", format!("\"{orchard_sha}\""))
        .send()
        .await
        .expect("get");
    assert_eq!(revalidate.status(), 304);

    for (coop, sha) in
        [("coop-a", &bruise_sha), ("coop-b", &orchard_sha), ("nope", &orchard_sha), ("coop-a", &"0".repeat(64))]
    {
        let status = server.http.get(public(coop, sha)).send().await.expect("get").status();
        assert_eq!(status, 404, "{coop}/{sha}");
    }
    // Unpublishing (clearing the register) takes the photo off the public route at once.
    let clear = Update::new(EntityKind::Party, "farmer-li").clear("photo");
    let unpublish = event(manager.id, "manager-chen", EventKind::Update(clear), vec![], 6);
    server.storage.push("coop-a", manager.id, vec![unpublish], 0).await.expect("push");
    assert_eq!(server.http.get(public("coop-a", &orchard_sha)).send().await.expect("get").status(), 404);
}
