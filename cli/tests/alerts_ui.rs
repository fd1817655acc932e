//! Alerts that come from time and from buyers, and the dashboard page: near-expiry thresholds as
//! the server clock moves, diversion from consumer trace-page scans with different geo headers,
//! acknowledging over HTTP (audited), CSV export, and that device credentials cannot open it.

mod alerts_support;

use alerts_support::*;
use fieldtrace_core::model::*;
use fieldtrace_dashboard::ui::put_manager;
use fieldtrace_server::storage::prelude::*;

const DAY_MS: i64 = 86_400_000;

fn kinds_and_subjects(alerts: &[fieldtrace_server::alerts::store::AlertRow]) -> Vec<(String, String)> {
    let mut out: Vec<_> = alerts.iter().map(|a| (a.kind.clone(), a.subject.clone())).collect();
    out.sort();
    out
}

#[tokio::test]
async fn near_expiry_fires_once_per_threshold_as_the_clock_moves() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let manager = server.enroll("manager-chen", Role::Manager).await;
    // Dates as the co-op reads them (China Standard Time, the server's display offset).
    let today =
        chrono::DateTime::from_timestamp_millis(server.clock.now_ms() + 8 * 3_600_000).expect("now").date_naive();
    let expiry = today + chrono::Days::new(200);
    let lot = Update::new(EntityKind::Lot, "A-1").set("product", "苹果").set("expiry_date", expiry.to_string());
    server.push(&manager, vec![manager.update(lot)]).await;
    server.alerts_when("an evaluation round", |_| true).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(server.alerts().await.is_empty(), "200 days left is not near");

    let expect = |subjects: &[&str]| -> Vec<(String, String)> {
        subjects.iter().map(|s| ("near_expiry".to_owned(), (*s).to_owned())).collect()
    };
    server.clock.advance_ms(21 * DAY_MS);
    let alerts = server.alerts_when("the 180-day alert", |a| !a.is_empty()).await;
    assert_eq!(kinds_and_subjects(&alerts), expect(&["A-1|180"]));
    // Later checks on the same threshold add nothing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.alerts().await.len(), 1);

    server.clock.advance_ms(90 * DAY_MS);
    let alerts = server.alerts_when("the 90-day alert", |a| a.len() == 2).await;
    assert_eq!(kinds_and_subjects(&alerts), expect(&["A-1|180", "A-1|90"]));
    server.clock.advance_ms(70 * DAY_MS);
    let alerts = server.alerts_when("the 30-day alert", |a| a.len() == 3).await;
    assert_eq!(kinds_and_subjects(&alerts), expect(&["A-1|180", "A-1|30", "A-1|90"]));
    assert!(alerts[0].text_zh.contains("苹果"), "{}", alerts[0].text_zh);
}

#[tokio::test]
async fn scans_in_another_province_raise_diversion_alerts() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let manager = server.enroll("manager-chen", Role::Manager).await;
    let farmer = server.enroll("farmer-li", Role::Farmer).await;
    let lot = Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("sales_regions", "陕西 四川");
    server.push(&manager, vec![manager.update(lot)]).await;
    let (inside, travelled) = (code(1), code(2));
    server
        .push(
            &farmer,
            vec![
                farmer.report(&inside, "K-1", Disposition::Normal),
                farmer.report(&travelled, "K-1", Disposition::Normal),
            ],
        )
        .await;
    server.scan_from(&inside, "陕西省西安市").await;
    server.scan_from(&inside, "四川省成都市").await;
    server.scan_from(&travelled, "陕西省西安市").await;
    server.scan_from(&travelled, "广东省广州市").await;
    let alerts = server.alerts_when("two diversion alerts", |a| a.len() >= 3).await;
    let found = kinds_and_subjects(&alerts);
    // The first code moved between two regions it may be sold in; the second left them.
    assert_eq!(
        found,
        vec![
            ("diversion".to_owned(), format!("{inside}|regions")),
            ("diversion".to_owned(), format!("{travelled}|outside")),
            ("diversion".to_owned(), format!("{travelled}|regions")),
        ]
    );
    let outside = alerts.iter().find(|a| a.subject.ends_with("|outside")).expect("outside");
    assert!(outside.text_zh.contains("广东省广州市") && outside.text_zh.contains("陕西"), "{}", outside.text_zh);
    // Scanning again from the same place adds nothing.
    server.scan_from(&travelled, "广东省广州市").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.alerts().await.len(), 3);
}

async fn sign_in(server: &Server) -> String {
    put_manager(server.storage.as_ref(), COOP, "chen", Some("陈经理"), "kiwi-orchard-2026", false)
        .await
        .expect("manager");
    let response = server
        .http
        .post(format!("{}/ui/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=chen&password=kiwi-orchard-2026&code=")
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status().as_u16(), 303);
    let header = response.headers()["set-cookie"].to_str().expect("ascii");
    header.split(';').next().expect("cookie").to_owned()
}

