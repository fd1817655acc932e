//! The demo's field flows on the kiwi lot, through the same core API the apps call: the assistant
//! packs kiwi trays into SSCC boxes and three boxes onto a pallet; the driver builds the trip's
//! manifest from the packing list and loads against it with one box left behind, departs and
//! confirms delivery with the recipient's name and a photo of the signed note; then an offline two-phone handover to the cold store (one box crushed), whose clerk reports a bruised
//! tray with a photo; back at the office box 1's logger is read (a 45-minute warm spell above
//! 5 °C). The assistant also books the lot's farming records for farmer Li, including a
//! spraying whose pre-harvest interval is not over at harvest. Photos are drawn in code.

use super::cast::{label, DemoPhone, COOP_ID};
use fieldtrace_core::clock::{SystemClock, WallClock};
use fieldtrace_core::handover::HandoverSession;
use fieldtrace_core::model::{
    AbnormalReason, Actor, EntityKind, Event, EventId, EventKind, FarmRecord, LotId, PartyId, Quantity, Recorder, Role,
    Update,
};
use fieldtrace_core::sensors::{import_readings, LoggerReading, SensorImport};
use fieldtrace_core::sync::{SyncClient, SyncConfig};
use fieldtrace_core::{Session, Store};
use fieldtrace_server::enrollment::enrollment_qr;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::Path;
use std::sync::Arc;

mod photos;

/// The lot the flows enrich: its dashboard page is the demo's richest.
pub const RICHEST_LOT: &str = "K-2026-0815";
const TRIP: &str = "trip-2026-11-23-2";
const COLD_STORE: &str = "warehouse-sun";
const RECIPIENT: &str = "孙建国";

/// The GS1 mod-10 check digit of `body` (digits only): weights 3, 1, 3 … from the right.
fn check_digit(body: &str) -> u32 {
    let sum: u32 =
        body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    (10 - sum % 10) % 10
}

/// An SSCC (GS1 AI 00) with its check digit: extension 0, company prefix 6901234, `serial`.
fn sscc(serial: u32) -> String {
    let body = format!("0{}{serial:09}", "6901234");
    format!("{body}{}", check_digit(&body))
}

/// The box label as a GS1 Digital Link, as printed by the packing station.
fn box_label(serial: u32) -> String {
    format!("https://id.gs1.org/00/{}", sscc(serial))
}

fn err(context: &str, e: impl std::fmt::Display) -> String {
    format!("demo field flows, {context}: {e}")
}

/// Enrolls the cold store's phone, adds it to the cast and runs the flows (all offline: the
/// demo's sync round afterwards carries everything to the server).
pub(super) async fn run(
    storage: &SqliteStorage,
    server_url: &str,
    phones_dir: &Path,
    phones: &mut Vec<DemoPhone>,
) -> Result<(), String> {
    let name = COLD_STORE;
    let store = Arc::new(Store::open(phones_dir.join(format!("{name}.db"))).map_err(|e| err("open", e))?);
    // The clerk checks goods in for the co-op: the assistant role may record and hand over.
    let actor = Actor { party: PartyId::new(name), role: Role::Assistant };
    let session = Session::new(store.clone(), actor, Arc::new(SystemClock));
    let client = SyncClient::new(store, SyncConfig::default()).map_err(|e| err("client", e))?;
    let qr = enrollment_qr(storage, server_url, COOP_ID, name, Role::Assistant, 3_600_000).await?;
    client.enroll(&qr).await.map_err(|e| err("enroll the cold store", e))?;
    phones.push(DemoPhone { name, role: Role::Assistant, session, client });
    at_the_coop(phones)?;
    on_the_road(phones)
}

