//! The one-tap flow on a real database file, as a farmer's phone would run it: scan a box label,
//! tap 正常, scan an item, tap 异常 (bruised), tap twice by accident, undo a mistake, then show the
//! code's history, the reports waiting for the network and today's count.
//!
//! Run: `cargo run -p fieldtrace-core --example one_tap [DB_PATH]` (default `./fieldtrace-demo.db`).

use chrono::NaiveDate;
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::*;
use fieldtrace_core::{Receipt, ScanResult, Session, Store};
use std::sync::Arc;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "fieldtrace-demo.db".to_owned());
    if let Err(err) = run(&path) {
        eprintln!("error [{}]: {err}", err.key());
        std::process::exit(1);
    }
}

/// What the co-op's server would have sent the phone: the farm, a lot of kiwis, a box of items.
fn seed_catalog(store: &Store) -> fieldtrace_core::Result<()> {
    let farm = PartyId::new("farm-li-zhou");
    store.upsert_party(&Party {
        id: farm.clone(),
        kind: PartyKind::Farm,
        name: "周至县李家猕猴桃园".into(),
        region: Some("610124".into()),
    })?;
    let lot = LotId::new("LOT-KIWI-20261123-A");
    store.upsert_lot(&Lot {
        id: lot.clone(),
        product: "猕猴桃 kiwi".into(),
        variety: Some("徐香 Xuxiang".into()),
        farm,
        plot: Some("东坡 east slope".into()),
        harvest_date: NaiveDate::from_ymd_opt(2026, 11, 23),
        grade: Some("A".into()),
    })?;
    store.upsert_unit(&TraceUnit {
        code: "BOX-0001".into(),
        level: UnitLevel::Box,
        lot: Some(lot.clone()),
        parent: None,
    })?;
    for n in 1..=3 {
        let code = format!("ITEM-0001-{n:02}");
        store.upsert_unit(&TraceUnit {
            code,
            level: UnitLevel::Item,
            lot: Some(lot.clone()),
            parent: Some("BOX-0001".into()),
        })?;
    }
    Ok(())
}

fn show_scan(scan: &ScanResult) {
    let product = scan.lot.as_ref().map_or("(unknown product)", |l| l.product.as_str());
    let farm = scan.farm.as_ref().map_or("(unknown farm)", |f| f.name.as_str());
    let last = scan.last_step.map_or("never seen", BizStep::key);
    println!("  scan {:<14} {product} · {farm} · last step: {last} · next: {}", scan.code, scan.next_step.key());
}

fn show_receipt(what: &str, receipt: &Receipt) {
    let note = if receipt.duplicate { " (same tap as before: nothing new recorded)" } else { " (saved durably)" };
    println!("  {what:<22} event {}{note}", receipt.event_id);
}

fn run(path: &str) -> fieldtrace_core::Result<()> {
    let store = Arc::new(Store::open(path)?);
    seed_catalog(&store)?;
    let farmer = Actor { party: PartyId::new("farmer-li"), role: Role::Farmer };
    let mut session = Session::new(store.clone(), farmer, Arc::new(SystemClock));
    println!("FieldTrace one-tap demo · database {path} · device {}", store.device_id());

    show_scan(&session.scan("BOX-0001")?);
    show_receipt("正常 normal", &session.report_normal()?);

    show_scan(&session.scan("ITEM-0001-02")?);
    let bruised = session.report_abnormal(AbnormalReason::Bruised, Some("表皮压伤".into()), None)?;
    show_receipt("异常 abnormal: bruised", &bruised);
    show_receipt("异常 tapped again", &session.report_abnormal(AbnormalReason::Bruised, None, None)?);

    show_scan(&session.scan("ITEM-0001-03")?);
    let mistake = session.report_normal()?;
    show_receipt("正常 (by mistake)", &mistake);
    show_receipt("撤销 undo", &session.undo(mistake.event_id)?);

    println!("\nHistory of ITEM-0001-02:");
    for entry in session.history("ITEM-0001-02")? {
        let event = &entry.event;
        let disposition = match event.disposition {
            Some(Disposition::Abnormal(reason)) => format!("abnormal ({})", reason.key()),
            Some(Disposition::Normal) => "normal".to_owned(),
            None => "-".to_owned(),
        };
        let voided = if entry.voided { " [undone]" } else { "" };
        println!(
            "  {} {:<8} {:<11} {disposition}{voided}",
            event.recorded_at.format("%Y-%m-%d %H:%M:%S%:z"),
            event.kind.key(),
            event.step.map_or("-", BizStep::key)
        );
    }
    let status = store.outbox_status()?;
    println!(
        "\nWaiting for the network: {} event(s); today's count for farmer-li: {}",
        status.pending,
        session.today_count()?
    );
    Ok(())
}
