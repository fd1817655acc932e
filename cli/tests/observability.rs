//! What an operator sees of a running server, over real HTTP: the log lines of a sign-in, an
//! enrollment and a sync (summaries present, no secret anywhere), request ids in responses, logs
//! and error bodies, and the Prometheus metrics on their own listener, as `fieldtrace serve
//! --metrics-listen` serves them.

use fieldtrace_cli::logging::{self, LogFormat};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_dashboard::ui::password::totp_code;
use fieldtrace_dashboard::ui::put_manager;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use reqwest::redirect::Policy;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

const COOP: &str = "coop-a";
const PASSWORD: &str = "orchard-Secret-pw-7731";
const WRONG_PASSWORD: &str = "orchard-Wrong-pw-4419";

struct Server {
    base: String,
    metrics_url: String,
    storage: Arc<SqliteStorage>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

struct Device {
    id: DeviceId,
    credential: String,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop");
    let config = ServerConfig::default();
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind metrics");
    let metrics_url = format!("http://{}/metrics", metrics.local_addr().expect("addr"));
    let serving = fieldtrace_server::observe::serve_metrics(
        metrics,
        storage.clone(),
        config.metrics.clone(),
        std::future::pending(),
    );
    tokio::spawn(serving);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(listener, storage.clone(), config, std::future::pending()));
    let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    Server { base, metrics_url, storage, http, _dir: dir }
}

impl Server {
    async fn token(&self) -> String {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: COOP.into(),
            party: PartyId::new("farmer-li"),
            role: Role::Farmer,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        token
    }

    async fn enroll(&self, token: &str) -> Device {
        let device = Device { id: DeviceId::new(), credential: generate_secret().expect("entropy") };
        let body =
            serde_json::json!({ "token": token, "device_id": device.id.to_string(), "credential": device.credential });
        let request = self.http.post(format!("{}/v1/enroll", self.base)).header("content-type", "application/json");
        let response = request.body(body.to_string()).send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200);
        device
    }

    fn bearer(device: &Device) -> String {
        format!("Bearer {}:{}", device.id, device.credential)
    }

    async fn push(&self, device: &Device, events: &[Event], request_id: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/v1/events", self.base))
            .header("authorization", Self::bearer(device))
            .header("content-type", wire::CONTENT_TYPE)
            .body(wire::encode_events(events));
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        request.send().await.expect("send")
    }

    async fn pull(&self, device: &Device) -> usize {
        let url = format!("{}/v1/events?after=0", self.base);
        let response = self.http.get(url).header("authorization", Self::bearer(device)).send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200);
        wire::decode_events(&response.bytes().await.expect("body")).expect("page").len()
    }

    async fn sign_in(&self, name: &str, password: &str, code: &str) -> reqwest::Response {
        let encode = |text: &str| -> String {
            text.bytes()
                .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
                .collect()
        };
        let body = format!("name={}&password={}&code={}", encode(name), encode(password), encode(code));
        let request = self.http.post(format!("{}/ui/login", self.base));
        let request = request.header("content-type", "application/x-www-form-urlencoded").body(body);
        request.send().await.expect("send")
    }

    async fn scrape(&self) -> String {
        let response = self.http.get(&self.metrics_url).send().await.expect("scrape");
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        response.text().await.expect("text")
    }
}

fn report(device: &Device, n: u64, photo: Option<&str>) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(Disposition::Normal),
        codes: vec![format!("t/OBS-{n}")],
        lot: Some(LotId::new("LOT-1")),
        actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new("farmer-li"), device: device.id },
        location: None,
        recorded_at: chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("time"),
        hlc: HlcTimestamp { wall_ms: 1_795_420_800_000 + n, logical: 0 },
        note: None,
        photos: photo.map(|sha| PhotoRef(sha.to_owned())).into_iter().collect(),
        sensors: Vec::new(),
    }
}

/// Every log line of this test binary, as the binary's JSON logger writes them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the real JSON logger at every level (trace: nothing secret at any level) once for
/// this test binary, capturing what it writes.
fn capture_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = logging::subscriber(LogFormat::Json, "trace", move || writer.clone()).expect("logger");
            tracing::subscriber::set_global_default(subscriber).expect("the only logger of this test binary");
            captured
        })
        .clone()
}