/// Harvest, farming records, packing and the trip plan.
fn at_the_coop(phones: &mut [DemoPhone]) -> Result<(), String> {
    let [manager, li, _zhang, assistant, _driver, _cold_store] = phones else {
        return Err("demo field flows: the cast is not the expected six phones".into());
    };
    let party = Update::new(EntityKind::Party, COLD_STORE)
        .set("kind", "warehouse")
        .set("name", "西安朱雀冷库")
        .set("region", "610113");
    manager.session.update(party).map_err(|e| err("name the cold store", e))?;
    for (id, name) in [("assistant-wang", "王晓燕（协管员）"), ("manager-chen", "陈经理")] {
        let person = Update::new(EntityKind::Party, id).set("kind", "coop").set("name", name);
        manager.session.update(person).map_err(|e| err("name a person", e))?;
    }

    // Farmer Li picks twelve more trays of the kiwi lot.
    li.session.set_working_lot(Some(LotId::new(RICHEST_LOT)));
    for n in 100..112u64 {
        li.session.scan(&label(n)).map_err(|e| err("harvest scan", e))?;
        li.session.report_normal().map_err(|e| err("harvest", e))?;
    }
    farming_records(assistant)?;

    // The packing station: three trays a box, four boxes, boxes 1–3 onto a pallet.
    for (b, trays) in (1..=4u32).zip([100..103u64, 103..106, 106..109, 109..112]) {
        let units: Vec<String> = trays.map(label).collect();
        assistant.session.pack(&box_label(b), &units).map_err(|e| err("pack a box", e))?;
    }
    let boxes: Vec<String> = (1..=3).map(box_label).collect();
    assistant.session.pack(&box_label(900), &boxes).map_err(|e| err("pack the pallet", e))?;

    // The manager plans the trip to the cold store.
    let trip = Update::new(EntityKind::Trip, TRIP)
        .set("driver", "driver-zhao")
        .set("vehicle", "陕A·12345")
        .set("origin", COOP_ID)
        .set("destination", "西安朱雀冷库");
    manager.session.update(trip).map_err(|e| err("plan the trip", e))?;
    Ok(())
}

/// Loading, the logger, delivery, the handover and the clerk's report: no network.
fn on_the_road(phones: &mut [DemoPhone]) -> Result<(), String> {
    let [manager, _li, _zhang, _assistant, driver, cold_store] = phones else {
        return Err("demo field flows: the cast is not the expected six phones".into());
    };

    // The driver scans the packing list's four box labels as the manifest, then loads the boxes
    // off the pallet; box 4 is not found.
    let manifest: Vec<String> = (1..=4).map(box_label).collect();
    driver.session.set_trip_manifest(TRIP, &manifest).map_err(|e| err("manifest", e))?;
    let mut loading = driver.session.start_loading(TRIP).map_err(|e| err("start loading", e))?;
    for b in 1..=3 {
        loading.scan(&box_label(b)).map_err(|e| err("load a box", e))?;
    }
    loading.depart(Some("4 号箱未找到".into())).map_err(|e| err("depart", e))?;

    // At the door: the recipient signs the delivery note; the driver photographs it.
    let note_photo = driver.session.save_photo(&photos::delivery_note_jpeg()).map_err(|e| err("delivery photo", e))?;
    driver
        .session
        .confirm_delivery(TRIP, &[], RECIPIENT, vec![note_photo], Some("冷库门口签收".into()))
        .map_err(|e| err("confirm delivery", e))?;
    handover(driver, cold_store)?;

    // The clerk opens the crushed box 2 and finds its kiwis bruised.
    let bruise = cold_store.session.save_photo(&photos::bruised_kiwi_jpeg()).map_err(|e| err("photo", e))?;
    cold_store.session.scan(&box_label(2)).map_err(|e| err("scan box 2", e))?;
    cold_store
        .session
        .report_abnormal_with_photos(AbnormalReason::Bruised, Some("果面压伤，约三成变软".into()), vec![bruise])
        .map_err(|e| err("bruised report", e))?;
    // The driver brings box 1's logger back; the office reads it (the manager's phone knows the
    // lot's product, hence its 0–5 °C limits).
    logger_readings(manager)?;
    Ok(())
}

/// Driver and clerk, both offline: signed offer QR → box-by-box check → signed receipt QR.
fn handover(driver: &DemoPhone, cold_store: &DemoPhone) -> Result<(), String> {
    let clock: Arc<dyn WallClock> = Arc::new(SystemClock);
    let giver = HandoverSession::new(
        driver.session.store().clone(),
        Actor { party: PartyId::new(driver.name), role: driver.role },
        clock.clone(),
    );
    let receiver = HandoverSession::new(
        cold_store.session.store().clone(),
        Actor { party: PartyId::new(cold_store.name), role: cold_store.role },
        clock,
    );
    let boxes: Vec<String> = (1..=3).map(box_label).collect();
    let offer = giver.offer(Some(TRIP.into()), boxes.clone()).map_err(|e| err("offer", e))?;
    receiver.review_offer(&offer.qr_text).map_err(|e| err("review the offer", e))?;
    for (i, code) in boxes.iter().enumerate() {
        let condition = (i == 1).then_some(AbnormalReason::CrushedPackage);
        receiver.check_unit(code, condition).map_err(|e| err("check a box", e))?;
    }
    let receipt = receiver.accept().map_err(|e| err("accept", e))?;
    giver.store_receipt(&receipt.qr_text).map_err(|e| err("file the receipt", e))?;
    Ok(())
}

