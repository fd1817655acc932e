//! The sync API over real HTTP on loopback, with a real SQLite file behind it: enrollment,
//! idempotent push, paged pull, tenancy, roles, revocation and error bodies; the `/healthz` and
//! `/readyz` probes.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::{SqliteStorage, SCHEMA_VERSION};
use serde_json::Value;
use std::sync::Arc;

struct Server {
    base: String,
    storage: Arc<SqliteStorage>,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

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

struct Device {
    id: DeviceId,
    credential: String,
    party: PartyId,
}

impl Server {
    async fn token(&self, coop: &str, party: &str, role: Role) -> String {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: coop.into(),
            party: PartyId::new(party),
            role,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        token
    }

    async fn post_enroll(&self, token: &str, device: DeviceId, credential: &str) -> (u16, Value) {
        let body = serde_json::json!({ "token": token, "device_id": device.to_string(), "credential": credential });
        let response = self
            .http
            .post(format!("{}/v1/enroll", self.base))
            .body(body.to_string())
            .header("content-type", "application/json");
        let response = response.send().await.expect("send");
        (response.status().as_u16(), response.json_value().await)
    }

    async fn enroll(&self, coop: &str, party: &str, role: Role) -> Device {
        let token = self.token(coop, party, role).await;
        let (id, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        let (status, body) = self.post_enroll(&token, id, &credential).await;
        assert_eq!(status, 200, "{body}");
        Device { id, credential, party: PartyId::new(party) }
    }

    async fn push(&self, device: &Device, events: &[Event]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/events", self.base))
            .header("authorization", format!("Bearer {}:{}", device.id, device.credential))
            .header("content-type", wire::CONTENT_TYPE)
            .body(wire::encode_events(events))
            .send()
            .await
            .expect("send");
        (response.status().as_u16(), response.json_value().await)
    }

    /// Pulls one page: the events, the next cursor and whether more remain.
    async fn pull(&self, device: &Device, after: i64, limit: usize) -> (Vec<Event>, i64, bool) {
        let response = self
            .http
            .get(format!("{}/v1/events?after={after}&limit={limit}", self.base))
            .header("authorization", format!("Bearer {}:{}", device.id, device.credential))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status().as_u16(), 200);
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let next: i64 = header("fieldtrace-next-after").and_then(|v| v.parse().ok()).expect("cursor header");
        let more = header("fieldtrace-has-more").as_deref() == Some("true");
        let events = wire::decode_events(&response.bytes().await.expect("body")).expect("decode page");
        (events, next, more)
    }
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let bytes = self.bytes().await.expect("body");
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}

fn report_by(device: &Device, code: &str, n: u64) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(Disposition::Normal),
        codes: vec![code.to_owned()],
        lot: Some(LotId::new("LOT-1")),
        actor: Actor { party: device.party.clone(), role: Role::Farmer },
        recorder: Recorder { party: device.party.clone(), device: device.id },
        location: None,
        recorded_at: chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("time"),
        hlc: HlcTimestamp { wall_ms: 1_795_420_800_000 + n, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

#[tokio::test]
async fn health_answers() {
    let server = start().await;
    let body = server.http.get(format!("{}/v1/health", server.base)).send().await.expect("send").json_value().await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["wire_version"], 1);
}

#[tokio::test]
async fn probes_answer_alive_and_ready_and_not_ready_on_a_schema_this_server_does_not_run() {
    let server = start().await;
    let get = |path: &str| server.http.get(format!("{}{path}", server.base)).send();
    let response = get("/healthz").await.expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(response.json_value().await["status"], "alive");
    let response = get("/readyz").await.expect("send");
    assert_eq!(response.status(), 200);
    let body = response.json_value().await;
    assert_eq!((body["status"].as_str(), body["schema_version"].as_i64()), (Some("ready"), Some(SCHEMA_VERSION)));

    // A newer fieldtrace migrated the file behind this server's back: not ready, still alive.
    let raw = rusqlite::Connection::open(server._dir.path().join("server.db")).expect("raw");
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("newer");
    let response = get("/readyz").await.expect("send");
    assert_eq!(response.status(), 503);
    let body = response.json_value().await;
    assert_eq!(body["error"], "not_ready");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)), "{message}");
    assert_eq!(get("/healthz").await.expect("send").status(), 200);
    raw.pragma_update(None, "user_version", SCHEMA_VERSION).expect("back");
    assert_eq!(get("/readyz").await.expect("send").status(), 200);
}

#[tokio::test]
async fn enrollment_is_one_time_but_a_retry_is_answered_again() {
    let server = start().await;
    let token = server.token("coop-a", "farmer-li", Role::Farmer).await;
    let (device, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
    let (status, first) = server.post_enroll(&token, device, &credential).await;
    assert_eq!(status, 200);
    assert_eq!((first["coop_id"].as_str(), first["role"].as_str()), (Some("coop-a"), Some("farmer")));
    let (status, retry) = server.post_enroll(&token, device, &credential).await;
    assert_eq!((status, &retry), (200, &first), "the first answer may have been lost");

    let (status, body) = server.post_enroll(&token, DeviceId::new(), &credential).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("enrollment_token_invalid")));
    let (status, body) = server.post_enroll("made-up", DeviceId::new(), &credential).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("enrollment_token_invalid")));
    let fresh = server.token("coop-a", "farmer-li", Role::Farmer).await;
    let (status, body) = server.post_enroll(&fresh, DeviceId::new(), "short").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("credential_weak")));
}

