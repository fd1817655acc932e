//! `fieldtrace import` against a real server on loopback with a SQLite file: CSV and XLSX, Chinese
//! and English headers, bad rows named, all-or-nothing, dry run, re-import without duplicates,
//! farmer as actor and assistant as recorder on the server, piece counts without voided records,
//! pre-harvest-interval flags, and the push rules on actor and recorder.

use fieldtrace_cli::import::{self, ImportOptions, ImportReport};
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_core::Store;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::state::coop_events;
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const COOP: &str = "coop-zz";

struct Server {
    base: String,
    storage: Arc<SqliteStorage>,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

struct Device {
    id: DeviceId,
    credential: String,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    Server { base, storage, dir, http: reqwest::Client::new() }
}

impl Server {
    async fn token(&self, party: &str, role: Role) -> String {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: COOP.into(),
            party: PartyId::new(party),
            role,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        token
    }

    /// A device enrolled over raw HTTP, for calling the API directly.
    async fn device(&self, party: &str, role: Role) -> Device {
        let token = self.token(party, role).await;
        let (id, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        let body = serde_json::json!({ "token": token, "device_id": id.to_string(), "credential": credential });
        let response = self.http.post(format!("{}v1/enroll", self.base)).json_body(&body).send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200);
        Device { id, credential }
    }

    async fn get(&self, device: &Device, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}:{}", device.id, device.credential))
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null))
    }

    async fn push(&self, device: &Device, events: &[Event]) -> Value {
        let response = self
            .http
            .post(format!("{}v1/events", self.base))
            .header("authorization", format!("Bearer {}:{}", device.id, device.credential))
            .header("content-type", wire::CONTENT_TYPE)
            .body(wire::encode_events(events))
            .send()
            .await
            .expect("send");
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("json")
    }

    async fn events(&self) -> Vec<Event> {
        coop_events(self.storage.as_ref(), COOP).await.expect("events")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn options(&self, file: &Path, state: &str) -> ImportOptions {
        let mut options = ImportOptions::new(file.to_owned(), self.path(state));
        options.server = Some(self.base.clone());
        options
    }
}

trait JsonBody {
    fn json_body(self, body: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header("content-type", "application/json").body(body.to_string())
    }
}

async fn import(options: &ImportOptions) -> ImportReport {
    import::run(options).await.expect("import")
}

/// 1,000 rows: sprayings, fertilizing and harvests of 50 farmers, with 3 bad rows among them.
fn thousand_rows() -> String {
    let mut csv = String::from("日期,农户,地块,批次,作业,农药,用量,安全间隔期(天),数量,等级\n");
    for i in 0..1_000 {
        let farmer = format!("farmer-{}", i % 50);
        let line = match i {
            100 => "2026-02-30,farmer-1,A1,,施肥,尿素,20kg,,,".to_owned(),
            500 => format!("2026-09-01,{farmer},A1,,打药,吡虫啉,-5ml,14,,"),
            900 => "2026-09-01,,A1,,采收,,,,500斤,一级".to_owned(),
            _ => match i % 3 {
                0 => format!("2026-09-01,{farmer},P{i},,喷药,吡虫啉,30ml,14,,"),
                1 => format!("2026-09-02,{farmer},P{i},,施肥,尿素,{}kg,,,", i % 40 + 1),
                _ => format!("2026-09-20,{farmer},P{i},LOT-{i},采收,,,,{} 斤,一级", 100 + i),
            },
        };
        csv.push_str(&line);
        csv.push('\n');
    }
    csv
}

