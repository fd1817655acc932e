//! Eight weeks of the demo co-op's past, so the loss analytics have a story to tell: each week a
//! lot of 40 crates goes from orchard to the Xi'an cold store, and the share found abnormal falls
//! from about 22 % (the weeks before the co-op checked every hand-off) to about 7 %.
//!
//! The past is recorded by its own phones — enrolled through the real endpoint, each with its own
//! SQLite file — whose events carry past times, then pushed with the real sync client, exactly as
//! phones that were offline for weeks would do.

use chrono::{DateTime, Datelike, Days, FixedOffset, TimeZone, Utc};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::{
    AbnormalReason, Actor, BizStep, Bound, Disposition, EntityKind, Event, EventId, EventKind, Excursion, LotId,
    PartyId, Recorder, Role, SensorKind, TripStage, Update,
};
use fieldtrace_core::payload::{Payload, TraceCode};
use fieldtrace_core::sync::{SyncClient, SyncConfig};
use fieldtrace_core::Store;
use fieldtrace_server::enrollment::enrollment_qr;
use fieldtrace_server::storage::Storage;
use std::path::Path;
use std::sync::Arc;

const WEEKS: u64 = 8;
const CRATES: u64 = 40;
/// Crates found abnormal each week, oldest first: 22.5 % falling to 7.5 %.
const ABNORMAL_PER_WEEK: [u64; WEEKS as usize] = [9, 8, 7, 5, 4, 3, 3, 3];

struct Phone {
    party: &'static str,
    role: Role,
    store: Arc<Store>,
    client: SyncClient,
}

impl Phone {
    /// Records `events` (made by `make` for this phone) at `at`, as if it were then.
    fn record(&self, at: DateTime<FixedOffset>, events: Vec<Event>) -> Result<(), String> {
        let ms = u64::try_from(at.timestamp_millis()).map_err(|e| e.to_string())?;
        self.store.record_local_batch(ms, events).map(|_| ()).map_err(|e| format!("{}: {e}", self.party))
    }

