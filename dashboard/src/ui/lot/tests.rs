//! The lot page assembled from a seeded history with known answers, stored in a real SQLite
//! database and read back through the projected lot history as the server reads it: custody
//! chain with the handover pair and the unpaired offer, timeline (actor, recorder, device,
//! display offset), abnormal report with its photo, chart with the excursion, farming records
//! with the PHI flag — and a box event after a kiwi was unpacked counts for the kiwi nowhere.

use super::*;
use chrono::{DateTime, Duration};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_server::custody::{AbnormalUnit, Holder, Transfer, TransferStatus};
use fieldtrace_server::projection::Projector;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;

const BOX: &str = "/00/106141412345678908";
const PHOTO: &str = "3f0c4a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677889900aabbccd";

struct Script {
    device: DeviceId,
    n: i64,
    start: DateTime<FixedOffset>,
}

impl Script {
    fn at(&self, minutes: i64) -> DateTime<FixedOffset> {
        self.start + Duration::minutes(minutes)
    }

    fn event(&mut self, kind: EventKind, codes: &[&str], step: Option<BizStep>, actor: &str) -> Event {
        self.n += 1;
        // Phones in UTC: the page shows China time all the same.
        let at = (self.start + Duration::minutes(self.n * 30)).with_timezone(&FixedOffset::east_opt(0).expect("utc"));
        Event {
            id: EventId::new(),
            kind,
            step,
            disposition: step.map(|_| Disposition::Normal),
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: None,
            actor: Actor { party: PartyId::new(actor), role: Role::Manager },
            recorder: Recorder { party: PartyId::new(actor), device: self.device },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }
}

struct Seeded {
    events: Vec<Event>,
    transfers: Vec<Transfer>,
}

fn seeded() -> Seeded {
    let start = DateTime::parse_from_rfc3339("2026-11-20T08:00:00+08:00").expect("time");
    let mut s = Script { device: DeviceId::new(), n: 0, start };
    let lot = Some(LotId::new("K-1"));
    let mut out = Vec::new();
    let update = |kind, id: &str, fields: &[(&str, &str)]| {
        let mut update = Update::new(kind, id);
        for (k, v) in fields {
            update = update.set(k, *v);
        }
        EventKind::Update(update)
    };
    out.push(s.event(update(EntityKind::Lot, "K-1", &[("product", "猕猴桃"), ("farm", "farmer-li")]), &[], None, "m"));
    for (id, name) in [
        ("farmer-li", "李家果园"),
        ("driver-zhao", "赵师傅"),
        ("warehouse-sun", "孙记冷库"),
        ("assistant-wang", "王助理"),
    ] {
        out.push(s.event(update(EntityKind::Party, id, &[("name", name)]), &[], None, "m"));
    }
    // Sprayed 3 days before harvest with a 14-day interval (recorded by the assistant).
    let mut spray = s.event(
        EventKind::FarmRecord(FarmRecord {
            activity: "spraying".into(),
            plot: Some("东坡".into()),
            input: Some("代森锰锌".into()),
            amount: None,
            pre_harvest_interval_days: Some(14),
            grade: None,
        }),
        &[],
        None,
        "farmer-li",
    );
    spray.recorded_at -= Duration::days(3);
    spray.lot.clone_from(&lot);
    spray.recorder.party = PartyId::new("assistant-wang");
    out.push(spray);
    for code in ["t/A", "t/B"] {
        let mut harvest = s.event(EventKind::Report, &[code], Some(BizStep::Harvesting), "farmer-li");
        harvest.lot.clone_from(&lot);
        harvest.recorder.party = PartyId::new("assistant-wang");
        out.push(harvest);
    }
    out.push(s.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Pack },
        &["t/A", "t/B"],
        Some(BizStep::Packing),
        "m",
    ));
    let mut reading = s.event(EventKind::SensorReading, &[BOX], None, "driver-zhao");
    reading.note = Some("logger LG-7".into());
    reading.sensors = [3.0, 6.5, 7.2, 6.1, 3.1]
        .iter()
        .enumerate()
        .map(|(i, v)| SensorValue { kind: SensorKind::TemperatureCelsius, value: *v, at: Some(s.at(i as i64 * 15)) })
        .collect();
    out.push(reading);
    let mut excursion = s.event(
        EventKind::Excursion(Excursion {
            logger: "LG-7".into(),
            sensor: SensorKind::TemperatureCelsius,
            bound: Bound::Above,
            threshold: 5.0,
            start: s.at(15),
            end: s.at(45),
            peak: 7.2,
        }),
        &[BOX],
        None,
        "driver-zhao",
    );
    excursion.disposition = Some(Disposition::Abnormal(AbnormalReason::OverTemperature));
    out.push(excursion);
    out.push(s.event(
        EventKind::Trip { trip: "trip-1".into(), stage: TripStage::Load { on_manifest: true } },
        &[BOX],
        Some(BizStep::Loading),
        "driver-zhao",
    ));
    let offer = s.event(
        EventKind::HandoverOffer(HandoverOffer { trip: Some("trip-1".into()), signature: vec![1; 64] }),
        &[BOX],
        Some(BizStep::Transfer),
        "driver-zhao",
    );
    let mut bruised = s.event(EventKind::Report, &["t/A"], Some(BizStep::Receiving), "warehouse-sun");
    bruised.disposition = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    bruised.photos = vec![PhotoRef(PHOTO.into())];
    bruised.note = Some("压伤两处".into());
    let unpack = s.event(
        EventKind::Aggregation { parent: BOX.into(), action: AggregationAction::Unpack },
        &["t/B"],
        Some(BizStep::Packing),
        "warehouse-sun",
    );
    let mut after = s.event(
        EventKind::Trip { trip: "trip-2".into(), stage: TripStage::Deliver { recipient: "刘店长".into() } },
        &[BOX],
        Some(BizStep::Delivering),
        "driver-zhao",
    );
    after.disposition = None;
    let transfers = vec![Transfer {
        offer: offer.id.to_string(),
        status: TransferStatus::Paired,
        trip: Some("trip-1".into()),
        giver: Holder { party: "driver-zhao".into(), device: "d1".into() },
        receiver: Some(Holder { party: "warehouse-sun".into(), device: "d2".into() }),
        acceptance: Some(EventId::new().to_string()),
        offered_at_ms: offer.recorded_at.timestamp_millis(),
        accepted_at_ms: Some(offer.recorded_at.timestamp_millis() + 60_000),
        offer_received_at_ms: None,
        offered_count: 1,
        received_count: Some(1),
        missing: Vec::new(),
        abnormal: vec![AbnormalUnit { code: BOX.into(), reason: "crushed_package".into() }],
        receipt_filed: true,
        disputed: false,
    }];
    out.extend([offer, bruised, unpack, after]);
    // Another lot's unit never shows.
    let mut other = s.event(EventKind::Report, &["t/Z"], Some(BizStep::Harvesting), "farmer-li");
    other.lot = Some(LotId::new("M-1"));
    out.push(other);
    Seeded { events: out, transfers }
}

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