/// The logger in box 1: every 5 minutes for the last 4 hours, with 45 minutes above 5 °C.
fn logger_readings(reader: &DemoPhone) -> Result<(), String> {
    let now = SystemClock.now();
    let start = now - chrono::Duration::minutes(240);
    let readings = (0..=48)
        .map(|i| {
            let minute = i * 5;
            // A cold chain at 2–3.5 °C; the reefer door stood open from 2 h to 2 h 45 min.
            let wobble = f64::from(((i * 37) % 11) as i32) / 10.0;
            let temperature = match minute {
                120..=165 => 5.6 + f64::from((minute - 120).min(165 - minute) as i32) * 0.09,
                _ => {
                    2.0 + wobble * 0.15
                        + if (100..120).contains(&minute) || (170..190).contains(&minute) { 1.3 } else { 0.0 }
                }
            };
            LoggerReading {
                at: start + chrono::Duration::minutes(minute),
                temperature_c: Some((temperature * 10.0).round() / 10.0),
                humidity_percent: Some(92.0 + wobble),
            }
        })
        .collect();
    let import = SensorImport {
        logger: "LG-0815".into(),
        box_label: box_label(1),
        lot: Some(LotId::new(RICHEST_LOT)),
        readings,
        min_excursion_minutes: 30,
    };
    let actor = Actor { party: PartyId::new(reader.name), role: reader.role };
    let report = import_readings(reader.session.store(), &actor, &SystemClock, import).map_err(|e| err("logger", e))?;
    if report.excursions.len() != 1 {
        return Err(format!("demo field flows: expected one excursion, found {}", report.excursions.len()));
    }
    Ok(())
}

/// The assistant books farmer Li's record book for the kiwi lot: fertilizing, bagging, and a
/// spraying five days before harvest with a 14-day interval (flagged on the dashboard).
fn farming_records(assistant: &DemoPhone) -> Result<(), String> {
    let store = assistant.session.store();
    let now = SystemClock.now();
    let records = [
        (40, "fertilizing", Some("有机肥"), Some((150.0, "kg")), None),
        (25, "bagging", None, None, None),
        (5, "spraying", Some("代森锰锌"), Some((1.5, "kg")), Some(14)),
    ];
    for (days_ago, activity, input, amount, interval) in records {
        let record = FarmRecord {
            activity: activity.into(),
            plot: Some("东坡".into()),
            input: input.map(String::from),
            amount: amount.map(|(value, unit)| Quantity { value, unit: unit.into() }),
            pre_harvest_interval_days: interval,
            grade: None,
        };
        let template = Event {
            id: EventId::new(),
            kind: EventKind::FarmRecord(record),
            step: None,
            disposition: None,
            codes: Vec::new(),
            lot: Some(LotId::new(RICHEST_LOT)),
            actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
            recorder: Recorder { party: PartyId::new(assistant.name), device: store.device_id() },
            location: None,
            recorded_at: now - chrono::Duration::days(days_ago),
            hlc: Default::default(),
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        };
        store
            .record_local(SystemClock.now_ms(), |hlc| Event { hlc, ..template })
            .map_err(|e| err("farming record", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscc_check_digits_are_right() {
        // GS1's example SSCC 106141412345678908.
        assert_eq!(check_digit("10614141234567890"), 8);
        for serial in [1, 4, 900] {
            let code = sscc(serial);
            assert_eq!(code.len(), 18);
            let parsed = fieldtrace_core::payload::parse_payload(&box_label(serial)).expect("a valid SSCC");
            assert_eq!(parsed.code_key(), format!("/00/{code}"));
        }
    }
}