    fn event(&self, at: DateTime<FixedOffset>, kind: EventKind, step: Option<BizStep>, codes: Vec<String>) -> Event {
        Event {
            id: EventId::new(),
            kind,
            step,
            disposition: None,
            codes,
            lot: None,
            actor: Actor { party: PartyId::new(self.party), role: self.role },
            recorder: Recorder { party: PartyId::new(self.party), device: self.store.device_id() },
            location: None,
            recorded_at: at,
            // Stamped by the store when recorded.
            hlc: HlcTimestamp { wall_ms: 0, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }

    fn report(&self, at: DateTime<FixedOffset>, step: BizStep, code: &str, bad: Option<AbnormalReason>) -> Event {
        let mut event = self.event(at, EventKind::Report, Some(step), vec![code.to_owned()]);
        event.disposition = Some(bad.map_or(Disposition::Normal, Disposition::Abnormal));
        event
    }
}

fn crate_code(week: u64, n: u64) -> String {
    TraceCode::from_value(0x5EED_1000 + week * 100 + n)
        .map_or_else(|_| format!("HIST-{week}-{n}"), |c| Payload::Trace(c).code_key())
}

/// Seeds the history on the server at `server_url` (serving `storage`), phones in `phones_dir`;
/// returns how many events the server accepted.
pub async fn seed_loss_history<S: Storage>(
    storage: &S,
    server_url: &str,
    coop: &str,
    phones_dir: &Path,
) -> Result<u64, String> {
    let cast = [
        ("manager-chen", Role::Manager),
        ("farmer-zhou", Role::Farmer),
        ("farmer-li", Role::Farmer),
        ("assistant-wang", Role::Assistant),
        ("driver-zhao", Role::Driver),
        ("driver-sun", Role::Driver),
        ("coldstore-xian", Role::Manager),
    ];
    let mut phones = Vec::new();
    for (party, role) in cast {
        let store = Arc::new(Store::open(phones_dir.join(format!("history-{party}.db"))).map_err(|e| e.to_string())?);
        let client = SyncClient::new(store.clone(), SyncConfig::default()).map_err(|e| e.to_string())?;
        let qr = enrollment_qr(storage, server_url, coop, party, role, 3_600_000).await?;
        client.enroll(&qr).await.map_err(|e| format!("{party} (history) enroll: {e}"))?;
        phones.push(Phone { party, role, store, client });
    }
    let [manager, zhou, li, assistant, zhao, sun, coldstore] = &phones[..] else {
        return Err("history cast".into());
    };
    let china = FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    let now = Utc::now().with_timezone(&china);
    let this_monday = now.date_naive() - Days::new(u64::from(now.weekday().num_days_from_monday()));
    let at = |week: u64, day: u64, hour: u32| -> Result<DateTime<FixedOffset>, String> {
        let date = this_monday - Days::new(7 * (WEEKS - week)) + Days::new(day);
        let naive = date.and_hms_opt(hour, 0, 0).ok_or("time")?;
        china.from_local_datetime(&naive).single().ok_or_else(|| "time".to_owned())
    };

    let mut names = Vec::new();
    for (id, kind, name) in [
        ("assistant-wang", "coop", "王晓燕（协管员）"),
        ("manager-chen", "coop", "陈经理"),
        ("farmer-zhou", "farm", "周家果园"),
        ("driver-sun", "carrier", "孙师傅物流"),
        ("coldstore-xian", "warehouse", "西安朱雀冷库"),
    ] {
        let update = Update::new(EntityKind::Party, id).set("kind", kind).set("name", name).set("region", "610100");
        names.push(manager.event(at(0, 0, 7)?, EventKind::Update(update), None, Vec::new()));
    }
    manager.record(at(0, 0, 7)?, names)?;

    for week in 0..WEEKS {
        let (product, variety, farmer, lot) = match week % 3 {
            0 => ("猕猴桃", "徐香", zhou, format!("K-H{week}")),
            1 => ("苹果", "红富士", li, format!("A-H{week}")),
            _ => ("芒果", "台农", zhou, format!("M-H{week}")),
        };
        let harvest_day = at(week, 0, 8)?;
        let lot_update = Update::new(EntityKind::Lot, lot.clone())
            .set("product", product)
            .set("variety", variety)
            .set("farm", farmer.party)
            .set("harvest_date", harvest_day.date_naive().to_string());
        manager.record(
            at(week, 0, 7)?,
            vec![manager.event(at(week, 0, 7)?, EventKind::Update(lot_update), None, Vec::new())],
        )?;
        let driver = if week % 2 == 0 { zhao } else { sun };
        let codes: Vec<String> = (0..CRATES).map(|n| crate_code(week, n)).collect();
        // Which stage finds each abnormal crate: harvest, storage, loading, transport, delivery in turn.
        let stage_of = |n: u64| (n < ABNORMAL_PER_WEEK[week as usize]).then_some(n % 5);

        let harvest: Vec<Event> = codes
            .iter()
            .enumerate()
            .map(|(n, code)| {
                let mut e = farmer.report(
                    harvest_day,
                    BizStep::Harvesting,
                    code,
                    (stage_of(n as u64) == Some(0)).then_some(AbnormalReason::Bruised),
                );
                e.lot = Some(LotId::new(lot.clone()));
                e
            })
            .collect();
        farmer.record(harvest_day, harvest)?;

        let store_day = at(week, 1, 9)?;
        let storage_checks = codes.iter().enumerate().map(|(n, code)| {
            assistant.report(
                store_day,
                BizStep::WarehouseIn,
                code,
                (stage_of(n as u64) == Some(1)).then_some(AbnormalReason::Rotten),
            )
        });
        assistant.record(store_day, storage_checks.collect())?;

        let load_day = at(week, 2, 6)?;
        let trip = format!("trip-h{week}");
        let loads = codes.iter().enumerate().map(|(n, code)| {
            if stage_of(n as u64) == Some(2) {
                // Found crushed when the driver took it over: the loading check.
                driver.report(load_day, BizStep::Loading, code, Some(AbnormalReason::CrushedPackage))
            } else {
                let kind = EventKind::Trip { trip: trip.clone(), stage: TripStage::Load { on_manifest: true } };
                driver.event(load_day, kind, Some(BizStep::Loading), vec![code.clone()])
            }
        });
        driver.record(load_day, loads.collect())?;
        let depart = EventKind::Trip {
            trip: trip.clone(),
            stage: TripStage::Depart {
                expected: CRATES as u32,
                loaded: CRATES as u32,
                missing: Vec::new(),
                off_manifest: Vec::new(),
            },
        };
        let road = at(week, 2, 7)?;
        let mut transit = vec![driver.event(road, depart, Some(BizStep::Transfer), codes.clone())];
        for (n, code) in codes.iter().enumerate().filter(|(n, _)| stage_of(*n as u64) == Some(3)) {
            let excursion = Excursion {
                logger: format!("LOG-{week}-{n}"),
                sensor: SensorKind::TemperatureCelsius,
                bound: Bound::Above,
                threshold: 5.0,
                start: at(week, 2, 11)?,
                end: at(week, 2, 13)?,
                peak: 9.5,
            };
            let mut e = driver.event(road, EventKind::Excursion(excursion), None, vec![code.clone()]);
            e.disposition = Some(Disposition::Abnormal(AbnormalReason::OverTemperature));
            transit.push(e);
        }
        driver.record(road, transit)?;

        let arrive = at(week, 3, 8)?;
        let deliver =
            EventKind::Trip { trip, stage: TripStage::Deliver { recipient: "朱雀冷库 王主管".into() } };
        driver.record(arrive, vec![driver.event(arrive, deliver, Some(BizStep::Delivering), codes.clone())])?;
        let check = at(week, 3, 9)?;
        let checks = codes.iter().enumerate().map(|(n, code)| {
            let bad = (stage_of(n as u64) == Some(4)).then_some(AbnormalReason::Bruised);
            coldstore.report(check, BizStep::Inspecting, code, bad)
        });
        coldstore.record(check, checks.collect())?;
    }
    let mut accepted = 0;
    for phone in &phones {
        let report = phone.client.push_now().await.map_err(|e| format!("{} (history) push: {e}", phone.party))?;
        if report.refused > 0 {
            return Err(format!("{} (history): the server refused {} events", phone.party, report.refused));
        }
        accepted += report.accepted;
    }
    Ok(accepted)
}
