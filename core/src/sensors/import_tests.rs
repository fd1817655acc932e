use super::*;
use crate::clock::ManualClock;
use crate::session::Session;
use crate::sync::wire::{decode_events, encode_events};
use crate::test_support::{manual_clock, morning};
use std::sync::Arc;

const BOX: &str = "t/7KQ2M9XD4TV";

fn manager() -> Actor {
    Actor { party: PartyId::new("manager-wang"), role: Role::Manager }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

/// A store that knows lot K-1 as `product`, and the clock it records with.
fn store_with_lot(product: &str) -> (Arc<Store>, Arc<ManualClock>) {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let clock = manual_clock();
    let mut session = Session::new(store.clone(), manager(), clock.clone());
    session.update(Update::new(EntityKind::Lot, "K-1").set("product", product)).expect("lot");
    (store, clock)
}

/// `days` of readings every 5 minutes from 2026-11-01 00:00 (UTC+8), 2.0 °C except `warm`
/// (reading indices) at 8.0 °C, as a logger app's CSV.
fn csv(days: usize, warm: std::ops::Range<usize>) -> String {
    let start = DateTime::parse_from_rfc3339("2026-11-01T00:00:00+08:00").expect("start");
    let mut text = String::from("时间,温度(℃),湿度(%RH)\n");
    for i in 0..days * 288 {
        let at = start + Duration::minutes(5 * i as i64);
        let temperature = if warm.contains(&i) { 8.0 } else { 2.0 };
        text.push_str(&format!("{},{temperature},92\n", at.format("%Y-%m-%d %H:%M:%S")));
    }
    text
}

fn import(store: &Store, clock: &ManualClock, text: &str, lot: Option<&str>) -> SensorImportReport {
    let request = SensorImport {
        logger: "LG-0042".into(),
        box_label: "7KQ2-M9XD-4TV".into(),
        lot: lot.map(LotId::new),
        readings: Vec::new(),
        min_excursion_minutes: DEFAULT_MIN_EXCURSION_MINUTES,
    };
    import_logger_csv(store, &manager(), clock, text, china(), request).expect("import")
}

fn ids_of(store: &Store, kind: &str) -> Vec<EventId> {
    let events = store.all_events().expect("events");
    events.into_iter().filter(|s| s.event.kind.key() == kind).map(|s| s.event.id).collect()
}

#[test]
fn thirty_days_become_hourly_events_and_one_excursion_in_the_custody_chain() {
    let (store, clock) = store_with_lot("猕猴桃");
    // 2 hours at 8 °C on day 3 (indices 600..624), a 10-minute blip on day 10.
    let text = csv(30, 600..624).replace("2026-11-10 12:00:00,2,92", "2026-11-10 12:00:00,9,92");
    let report = import(&store, &clock, &text, Some("K-1"));
    assert_eq!((report.readings_new, report.readings_known, report.reading_events), (8640, 0, 720));
    assert!(report.logger_linked);
    assert_eq!(report.limits.and_then(|l| l.temp_max_c), Some(5.0));
    assert_eq!(report.excursions.len(), 1, "{:?}", report.excursions);
    let excursion = &report.excursions[0];
    assert_eq!((excursion.bound, excursion.peak, excursion.threshold), (Bound::Above, 8.0, 5.0));
    assert_eq!(excursion.end - excursion.start, Duration::minutes(115));
    assert_eq!(report.excursion_events, 1);

    let history = store.history(BOX).expect("history");
    let recorded = history.iter().find(|h| matches!(h.event.kind, EventKind::Excursion(_))).expect("in history");
    assert_eq!(recorded.event.disposition, Some(Disposition::Abnormal(AbnormalReason::OverTemperature)));
    assert_eq!(recorded.event.lot, Some(LotId::new("K-1")));
    let summary = store.code_summary(BOX).expect("summary");
    assert_eq!(summary.last_disposition, Some(Disposition::Abnormal(AbnormalReason::OverTemperature)));
    let logger = store.registers(EntityKind::Logger, "LG-0042").expect("registers");
    assert_eq!(logger.get("box").and_then(|r| r.value.as_deref()), Some(BOX));
    assert_eq!(logger.get("lot").and_then(|r| r.value.as_deref()), Some("K-1"));

    // Every recorded event crosses the wire intact.
    let events: Vec<Event> = store.all_events().expect("events").into_iter().map(|s| s.event).collect();
    assert_eq!(decode_events(&encode_events(&events)).expect("decodes"), events);
}

#[test]
fn importing_the_same_file_again_records_nothing() {
    let (store, clock) = store_with_lot("kiwi");
    let text = csv(2, 100..120);
    import(&store, &clock, &text, Some("K-1"));
    let before = store.event_count().expect("count");
    let (readings, excursions) = (ids_of(&store, "sensor_reading"), ids_of(&store, "excursion"));
    clock.advance_ms(3_600_000);
    let again = import(&store, &clock, &text, Some("K-1"));
    assert_eq!((again.readings_new, again.readings_known, again.reading_events), (0, 576, 0));
    assert_eq!((again.excursions.len(), again.excursion_events, again.logger_linked), (1, 0, false));
    assert_eq!(store.event_count().expect("count"), before);
    assert_eq!((ids_of(&store, "sensor_reading"), ids_of(&store, "excursion")), (readings, excursions));
}

#[test]
fn ids_follow_the_data_on_one_device_and_differ_between_devices() {
    let text = csv(1, 10..30);
    let (store, clock) = store_with_lot("kiwi");
    import(&store, &clock, &text, Some("K-1"));
    let first = ids_of(&store, "excursion");
    assert_eq!(first.len(), 1);
    let reading_ids = ids_of(&store, "sensor_reading");
    // A day later, a longer read of the same logger: the earlier hours are not stored again,
    // only the new one, and the excursion keeps its id.
    clock.advance_ms(86_400_000);
    import(&store, &clock, &format!("{text}2026-11-02 00:00:00,2,92\n"), Some("K-1"));
    let after = ids_of(&store, "sensor_reading");
    assert_eq!(after.len(), reading_ids.len() + 1);
    assert_eq!(after[..reading_ids.len()], reading_ids[..]);
    assert_eq!(ids_of(&store, "excursion"), first);
    // Another phone reading the same logger before syncing records its own events: one id never
    // names two different events (their recorder and clock differ), which replicas could not merge.
    let (other, other_clock) = store_with_lot("kiwi");
    import(&other, &other_clock, &text, Some("K-1"));
    let other_ids = ids_of(&other, "excursion");
    assert_eq!(other_ids.len(), 1);
    assert_ne!(other_ids, first);
}

#[test]
fn a_longer_read_of_an_ongoing_excursion_replaces_the_shorter_record() {
    let (store, clock) = store_with_lot("kiwi");
    // The first read ends while the box is still warm (readings 270..288 at 8 °C).
    let day = csv(1, 270..288);
    let first = import(&store, &clock, &day, Some("K-1"));
    assert_eq!(first.excursion_events, 1);
    let old = ids_of(&store, "excursion")[0];
    // Read again the next day: the warm spell went on until reading 300.
    let two_days = csv(2, 270..300);
    let second = import(&store, &clock, &two_days, Some("K-1"));
    assert_eq!((second.excursions.len(), second.excursion_events), (1, 1));
    assert_eq!(second.excursions[0].end - second.excursions[0].start, Duration::minutes(5 * 29));
    let stored = store.event(old).expect("read").expect("still stored");
    assert!(stored.voided_by.is_some(), "the shorter record is voided");
    let live: Vec<_> = store
        .history(BOX)
        .expect("history")
        .into_iter()
        .filter(|h| !h.voided && matches!(h.event.kind, EventKind::Excursion(_)))
        .collect();
    assert_eq!(live.len(), 1);
}

#[test]
fn without_a_known_lot_readings_are_kept_and_judged_once_the_lot_is_known() {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let clock = manual_clock();
    let text = csv(1, 10..30);
    let report = import(&store, &clock, &text, None);
    assert_eq!((report.limits, report.readings_new, report.excursion_events), (None, 288, 0));
    // The lot arrives (a sync, or the manager names it); the logger is linked to it.
    let mut session = Session::new(store.clone(), manager(), clock.clone());
    session.update(Update::new(EntityKind::Lot, "M-7").set("product", "芒果")).expect("lot");
    let report = import(&store, &clock, &text, Some("M-7"));
    // Mango: 10–13 °C, so the whole 2 °C day is one long excursion below the minimum.
    assert_eq!(report.readings_new, 0);
    assert!(report.logger_linked);
    assert_eq!(report.excursions.len(), 1);
    assert_eq!((report.excursions[0].bound, report.excursion_events), (Bound::Below, 1));
    // A later import without --lot finds the lot through the logger's register.
    let report = import(&store, &clock, &text, None);
    assert_eq!((report.lot, report.excursion_events), (Some(LotId::new("M-7")), 0));
}

#[test]
fn the_lot_limits_override_the_product_default() {
    let (store, clock) = store_with_lot("猕猴桃");
    let mut session = Session::new(store.clone(), manager(), clock.clone());
    session.update(Update::new(EntityKind::Lot, "K-1").set("temp_max", "8.5")).expect("limit");
    let report = import(&store, &clock, &csv(1, 10..30), Some("K-1"));
    assert_eq!(report.limits.and_then(|l| l.temp_max_c), Some(8.5));
    assert!(report.excursions.is_empty());
}

#[test]
fn bad_lines_are_reported_and_bad_requests_refused() {
    let (store, clock) = store_with_lot("kiwi");
    let text = "time,temp\n2026-11-23 08:00,4\n2026-11-23 08:05,hot\n";
    let report = import(&store, &clock, text, Some("K-1"));
    assert_eq!(report.readings_new, 1);
    assert_eq!(report.line_errors.len(), 1);
    assert_eq!((report.line_errors[0].line, report.line_errors[0].field.as_str()), (3, "temp"));
    let empty_logger = SensorImport {
        logger: " ".into(),
        box_label: BOX.into(),
        lot: None,
        readings: Vec::new(),
        min_excursion_minutes: 30,
    };
    let err = import_readings(&store, &manager(), clock.as_ref(), empty_logger).expect_err("no logger");
    assert_eq!(err.key(), "sensor_import_invalid");
    let nan = SensorImport {
        logger: "LG".into(),
        box_label: BOX.into(),
        lot: None,
        readings: vec![LoggerReading { at: morning(), temperature_c: Some(f64::NAN), humidity_percent: None }],
        min_excursion_minutes: 30,
    };
    assert_eq!(
        import_readings(&store, &manager(), clock.as_ref(), nan).expect_err("nan").key(),
        "sensor_import_invalid"
    );
    let err = import_logger_csv(
        &store,
        &manager(),
        clock.as_ref(),
        "4,5\n",
        china(),
        SensorImport {
            logger: "LG".into(),
            box_label: BOX.into(),
            lot: None,
            readings: Vec::new(),
            min_excursion_minutes: 30,
        },
    );
    assert_eq!(err.expect_err("no header").key(), "sensor_log_no_header");
}
