//! The consumer trace page `/t/{code}` over real HTTP: product and farm, the journey including
//! what happened to the unit's box, first-scan versus repeated-scan authenticity, languages, and
//! friendly pages for unknown and mistyped codes.

use chrono::{DateTime, Duration, FixedOffset};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::payload::TraceCode;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::Path;
use std::sync::Arc;

const BOX: &str = "/00/106141412345678908";

fn code(n: u64) -> TraceCode {
    TraceCode::from_value(0x5EED_0000 + n).expect("code")
}

fn key(n: u64) -> String {
    format!("t/{}", code(n).canonical())
}

/// Writes a history one hour per event, as one manager's device.
struct Script {
    device: DeviceId,
    n: i64,
    start: DateTime<FixedOffset>,
}

impl Script {
    fn event(&mut self, kind: EventKind, codes: &[&str], step: Option<BizStep>, party: &str) -> Event {
        self.n += 1;
        let at = self.start + Duration::hours(self.n);
        Event {
            id: EventId::new(),
            kind,
            step,
            disposition: step.map(|_| Disposition::Normal),
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: None,
            actor: Actor { party: PartyId::new(party), role: Role::Manager },
            recorder: Recorder { party: PartyId::new("manager-zhao"), device: self.device },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }
}

/// A kiwi crate harvested by farmer Li, packed into a box, the box loaded and delivered.
fn history() -> Vec<Event> {
    let start = DateTime::parse_from_rfc3339("2026-09-10T07:00:00+08:00").expect("time");
    let mut r = Script { device: DeviceId::new(), n: 0, start };
    let (item, other) = (key(1), key(2));
    let mut out = vec![
        r.event(
            EventKind::Update(
                Update::new(EntityKind::Lot, "K-2026-0815")
                    .set("product", "猕猴桃")
                    .set("variety", "徐香")
                    .set("farm", "farmer-li")
                    .set("harvest_date", "2026-09-10"),
            ),
            &[],
            None,
            "manager-zhao",
        ),
        r.event(
            EventKind::Update(
                Update::new(EntityKind::Party, "farmer-li").set("name", "李家果园").set("region", "周至县"),
            ),
            &[],
            None,
            "manager-zhao",
        ),
    ];
    for code in [&item, &other] {
        let mut harvest = r.event(EventKind::Report, &[code], Some(BizStep::Harvesting), "farmer-li");
        harvest.lot = Some(LotId::new("K-2026-0815"));
        out.push(harvest);
    }
    out.push(r.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Pack },
        &[&item],
        Some(BizStep::Packing),
        "coop",
    ));
    out.push(r.event(EventKind::Report, &[BOX], Some(BizStep::Loading), "driver-zhao"));
    let mut crushed = r.event(EventKind::Report, &[BOX], Some(BizStep::Delivering), "driver-zhao");
    crushed.disposition = Some(Disposition::Abnormal(AbnormalReason::CrushedPackage));
    out.push(crushed);
    out
}