#[tokio::test]
async fn a_csv_with_three_bad_rows_imports_the_rest_and_a_reimport_adds_nothing() {
    let server = start().await;
    let file = server.path("records.csv");
    std::fs::write(&file, thousand_rows()).expect("write");
    let mut options = server.options(&file, "state.db");
    options.token = Some(server.token("assistant-wang", Role::Assistant).await);

    let report = import(&options).await;
    assert_eq!((report.rows, report.valid_rows), (1_000, 997));
    let problems = report.problems.join("\n");
    assert!(problems.contains("records.csv: row 102, column A (日期): \"2026-02-30\" is not a date"), "{problems}");
    assert!(problems.contains("records.csv: row 502, column G (用量): -5ml is negative"), "{problems}");
    assert!(problems.contains("records.csv: row 902, column B (农户): every row needs a 农户/farmer"), "{problems}");
    assert_eq!(report.problems.len(), 3);
    assert_eq!((report.recorded, report.accepted, report.pending), (997, 997, 0));
    assert!(!report.clean());
    let first = server.storage.event_ids(COOP).await.expect("ids");
    assert_eq!(first.len(), 997);

    // The same file again with the same state file: nothing new anywhere.
    let again = import(&options).await;
    assert_eq!((again.recorded, again.already_recorded, again.accepted), (0, 997, 0));
    // And from a fresh state file, enrolled with a new token for the same assistant: the derived
    // ids are the same, so the server answers `known` for every one.
    let mut fresh = server.options(&file, "fresh-state.db");
    fresh.token = Some(server.token("assistant-wang", Role::Assistant).await);
    let fresh_report = import(&fresh).await;
    assert_eq!((fresh_report.recorded, fresh_report.accepted, fresh_report.known), (997, 0, 997));
    assert_eq!(server.storage.event_ids(COOP).await.expect("ids"), first, "no duplicates on the server");

    // Farmer as actor, assistant as recorder, as stored by the server.
    let events = server.events().await;
    let harvest = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::FarmRecord(r) if r.activity == "harvest"))
        .expect("a harvest");
    assert_eq!(harvest.actor.role, Role::Farmer);
    assert!(harvest.actor.party.as_str().starts_with("farmer-"));
    assert_eq!(harvest.recorder.party.as_str(), "assistant-wang");
}