#[tokio::test]
async fn a_manager_lists_acknowledges_and_exports_alerts_and_devices_cannot() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let manager = server.enroll("manager-chen", Role::Manager).await;
    let farmer = server.enroll("farmer-li", Role::Farmer).await;
    let lot = Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li");
    server.push(&manager, vec![manager.update(lot)]).await;
    server.push(&farmer, vec![farmer.report(&code(1), "K-1", Disposition::Normal)]).await;
    server
        .push(&manager, vec![manager.report(&code(1), "K-1", bruised()), manager.report(&code(2), "K-1", bruised())])
        .await;
    let alerts = server.alerts_when("two abnormal alerts", |a| a.len() == 2).await;

    // A device credential, whatever its role, does not open the page, acknowledge or export.
    for path in ["/ui/alerts", "/ui/alerts.csv"] {
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .header("authorization", manager.bearer())
            .send()
            .await
            .expect("get");
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/ui/login");
    }
    let target = alerts[0].id;
    let response = server
        .http
        .post(format!("{}/ui/alerts/{target}/ack", server.base))
        .header("authorization", manager.bearer())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 303);
    assert!(server.alerts().await.iter().all(|a| a.acked_at_ms.is_none()));

    let cookie = sign_in(&server).await;
    let get = |path: String| {
        let request = server.http.get(format!("{}{path}", server.base)).header("cookie", cookie.clone());
        async move { request.send().await.expect("get") }
    };
    let page = get("/ui/alerts".into()).await.text().await.expect("html");
    assert!(page.contains(&format!("id=\"alert-{target}\"")) && page.contains("异常上报"), "{page}");
    assert!(page.contains("未配置"), "no webhook configured: listed as not configured");
    let badge = get("/ui/alerts/badge.svg".into()).await.text().await.expect("svg");
    assert!(badge.contains(">2<"), "{badge}");

    let response = server
        .http
        .post(format!("{}/ui/alerts/{target}/ack", server.base))
        .header("cookie", cookie.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("back=%2Fui%2Falerts%3Fstatus%3Dopen")
        .send()
        .await
        .expect("ack");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/ui/alerts?status=open");
    let acked = server.alerts().await.into_iter().find(|a| a.id == target).expect("alert");
    assert_eq!(acked.acked_by.as_deref(), Some("chen"));

    let open = get("/ui/alerts?status=open&lang=en".into()).await.text().await.expect("html");
    assert!(!open.contains(&format!("id=\"alert-{target}\"")) && open.contains("Abnormal report"), "{open}");
    assert!(open.contains("reported abnormal") && !open.contains("报告异常"), "alert texts in English too: {open}");
    let done = get("/ui/alerts?status=acknowledged".into()).await.text().await.expect("html");
    assert!(done.contains(&format!("id=\"alert-{target}\"")) && done.contains("chen"), "{done}");
    let badge = get("/ui/alerts/badge.svg".into()).await.text().await.expect("svg");
    assert!(badge.contains(">1<"), "{badge}");

    let csv = get("/ui/alerts.csv?status=acknowledged".into()).await.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with(&format!("{target},")) && lines[1].contains(",abnormal,K-1,"), "{csv}");
    let audit = server.storage.audit_log(COOP, 10).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"acknowledge_alert") && actions.contains(&"export_csv"), "{actions:?}");

    // Acknowledging again changes nothing and is not audited twice.
    let again = server
        .http
        .post(format!("{}/ui/alerts/{target}/ack", server.base))
        .header("cookie", cookie.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("back=https%3A%2F%2Fevil.example")
        .send()
        .await
        .expect("ack again");
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(again.headers()["location"], "/ui/alerts", "never an open redirect");
    let audit = server.storage.audit_log(COOP, 20).await.expect("audit");
    assert_eq!(audit.iter().filter(|e| e.action == "acknowledge_alert").count(), 1);
}

#[tokio::test]
async fn the_alert_list_shows_a_hundred_at_a_time_with_a_link_to_older_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let manager = server.enroll("manager-chen", Role::Manager).await;
    let lot = Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li");
    server.push(&manager, vec![manager.update(lot)]).await;
    let reports: Vec<Event> = (1..=105).map(|n| manager.report(&code(n), "K-1", bruised())).collect();
    server.push(&manager, reports).await;
    let alerts = server.alerts_when("105 abnormal alerts", |a| a.len() == 105).await;

    let cookie = sign_in(&server).await;
    let get = |path: String| {
        let request = server.http.get(format!("{}{path}", server.base)).header("cookie", cookie.clone());
        async move { request.send().await.expect("get").text().await.expect("html") }
    };
    let first = get("/ui/alerts".into()).await;
    assert_eq!(first.matches("id=\"alert-").count(), 100);
    let older = first.split("href=\"").filter_map(|s| s.split('"').next()).find(|href| href.contains("before="));
    // The page escapes `&` in attributes, as a browser reads them back.
    let older = older.expect("a link to older alerts").replace("&#38;", "&").replace("&amp;", "&");
    let second = get(older).await;
    assert_eq!(second.matches("id=\"alert-").count(), 5);
    assert!(!second.contains("before="), "the last page links no further");
    // Together the pages list every alert once, newest first.
    let ids = |html: &str| -> Vec<i64> {
        html.split("id=\"alert-").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
    };
    let listed: Vec<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
    let mut all: Vec<i64> = alerts.iter().map(|a| a.id).collect();
    all.sort_unstable();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, all);
}