async fn serve(db: &Path, config: ServerConfig) -> (String, Arc<SqliteStorage>) {
    let storage = Arc::new(SqliteStorage::open(db).expect("open"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(listener, storage.clone(), config, std::future::pending()));
    (base, storage)
}

async fn seeded(db: &Path, config: ServerConfig) -> String {
    let (base, storage) = serve(db, config).await;
    storage.create_coop("coop-zhouzhi", "周至猕猴桃合作社").await.expect("coop");
    let events = history();
    let device = events[0].recorder.device;
    storage.push("coop-zhouzhi", device, events, 0).await.expect("push");
    base
}

async fn get(url: &str, city: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(city) = city {
        request = request.header("x-client-city", city);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().expect("type").to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_buyer_sees_product_farm_journey_and_first_scan() {
    let dir = tempfile::tempdir().expect("dir");
    let base = seeded(&dir.path().join("server.db"), ServerConfig::default()).await;
    // Printed with hyphens, typed in lower case: both find the same unit.
    let (status, html) = get(&format!("{base}/t/{}", code(1)), None).await;
    assert_eq!(status, 200, "{html}");
    for expected in [
        "猕猴桃",
        "徐香",
        "李家果园",
        "周至县",
        "周至猕猴桃合作社",
        "首次查询",
        "采摘",
        "装箱",
        "装车",
        "送达",
        "包装压坏",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
    assert!(!html.contains("<script"), "the page must work without JavaScript");
    // The journey is in causal order: harvest before packing before loading.
    let (harvest, packing, loading) =
        (html.find("采摘").expect("h"), html.find("装箱").expect("p"), html.find("装车").expect("l"));
    assert!(harvest < packing && packing < loading);

    let (status, again) = get(&format!("{base}/t/{}", code(1).canonical().to_lowercase()), None).await;
    assert_eq!(status, 200);
    assert!(again.contains("此码已被查询 2 次"), "{again}");
    assert!(!again.contains("这是此码第一次被查询"));

    // The other crate was never packed: nothing of the box reaches it.
    let (_, other) = get(&format!("{base}/t/{}", code(2)), None).await;
    assert!(other.contains("采摘") && !other.contains("装车") && !other.contains("包装压坏"), "{other}");
}

#[tokio::test]
async fn english_and_places_from_the_front_proxy() {
    let dir = tempfile::tempdir().expect("dir");
    let config = ServerConfig { geo_header: Some("x-client-city".into()), ..ServerConfig::default() };
    let base = seeded(&dir.path().join("server.db"), config).await;
    get(&format!("{base}/t/{}", code(1)), Some("西安")).await;
    get(&format!("{base}/t/{}", code(1)), Some("广州")).await;
    let (status, html) = get(&format!("{base}/t/{}?lang=en", code(1)), Some("西安")).await;
    assert_eq!(status, 200);
    assert!(html.contains("looked up 3 times"), "{html}");
    assert!(html.contains("西安 (2)") && html.contains("广州 (1)"), "{html}");
    assert!(html.contains("Harvested") && html.contains("package crushed"), "{html}");
    assert!(html.contains(r#"href="?lang=zh""#));
}

#[tokio::test]
async fn unknown_and_mistyped_codes_get_a_friendly_page() {
    let dir = tempfile::tempdir().expect("dir");
    let base = seeded(&dir.path().join("server.db"), ServerConfig::default()).await;
    let (status, html) = get(&format!("{base}/t/{}", code(99)), None).await;
    assert_eq!(status, 404);
    assert!(html.contains("未找到此码") && html.contains(&code(99).to_string()), "{html}");

    let mut typo = code(1).canonical();
    let last = typo.pop().expect("check symbol");
    typo.push(if last == '0' { '1' } else { '0' });
    let (status, html) = get(&format!("{base}/t/{typo}"), None).await;
    assert_eq!(status, 404);
    assert!(html.contains("溯源码无效"), "{html}");
    let (status, html) = get(&format!("{base}/t/%3Cscript%3E"), None).await;
    assert_eq!(status, 404);
    assert!(!html.contains("<script>"), "input is escaped: {html}");
}

#[tokio::test]
async fn events_stored_before_the_lookup_indexes_are_indexed_on_open() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    {
        let storage = SqliteStorage::open(&db).expect("open");
        storage.create_coop("coop-zhouzhi", "周至猕猴桃合作社").await.expect("coop");
        let events = history();
        let device = events[0].recorder.device;
        storage.push("coop-zhouzhi", device, events, 0).await.expect("push");
    }
    // As a database from before migrations 002 and 009 would be: events, but empty indexes and
    // no projection.
    let raw = rusqlite::Connection::open(&db).expect("raw");
    for table in ["event_codes", "containment_edges", "correction_targets", "entity_updates", "projection_checkpoints"]
    {
        raw.execute(&format!("DELETE FROM {table}"), []).expect("empty the index");
    }
    drop(raw);
    let (base, storage) = serve(&db, ServerConfig::default()).await;
    assert_eq!(storage.coops_with_code(&key(1)).await.expect("lookup"), vec!["coop-zhouzhi".to_owned()]);
    assert_eq!(storage.coops_with_code(BOX).await.expect("lookup"), vec!["coop-zhouzhi".to_owned()]);
    let (status, html) = get(&format!("{base}/t/{}", code(1)), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("装车"));
}

#[tokio::test]
async fn a_box_event_after_the_unit_was_unpacked_is_not_on_its_page() {
    let dir = tempfile::tempdir().expect("dir");
    let (base, storage) = serve(&dir.path().join("server.db"), ServerConfig::default()).await;
    storage.create_coop("coop-zhouzhi", "周至猕猴桃合作社").await.expect("coop");
    let mut events = history();
    let device = events[0].recorder.device;
    let start = DateTime::parse_from_rfc3339("2026-09-10T07:00:00+08:00").expect("time");
    let mut r = Script { device, n: events.len() as i64 + 1, start };
    let item = key(1);
    events.push(r.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Unpack },
        &[&item],
        Some(BizStep::Packing),
        "coop",
    ));
    let mut wet = r.event(EventKind::Report, &[BOX], Some(BizStep::Inspecting), "warehouse-sun");
    wet.disposition = Some(Disposition::Abnormal(AbnormalReason::Wet));
    events.push(wet);
    storage.push("coop-zhouzhi", device, events, 0).await.expect("push");
    let (status, html) = get(&format!("{base}/t/{}", code(1)), None).await;
    assert_eq!(status, 200);
    // Before the unpack the box's events are the crate's; after it, they are not.
    assert!(html.contains("装车") && html.contains("包装压坏"), "{html}");
    assert!(!html.contains("质量检查") && !html.contains("受潮"), "a later box event leaked: {html}");
}
