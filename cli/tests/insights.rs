//! The dashboard's loss, piece-count, devices and audit pages over real HTTP with real phones
//! (SQLite stores and the real sync client): revoking a device refuses its next sync; a QR made
//! on the devices page enrolls a phone; a phone's outbox size shows after it syncs (and
//! "unknown" for a client that does not send it); every table exports CSV; device credentials
//! open none of it.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::{SyncClient, SyncConfig};
use fieldtrace_core::Store;
use fieldtrace_dashboard::ui::put_manager;
use fieldtrace_server::enrollment::enrollment_qr;
use fieldtrace_server::secrets::hash_secret;
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use reqwest::redirect::Policy;
use std::sync::Arc;

const COOP: &str = "coop-a";

struct Server {
    base: String,
    storage: Arc<SqliteStorage>,
    http: reqwest::Client,
    cookie: String,
    dir: tempfile::TempDir,
}

struct Phone {
    store: Arc<Store>,
    client: SyncClient,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("server.db")).expect("open"));
    storage.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop");
    storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop");
    put_manager(storage.as_ref(), COOP, "chen", Some("陈经理"), "kiwi-orchard-2026", false).await.expect("manager");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let signed_in = http
        .post(format!("{base}/ui/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=chen&password=kiwi-orchard-2026")
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
    Server { base, storage, http, cookie, dir }
}

impl Server {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.expect("send")
    }

    async fn text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.expect("body")
    }

    async fn post(&self, path: &str, body: &str, origin: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.expect("send")
    }

    async fn phone_from_qr(&self, name: &str, qr: &str) -> Phone {
        let store = Arc::new(Store::open(self.dir.path().join(format!("{name}.db"))).expect("store"));
        let client = SyncClient::new(store.clone(), SyncConfig::default()).expect("client");
        client.enroll(qr).await.expect("enroll");
        Phone { store, client }
    }

    async fn phone(&self, party: &str, role: Role) -> Phone {
        let qr = enrollment_qr(self.storage.as_ref(), &self.base, COOP, party, role, 3_600_000).await.expect("qr");
        self.phone_from_qr(party, &qr).await
    }

    async fn audit(&self) -> Vec<(String, String)> {
        let log = self.storage.audit_log(COOP, 100).await.expect("audit");
        log.into_iter().map(|e| (e.action, e.detail)).collect()
    }
}

/// A report by `phone` of `code` (as `actor`, which the server refuses unless it is the phone's own
/// party), recorded straight into its store.
fn record(phone: &Phone, recorder: &str, actor: &str, code: &str, bad: bool) {
    let now = chrono::Utc::now().fixed_offset();
    let ms = u64::try_from(now.timestamp_millis()).expect("after 1970");
    let event = Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(if bad { Disposition::Abnormal(AbnormalReason::Bruised) } else { Disposition::Normal }),
        codes: vec![code.to_owned()],
        lot: Some(LotId::new("K-1")),
        actor: Actor { party: PartyId::new(actor), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new(recorder), device: phone.store.device_id() },
        location: None,
        recorded_at: now,
        hlc: HlcTimestamp { wall_ms: 0, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    };
    phone.store.record_local_batch(ms, vec![event]).expect("record");
}

#[tokio::test]
async fn revoking_a_device_on_the_dashboard_refuses_its_next_sync_and_is_audited() {
    let server = start().await;
    let phone = server.phone("farmer-li", Role::Farmer).await;
    record(&phone, "farmer-li", "farmer-li", "t/A", false);
    phone.client.sync_now().await.expect("sync before revocation");
    let id = phone.store.device_id().to_string();
    assert!(server.text("/ui/devices").await.contains(&format!("/ui/devices/{id}/revoke")));

    // The confirm step names the device and posts to the revocation.
    let confirm = server.text(&format!("/ui/devices/{id}/revoke")).await;
    assert!(confirm.contains("farmer-li") && confirm.contains(&format!("action=\"/ui/devices/{id}/revoke\"")));

    // A form posted from another site is refused, and so is a browser without a session.
    let cross = server.post(&format!("/ui/devices/{id}/revoke"), "", Some("https://evil.example")).await;
    assert_eq!(cross.status(), 403);
    let anonymous = server.http.post(format!("{}/ui/devices/{id}/revoke", server.base)).send().await.expect("send");
    assert_eq!(anonymous.headers()["location"], "/ui/login");
    record(&phone, "farmer-li", "farmer-li", "t/B", false);
    phone.client.sync_now().await.expect("still enrolled");

    let revoked = server.post(&format!("/ui/devices/{id}/revoke"), "", Some(&server.base)).await;
    assert_eq!((revoked.status().as_u16(), revoked.headers()["location"].to_str().ok()), (303, Some("/ui/devices")));
    record(&phone, "farmer-li", "farmer-li", "t/C", false);
    let err = phone.client.sync_now().await.expect_err("revoked");
    assert_eq!(err.key(), "device_revoked");
    let devices = server.text("/ui/devices").await;
    assert!(!devices.contains(&format!("/ui/devices/{id}/revoke")), "no revoke link for a revoked device");
    assert!(devices.contains("已停用"));
    assert!(server.audit().await.contains(&("revoke_device".to_owned(), id.clone())));
    assert!(server.text("/ui/audit").await.contains("revoke_device"));
    // Devices this co-op does not have (another co-op's, or none) are not found.
    assert_eq!(server.get(&format!("/ui/devices/{}/revoke", DeviceId::new())).await.status(), 404);
}

