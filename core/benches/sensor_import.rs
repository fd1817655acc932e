//! Importing a box logger's 30-day CSV (every 5 minutes, 8,640 lines) into a device store on a file:
//! parse, store as hourly events, detect excursions — then the same import again (nothing new).
//! Prints one JSON object; not criterion, because one import is the unit the user waits for.
//!
//! Run: `cargo bench -p fieldtrace-core --bench sensor_import`

use chrono::{DateTime, Duration, FixedOffset};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, EntityKind, LotId, PartyId, Role, Update};
use fieldtrace_core::sensors::{import_logger_csv, parse_logger_csv, SensorImport};
use fieldtrace_core::{Session, Store};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Arc::new(Store::open(dir.path().join("phone.db")).expect("store"));
    let actor = Actor { party: PartyId::new("driver-zhao"), role: Role::Driver };
    let manager = Actor { party: PartyId::new("manager-wang"), role: Role::Manager };
    Session::new(store.clone(), manager, Arc::new(SystemClock))
        .update(Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃"))
        .expect("lot");
    let offset = FixedOffset::east_opt(8 * 3600).expect("offset");
    let start = DateTime::parse_from_rfc3339("2026-11-01T00:00:00+08:00").expect("start");
    let mut csv = String::from("时间,温度(℃),湿度(%RH)\n");
    for i in 0..30 * 288 {
        // A warm afternoon every fifth day.
        let warm = i % (5 * 288) > 170 && i % (5 * 288) < 200;
        let at = start + Duration::minutes(5 * i);
        csv.push_str(&format!("{},{},91.5\n", at.format("%Y-%m-%d %H:%M:%S"), if warm { 7.5 } else { 2.5 }));
    }
    let request = || SensorImport {
        logger: "LG-0042".into(),
        box_label: "7KQ2-M9XD-4TV".into(),
        lot: Some(LotId::new("K-1")),
        readings: Vec::new(),
        min_excursion_minutes: 30,
    };
    let timed = Instant::now();
    let parsed = parse_logger_csv(&csv, offset).expect("parses");
    let parse_ms = timed.elapsed().as_secs_f64() * 1e3;
    let timed = Instant::now();
    let first = import_logger_csv(&store, &actor, &SystemClock, &csv, offset, request()).expect("import");
    let import_ms = timed.elapsed().as_secs_f64() * 1e3;
    let timed = Instant::now();
    let again = import_logger_csv(&store, &actor, &SystemClock, &csv, offset, request()).expect("again");
    let reimport_ms = timed.elapsed().as_secs_f64() * 1e3;
    println!(
        "{{\"lines\": {}, \"parse_ms\": {parse_ms:.1}, \"import_ms\": {import_ms:.1}, \"reading_events\": {}, \
         \"excursions\": {}, \"reimport_ms\": {reimport_ms:.1}, \"reimport_new_events\": {}, \"db_bytes\": {}}}",
        parsed.readings.len(),
        first.reading_events,
        first.excursion_events,
        again.reading_events + again.excursion_events,
        // WAL mode: the events may still sit in the log file beside the database.
        ["phone.db", "phone.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).map(|m| m.len()).unwrap_or(0))
            .sum::<u64>()
    );
}
