//! EPCIS 2.0 export: every document is validated against the official EPCIS 2.0 JSON schema
//! (`../shared/epcis/EPCIS-JSON-Schema.json`), and its content is checked event by event. The HTTP
//! endpoint is exercised on a real server on loopback.

use chrono::{DateTime, Duration, FixedOffset};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_server::epcis::{export_lot, stored_lot_page, ExportOptions};
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/epcis").join(path)
}

fn schema() -> Value {
    let text = std::fs::read_to_string(shared("EPCIS-JSON-Schema.json")).expect("EPCIS schema in ../shared/epcis");
    serde_json::from_str(&text).expect("schema is JSON")
}

/// Our documents are held to more than the schema demands: in draft-07 `format` is only an
/// annotation, but we assert it, so every `uri` and `date-time` value is checked too.
fn validator() -> jsonschema::Validator {
    jsonschema::draft7::options().should_validate_formats(true).build(&schema()).expect("schema compiles")
}

/// The schema as published, formats not asserted: what GS1's own examples are written against
/// (their document ids are JSON-LD blank nodes such as `_:document1`, not URIs).
fn plain_validator() -> jsonschema::Validator {
    jsonschema::draft7::options().should_validate_formats(false).build(&schema()).expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value) {
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "EPCIS schema violations:\n{}\n{document:#}", errors.join("\n"));
}

struct Events {
    device: DeviceId,
    next: u64,
    start: DateTime<FixedOffset>,
}

impl Events {
    fn new() -> Self {
        let start = DateTime::parse_from_rfc3339("2026-09-10T07:30:00+08:00").expect("time");
        Self { device: DeviceId::new(), next: 0, start }
    }

    fn event(&mut self, kind: EventKind, codes: &[&str], step: Option<BizStep>) -> Event {
        self.next += 1;
        let at = self.start + Duration::minutes(self.next as i64 * 30);
        Event {
            id: EventId::new(),
            kind,
            step,
            disposition: None,
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: None,
            actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
            recorder: Recorder { party: PartyId::new("farmer-li"), device: self.device },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }
}

const ITEM_A: &str = "/01/06901234567892/21/A1";
const ITEM_B: &str = "t/K7Q2MX4P";
const BOX: &str = "/00/106141412345678908";
const OTHER: &str = "/01/06901234567892/21/Z9";

/// A lot's life: harvest, a farm record, packing into a box, loading the box, a handover, a
/// sensor reading, an abnormal report that was then voided; plus another lot's event.
fn kiwi_lot() -> (Vec<Event>, EventId) {
    let mut e = Events::new();
    let mut out = Vec::new();
    let lot = Some(LotId::new("LOT-2026-001"));
    let mut update = e.event(
        EventKind::Update(
            Update::new(EntityKind::Lot, "LOT-2026-001").set("product", "猕猴桃").set("farm", "李家果园"),
        ),
        &[],
        None,
    );
    update.actor.role = Role::Manager;
    out.push(update);
    let mut spray = e.event(
        EventKind::FarmRecord(FarmRecord {
            activity: "spraying".into(),
            plot: Some("东坡".into()),
            input: Some("代森锰锌".into()),
            amount: Some(Quantity { value: 1.5, unit: "kg".into() }),
            pre_harvest_interval_days: Some(14),
            grade: None,
        }),
        &[],
        None,
    );
    spray.lot.clone_from(&lot);
    out.push(spray);
    for code in [ITEM_A, ITEM_B] {
        let mut harvest = e.event(EventKind::Report, &[code], Some(BizStep::Harvesting));
        harvest.disposition = Some(Disposition::Normal);
        harvest.lot.clone_from(&lot);
        harvest.location =
            Some(Location { gps: Some(GeoPoint { lat: 34.16, lon: 108.2, accuracy_m: None }), place: None });
        out.push(harvest);
    }
    out.push(e.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Pack },
        &[ITEM_A, ITEM_B],
        Some(BizStep::Packing),
    ));
    out.push(e.event(EventKind::Observation, &[BOX], Some(BizStep::Loading)));
    out.push(e.event(
        EventKind::Handover { from: PartyId::new("coop"), to: PartyId::new("driver-wang") },
        &[BOX],
        Some(BizStep::Transfer),
    ));
    let mut reading = e.event(EventKind::SensorReading, &[BOX], None);
    reading.sensors = vec![
        SensorValue { kind: SensorKind::TemperatureCelsius, value: 3.5, at: None },
        SensorValue { kind: SensorKind::RelativeHumidityPercent, value: 91.0, at: Some(reading.recorded_at) },
    ];
    out.push(reading);
    let mut bruised = e.event(EventKind::Report, &[ITEM_A], Some(BizStep::Receiving));
    bruised.disposition = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    bruised.note = Some("压伤".into());
    let voided = bruised.id;
    out.push(bruised);
    out.push(e.event(EventKind::Correction { voids: voided }, &[], None));
    let mut other = e.event(EventKind::Report, &[OTHER], Some(BizStep::Harvesting));
    other.disposition = Some(Disposition::Normal);
    other.lot = Some(LotId::new("LOT-2026-002"));
    out.push(other);
    (out, voided)
}