#[tokio::test]
async fn a_push_replayed_three_times_creates_no_duplicates() {
    let server = start().await;
    let farmer = server.enroll("coop-a", "farmer-li", Role::Farmer).await;
    let events: Vec<Event> = (0..100).map(|n| report_by(&farmer, &format!("KIWI-{n}"), n)).collect();
    let (status, first) = server.push(&farmer, &events).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["accepted"].as_u64(), first["known"].as_u64()), (Some(100), Some(0)));
    for _ in 0..3 {
        let (status, replay) = server.push(&farmer, &events).await;
        assert_eq!(status, 200);
        assert_eq!(replay["results"].as_str(), Some("K".repeat(100).as_str()));
    }
    // A push whose answer was lost: half old, half new.
    let more: Vec<Event> = (100..150).map(|n| report_by(&farmer, &format!("KIWI-{n}"), n)).collect();
    let mixed: Vec<Event> = events[50..].iter().chain(&more).cloned().collect();
    let (_, answer) = server.push(&farmer, &mixed).await;
    assert_eq!((answer["accepted"].as_u64(), answer["known"].as_u64()), (Some(50), Some(50)));
    assert_eq!(server.storage.event_ids("coop-a").await.expect("ids").len(), 150);
}

#[tokio::test]
async fn pull_pages_through_the_coops_events_in_server_order() {
    let server = start().await;
    let farmer = server.enroll("coop-a", "farmer-li", Role::Farmer).await;
    let events: Vec<Event> = (0..7).map(|n| report_by(&farmer, "BOX-1", n)).collect();
    server.push(&farmer, &events).await;
    let mut pulled = Vec::new();
    let mut after = 0;
    loop {
        let (page, next, more) = server.pull(&farmer, after, 3).await;
        assert!(page.len() <= 3);
        pulled.extend(page);
        after = next;
        if !more {
            break;
        }
    }
    assert_eq!(pulled, events);
    let (empty, next, more) = server.pull(&farmer, after, 3).await;
    assert!(empty.is_empty() && !more && next == after);
}

#[tokio::test]
async fn a_device_sees_and_writes_only_its_own_coop() {
    let server = start().await;
    let a = server.enroll("coop-a", "farmer-a", Role::Farmer).await;
    let b = server.enroll("coop-b", "farmer-b", Role::Farmer).await;
    server.push(&a, &[report_by(&a, "A-1", 1)]).await;
    server.push(&b, &[report_by(&b, "B-1", 1)]).await;
    let (seen_by_b, _, _) = server.pull(&b, 0, 100).await;
    assert_eq!(seen_by_b.iter().map(|e| e.codes[0].as_str()).collect::<Vec<_>>(), ["B-1"]);
    // B cannot slip an event into A's co-op by naming A's device: it lands in B's or is refused.
    let (_, answer) = server.push(&b, &[report_by(&a, "A-FORGED", 2)]).await;
    assert_eq!(answer["rejected"][0]["error"].as_str(), Some("recorder_mismatch"));
    assert_eq!(server.storage.event_ids("coop-a").await.expect("ids").len(), 1);
}

#[tokio::test]
async fn roles_limit_what_a_device_may_push() {
    let server = start().await;
    let farmer = server.enroll("coop-a", "farmer-li", Role::Farmer).await;
    let manager = server.enroll("coop-a", "manager-wang", Role::Manager).await;
    let sort = |device: &Device| {
        let mut event = report_by(device, "LOT-1-RAW", 9);
        event.kind = EventKind::Transformation { outputs: vec!["LOT-1-A".into()] };
        event
    };
    let (status, answer) = server.push(&farmer, &[report_by(&farmer, "OK-1", 1), sort(&farmer)]).await;
    assert_eq!(status, 200);
    assert_eq!(answer["results"].as_str(), Some("AR"));
    assert_eq!(answer["rejected"][0]["error"].as_str(), Some("role_forbidden_kind"));
    let (_, answer) = server.push(&manager, &[sort(&manager)]).await;
    assert_eq!(answer["results"].as_str(), Some("A"));
}

#[tokio::test]
async fn bad_credentials_revoked_devices_and_garbage_get_clear_errors() {
    let server = start().await;
    let farmer = server.enroll("coop-a", "farmer-li", Role::Farmer).await;
    let url = format!("{}/v1/events", server.base);
    let response = server.http.post(&url).body(vec![1, 2, 3]).send().await.expect("send");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.json_value().await["error"], "credential_missing");

    let wrong = Device { id: farmer.id, credential: generate_secret().expect("entropy"), party: farmer.party.clone() };
    let (status, body) = server.push(&wrong, &[]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("credential_invalid")));

    let response = server
        .http
        .post(&url)
        .header("authorization", format!("Bearer {}:{}", farmer.id, farmer.credential))
        .body(b"definitely not a batch".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.json_value().await["error"], "wire_compression");

    assert!(server.storage.revoke_device(farmer.id, 0).await.expect("revoke"));
    let (status, body) = server.push(&farmer, &[report_by(&farmer, "X", 1)]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("device_revoked")));
}