#[tokio::test]
async fn the_custody_chain_has_each_hand_off_and_the_handover_pair() {
    let s = seeded();
    let d = from_log(&s.events, &s.transfers, "K-1", "zh-CN").await.expect("lot");
    let summary: Vec<(String, String, String, u64)> =
        d.custody.iter().map(|r| (r.what.clone(), r.giver.clone(), r.receiver.clone(), r.units)).collect();
    let expect = |what: &str, from: &str, to: &str, units| (what.to_owned(), from.to_owned(), to.to_owned(), units);
    assert_eq!(
        summary,
        vec![
            expect("采摘", "李家果园", "李家果园", 2),
            expect("装车", "李家果园", "赵师傅", 2),
            expect("交接", "赵师傅", "孙记冷库", 2),
            expect("到货验收", "孙记冷库", "孙记冷库", 1),
            // Delivered after t/B was unpacked: only t/A was still in the box.
            expect("送达", "赵师傅", "刘店长", 1),
        ]
    );
    let handover = &d.custody[2];
    assert!(handover.handover);
    assert_eq!(handover.boxes, "1 → 1");
    assert_eq!(handover.abnormal, vec!["SSCC 106141412345678908: 包装压坏".to_owned()]);
    assert_eq!(handover.flag.as_deref(), Some("双方已存凭证"));
    assert!(!handover.problem, "a paired handover with its receipt filed is in order");
    assert_eq!(handover.trip.as_deref(), Some("trip-1"));
    // Times in China time although the phones were on UTC.
    assert_eq!(d.custody[0].from, "2026-11-20 11:30");
    assert_eq!(d.custody[0].to, "2026-11-20 12:00");
}

