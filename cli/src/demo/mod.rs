//! `fieldtrace demo`: a co-op's morning, end to end, on this machine.
//!
//! Seeds a co-op, enrolls simulated phones through the real enrollment endpoint (a manager, two
//! farmers, a village assistant and a driver, each with its own SQLite file and the real sync
//! client), lets them work offline — lot and party metadata, harvest reports, packing, a loading
//! trip with one crushed box — then has them sync in turn over HTTP and checks that every phone
//! and the server computed the same state digest. Leaves fresh enrollment QR texts for real phones.

use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{AbnormalReason, Actor, EntityKind, LotId, PartyId, Role, Update};
use fieldtrace_core::sync::{SyncClient, SyncConfig, SyncReport};
use fieldtrace_core::{Session, Store};
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::Path;
use std::sync::Arc;

mod alerts;
mod cast;
pub mod field_flows;
mod history;
mod story;

pub use cast::{demo_code, sample_trace_code, COOP_ID, COOP_NAME, DEMO_MANAGER, DEMO_MANAGER_PASSWORD};
use cast::{label, DemoPhone};
pub use story::mango_trace_code;

/// What the demo did, for printing and for its test.
#[derive(Debug)]
pub struct DemoReport {
    pub phones: Vec<(String, Role, SyncReport)>,
    pub server_digest: String,
    pub phone_digests: Vec<String>,
    pub server_events: usize,
    /// Events of the weeks before (`demo_history`), pushed by their own phones.
    pub history_events: u64,
    /// Unused enrollment QR texts, one per role, for real phones to join.
    pub enrollment_qrs: Vec<(Role, String)>,
}

pub use fieldtrace_server::enrollment::enrollment_qr;

