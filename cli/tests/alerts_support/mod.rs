//! Shared pieces of the alert tests: a real server on loopback over a SQLite file, devices that
//! enroll and push over HTTP, and local HTTP receivers standing in for a webhook and an SMS
//! gateway (axum on 127.0.0.1:0) that record what they got and can fail on purpose.

#![allow(dead_code)]

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::payload::TraceCode;
use fieldtrace_core::sync::wire;
use fieldtrace_server::alerts::store::{AlertFilter, AlertRow};
use fieldtrace_server::alerts::{AlertOptions, AlertSettings, AlertStore};
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::{ServerClock, ServerConfig};
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const COOP: &str = "coop-z";
pub const GEO_HEADER: &str = "X-Client-City";

pub struct Server {
    pub base: String,
    pub storage: Arc<SqliteStorage>,
    pub clock: ServerClock,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Fast timings so retries and expiry checks happen within a test.
pub fn test_config() -> ServerConfig {
    ServerConfig {
        geo_header: Some(GEO_HEADER.to_owned()),
        alerts: AlertOptions {
            tick_ms: 100,
            expiry_check_ms: 0,
            retry_base_ms: 50,
            max_attempts: 5,
            timeout_ms: 2_000,
        },
        ..ServerConfig::default()
    }
}

impl Server {
    pub async fn start(db: &Path) -> Self {
        Self::start_with(db, test_config()).await
    }

    pub async fn start_with(db: &Path, config: ServerConfig) -> Self {
        let storage = Arc::new(SqliteStorage::open(db).expect("open"));
        storage.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop");
        let clock = config.clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        tokio::spawn(fieldtrace_dashboard::serve(listener, storage.clone(), config, shutdown));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Server { base, storage, clock, http, stop: Some(stop) }
    }

    /// Stops serving (the alert task ends with the server).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn configure(&self, settings: AlertSettings) {
        self.storage.put_alert_settings(COOP, settings).await.expect("settings");
    }

    pub async fn enroll(&self, party: &str, role: Role) -> Device {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: COOP.into(),
            party: PartyId::new(party),
            role,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        let (id, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        let body = serde_json::json!({ "token": token, "device_id": id.to_string(), "credential": credential });
        let response = self
            .http
            .post(format!("{}/v1/enroll", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("enroll");
        assert_eq!(response.status().as_u16(), 200);
        Device { id, credential, party: PartyId::new(party), role }
    }

    /// Pushes over HTTP and checks every event was accepted.
    pub async fn push(&self, device: &Device, events: Vec<Event>) {
        let response = self
            .http
            .post(format!("{}/v1/events", self.base))
            .header("authorization", device.bearer())
            .header("content-type", wire::CONTENT_TYPE)
            .body(wire::encode_events(&events))
            .send()
            .await
            .expect("push");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("\"accepted\":{}", events.len())), "{body}");
    }

    /// A consumer's look-up of `code` from `place`.
    pub async fn scan_from(&self, code: &str, place: &str) {
        let response = self
            .http
            .get(format!("{}/t/{}", self.base, code.trim_start_matches("t/")))
            .header(GEO_HEADER, place)
            .send()
            .await
            .expect("trace page");
        assert_eq!(response.status().as_u16(), 200);
    }

    pub async fn alerts(&self) -> Vec<AlertRow> {
        self.storage.alerts(COOP, AlertFilter { limit: 1_000, ..AlertFilter::default() }).await.expect("alerts")
    }

    /// Waits (bounded) until `done` holds for the co-op's alerts; returns them.
    pub async fn alerts_when(&self, what: &str, done: impl Fn(&[AlertRow]) -> bool) -> Vec<AlertRow> {
        for _ in 0..400 {
            let alerts = self.alerts().await;
            if done(&alerts) {
                return alerts;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gave up waiting for {what}: {:#?}", self.alerts().await);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Device {
    pub id: DeviceId,
    pub credential: String,
    pub party: PartyId,
    pub role: Role,
}

/// One clock for every test device, so causal order is the order events were made in (as on
/// phones whose clocks agree).
static WALL_MS: AtomicU64 = AtomicU64::new(1_795_420_800_000);

impl Device {
    pub fn bearer(&self) -> String {
        format!("Bearer {}:{}", self.id, self.credential)
    }

    pub fn event(&self, kind: EventKind, codes: &[&str], lot: Option<&str>, disposition: Option<Disposition>) -> Event {
        let wall_ms = WALL_MS.fetch_add(60_000, Ordering::Relaxed);
        let at = chrono::DateTime::from_timestamp_millis(wall_ms as i64).expect("time").fixed_offset();
        Event {
            id: EventId::new(),
            kind,
            step: None,
            disposition,
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: lot.map(LotId::new),
            actor: Actor { party: self.party.clone(), role: self.role },
            recorder: Recorder { party: self.party.clone(), device: self.id },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }

    pub fn update(&self, update: Update) -> Event {
        self.event(EventKind::Update(update), &[], None, None)
    }

    pub fn report(&self, code: &str, lot: &str, disposition: Disposition) -> Event {
        self.event(EventKind::Report, &[code], Some(lot), Some(disposition))
    }
}

pub fn bruised() -> Disposition {
    Disposition::Abnormal(AbnormalReason::Bruised)
}

/// The code key of the `n`th test label.
pub fn code(n: u64) -> String {
    format!("t/{}", TraceCode::from_value(0xA1E7_0000 + n).expect("code").canonical())
}

/// What a local receiver got: the JSON bodies and the headers that matter.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub status: u16,
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Clone)]
struct ReceiverState {
    fail_first: u64,
    calls: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<Received>>>,
}

/// An HTTP endpoint on loopback that answers 500 to its first `fail_first` requests, then 200.
pub struct Receiver {
    pub url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(fail_first: u64) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState { fail_first, calls: Arc::new(AtomicU64::new(0)), log: log.clone() };
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, log }
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    pub fn succeeded(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.status == 200).collect()
    }

    pub async fn wait_for_successes(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            if self.succeeded().len() >= n {
                return self.succeeded();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("receiver got {:#?}", self.received());
    }
}

async fn receive(State(state): State<ReceiverState>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let n = state.calls.fetch_add(1, Ordering::SeqCst);
    let status = if n < state.fail_first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.log.lock().expect("log").push(Received {
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        status: status.as_u16(),
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
    });
    status
}