#[tokio::test]
async fn an_offer_nobody_accepted_is_flagged() {
    let mut s = seeded();
    s.transfers[0].status = TransferStatus::Unpaired;
    s.transfers[0].receiver = None;
    s.transfers[0].received_count = None;
    s.transfers[0].abnormal.clear();
    let d = from_log(&s.events, &s.transfers, "K-1", "en").await.expect("lot");
    let handover = d.custody.iter().find(|r| r.handover).expect("handover row");
    assert_eq!(handover.flag.as_deref(), Some("not accepted"));
    assert!(handover.problem);
    assert_eq!(handover.receiver, "?");
    assert_eq!(handover.boxes, "1");
}

#[tokio::test]
async fn the_timeline_names_actor_recorder_device_and_leaves_out_later_box_events_per_unit() {
    let s = seeded();
    let d = from_log(&s.events, &s.transfers, "K-1", "en").await.expect("lot");
    // Spraying, 2 harvests, pack, reading, excursion, load, offer, bruised, unpack, deliver.
    assert_eq!(d.timeline.len(), 11, "{:#?}", d.timeline.iter().map(|r| &r.what).collect::<Vec<_>>());
    let harvest = &d.timeline[1];
    assert_eq!((harvest.what.as_str(), harvest.who.as_str()), ("Harvested", "李家果园"));
    assert_eq!(harvest.recorder.as_deref(), Some("王助理"));
    assert!(s.events[0].recorder.device.to_string().ends_with(&harvest.device) && harvest.device.len() == 8);
    let deliver = d.timeline.last().expect("deliver");
    assert_eq!(deliver.units, 1, "t/B was unpacked before the delivery");
    assert!(deliver.note.contains("刘店长"));
    assert!(!d.timeline.iter().any(|r| r.codes.contains("T/Z") || r.codes == "t/Z"), "another lot leaked");
    let csv = timeline::csv(&d.timeline);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "time,event,who,recorder,device,codes,units,condition,note");
    assert_eq!(lines.len(), 12);
}