fn options() -> ExportOptions {
    ExportOptions { digital_link_base: "https://id.gs1.org".into(), trace_base: "https://trace.example.cn".into() }
}

#[test]
fn the_official_examples_pass_and_a_broken_document_fails() {
    let plain = plain_validator();
    let mut checked = 0;
    for entry in std::fs::read_dir(shared("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_valid(&plain, &document);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} examples found");
    let validator = validator();
    let (events, _) = kiwi_lot();
    let mut document = export_lot(&events, "LOT-2026-001", &options(), "2026-11-23T08:00:00+08:00");
    document["epcisBody"]["eventList"][0]["bizStep"] = Value::from("harvesting");
    assert!(!validator.is_valid(&document), "a non-CBV bizStep must fail validation");
    document["epcisBody"]["eventList"][0]["bizStep"] = Value::from("commissioning");
    document["epcisBody"]["eventList"][0]["eventTime"] = Value::from("yesterday");
    assert!(!validator.is_valid(&document), "a malformed eventTime must fail validation");
}

#[test]
fn a_lots_export_is_valid_and_complete() {
    let (events, voided) = kiwi_lot();
    let document = export_lot(&events, "LOT-2026-001", &options(), "2026-11-23T08:00:00+08:00");
    assert_valid(&validator(), &document);

    let list = document["epcisBody"]["eventList"].as_array().expect("event list");
    let types: Vec<&str> = list.iter().map(|e| e["type"].as_str().unwrap_or("")).collect();
    // farm record, 2 harvests, pack, loading, handover, sensor, bruised + its error declaration.
    assert_eq!(types.len(), 9, "{types:?}");
    assert_eq!(types.iter().filter(|t| **t == "AggregationEvent").count(), 1);
    let all = document.to_string();
    assert!(!all.contains("Z9"), "another lot's unit leaked into the export");

    assert_eq!(list[0]["quantityList"][0]["epcClass"], "urn:fieldtrace:lot:LOT-2026-001");
    let harvest = &list[1];
    assert_eq!(harvest["action"], "ADD");
    assert_eq!(harvest["bizStep"], "commissioning");
    assert_eq!(harvest["disposition"], "conformant");
    assert_eq!(harvest["epcList"][0], "https://id.gs1.org/01/06901234567892/21/A1");
    assert_eq!(harvest["readPoint"]["id"], "geo:34.16,108.2");
    assert_eq!(harvest["eventTimeZoneOffset"], "+08:00");
    assert_eq!(list[2]["epcList"][0], "https://trace.example.cn/t/K7Q2MX4P");

    let pack = &list[3];
    assert_eq!(pack["parentID"], "https://id.gs1.org/00/106141412345678908");
    assert_eq!(pack["childEPCs"].as_array().map(Vec::len), Some(2));
    assert_eq!(pack["action"], "ADD");
    // Events on the box count for the lot: its kiwis were in it.
    assert_eq!(list[4]["bizStep"], "loading");
    assert_eq!(list[5]["sourceList"][0]["source"], "urn:fieldtrace:party:coop");
    assert_eq!(list[5]["destinationList"][0]["destination"], "urn:fieldtrace:party:driver-wang");
    let sensors = &list[6]["sensorElementList"][0]["sensorReport"];
    assert_eq!(sensors[0]["type"], "Temperature");
    assert_eq!(sensors[0]["uom"], "CEL");
    assert_eq!(sensors[1]["type"], "RelativeHumidity");

    let id = format!("urn:uuid:{voided}");
    let copies: Vec<&Value> = list.iter().filter(|e| e["eventID"] == id.as_str()).collect();
    assert_eq!(copies.len(), 2, "the voided report appears as recorded and as declared erroneous");
    assert!(copies[0].get("errorDeclaration").is_none());
    assert_eq!(copies[1]["errorDeclaration"]["reason"], "incorrect_data");
    assert_eq!(copies[1]["disposition"], "damaged");
    assert_eq!(copies[1]["ft:abnormalReason"], "bruised");
    assert_eq!(document["ft:lot"]["product"], "猕猴桃");
}

/// Ids of the exported events (without error declarations).
fn exported_ids(document: &Value) -> Vec<String> {
    let list = document["epcisBody"]["eventList"].as_array().cloned().unwrap_or_default();
    list.iter()
        .filter(|e| e.get("errorDeclaration").is_none())
        .filter_map(|e| e["eventID"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn container_events_count_for_a_lot_only_while_its_units_were_inside() {
    let mut e = Events::new();
    let lot = Some(LotId::new("LOT-2026-001"));
    let mut harvest = e.event(EventKind::Report, &[ITEM_A], Some(BizStep::Harvesting));
    harvest.lot.clone_from(&lot);
    harvest.disposition = Some(Disposition::Normal);
    let pack = e.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Pack },
        &[ITEM_A],
        Some(BizStep::Packing),
    );
    let onto_pallet = e.event(
        EventKind::Aggregation { parent: "pallet-7".into(), action: AggregationAction::Pack },
        &[BOX],
        Some(BizStep::Packing),
    );
    let pallet_loaded = e.event(EventKind::Observation, &["pallet-7"], Some(BizStep::Loading));
    let box_before = e.event(EventKind::Observation, &[BOX], Some(BizStep::WarehouseIn));
    let unpack = e.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Unpack },
        &[ITEM_A],
        Some(BizStep::Packing),
    );
    let box_after = e.event(EventKind::Observation, &[BOX], Some(BizStep::Loading));
    let pallet_after = e.event(EventKind::Observation, &["pallet-7"], Some(BizStep::Transfer));
    let events = vec![
        harvest.clone(),
        pack.clone(),
        onto_pallet.clone(),
        pallet_loaded.clone(),
        box_before.clone(),
        unpack.clone(),
        box_after.clone(),
        pallet_after.clone(),
    ];
    let document = export_lot(&events, "LOT-2026-001", &options(), "2026-11-23T08:00:00+08:00");
    assert_valid(&validator(), &document);
    let expected: Vec<String> = [&harvest, &pack, &onto_pallet, &pallet_loaded, &box_before, &unpack]
        .iter()
        .map(|e| format!("urn:uuid:{}", e.id))
        .collect();
    assert_eq!(exported_ids(&document), expected, "box and pallet events after the unpack are not the lot's");

    // The server's export, read from the projected lot history, says the same, whatever order
    // the events arrived in and however they were projected.
    let storage = SqliteStorage::open_in_memory().expect("open");
    storage.create_coop("coop", "coop").await.expect("coop");
    let projector = fieldtrace_server::projection::Projector::new();
    for event in events.iter().rev() {
        storage.push("coop", DeviceId::new(), vec![event.clone()], 0).await.expect("push");
        projector.catch_up(&storage, "coop").await.expect("project");
    }
    let created = "2026-11-23T08:00:00+08:00";
    let page = stored_lot_page(&storage, "coop", "LOT-2026-001", &options(), created, None, 100).await.expect("page");
    assert_valid(&validator(), &page.document);
    assert_eq!(exported_ids(&page.document), expected);
    assert!(page.next.is_none());
}

