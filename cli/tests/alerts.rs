//! Alerts end to end over real HTTP: devices push to a real server on loopback, the alert task
//! evaluates the rules and delivers to local webhook and SMS-gateway receivers, with retries,
//! de-duplication, rate limits and a restart in between.

mod alerts_support;

use alerts_support::*;
use fieldtrace_core::model::*;
use fieldtrace_server::alerts::store::status;
use fieldtrace_server::alerts::AlertSettings;
use fieldtrace_server::storage::prelude::*;

/// A kiwi lot from Li's farm, Li's phone number, and the co-op's own party.
async fn seed(server: &Server) -> (Device, Device, Device) {
    let manager = server.enroll("manager-chen", Role::Manager).await;
    let farmer = server.enroll("farmer-li", Role::Farmer).await;
    let driver = server.enroll("driver-zhao", Role::Driver).await;
    let updates = vec![
        manager.update(Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li")),
        manager.update(Update::new(EntityKind::Party, "farmer-li").set("name", "李家果园").set("phone", "13900000001")),
        manager.update(Update::new(EntityKind::Party, COOP).set("kind", "coop").set("phone", "13900000009")),
    ];
    server.push(&manager, updates).await;
    (manager, farmer, driver)
}

#[tokio::test]
async fn an_abnormal_crate_reaches_the_webhook_once_after_two_failures_and_the_farm_by_sms() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let webhook = Receiver::start(2).await;
    let sms = Receiver::start(0).await;
    server
        .configure(AlertSettings {
            webhook_url: Some(webhook.url.clone()),
            sms_gateway_url: Some(sms.url.clone()),
            sms_token: Some("gw-token".into()),
            ..AlertSettings::default()
        })
        .await;
    let (_, farmer, driver) = seed(&server).await;
    let crate_code = code(1);
    server.push(&farmer, vec![farmer.report(&crate_code, "K-1", Disposition::Normal)]).await;
    server.push(&driver, vec![driver.report(&crate_code, "K-1", bruised())]).await;

    let delivered = webhook.wait_for_successes(1).await;
    let alert = &delivered[0].body;
    assert_eq!(alert["kind"], "abnormal");
    assert_eq!(alert["lot"], "K-1");
    assert_eq!(alert["code"], crate_code.as_str());
    assert_eq!(alert["recipients"], serde_json::json!(["farmer-li"]));
    let attempts = webhook.received();
    assert_eq!(attempts.len(), 3, "two failures then a success: {attempts:#?}");
    assert!(attempts.iter().all(|a| a.idempotency_key == attempts[0].idempotency_key));

    // The farm's phone got the text through the gateway, with the co-op's token.
    let texts = sms.wait_for_successes(1).await;
    assert_eq!(texts[0].body["to"], "13900000001");
    let text = texts[0].body["text"].as_str().expect("text");
    assert!(text.contains("K-1") && text.contains("猕猴桃"), "{text}");
    assert_eq!(texts[0].authorization.as_deref(), Some("Bearer gw-token"));

    // The same crate reported abnormal again (another phone, another event): still one alert.
    server.push(&driver, vec![driver.report(&crate_code, "K-1", bruised())]).await;
    let alerts = server
        .alerts_when("the webhook notification delivered", |alerts| {
            alerts.iter().all(|a| a.notifications.iter().all(|n| n.status != status::PENDING))
        })
        .await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let webhook_row = alerts[0].notifications.iter().find(|n| n.channel == "webhook").expect("webhook row");
    assert_eq!((webhook_row.status.as_str(), webhook_row.attempts), (status::DELIVERED, 3));
    assert_eq!(webhook_row.last_error.as_deref(), Some("HTTP 500"));
    // Nothing more reaches the receivers after delivery (another evaluation round included).
    server.push(&farmer, vec![farmer.report(&code(2), "K-1", Disposition::Normal)]).await;
    server.alerts_when("a quiet round", |_| true).await;
    assert_eq!(webhook.succeeded().len(), 1);
    assert_eq!(sms.succeeded().len(), 1);
}

#[tokio::test]
async fn notifications_over_the_hourly_limit_are_listed_but_not_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let webhook = Receiver::start(0).await;
    server
        .configure(AlertSettings {
            webhook_url: Some(webhook.url.clone()),
            max_per_hour: 2,
            ..AlertSettings::default()
        })
        .await;
    let (_, farmer, driver) = seed(&server).await;
    let codes: Vec<String> = (10..14).map(code).collect();
    let harvest = codes.iter().map(|c| farmer.report(c, "K-1", Disposition::Normal)).collect();
    server.push(&farmer, harvest).await;
    server.push(&driver, codes.iter().map(|c| driver.report(c, "K-1", bruised())).collect()).await;

    let alerts = server
        .alerts_when("four alerts, none pending", |alerts| {
            alerts.len() == 4 && alerts.iter().flat_map(|a| &a.notifications).all(|n| n.status != status::PENDING)
        })
        .await;
    let statuses: Vec<&str> = alerts
        .iter()
        .flat_map(|a| &a.notifications)
        .filter(|n| n.channel == "webhook")
        .map(|n| n.status.as_str())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == status::DELIVERED).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == status::RATE_LIMITED).count(), 2, "{statuses:?}");
    assert_eq!(webhook.succeeded().len(), 2);
    // SMS is not configured: the farm's notifications say so instead of failing.
    assert!(alerts
        .iter()
        .flat_map(|a| &a.notifications)
        .filter(|n| n.channel == "sms")
        .all(|n| n.status == status::NOT_CONFIGURED && n.address == "13900000001"));
}