/// Where `needle` (digits) stands alone in `text`: not part of a longer number, a fraction or a
/// timestamp, where six random digits would turn up by chance.
fn standalone_digits(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_tell_what_happened_without_any_secret() {
    let captured = capture_logs();
    let server = start().await;
    let uri = put_manager(server.storage.as_ref(), COOP, "chen", None, PASSWORD, true).await.expect("manager");
    // As an operator would see it: the base32 text of the authenticator URI.
    let totp_text = uri.as_deref().and_then(|uri| uri.split("secret=").nth(1)).expect("otpauth URI");
    let totp_text = totp_text.split('&').next().expect("secret").to_owned();
    let totp_secret = server.storage.manager("chen").await.expect("read").expect("exists").totp_secret.expect("2fa");

    // A refused sign-in, then a good one with its TOTP code, then a page with the session.
    assert_eq!(server.sign_in("chen", WRONG_PASSWORD, "000000").await.status().as_u16(), 401);
    let code = totp_code(&totp_secret, chrono::Utc::now().timestamp());
    let signed_in = server.sign_in("chen", PASSWORD, &code).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
    let session = cookie.split_once('=').map(|(_, value)| value.to_owned()).expect("session token");
    let page = server.http.get(format!("{}/ui", server.base)).header("cookie", &cookie).send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);

    // An enrollment, a push that names its request id, a pull, and a push with a wrong credential.
    let token = server.token().await;
    let device = server.enroll(&token).await;
    let events: Vec<Event> = (0..3).map(|n| report(&device, n, None)).collect();
    let pushed = server.push(&device, &events, Some("field-trip-0042")).await;
    assert_eq!(pushed.status().as_u16(), 200);
    assert_eq!(pushed.headers()["x-request-id"], "field-trip-0042", "a sane incoming id is echoed");
    assert_eq!(server.pull(&device).await, 3);
    let impostor = Device { id: device.id, credential: generate_secret().expect("entropy") };
    let refused = server.push(&impostor, &events, Some("bad id with spaces")).await;
    assert_eq!(refused.status().as_u16(), 401);
    let echoed = refused.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert_ne!(echoed, "bad id with spaces", "an insane incoming id is replaced");
    let body: Value = serde_json::from_slice(&refused.bytes().await.expect("body")).expect("JSON error");
    assert_eq!(body["error"], "credential_invalid");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["request_id"], echoed.as_str(), "the error body names the request");

    let text = String::from_utf8(captured.0.lock().expect("logs").clone()).expect("utf-8");
    let lines: Vec<Value> =
        text.lines().map(|line| serde_json::from_str(line).expect("every log line is one JSON object")).collect();
    let find = |message: &'static str| lines.iter().filter(move |line| line["message"] == message);
    let device_id = device.id.to_string();
    let mine = |line: &&Value| line["device"] == device_id.as_str();

    let push = find("sync push").find(mine).expect("the push's summary line");
    assert_eq!(
        (push["coop"].as_str(), push["accepted"].as_u64(), push["duplicate"].as_u64()),
        (Some(COOP), Some(3), Some(0))
    );
    assert!(push["duration_ms"].as_f64().is_some(), "{push}");
    assert_eq!(push["span"]["request_id"], "field-trip-0042", "the summary carries the request id");
    assert_eq!(push["level"], "INFO");
    let pull = find("sync pull").find(mine).expect("the pull's summary line");
    assert_eq!(pull["events"].as_u64(), Some(3));
    assert!(find("device enrolled").any(|line| mine(&line)), "enrollment logged");
    assert!(find("dashboard sign-in").any(|line| line["manager"] == "chen"), "sign-in logged");
    assert!(find("dashboard sign-in refused").next().is_some(), "refused sign-in logged");
    let refusal = find("device authentication refused").find(mine).expect("the refused push is logged");
    assert_eq!(
        (&refusal["error"], &refusal["span"]["request_id"]),
        (&Value::from("credential_invalid"), &Value::from(echoed.as_str()))
    );

    let secrets = [
        ("password", PASSWORD.to_owned()),
        ("wrong password", WRONG_PASSWORD.to_owned()),
        ("enrollment token", token.clone()),
        ("device credential", device.credential.clone()),
        ("impostor credential", impostor.credential.clone()),
        ("session cookie", session.clone()),
        ("TOTP secret", totp_text),
    ];
    for (what, secret) in &secrets {
        assert!(!text.contains(secret.as_str()), "the {what} is in the logs");
    }
    assert!(!text.to_ascii_lowercase().contains("bearer"), "an Authorization header is in the logs");
    assert!(!standalone_digits(&text, &code), "the TOTP code {code} is in the logs");
}

