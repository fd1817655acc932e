//! A box logger read twice on its way, by two phones, over a real server on loopback: the driver
//! reads it at loading while the box is still warm, the receiver reads the whole trip at the
//! destination. Readings are stored once across both phones, the receiver's longer excursion
//! replaces the driver's shorter record, and every replica converges on one digest.

use chrono::{DateTime, Duration};
use fieldtrace_core::model::{Actor, EntityKind, EventKind, LotId, Role, Update};
use fieldtrace_core::sensors::{import_readings, LoggerReading, SensorImport, SensorImportReport};
use fieldtrace_server::state::coop_state;
use fieldtrace_tests::sync_harness::{Phone, TestServer};

const BOX: &str = "t/7KQ2M9XD4TV";

/// Every 5 minutes from 2026-11-23 00:00 (UTC+8) for `hours`; 8 °C from 09:00 to 10:55.
fn readings(hours: i64) -> Vec<LoggerReading> {
    let start = DateTime::parse_from_rfc3339("2026-11-23T00:00:00+08:00").expect("start");
    (0..hours * 12)
        .map(|i| {
            let at = start + Duration::minutes(5 * i);
            let warm = (108..132).contains(&i);
            LoggerReading { at, temperature_c: Some(if warm { 8.0 } else { 2.0 }), humidity_percent: Some(90.0) }
        })
        .collect()
}

async fn enrolled(server: &TestServer, dir: &std::path::Path, name: &str, role: Role) -> Phone {
    let phone = Phone::open(&dir.join(format!("{name}.db")), name, role, Duration::zero());
    phone.client.enroll(&server.enrollment_qr("coop-zz", name, role).await).await.expect("enroll");
    phone
}

fn read_logger(phone: &Phone, hours: i64, lot: Option<&str>) -> SensorImportReport {
    phone.clock.advance_ms(60_000);
    let request = SensorImport {
        logger: "LG-0042".into(),
        box_label: "7KQ2-M9XD-4TV".into(),
        lot: lot.map(LotId::new),
        readings: readings(hours),
        min_excursion_minutes: 30,
    };
    let enrolled = phone.client.enrollment().expect("enrollment").expect("enrolled");
    let actor = Actor { party: enrolled.party, role: enrolled.role };
    import_readings(phone.store(), &actor, phone.clock.as_ref(), request).expect("import")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logger_read_by_two_phones_is_stored_once_and_its_excursion_recorded_once() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut manager = enrolled(&server, dir.path(), "manager-wang", Role::Manager).await;
    let driver = enrolled(&server, dir.path(), "driver-zhao", Role::Driver).await;
    let receiver = enrolled(&server, dir.path(), "receiver-chen", Role::Manager).await;

    // The co-op names the lot (kiwi: 0–5 °C) and packs the box.
    manager.session.update(Update::new(EntityKind::Lot, "K-0815").set("product", "猕猴桃")).expect("lot");
    manager.session.scan("7KQ2-M9XD-4TV").expect("scan");
    let packed = manager.session.report_normal().expect("packed");
    assert_eq!(packed.code, BOX);
    manager.client.sync_now().await.expect("sync");

    // The driver reads the logger at 10:00 for lot K-0815: warm since 09:00, still warm.
    driver.client.sync_now().await.expect("sync");
    let at_loading = read_logger(&driver, 10, Some("K-0815"));
    let lot = Some(LotId::new("K-0815"));
    assert_eq!((at_loading.lot.clone(), at_loading.readings_new, at_loading.excursion_events), (lot.clone(), 120, 1));
    assert_eq!(at_loading.excursions[0].end - at_loading.excursions[0].start, Duration::minutes(55));
    driver.client.sync_now().await.expect("sync");

    // The receiver reads the whole day at the destination, after syncing the driver's readings;
    // the lot comes from the logger's register, which the driver's import set and sync carried.
    receiver.client.sync_now().await.expect("sync");
    let at_delivery = read_logger(&receiver, 24, None);
    assert_eq!((at_delivery.lot.clone(), at_delivery.logger_linked), (lot, false));
    assert_eq!((at_delivery.readings_known, at_delivery.readings_new), (120, 168));
    assert_eq!((at_delivery.excursions.len(), at_delivery.excursion_events), (1, 1));
    assert_eq!(at_delivery.excursions[0].end - at_delivery.excursions[0].start, Duration::minutes(115));
    receiver.client.sync_now().await.expect("sync");

    for phone in [&manager, &driver, &receiver] {
        phone.client.sync_now().await.expect("sync");
    }
    let server_digest = coop_state(&*server.storage, "coop-zz").await.expect("state").digest();
    for phone in [&manager, &driver, &receiver] {
        assert_eq!(phone.state().digest(), server_digest);
    }
    // In the box's chain: one live excursion (the receiver's), the driver's voided; each reading once.
    let history = manager.store().history(BOX).expect("history");
    let live = |h: &&fieldtrace_core::store::HistoryEntry| !h.voided;
    let excursions: Vec<_> =
        history.iter().filter(live).filter(|h| matches!(h.event.kind, EventKind::Excursion(_))).collect();
    assert_eq!(excursions.len(), 1);
    assert_eq!(excursions[0].event.actor.party.as_str(), "receiver-chen");
    assert!(history.iter().any(|h| h.voided && matches!(h.event.kind, EventKind::Excursion(_))));
    let values: usize = history
        .iter()
        .filter(live)
        .filter(|h| h.event.kind == EventKind::SensorReading)
        .map(|h| h.event.sensors.len())
        .sum();
    assert_eq!(values, 24 * 12 * 2, "every reading stored exactly once across both phones");
}