#[tokio::test]
async fn an_xlsx_with_english_headers_and_date_cells_imports() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let server = start().await;
    let file = server.path("records.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (col, name) in
        ["Date", "Farmer", "Plot", "Lot", "Activity", "Pesticide", "Dose (ml)", "PHI", "Quantity", "Grade"]
            .iter()
            .enumerate()
    {
        sheet.write_string(0, col as u16, *name).expect("header");
    }
    /// Day of September, activity, pesticide, lot, dose, PHI, quantity.
    type Row<'a> = (u8, &'a str, &'a str, &'a str, Option<f64>, Option<f64>, &'a str);
    let rows: [Row<'_>; 3] = [
        (1, "spraying", "吡虫啉", "", Some(30.0), Some(14.0), ""),
        (8, "harvest", "", "LOT-9", None, None, "500 kg"),
        (9, "bogus", "", "", None, None, ""),
    ];
    for (i, (day, activity, pesticide, lot, dose, phi, quantity)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let date = ExcelDateTime::from_ymd(2026, 9, *day).expect("date");
        sheet.write_datetime_with_format(row, 0, &date, &date_format).expect("date");
        sheet.write_string(row, 1, "farmer-li").expect("farmer");
        sheet.write_string(row, 2, "A1").expect("plot");
        sheet.write_string(row, 3, *lot).expect("lot");
        sheet.write_string(row, 4, *activity).expect("activity");
        sheet.write_string(row, 5, *pesticide).expect("pesticide");
        if let Some(dose) = dose {
            sheet.write_number(row, 6, *dose).expect("dose");
        }
        if let Some(phi) = phi {
            sheet.write_number(row, 7, *phi).expect("phi");
        }
        sheet.write_string(row, 8, *quantity).expect("quantity");
    }
    workbook.save(&file).expect("save");

    let mut options = server.options(&file, "state.db");
    options.token = Some(server.token("assistant-wang", Role::Assistant).await);
    let report = import(&options).await;
    assert_eq!((report.rows, report.valid_rows, report.accepted), (3, 2, 2));
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].contains("records.xlsx: row 4, column E (Activity): unknown activity \"bogus\""));
    let events = server.events().await;
    let spray = events.iter().find(|e| e.lot.is_none()).expect("spraying");
    let EventKind::FarmRecord(record) = &spray.kind else { panic!("not a farm record") };
    assert_eq!(record.amount.as_ref().map(|q| (q.value, q.unit.as_str())), Some((30.0, "ml")), "unit from the header");
    assert_eq!(spray.recorded_at.to_rfc3339(), "2026-09-01T12:00:00+08:00");
    // The harvest a week later is inside the 14 days: flagged in the report and on the server.
    assert_eq!(report.phi_flags.len(), 1);
    assert_eq!((report.phi_flags[0].days_between, report.phi_flags[0].interval_days), (7, 14));
    let reader = server.device("farmer-li", Role::Farmer).await;
    let (status, body) = server.get(&reader, "v1/phi-flags?lot=LOT-9").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["flags"][0]["spraying"].as_str(), Some(spray.id.to_string().as_str()));
    let (_, none) = server.get(&reader, "v1/phi-flags?lot=LOT-OTHER").await;
    assert_eq!(none["flags"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn all_or_nothing_and_dry_run_send_nothing() {
    let server = start().await;
    let file = server.path("records.csv");
    std::fs::write(&file, thousand_rows()).expect("write");
    let token = server.token("assistant-wang", Role::Assistant).await;

    let mut dry = server.options(&file, "dry-state.db");
    dry.dry_run = true;
    dry.token = Some(token.clone());
    let report = import(&dry).await;
    assert_eq!((report.valid_rows, report.problems.len(), report.recorded), (997, 3, 0));
    assert!(!server.path("dry-state.db").exists(), "a dry run creates no state file");

    // The token was not spent by the dry run: it enrolls now.
    let mut strict = server.options(&file, "state.db");
    strict.all_or_nothing = true;
    strict.token = Some(token);
    let report = import(&strict).await;
    assert!(report.refused_all);
    assert_eq!((report.recorded, report.accepted), (0, 0));
    assert!(server.storage.event_ids(COOP).await.expect("ids").is_empty(), "nothing reached the server");
    let state = Store::open(server.path("state.db")).expect("state");
    assert_eq!(state.event_count().expect("count"), 0, "nothing was saved either");
}

#[tokio::test]
async fn bad_headers_stop_the_file_and_a_farmer_cannot_import_for_others() {
    let server = start().await;
    let file = server.path("bad.csv");
    std::fs::write(&file, "日期,农户,作业,颜色\n2026-09-01,farmer-li,施肥,红\n").expect("write");
    let err = import::run(&server.options(&file, "state.db")).await.expect_err("unknown column");
    assert!(err.to_string().contains("bad.csv: row 1, column D (颜色): unknown column"), "{err}");

    let file = server.path("farmer.csv");
    std::fs::write(
        &file,
        "date,farmer,activity\n2026-09-01,farmer-li,fertilizing\n2026-09-01,farmer-wang,fertilizing\n",
    )
    .expect("write");
    let mut options = server.options(&file, "farmer-state.db");
    options.token = Some(server.token("farmer-li", Role::Farmer).await);
    let report = import(&options).await;
    assert_eq!((report.valid_rows, report.accepted), (1, 1));
    assert!(report.problems[0].contains("row 3: a farmer may record only their own work"), "{:?}", report.problems);
}

#[tokio::test]
async fn piece_counts_follow_the_assistant_and_leave_out_voided_records() {
    let server = start().await;
    let file = server.path("records.csv");
    std::fs::write(&file, thousand_rows()).expect("write");
    let mut options = server.options(&file, "state.db");
    options.token = Some(server.token("assistant-wang", Role::Assistant).await);
    import(&options).await;

    // The assistant corrects one record (voids it) through the same state file and sync client.
    let state = Arc::new(Store::open(server.path("state.db")).expect("state"));
    let voided = state.all_events().expect("events")[0].event.clone();
    let mut correction = voided.clone();
    correction.id = EventId::new();
    correction.kind = EventKind::Correction { voids: voided.id };
    correction.actor = Actor { party: PartyId::new("assistant-wang"), role: Role::Assistant };
    state.record_local_batch(now_ms(), vec![correction]).expect("correction");
    let client = fieldtrace_core::sync::SyncClient::new(state.clone(), Default::default()).expect("client");
    assert_eq!(client.push_now().await.expect("push").accepted, 1);

    // The month the pieces count in: when they were recorded (the import), not the sheet's dates.
    let day = fieldtrace_core::pieces::piece_day(&voided).expect("day");
    let month = day.format("%Y-%m").to_string();
    let own = server.device("assistant-wang", Role::Assistant).await;
    let (status, body) = server.get(&own, &format!("v1/piece-counts?month={month}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"].as_u64(), Some(996), "997 imported, one voided, the correction is no piece");
    assert_eq!(body["party"].as_str(), Some("assistant-wang"));
    let local =
        state.piece_counts(&PartyId::new("assistant-wang"), fieldtrace_core::pieces::Month::parse(&month).expect("m"));
    assert_eq!(local.expect("local").total, 996, "the state file's store agrees with the server");

    let manager = server.device("manager-chen", Role::Manager).await;
    let (status, body) = server.get(&manager, &format!("v1/piece-counts?party=assistant-wang&month={month}")).await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(996)));
    let other = server.device("assistant-zhao", Role::Assistant).await;
    let (status, body) = server.get(&other, &format!("v1/piece-counts?party=assistant-wang&month={month}")).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("piece_counts_not_own")));
    let (status, body) = server.get(&other, "v1/piece-counts?month=2026-13").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("month_invalid")));
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).expect("after 1970")
}