#[tokio::test]
async fn abnormal_reports_carry_their_photos_and_excursions_are_on_the_chart() {
    let s = seeded();
    let d = from_log(&s.events, &s.transfers, "K-1", "zh-CN").await.expect("lot");
    assert_eq!(d.abnormal.len(), 1);
    let report = &d.abnormal[0];
    assert_eq!((report.reason.as_str(), report.who.as_str(), report.note.as_str()), ("碰伤", "孙记冷库", "压伤两处"));
    assert_eq!(report.photos, vec![sections::PhotoView { sha256: PHOTO.into(), ready: false }]);
    let svg = d.chart.expect("chart");
    assert_eq!(svg.matches(r#"class="excursion""#).count(), 1);
    assert!(svg.contains("超限 08:15–08:45 7.2 °C"), "{svg}");
    assert!(svg.contains("5 个读数") && svg.contains("限值 0–5 °C"), "the description says what it shows: {svg}");
    assert_eq!(d.limits, "0–5 °C");
}

#[tokio::test]
async fn farming_records_flag_a_spraying_whose_interval_was_not_over() {
    let s = seeded();
    let d = from_log(&s.events, &s.transfers, "K-1", "zh-CN").await.expect("lot");
    assert_eq!(d.farming.len(), 1);
    let spray = &d.farming[0];
    assert_eq!((spray.activity.as_str(), spray.input.as_str(), spray.phi_days.as_str()), ("打药", "代森锰锌", "14 天"));
    assert_eq!(spray.recorder.as_deref(), Some("王助理"));
    let flag = spray.phi_flag.as_deref().expect("flagged");
    assert!(flag.contains("2026-11-20") && flag.contains("3 天 < 14 天"), "{flag}");
}

#[tokio::test]
async fn unknown_lots_are_none_and_custody_csv_is_safe() {
    let s = seeded();
    assert!(from_log(&s.events, &s.transfers, "NO-SUCH", "zh-CN").await.is_none());
    let d = from_log(&s.events, &s.transfers, "K-1", "en").await.expect("lot");
    let mut rows = d.custody.clone();
    rows[0].giver = "=cmd|' /C calc'!A0".into();
    let csv = custody::csv(&rows);
    assert!(csv.starts_with("\u{feff}step,from,to,first,last,units,boxes,abnormal,flag,trip\r\n"));
    assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
}

/// The page as the server assembles it: `events` stored and projected, the lot read from its
/// history; the custody transfers are the given ones (they are paired by `custody`, tested there).
async fn from_log(events: &[Event], transfers: &[Transfer], lot: &str, lang: &str) -> Option<LotData> {
    let storage = SqliteStorage::open_in_memory().expect("open");
    storage.create_coop("coop", "coop").await.expect("coop");
    storage.push("coop", DeviceId::new(), events.to_vec(), 0).await.expect("push");
    Projector::new().catch_up(&storage, "coop").await.expect("project");
    let config = fieldtrace_server::ServerConfig::default();
    let mut read = read::read(&storage, &config, "coop", lot, read::Window::Newest, cst()).await.expect("read")?;
    read.transfers = transfers.to_vec();
    Some(assemble(&read, lang))
}

#[tokio::test]
async fn a_big_lot_is_read_one_window_at_a_time_and_the_chain_carries_its_holder() {
    use super::read::{Window, TIMELINE_PAGE};
    let start = DateTime::parse_from_rfc3339("2026-11-20T08:00:00+08:00").expect("time");
    let mut s = Script { device: DeviceId::new(), n: 0, start };
    let mut update = Update::new(EntityKind::Lot, "K-BIG").set("farm", "farmer-li");
    update = update.set("product", "猕猴桃");
    let mut events = vec![s.event(EventKind::Update(update), &[], None, "m")];
    for (id, name) in [("farmer-li", "李家果园"), ("picker-chen", "陈采摘"), ("driver-zhao", "赵师傅")] {
        events.push(s.event(EventKind::Update(Update::new(EntityKind::Party, id).set("name", name)), &[], None, "m"));
    }
    // Two full windows of harvest taps by a picker, then the loading opens the third window.
    for i in 0..TIMELINE_PAGE * 2 {
        let code = format!("t/H{i}");
        let mut tap = s.event(EventKind::Report, &[code.as_str()], Some(BizStep::Harvesting), "picker-chen");
        tap.lot = Some(LotId::new("K-BIG"));
        events.push(tap);
    }
    let mut loading = s.event(EventKind::Observation, &["t/H0", "t/H1"], Some(BizStep::Loading), "driver-zhao");
    loading.disposition = None;
    events.push(loading);

    let storage = SqliteStorage::open_in_memory().expect("open");
    storage.create_coop("coop", "coop").await.expect("coop");
    storage.push("coop", DeviceId::new(), events, 0).await.expect("push");
    Projector::new().catch_up(&storage, "coop").await.expect("project");
    let config = fieldtrace_server::ServerConfig::default();
    let read_window = |window| {
        let storage = &storage;
        let config = &config;
        async move { read::read(storage, config, "coop", "K-BIG", window, cst()).await.expect("read").expect("lot") }
    };

    // Newest first: 199 taps and the loading; then a window of 200 taps; then the first tap.
    let newest = read_window(Window::Newest).await;
    assert_eq!(newest.window.rows.len(), TIMELINE_PAGE);
    assert!(newest.later.is_none());
    let pager = TimelinePage::new(&newest, "/ui/lots/K-BIG");
    assert!(
        pager.earlier.as_deref().is_some_and(|href| href.starts_with("/ui/lots/K-BIG?before=")),
        "{:?}",
        pager.earlier
    );
    assert!(pager.later.is_none());
    let d = assemble(&newest, "zh-CN");
    assert!(d.window_note.is_some(), "several windows: the chain says which one it shows");
    let middle = read_window(Window::Before(newest.earlier.expect("earlier"))).await;
    assert_eq!(middle.window.rows.len(), TIMELINE_PAGE);
    assert!(middle.later.is_some() && middle.earlier.is_some());
    let middle_data = assemble(&middle, "zh-CN");
    let hops: Vec<(&str, &str, u64)> =
        middle_data.custody.iter().map(|r| (r.giver.as_str(), r.receiver.as_str(), r.units)).collect();
    assert_eq!(hops, vec![("李家果园", "陈采摘", TIMELINE_PAGE as u64)], "200 taps by one picker are one hand-off");
    let oldest = read_window(Window::Before(middle.earlier.expect("earlier"))).await;
    assert_eq!(oldest.window.rows.len(), 1);
    assert!(oldest.earlier.is_none() && oldest.later.is_some());

    // A window that opens with the loading still names who handed the goods over.
    let last_tap = newest.window.rows[TIMELINE_PAGE - 2].key;
    let loading = read_window(Window::After(last_tap)).await;
    assert!(loading.later.is_none());
    let d = assemble(&loading, "zh-CN");
    assert_eq!(d.timeline.len(), 1);
    assert_eq!(d.timeline[0].units, 2);
    let hops: Vec<(&str, &str, &str, u64)> =
        d.custody.iter().map(|r| (r.what.as_str(), r.giver.as_str(), r.receiver.as_str(), r.units)).collect();
    assert_eq!(hops, vec![("装车", "陈采摘", "赵师傅", 2)], "the window starts from the holder the harvest left");
}