#[tokio::test]
async fn a_webhook_that_never_answers_well_is_given_up_after_bounded_attempts() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("server.db")).await;
    let webhook = Receiver::start(u64::MAX).await;
    server.configure(AlertSettings { webhook_url: Some(webhook.url.clone()), ..AlertSettings::default() }).await;
    let (_, farmer, driver) = seed(&server).await;
    server.push(&farmer, vec![farmer.report(&code(20), "K-1", Disposition::Normal)]).await;
    server.push(&driver, vec![driver.report(&code(20), "K-1", bruised())]).await;
    let alerts = server
        .alerts_when("the webhook notification failed", |alerts| {
            alerts.iter().flat_map(|a| &a.notifications).any(|n| n.status == status::FAILED)
        })
        .await;
    let row = &alerts[0].notifications[0];
    assert_eq!(row.attempts, 5, "max_attempts of the test config");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("gave up after 5")), "{row:?}");
    assert_eq!(webhook.received().len(), 5);
}

#[tokio::test]
async fn events_stored_while_no_server_ran_and_undelivered_notifications_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    // The first server retries only after a minute: it makes one attempt before it stops.
    let mut config = test_config();
    config.alerts.retry_base_ms = 60_000;
    let mut first = Server::start_with(&db, config).await;
    // The webhook is down (nothing listens there) while the first server runs.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead_url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    first.configure(AlertSettings { webhook_url: Some(dead_url), ..AlertSettings::default() }).await;
    let (_, farmer, driver) = seed(&first).await;
    first.push(&farmer, vec![farmer.report(&code(30), "K-1", Disposition::Normal)]).await;
    first.push(&driver, vec![driver.report(&code(30), "K-1", bruised())]).await;
    let alerts = first
        .alerts_when("a failed attempt", |alerts| alerts.iter().flat_map(|a| &a.notifications).any(|n| n.attempts > 0))
        .await;
    assert_eq!(alerts[0].notifications[0].status, status::PENDING);
    first.stop();
    drop(first);

    // While no server runs, another abnormal crate lands in the database (as a push would), and
    // the operator points the co-op at a webhook that works.
    let webhook = Receiver::start(0).await;
    let storage = fieldtrace_store_sqlite::SqliteStorage::open(&db).expect("open");
    storage.push(COOP, driver.id, vec![driver.report(&code(31), "K-1", bruised())], 0).await.expect("push");
    let settings = AlertSettings { webhook_url: Some(webhook.url.clone()), ..AlertSettings::default() };
    fieldtrace_server::alerts::AlertStore::put_alert_settings(&storage, COOP, settings).await.expect("settings");
    drop(storage);

    let second = Server::start(&db).await;
    // The first alert's retry is due a minute after its failed attempt.
    second.clock.advance_ms(61_000);
    let delivered = webhook.wait_for_successes(2).await;
    let mut codes: Vec<String> = delivered.iter().map(|r| r.body["code"].as_str().unwrap_or("").to_owned()).collect();
    codes.sort();
    let mut expected = vec![code(30), code(31)];
    expected.sort();
    assert_eq!(codes, expected);
}

#[tokio::test]
async fn normal_taps_skipped_by_the_fast_path_still_count_as_upstream_later() {
    let dir = tempfile::tempdir().expect("dir");
    // Expiry is checked only at start: later runs take the fast path when nothing can fire.
    let mut config = test_config();
    config.alerts.expiry_check_ms = i64::MAX;
    let server = Server::start_with(&dir.path().join("server.db"), config).await;
    let (_, farmer, driver) = seed(&server).await;
    let assistant = server.enroll("assistant-wang", Role::Assistant).await;
    server.push(&farmer, vec![farmer.report(&code(40), "K-1", Disposition::Normal)]).await;
    server.push(&assistant, vec![assistant.report(&code(40), "K-1", Disposition::Normal)]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(server.alerts().await.is_empty());
    server.push(&driver, vec![driver.report(&code(40), "K-1", bruised())]).await;
    let alerts = server.alerts_when("the abnormal alert", |a| !a.is_empty()).await;
    assert_eq!(alerts[0].recipients, vec!["assistant-wang", "farmer-li"]);
}
