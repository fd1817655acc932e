//! The dashboard's lot page over real HTTP on a SQLite file: a manager sees the lot's custody,
//! timeline, abnormal report with its photo (served by the manager photo route, thumbnail and full
//! size) and exports the timeline CSV (audited); a manager of another co-op gets 404 for the lot
//! and its photo; device credentials are sent to the sign-in page. A lot bigger than a download
//! chunk streams every event into its CSV exports.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_dashboard::ui::put_manager;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use reqwest::redirect::Policy;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const PASSWORD: &str = "kiwi-orchard-2026";

fn event(kind: EventKind, codes: &[&str], step: BizStep, minutes: i64, device: DeviceId) -> Event {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00+08:00").expect("time")
        + chrono::Duration::minutes(minutes);
    Event {
        id: EventId::new(),
        kind,
        step: Some(step),
        disposition: Some(Disposition::Normal),
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        lot: None,
        actor: Actor { party: PartyId::new("farmer-li"), role: Role::Manager },
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

/// A small real JPEG (a brownish bruise on green).
fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| {
        let d = (x as i32 - 32).pow(2) + (y as i32 - 24).pow(2);
        if d < 200 {
            image::Rgb([120, 80, 40])
        } else {
            image::Rgb([110, 160, 60])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image).expect("jpeg");
    out
}

async fn enroll(storage: &SqliteStorage, coop: &str, role: Role) -> (DeviceId, String) {
    let token = generate_secret().expect("entropy");
    let new = NewEnrollmentToken {
        token_hash: hash_secret(&token),
        coop: coop.into(),
        party: PartyId::new("farmer-li"),
        role,
        expires_at_ms: i64::MAX,
    };
    storage.create_enrollment_token(new).await.expect("token");
    let (device, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
    storage.enroll(hash_secret(&token), device, hash_secret(&credential), 0).await.expect("enroll");
    (device, credential)
}

async fn sign_in(http: &reqwest::Client, base: &str, name: &str) -> String {
    let response = http
        .post(format!("{base}/ui/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={name}&password={PASSWORD}&code="))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 303);
    let header = response.headers()["set-cookie"].to_str().expect("ascii");
    header.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn managers_see_their_lot_with_photos_others_get_404_and_devices_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop");
    storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop");
    put_manager(storage.as_ref(), "coop-a", "chen", Some("陈经理"), PASSWORD, false).await.expect("manager");
    put_manager(storage.as_ref(), "coop-b", "huang", Some("黄经理"), PASSWORD, false).await.expect("manager");
    let (device, credential) = enroll(&storage, "coop-a", Role::Manager).await;
    let photo = jpeg();
    let sha: String = Sha256::digest(&photo).iter().map(|b| format!("{b:02x}")).collect();
    let missing_sha = "ab".repeat(32);
    let lot = Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li");
    let mut harvest = event(EventKind::Report, &["t/A"], BizStep::Harvesting, 0, device);
    harvest.lot = Some(LotId::new("K-1"));
    let mut bruised = event(EventKind::Report, &["t/A"], BizStep::Receiving, 60, device);
    bruised.disposition = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    bruised.photos = vec![PhotoRef(sha.clone()), PhotoRef(missing_sha.clone())];
    let events = vec![event(EventKind::Update(lot), &[], BizStep::Harvesting, 0, device), harvest, bruised];
    storage.push("coop-a", device, events, 0).await.expect("push");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let bearer = format!("Bearer {device}:{credential}");
    // The phone uploads the photo through the device API, in one chunk.
    let put = http
        .put(format!("{base}/v1/photos/{sha}?offset=0&size={}", photo.len()))
        .header("authorization", &bearer)
        .body(photo.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(put.status().as_u16(), 200, "{}", put.text().await.unwrap_or_default());

    let chen = sign_in(&http, &base, "chen").await;
    let get = |path: String, cookie: Option<String>, auth: Option<String>| {
        let mut request = http.get(format!("{base}{path}"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move { request.send().await.expect("send") }
    };
    let page = get("/ui/lots/K-1".into(), Some(chen.clone()), None).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("交接链") && html.contains("碰伤") && html.contains("猕猴桃"), "{html}");
    assert!(html.contains(&format!(r#"src="/ui/photos/{sha}/thumb""#)), "the uploaded photo is shown");
    assert!(html.contains("照片尚未上传"), "the photo not uploaded yet is a placeholder");
    let list = get("/ui".into(), Some(chen.clone()), None).await.text().await.expect("body");
    assert!(list.contains(r#"<a href="/ui/lots/K-1">K-1</a>"#), "the lots list links to the page");

    let thumb = get(format!("/ui/photos/{sha}/thumb"), Some(chen.clone()), None).await;
    assert_eq!(thumb.status().as_u16(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes().await.expect("bytes")).expect("a JPEG");
    assert_eq!((small.width(), small.height()), (64, 48), "never scaled up");
    let full = get(format!("/ui/photos/{sha}"), Some(chen.clone()), None).await;
    assert_eq!(full.bytes().await.expect("bytes").as_ref(), photo.as_slice());
    assert_eq!(get(format!("/ui/photos/{missing_sha}/thumb"), Some(chen.clone()), None).await.status().as_u16(), 404);

    let csv = get("/ui/lots/K-1/timeline.csv".into(), Some(chen.clone()), None).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.expect("body");
    assert!(csv.starts_with("\u{feff}time,event,who,recorder,device,codes,units,condition,note\r\n"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let actions: Vec<String> =
        storage.audit_log("coop-a", 10).await.expect("audit").into_iter().map(|e| e.action + " " + &e.detail).collect();
    assert!(actions[0].starts_with("export_csv lot K-1 timeline: 2 events"), "{actions:?}");
    let custody = get("/ui/lots/K-1/custody.csv".into(), Some(chen.clone()), None).await.text().await.expect("body");
    assert!(custody.starts_with("\u{feff}step,from,to,first,last,units,boxes,abnormal,flag,trip\r\n"), "{custody}");
    assert!(custody.lines().count() >= 2, "the harvest is a hand-off: {custody}");

    // Another co-op's manager: the lot and its photo do not exist for them.
    let huang = sign_in(&http, &base, "huang").await;
    assert_eq!(get("/ui/lots/K-1".into(), Some(huang.clone()), None).await.status().as_u16(), 404);
    assert_eq!(get("/ui/lots/K-1/timeline.csv".into(), Some(huang.clone()), None).await.status().as_u16(), 404);
    assert_eq!(get(format!("/ui/photos/{sha}/thumb"), Some(huang.clone()), None).await.status().as_u16(), 404);
    assert_eq!(get(format!("/ui/photos/{sha}"), Some(huang), None).await.status().as_u16(), 404);

    // A device credential opens none of it.
    for path in ["/ui/lots/K-1".to_owned(), "/ui/lots/K-1/custody.csv".into(), format!("/ui/photos/{sha}/thumb")] {
        let response = get(path.clone(), None, Some(bearer.clone())).await;
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/ui/login");
    }
}

/// A lot bigger than a download chunk (2,000 events): the CSV exports stream every event, and the
/// custody chain carries its open hand-off across chunks (one picker's taps stay one hand-off).
#[tokio::test]
async fn a_big_lots_csv_exports_stream_every_event_across_chunks() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop");
    put_manager(storage.as_ref(), "coop-a", "chen", Some("陈经理"), PASSWORD, false).await.expect("manager");
    let device = DeviceId::new();
    let lot = Update::new(EntityKind::Lot, "K-BIG").set("farm", "farmer-li");
    let mut events = vec![event(EventKind::Update(lot), &[], BizStep::Harvesting, 0, device)];
    const TAPS: usize = 4_500;
    for i in 0..TAPS {
        let code = format!("t/H{i}");
        let mut tap = event(EventKind::Report, &[code.as_str()], BizStep::Harvesting, 1, device);
        tap.hlc.logical = i as u32;
        tap.lot = Some(LotId::new("K-BIG"));
        events.push(tap);
    }
    let mut loading = event(EventKind::Observation, &["t/H0", "t/H1", "t/H2"], BizStep::Loading, 90, device);
    loading.disposition = None;
    loading.actor.party = PartyId::new("driver-zhao");
    events.push(loading);
    storage.push("coop-a", device, events, 0).await.expect("push");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let chen = sign_in(&http, &base, "chen").await;
    let download = |what: &str| {
        let request = http.get(format!("{base}/ui/lots/K-BIG/{what}.csv")).header("cookie", chen.clone());
        async move { request.send().await.expect("send").text().await.expect("body") }
    };
    let timeline = download("timeline").await;
    assert_eq!(timeline.lines().count(), 1 + TAPS + 1, "header, every tap, the loading");
    let custody = download("custody").await;
    let rows: Vec<&str> = custody.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{custody}");
    assert!(rows[0].contains(&format!(",{TAPS},")), "one harvest hand-off of every tap: {}", rows[0]);
    assert!(rows[1].contains("farmer-li,driver-zhao"), "then the loading from the picker: {}", rows[1]);
    let page = http.get(format!("{base}/ui/lots/K-BIG")).header("cookie", chen.clone()).send().await.expect("send");
    let html = page.text().await.expect("body");
    assert!(html.contains("?before="), "the newest window links to the earlier ones");
    assert!(!html.contains("?after="), "and to no later one");
}
