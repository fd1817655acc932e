//! The manager dashboard over real HTTP: sign-in with Argon2id passwords and TOTP, sessions,
//! sign-out, the lots list with filters and CSV export, the audit log, and that device
//! credentials (any role) do not open `/ui`.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_dashboard::ui::password::totp_code;
use fieldtrace_dashboard::ui::put_manager;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use reqwest::redirect::Policy;
use std::sync::Arc;

const PASSWORD: &str = "kiwi-orchard-2026";

struct Dashboard {
    base: String,
    storage: Arc<SqliteStorage>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn event(
    kind: EventKind,
    codes: &[&str],
    lot: Option<&str>,
    disposition: Option<Disposition>,
    device: DeviceId,
) -> Event {
    let at = chrono::DateTime::parse_from_rfc3339("2026-09-10T08:00:00+08:00").expect("time");
    Event {
        id: EventId::new(),
        kind,
        step: Some(BizStep::Harvesting),
        disposition,
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        lot: lot.map(LotId::new),
        actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

async fn start() -> Dashboard {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop");
    storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop");
    put_manager(storage.as_ref(), "coop-a", "chen", Some("陈经理"), PASSWORD, false).await.expect("manager");
    let device = DeviceId::new();
    let lot = |id: &str, product: &str| {
        let update = Update::new(EntityKind::Lot, id)
            .set("product", product)
            .set("farm", "farmer-li")
            .set("harvest_date", "2026-09-10");
        event(EventKind::Update(update), &[], None, None, device)
    };
    let normal = Some(Disposition::Normal);
    let bruised = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    let events = vec![
        lot("K-1", "猕猴桃"),
        lot("M-1", "芒果"),
        event(
            EventKind::Update(Update::new(EntityKind::Party, "farmer-li").set("name", "李家果园")),
            &[],
            None,
            None,
            device,
        ),
        event(EventKind::Report, &["t/A"], Some("K-1"), normal, device),
        event(EventKind::Report, &["t/B"], Some("K-1"), bruised, device),
        event(EventKind::Report, &["t/C"], Some("M-1"), normal, device),
    ];
    storage.push("coop-a", device, events, 0).await.expect("push");
    // Another co-op's lot must never show.
    let other = vec![event(
        EventKind::Update(Update::new(EntityKind::Lot, "X-9").set("product", "苹果")),
        &[],
        None,
        None,
        device,
    )];
    storage.push("coop-b", DeviceId::new(), other, 0).await.expect("push b");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    Dashboard { base, storage, http, _dir: dir }
}

impl Dashboard {
    async fn sign_in(&self, name: &str, password: &str, code: &str) -> reqwest::Response {
        let encode = |text: &str| -> String {
            text.bytes()
                .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
                .collect()
        };
        let body = format!("name={}&password={}&code={}", encode(name), encode(password), encode(code));
        self.http
            .post(format!("{}/ui/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("send")
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("send")
    }
}

/// The `name=value` part of the response's session cookie.
fn session_cookie(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().expect("ascii");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict"), "{header}");
    header.split(';').next().expect("pair").to_owned()
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().expect("ascii")
}

#[tokio::test]
async fn a_manager_signs_in_sees_lots_exports_and_signs_out() {
    let d = start().await;
    let anonymous = d.get("/ui", None).await;
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(location(&anonymous), "/ui/login");
    let login_page = d.get("/ui/login", None).await.text().await.expect("body");
    assert!(login_page.contains("登录") && login_page.contains(r#"type="password""#));

    let wrong = d.sign_in("chen", "kiwi-orchard-2025", "").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.text().await.expect("body").contains("用户名、密码或验证码不正确"));
    assert_eq!(d.sign_in("nobody", PASSWORD, "").await.status().as_u16(), 401);

    let ok = d.sign_in("chen", PASSWORD, "").await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(location(&ok), "/ui");
    let cookie = session_cookie(&ok);

    let page = d.get("/ui", Some(&cookie)).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("body");
    assert!(
        html.contains("陈经理") && html.contains("K-1") && html.contains("M-1") && html.contains("李家果园"),
        "{html}"
    );
    assert!(!html.contains("X-9"), "another co-op's lot leaked");
    let filtered = d.get("/ui?product=%E7%8C%95%E7%8C%B4%E6%A1%83", Some(&cookie)).await.text().await.expect("body");
    assert!(filtered.contains("K-1") && !filtered.contains("<td>M-1</td>"), "{filtered}");
    let english = d.get("/ui?lang=en", Some(&cookie)).await.text().await.expect("body");
    assert!(english.contains("Lots") && english.contains("Sign out"));

    let csv = d.get("/ui/lots.csv", Some(&cookie)).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.expect("body");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "lot,product,farm,harvest_date,stage,units,abnormal_units");
    assert!(lines.contains(&"K-1,猕猴桃,李家果园,2026-09-10,采摘,2,1"), "{lines:?}");
    assert_eq!(lines.len(), 3);

    let logout = d.http.post(format!("{}/ui/logout", d.base)).header("cookie", &cookie).send().await.expect("send");
    assert_eq!(logout.status().as_u16(), 303);
    assert_eq!(d.get("/ui", Some(&cookie)).await.status().as_u16(), 303, "the old session is gone");
    let actions: Vec<String> =
        d.storage.audit_log("coop-a", 10).await.expect("audit").into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["sign_out", "export_csv", "sign_in"]);
}

#[tokio::test]
async fn totp_is_required_when_enabled() {
    let d = start().await;
    let uri =
        put_manager(d.storage.as_ref(), "coop-a", "li", None, PASSWORD, true).await.expect("manager").expect("uri");
    assert!(uri.starts_with("otpauth://totp/FieldTrace:li?secret="));
    let secret = d.storage.manager("li").await.expect("read").expect("exists").totp_secret.expect("secret");
    assert_eq!(d.sign_in("li", PASSWORD, "").await.status().as_u16(), 401);
    assert_eq!(d.sign_in("li", PASSWORD, "000000").await.status().as_u16(), 401);
    let now = chrono::Utc::now().timestamp();
    let response = d.sign_in("li", PASSWORD, &totp_code(&secret, now)).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn device_credentials_do_not_open_the_dashboard() {
    let d = start().await;
    for role in Role::ALL {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: "coop-a".into(),
            party: PartyId::new("someone"),
            role: *role,
            expires_at_ms: i64::MAX,
        };
        d.storage.create_enrollment_token(new).await.expect("token");
        let (device, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        d.storage.enroll(hash_secret(&token), device, hash_secret(&credential), 0).await.expect("enroll");
        let response = d
            .http
            .get(format!("{}/ui", d.base))
            .header("authorization", format!("Bearer {device}:{credential}"))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status().as_u16(), 303, "{role:?} device credential");
        let csv = d
            .http
            .get(format!("{}/ui/lots.csv", d.base))
            .header("authorization", format!("Bearer {device}:{credential}"))
            .send()
            .await
            .expect("send");
        assert_eq!(csv.status().as_u16(), 303, "{role:?} device credential on the export");
    }
    // A forged session cookie is no better.
    assert_eq!(d.get("/ui", Some("ft_session=forged")).await.status().as_u16(), 303);
}