#[tokio::test]
async fn an_enrollment_qr_made_on_the_dashboard_enrolls_a_phone() {
    let server = start().await;
    let page = server.post("/ui/devices/enroll", "party=farmer-wu&role=farmer&hours=24", None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("<svg") && html.contains("id=\"enroll-qr\""));
    let start_at = html.find("fieldtrace://enroll?").expect("QR text shown");
    // As shown on the page, HTML-escaped (askama writes `&` as `&#38;`).
    let qr = html[start_at..].split('<').next().expect("text").replace("&#38;", "&").replace("&amp;", "&");
    let token = qr.split("token=").nth(1).expect("token").to_owned();
    let phone = server.phone_from_qr("farmer-wu", &qr).await;
    record(&phone, "farmer-wu", "farmer-wu", "t/W", false);
    let report = phone.client.sync_now().await.expect("sync");
    assert_eq!(report.accepted, 1);
    let devices = server.storage.devices(COOP).await.expect("devices");
    let wu = devices.iter().find(|d| d.party.0 == "farmer-wu").expect("enrolled");
    assert_eq!((wu.role, wu.id), (Role::Farmer, phone.store.device_id()));
    // Audited without the token: whoever reads the log must not be able to enroll a phone.
    let audit = server.audit().await;
    assert!(audit.contains(&("create_enrollment".to_owned(), "party farmer-wu, role farmer, valid 24 h".to_owned())));
    assert!(audit.iter().all(|(_, detail)| !detail.contains(&token)));
    // Bad input is named, not stored.
    let bad = server.post("/ui/devices/enroll", "party=%3Cscript%3E&role=farmer&hours=24", None).await;
    assert_eq!(bad.status(), 400);
    let bad_role = server.post("/ui/devices/enroll", "party=farmer-x&role=boss&hours=24", None).await;
    assert_eq!(bad_role.status(), 400);
    assert!(bad_role.text().await.expect("body").contains("role_invalid"));
}

#[tokio::test]
async fn a_phones_pending_count_shows_after_it_syncs_and_unknown_for_old_clients() {
    let server = start().await;
    let phone = server.phone("farmer-li", Role::Farmer).await;
    let id = phone.store.device_id();
    let listed = |devices: Vec<fieldtrace_server::storage::DeviceListing>| {
        devices.into_iter().find(|d| d.id == id).map(|d| (d.last_sync_ms.is_some(), d.pending)).expect("listed")
    };
    assert_eq!(listed(server.storage.devices(COOP).await.expect("devices")), (false, None));
    let row = |html: &str| {
        html.split(&format!("data-device=\"{id}\"")).nth(1).and_then(|r| r.split("</tr>").next()).map(str::to_owned)
    };
    assert!(row(&server.text("/ui/devices").await).expect("row").contains("未知"));

    // Two good reports and one the server refuses (recorded "for" another farmer): that one stays
    // in the outbox, and the phone says so.
    record(&phone, "farmer-li", "farmer-li", "t/A", false);
    record(&phone, "farmer-li", "farmer-li", "t/B", true);
    record(&phone, "farmer-li", "farmer-zhang", "t/C", false);
    let report = phone.client.sync_now().await.expect("sync");
    assert_eq!((report.accepted, report.refused), (2, 1));
    assert_eq!(phone.store.outbox_pending_count().expect("pending"), 1);
    assert_eq!(listed(server.storage.devices(COOP).await.expect("devices")), (true, Some(1)));
    let html = server.text("/ui/devices").await;
    assert!(row(&html).expect("row").contains("<td class=\"num pending\">1</td>"));

    // An older app sends no header: the count becomes unknown rather than stale.
    let credential = "old-app-credential";
    let old = DeviceId::new();
    server
        .storage
        .create_enrollment_token(NewEnrollmentToken {
            token_hash: hash_secret("old-token"),
            coop: COOP.into(),
            party: PartyId::new("farmer-zhang"),
            role: Role::Farmer,
            expires_at_ms: i64::MAX,
        })
        .await
        .expect("token");
    server.storage.enroll(hash_secret("old-token"), old, hash_secret(credential), 0).await.expect("enroll");
    let pulled = server
        .http
        .get(format!("{}/v1/events?after=0", server.base))
        .header("authorization", format!("Bearer {old}:{credential}"))
        .send()
        .await
        .expect("pull");
    assert_eq!(pulled.status(), 200);
    let devices = server.storage.devices(COOP).await.expect("devices");
    let old_row = devices.iter().find(|d| d.id == old).expect("listed");
    assert_eq!((old_row.last_sync_ms.is_some(), old_row.pending), (true, None));

    // Device credentials open none of the new pages, whatever the role.
    for path in ["/ui/loss", "/ui/loss.csv?table=stages", "/ui/pieces", "/ui/devices", "/ui/audit", "/ui/audit.csv"] {
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .header("authorization", format!("Bearer {old}:{credential}"))
            .send()
            .await
            .expect("send");
        assert_eq!(response.headers()["location"], "/ui/login", "{path}");
    }
}