#[test]
fn an_unknown_lot_exports_an_empty_but_valid_document() {
    let (events, _) = kiwi_lot();
    let document = export_lot(&events, "NO-SUCH-LOT", &options(), "2026-11-23T08:00:00+08:00");
    assert_valid(&validator(), &document);
    assert_eq!(document["epcisBody"]["eventList"].as_array().map(Vec::len), Some(0));
}

async fn enrolled(storage: &SqliteStorage, party: &str, role: Role) -> (DeviceId, String) {
    let token = generate_secret().expect("entropy");
    let new = NewEnrollmentToken {
        token_hash: hash_secret(&token),
        coop: "coop-a".into(),
        party: PartyId::new(party),
        role,
        expires_at_ms: i64::MAX,
    };
    storage.create_enrollment_token(new).await.expect("token");
    let (device, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
    storage.enroll(hash_secret(&token), device, hash_secret(&credential), 0).await.expect("enroll");
    (device, credential)
}

#[tokio::test]
async fn managers_export_over_http_and_others_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop");
    let (farmer, farmer_secret) = enrolled(&storage, "farmer-li", Role::Farmer).await;
    let (manager, manager_secret) = enrolled(&storage, "manager-zhao", Role::Manager).await;
    let (mut events, _) = kiwi_lot();
    for event in &mut events {
        event.recorder.device = farmer;
    }
    storage.push("coop-a", farmer, events, 0).await.expect("push");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let get = |device: DeviceId, secret: &str, query: &str| {
        http.get(format!("{base}/v1/epcis{query}")).header("authorization", format!("Bearer {device}:{secret}")).send()
    };

    let response = get(manager, &manager_secret, "?lot=LOT-2026-001").await.expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    assert!(response.headers().get("link").is_none(), "one page holds the whole small lot");
    let document: Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
    assert_valid(&validator(), &document);
    assert_eq!(document["epcisBody"]["eventList"].as_array().map(Vec::len), Some(9));
    // Without a configured public URL, trace codes point at the address the client used.
    assert!(document.to_string().contains(&format!("{base}/t/K7Q2MX4P")));

    // Page by page, as EPCIS 2.0 query clients read: `perPage`, then the `Link: rel="next"`.
    let mut paged: Vec<Value> = Vec::new();
    let mut next = Some("/v1/epcis?lot=LOT-2026-001&perPage=3".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let response = http
            .get(format!("{base}{path}"))
            .header("authorization", format!("Bearer {manager}:{manager_secret}"))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status().as_u16(), 200);
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().expect("ascii");
            assert!(link.ends_with(r#">; rel="next""#), "{link}");
            link.trim_start_matches('<').split('>').next().expect("target").to_owned()
        });
        let page: Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
        assert_valid(&validator(), &page);
        paged.extend(page["epcisBody"]["eventList"].as_array().cloned().unwrap_or_default());
        pages += 1;
    }
    assert!(pages >= 3, "{pages} pages of at most 3 events");
    assert_eq!(Some(&paged), document["epcisBody"]["eventList"].as_array(), "the pages make up the whole export");
    let bad = get(manager, &manager_secret, "?lot=LOT-2026-001&nextPageToken=garbage").await.expect("send");
    assert_eq!(bad.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&bad.text().await.expect("body")).expect("json");
    assert_eq!(body["error"], "page_token_invalid");
    let too_many = get(manager, &manager_secret, "?lot=LOT-2026-001&perPage=0").await.expect("send");
    assert_eq!(too_many.status().as_u16(), 400);

    let refused = get(farmer, &farmer_secret, "?lot=LOT-2026-001").await.expect("send");
    assert_eq!(refused.status().as_u16(), 403);
    let body: Value = serde_json::from_str(&refused.text().await.expect("body")).expect("json");
    assert_eq!(body["error"], "role_forbidden");

    let missing = get(manager, &manager_secret, "").await.expect("send");
    assert_eq!(missing.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&missing.text().await.expect("body")).expect("json");
    assert_eq!(body["error"], "lot_missing");

    // The operator's command line exports the same lot from the database file.
    let db = dir.path().join("server.db");
    let out = dir.path().join("lot.jsonld");
    let cli = |lot: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace"))
            .args(["export", "epcis", "--coop", "coop-a", "--lot", lot, "--trace-base", "https://trace.example.cn"])
            .arg("--db")
            .arg(&db)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run fieldtrace")
    };
    let exported = cli("LOT-2026-001");
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("json");
    assert_valid(&validator(), &document);
    assert_eq!(document["epcisBody"]["eventList"].as_array().map(Vec::len), Some(9));
    let unknown = cli("NO-SUCH-LOT");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no events for lot \"NO-SUCH-LOT\""));
}
