//! The demo co-op's alerts: phones record what the rules watch (expiry dates, sales regions,
//! phone numbers, a logger read after a warm truck ride), and after the sync two buyers look up
//! the same kiwi crate in Xi'an and in Guangzhou. Together with the crates found bruised or
//! crushed at harvest and loading, the dashboard then lists every kind of alert. The demo has no
//! webhook or SMS gateway, so each notification is listed as "not configured".

use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, EntityKind, LotId, PartyId, Role, Update};
use fieldtrace_core::sensors::{import_readings, LoggerReading, SensorImport};
use fieldtrace_core::Session;
use fieldtrace_server::alerts::dispatch::evaluate;
use fieldtrace_server::projection::Projector;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;

/// The demo crate two buyers look up in different provinces (a kiwi crate, not the sample one).
const TRAVELLED_CRATE: u64 = 9;

fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// On the manager's phone, before it syncs: lot expiry dates and sales regions, contact phones,
/// and the logger of a crate that stayed above 5 °C for an hour on the truck.
pub fn work_offline(manager: &mut Session, label: impl Fn(u64) -> String) -> Result<(), String> {
    let today = today();
    for (lot, days, regions) in [
        ("K-2026-0815", 170, "陕西 四川 重庆"),
        ("M-2026-0702", 25, "陕西 甘肃"),
        ("A-2026-1003", 85, "陕西 河南 山西"),
    ] {
        let expiry = today + chrono::Days::new(days);
        let update =
            Update::new(EntityKind::Lot, lot).set("expiry_date", expiry.to_string()).set("sales_regions", regions);
        manager.update(update).map_err(|e| e.to_string())?;
    }
    for (party, phone) in
        [("farmer-li", "13891230001"), ("farmer-zhang", "13891230002"), ("coop-zhouzhi", "02987650000")]
    {
        manager.update(Update::new(EntityKind::Party, party).set("phone", phone)).map_err(|e| e.to_string())?;
    }
    // The manager reads the logger of crate 3 at the cold store: the cooling failed for an hour.
    let start = chrono::Utc::now().fixed_offset() - chrono::Duration::hours(4);
    let temperatures = [3.8, 4.1, 5.6, 6.9, 7.8, 8.4, 8.1, 7.2, 6.1, 4.6, 4.0, 3.9];
    let readings = temperatures
        .iter()
        .enumerate()
        .map(|(i, t)| LoggerReading {
            at: start + chrono::Duration::minutes(10 * i as i64),
            temperature_c: Some(*t),
            humidity_percent: None,
        })
        .collect();
    let import = SensorImport {
        logger: "LG-2026-017".to_owned(),
        box_label: label(3),
        lot: Some(LotId::new("K-2026-0815")),
        readings,
        min_excursion_minutes: 30,
    };
    let actor = Actor { party: PartyId::new("manager-chen"), role: Role::Manager };
    import_readings(manager.store(), &actor, &SystemClock, import).map_err(|e| e.to_string())?;
    Ok(())
}

/// After the sync: two look-ups of one kiwi crate, in Xi'an and then in Guangzhou (outside the
/// lot's sales regions), as the trace page records them from the proxy's city header; then one
/// evaluation so the dashboard is complete when the demo says it is serving.
pub async fn after_sync(storage: &SqliteStorage, code_key: impl Fn(u64) -> String) -> Result<(), String> {
    let now = fieldtrace_server::now_ms();
    let code = code_key(TRAVELLED_CRATE);
    for (place, ago_ms) in [("陕西省西安市", 2 * 86_400_000), ("广东省广州市", 3_600_000)] {
        storage
            .record_trace_scan(super::cast::COOP_ID, &code, now - ago_ms, Some(place.to_owned()))
            .await
            .map_err(|e| e.to_string())?;
    }
    evaluate(storage, &ServerConfig::default(), &Projector::new(), true).await.map_err(|e| e.to_string())?;
    Ok(())
}