/// Checks `text` is Prometheus text exposition (format 0.0.4) line by line and returns each
/// sample's value by its `name{labels}` as written.
fn parse_exposition(text: &str) -> BTreeMap<String, f64> {
    let valid_name = |name: &str| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut typed: HashSet<String> = HashSet::new();
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(valid_name(name), "{line}");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_owned()), "one TYPE line per family: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some_and(|(name, _)| valid_name(name)), "{line}");
            continue;
        }
        assert!(!line.starts_with('#'), "only HELP and TYPE comments: {line}");
        let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_else(|_| panic!("sample value: {line}")),
        };
        let name = series.split('{').next().expect("name");
        assert!(valid_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let labels = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect("labels in braces");
            for pair in labels.split(',').filter(|pair| !pair.is_empty()) {
                let (key, quoted) = pair.split_once('=').expect("label=value");
                assert!(valid_name(key) && quoted.starts_with('"') && quoted.ends_with('"'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|base| typed.contains(*base)))
            .unwrap_or(name);
        assert!(typed.contains(family), "a sample after its family's TYPE line: {line}");
        samples.insert(series.to_owned(), value);
    }
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_pushes_pulls_photos_and_sign_ins() {
    let server = start().await;
    let before = parse_exposition(&server.scrape().await);
    assert_eq!(before.get("fieldtrace_sync_requests_total{op=\"push\",outcome=\"ok\"}"), None, "nothing yet");
    assert_eq!(before.get("fieldtrace_events_ingested_total"), Some(&0.0));
    assert_eq!(before.get(&format!("fieldtrace_projection_lag_events{{coop=\"{COOP}\"}}")), Some(&0.0));

    let device = server.enroll(&server.token().await).await;
    let photo = "ab".repeat(32);
    let events: Vec<Event> = (0..3).map(|n| report(&device, n, (n == 0).then_some(photo.as_str()))).collect();
    assert_eq!(server.push(&device, &events, None).await.status().as_u16(), 200);
    assert_eq!(server.push(&device, &events, None).await.status().as_u16(), 200, "a retry: all known");
    assert_eq!(server.pull(&device).await, 3);
    // The first 100 bytes of a 1000-byte photo: counted as received, not yet complete.
    let chunk = server
        .http
        .put(format!("{}/v1/photos/{photo}?offset=0&size=1000", server.base))
        .header("authorization", Server::bearer(&device))
        .body(vec![0xffu8; 100])
        .send()
        .await
        .expect("chunk");
    assert_eq!(chunk.status().as_u16(), 200);
    put_manager(server.storage.as_ref(), COOP, "chen", None, PASSWORD, false).await.expect("manager");
    assert_eq!(server.sign_in("chen", WRONG_PASSWORD, "").await.status().as_u16(), 401);

    let after = parse_exposition(&server.scrape().await);
    let value = |series: &str| after.get(series).copied().unwrap_or_else(|| panic!("no {series} in {after:#?}"));
    assert_eq!(value("fieldtrace_sync_requests_total{op=\"push\",outcome=\"ok\"}"), 2.0);
    assert_eq!(value("fieldtrace_sync_requests_total{op=\"pull\",outcome=\"ok\"}"), 1.0);
    assert_eq!(value("fieldtrace_sync_request_duration_seconds_count{op=\"push\"}"), 2.0);
    assert_eq!(value("fieldtrace_sync_request_duration_seconds_bucket{op=\"pull\",le=\"+Inf\"}"), 1.0);
    assert_eq!(value("fieldtrace_events_ingested_total"), 3.0);
    assert_eq!(value("fieldtrace_events_duplicate_total"), 3.0);
    assert_eq!(value("fieldtrace_events_pulled_total"), 3.0);
    assert_eq!(value("fieldtrace_photo_bytes_received_total"), 100.0);
    assert_eq!(value("fieldtrace_login_failures_total"), 1.0);
    assert!(value("fieldtrace_database_size_bytes") > 0.0);
    assert!(value(&format!("fieldtrace_projection_lag_events{{coop=\"{COOP}\"}}")) >= 0.0);
    assert!(value("fieldtrace_alert_notifications_pending") >= 0.0);
    // Once the projector caught up with the pushes, the lag is exactly nothing.
    fieldtrace_server::projection::Projector::new().catch_up(server.storage.as_ref(), COOP).await.expect("catch up");
    let caught_up = parse_exposition(&server.scrape().await);
    assert_eq!(caught_up.get(&format!("fieldtrace_projection_lag_events{{coop=\"{COOP}\"}}")), Some(&0.0));
}