/// Runs the simulation against the server at `server_url` (already serving `storage`); the
/// phones' databases go in `phones_dir`.
pub async fn run(storage: &SqliteStorage, server_url: &str, phones_dir: &Path) -> Result<DemoReport, String> {
    storage.create_coop(COOP_ID, COOP_NAME).await.map_err(|e| e.to_string())?;
    fieldtrace_dashboard::ui::put_manager(storage, COOP_ID, DEMO_MANAGER, Some("陈经理"), DEMO_MANAGER_PASSWORD, false)
        .await?;
    let cast: [(&'static str, Role); 5] = [
        ("manager-chen", Role::Manager),
        ("farmer-li", Role::Farmer),
        ("farmer-zhang", Role::Farmer),
        ("assistant-wang", Role::Assistant),
        ("driver-zhao", Role::Driver),
    ];
    let mut phones = Vec::new();
    for (name, role) in cast {
        let store = Arc::new(Store::open(phones_dir.join(format!("{name}.db"))).map_err(|e| e.to_string())?);
        let session = Session::new(store.clone(), Actor { party: PartyId::new(name), role }, Arc::new(SystemClock));
        let client = SyncClient::new(store, SyncConfig::default()).map_err(|e| e.to_string())?;
        let qr = enrollment_qr(storage, server_url, COOP_ID, name, role, 3_600_000).await?;
        client.enroll(&qr).await.map_err(|e| format!("{name} enroll: {e}"))?;
        phones.push(DemoPhone { name, role, session, client });
    }
    work_offline(&mut phones).map_err(|e| e.to_string())?;
    let history_events = history::seed_loss_history(storage, server_url, COOP_ID, phones_dir).await?;
    alerts::work_offline(&mut phones[0].session, label)?;
    field_flows::run(storage, server_url, phones_dir, &mut phones).await?;
    story::farm_story(&mut phones[0].session)?;

    // Signal comes back: each phone syncs as it finds it, then once more to pull the rest.
    let mut reports = Vec::new();
    for phone in &phones {
        let report = phone.client.sync_now().await.map_err(|e| format!("{} sync: {e}", phone.name))?;
        reports.push((phone.name.to_owned(), phone.role, report));
    }
    for phone in &phones {
        phone.client.sync_now().await.map_err(|e| format!("{} sync: {e}", phone.name))?;
    }
    alerts::after_sync(storage, |n| format!("t/{}", demo_code(n))).await?;
    story::lab_reports(storage, COOP_ID).await?;
    let server_state = fieldtrace_server::state::coop_state(storage, COOP_ID).await.map_err(|e| e.to_string())?;
    let mut phone_digests = Vec::new();
    for phone in &phones {
        phone_digests.push(phone.session.store().state().map_err(|e| e.to_string())?.digest());
    }
    let mut enrollment_qrs = Vec::new();
    for (party, role) in
        [("farmer-new", Role::Farmer), ("assistant-new", Role::Assistant), ("driver-new", Role::Driver)]
    {
        enrollment_qrs.push((role, enrollment_qr(storage, server_url, COOP_ID, party, role, 72 * 3_600_000).await?));
    }
    Ok(DemoReport {
        phones: reports,
        server_digest: server_state.digest(),
        phone_digests,
        server_events: server_state.events.len(),
        history_events,
        enrollment_qrs,
    })
}

fn work_offline(phones: &mut [DemoPhone]) -> fieldtrace_core::Result<()> {
    let [manager, li, zhang, assistant, driver] = phones else { return Ok(()) };
    for (id, kind, name, region) in [
        ("farmer-li", "farm", "李家果园", "610124"),
        ("farmer-zhang", "farm", "张家果园", "610124"),
        ("coop-zhouzhi", "coop", COOP_NAME, "610124"),
        ("driver-zhao", "carrier", "赵师傅冷链", "610100"),
    ] {
        let update = Update::new(EntityKind::Party, id).set("kind", kind).set("name", name).set("region", region);
        manager.session.update(update)?;
    }
    for (lot, product, variety, farm, grade) in [
        ("K-2026-0815", "猕猴桃", "徐香", "farmer-li", "A"),
        ("M-2026-0702", "芒果", "台农", "farmer-zhang", "A"),
        ("A-2026-1003", "苹果", "红富士", "farmer-zhang", "B"),
    ] {
        let update = Update::new(EntityKind::Lot, lot)
            .set("product", product)
            .set("variety", variety)
            .set("farm", farm)
            .set("harvest_date", "2026-11-20")
            .set("grade", grade);
        manager.session.update(update)?;
    }
    // Farmers harvest, one tap per fruit crate, each phone set to the lot being picked (Li the
    // kiwis, Zhang mangoes then apples); a few crates are bruised.
    for (farmer, range) in [(li, 0..12u64), (zhang, 12..24u64)] {
        for n in range {
            let lot = match n {
                0..12 => "K-2026-0815",
                12..18 => "M-2026-0702",
                _ => "A-2026-1003",
            };
            farmer.session.set_working_lot(Some(LotId::new(lot)));
            farmer.session.scan(&label(n))?;
            if n % 7 == 3 {
                farmer.session.report_abnormal(AbnormalReason::Bruised, None, None)?;
            } else {
                farmer.session.report_normal()?;
            }
        }
    }
    // The assistant packs for elderly neighbours and fixes a grade after sorting.
    for n in 0..24u64 {
        assistant.session.scan(&label(n))?;
        assistant.session.report_normal()?;
    }
    assistant.session.update(Update::new(EntityKind::Lot, "A-2026-1003").set("grade", "A"))?;
    // The driver builds the trip manifest and loads; one box is crushed.
    let manifest: Vec<String> = (0..24u64).map(label).collect();
    let trip = Update::new(EntityKind::Trip, "trip-2026-11-23-1")
        .set("driver", "driver-zhao")
        .set("vehicle", "陕A·12345")
        .set("origin", "coop-zhouzhi")
        .set("destination", "西安朱雀冷库")
        .set("units", manifest.join(" "));
    driver.session.update(trip)?;
    for n in 0..24u64 {
        driver.session.scan(&label(n))?;
        if n == 5 {
            driver.session.report_abnormal(AbnormalReason::CrushedPackage, Some("箱子压坏".into()), None)?;
        } else {
            driver.session.report_normal()?;
        }
    }
    Ok(())
}

/// The demo's printout: what each phone sent and received, the convergence check, and QR texts.
pub fn describe(report: &DemoReport) -> String {
    let mut out = String::new();
    out.push_str("phone               role       accepted  pulled  bytes up  bytes down\n");
    for (name, role, r) in &report.phones {
        out.push_str(&format!(
            "{name:<19} {:<10} {:>8} {:>7} {:>9} {:>11}\n",
            role.key(),
            r.accepted,
            r.pulled,
            r.bytes_sent,
            r.bytes_received
        ));
    }
    let converged = report.phone_digests.iter().all(|d| *d == report.server_digest);
    out.push_str(&format!(
        "server holds {} events; state digest {}; {} phones {}\n",
        report.server_events,
        &report.server_digest[..16],
        report.phone_digests.len(),
        if converged { "converged to the same digest" } else { "DIVERGED" }
    ));
    out.push_str("Enrollment QR texts for real phones (one-time, 72 h):\n");
    for (role, qr) in &report.enrollment_qrs {
        out.push_str(&format!("  {:<9} {qr}\n", role.key()));
    }
    out
}