#[tokio::test]
async fn loss_pieces_devices_and_audit_export_csv() {
    let server = start().await;
    let manager = server.phone("manager-chen", Role::Manager).await;
    let update = |u: Update| {
        let now = chrono::Utc::now().fixed_offset();
        let ms = u64::try_from(now.timestamp_millis()).expect("ms");
        let event = Event {
            id: EventId::new(),
            kind: EventKind::Update(u),
            step: None,
            disposition: None,
            codes: Vec::new(),
            lot: None,
            actor: Actor { party: PartyId::new("manager-chen"), role: Role::Manager },
            recorder: Recorder { party: PartyId::new("manager-chen"), device: manager.store.device_id() },
            location: None,
            recorded_at: now,
            hlc: HlcTimestamp { wall_ms: 0, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        };
        manager.store.record_local_batch(ms, vec![event]).expect("record");
    };
    update(Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li"));
    update(Update::new(EntityKind::Party, "farmer-li").set("name", "李家果园"));
    manager.client.sync_now().await.expect("sync");
    let assistant = server.phone("assistant-wang", Role::Assistant).await;
    for (code, bad) in [("t/A", false), ("t/B", true), ("t/C", false), ("t/D", false)] {
        record(&assistant, "assistant-wang", "farmer-li", code, bad);
    }
    assistant.client.sync_now().await.expect("sync");

    let page = server.text("/ui/loss").await;
    assert!(page.contains("id=\"loss-chart\"") && page.contains("id=\"loss-stages\""));
    assert!(page.contains("25.0%"), "1 of 4 units abnormal");
    let stages = server.text("/ui/loss.csv?table=stages").await;
    let mut lines = stages.lines();
    assert_eq!(lines.next(), Some("\u{feff}stage,units_handled,abnormal_units,loss_percent"));
    assert_eq!(lines.next(), Some("采摘,4,1,25.0"));
    let lots = server.text("/ui/loss.csv?table=lots&lang=en&product=%E7%8C%95%E7%8C%B4%E6%A1%83").await;
    assert_eq!(lots.lines().nth(1), Some("K-1,猕猴桃,李家果园,4,1,25.0"));
    for table in ["farms", "drivers", "periods"] {
        assert!(server.text(&format!("/ui/loss.csv?table={table}")).await.contains("units_handled,abnormal_units"));
    }
    assert_eq!(server.get("/ui/loss.csv?table=nope").await.status(), 400);
    assert_eq!(server.get("/ui/loss?from=2026-13-01").await.status(), 400);

    let today = chrono::Utc::now().fixed_offset().date_naive();
    let days = server.text("/ui/pieces.csv?by=day").await;
    assert_eq!(days.lines().nth(1), Some(format!("assistant-wang,assistant-wang,{today},4").as_str()));
    let months = server.text("/ui/pieces.csv?by=month").await;
    assert_eq!(months.lines().next(), Some("\u{feff}assistant_party,assistant,month,pieces"));
    assert!(server.text("/ui/pieces").await.contains("id=\"pieces-days\""));
    assert_eq!(server.get("/ui/pieces?month=2026-1").await.status(), 400);

    let devices = server.text("/ui/devices.csv").await;
    assert_eq!(devices.lines().next(), Some("\u{feff}device,role,party,name,enrolled_at,last_sync,pending,revoked_at"));
    assert_eq!(devices.lines().count(), 3);
    let audit = server.text("/ui/audit.csv").await;
    assert_eq!(audit.lines().next(), Some("\u{feff}at,manager,action,detail"));
    assert!(audit.contains("export_csv") && audit.contains("devices: 2 rows"));
}