fn farm_record(device: &Device, actor: &str, role: Role, recorder: &str) -> Event {
    let now = chrono::Utc::now();
    Event {
        id: EventId::new(),
        kind: EventKind::FarmRecord(FarmRecord {
            activity: "fertilizing".into(),
            plot: Some("A1".into()),
            input: None,
            amount: None,
            pre_harvest_interval_days: None,
            grade: None,
        }),
        step: None,
        disposition: None,
        codes: Vec::new(),
        lot: None,
        actor: Actor { party: PartyId::new(actor), role },
        recorder: Recorder { party: PartyId::new(recorder), device: device.id },
        location: None,
        recorded_at: now.fixed_offset(),
        hlc: fieldtrace_core::clock::HlcTimestamp { wall_ms: now_ms(), logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

#[tokio::test]
async fn the_server_lets_assistants_record_for_farmers_but_not_farmers_for_each_other() {
    let server = start().await;
    let assistant = server.device("assistant-wang", Role::Assistant).await;
    let farmer = server.device("farmer-li", Role::Farmer).await;
    let answer = server
        .push(
            &assistant,
            &[
                farm_record(&assistant, "farmer-li", Role::Farmer, "assistant-wang"),
                farm_record(&assistant, "farmer-li", Role::Farmer, "assistant-zhao"),
            ],
        )
        .await;
    assert_eq!(answer["results"].as_str(), Some("AR"), "{answer}");
    assert_eq!(answer["rejected"][0]["error"].as_str(), Some("recorder_party_mismatch"));
    let answer = server
        .push(
            &farmer,
            &[
                farm_record(&farmer, "farmer-li", Role::Farmer, "farmer-li"),
                farm_record(&farmer, "farmer-wang", Role::Farmer, "farmer-li"),
            ],
        )
        .await;
    assert_eq!(answer["results"].as_str(), Some("AR"), "{answer}");
    assert_eq!(answer["rejected"][0]["error"].as_str(), Some("actor_not_self"));
}
