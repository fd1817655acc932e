use super::*;
use crate::clock::ManualClock;
use crate::model::{Lot, LotId, Party, PartyId, PartyKind, Role, TraceUnit, UnitLevel};
use crate::store::Origin;
use crate::test_support::{farmer, manual_clock, morning, report};

fn session_with(role: Role) -> (Session, Arc<ManualClock>) {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let clock = manual_clock();
    let user = Actor { party: PartyId::new("user-1"), role };
    (Session::new(store, user, clock.clone()), clock)
}

fn farmer_session() -> (Session, Arc<ManualClock>) {
    session_with(Role::Farmer)
}

#[test]
fn an_unknown_code_gets_the_roles_first_step_and_a_durable_report() {
    let (mut session, _) = farmer_session();
    let scan = session.scan(" KIWI-0001 ").expect("scan");
    assert_eq!(scan.code, "KIWI-0001");
    assert_eq!(scan.last_step, None);
    assert_eq!(scan.next_step, BizStep::Harvesting);
    assert!(scan.lot.is_none());

    let receipt = session.report_normal().expect("report");
    assert!(!receipt.duplicate);
    assert_eq!(receipt.disposition, Some(Disposition::Normal));
    assert_eq!(session.pending_count().expect("pending"), 1);

    let stored = session.store().event(receipt.event_id).expect("read").expect("stored");
    assert_eq!(stored.origin, Origin::Local);
    assert_eq!(stored.event.kind, EventKind::Report);
    assert_eq!(stored.event.codes, vec!["KIWI-0001".to_owned()]);
    assert_eq!(stored.event.actor.party.as_str(), "user-1");

    let next = session.scan("KIWI-0001").expect("rescan");
    assert_eq!(next.last_step, Some(BizStep::Harvesting));
    assert_eq!(next.next_step, BizStep::Packing);
}

#[test]
fn a_known_code_shows_product_lot_and_farm() {
    let (mut session, _) = farmer_session();
    let store = session.store().clone();
    store
        .upsert_party(&Party {
            id: PartyId::new("farm-li"),
            kind: PartyKind::Farm,
            name: "李家果园".into(),
            region: None,
        })
        .expect("party");
    let lot = Lot {
        id: LotId::new("LOT-K-1123"),
        product: "猕猴桃".into(),
        variety: Some("徐香".into()),
        farm: PartyId::new("farm-li"),
        plot: Some("东坡".into()),
        harvest_date: morning().date_naive().into(),
        grade: Some("A".into()),
    };
    store.upsert_lot(&lot).expect("lot");
    store
        .upsert_unit(&TraceUnit {
            code: "BOX-9".into(),
            level: UnitLevel::Box,
            lot: Some(lot.id.clone()),
            parent: None,
        })
        .expect("unit");

    let scan = session.scan("BOX-9").expect("scan");
    assert_eq!(scan.lot.as_ref().map(|l| l.product.as_str()), Some("猕猴桃"));
    assert_eq!(scan.farm.as_ref().map(|f| f.name.as_str()), Some("李家果园"));
    assert_eq!(scan.unit.as_ref().map(|u| u.level), Some(UnitLevel::Box));

    let receipt = session.report_abnormal(AbnormalReason::Bruised, Some("压伤".into()), None).expect("report");
    let event = store.event(receipt.event_id).expect("read").expect("stored").event;
    assert_eq!(event.lot, Some(lot.id));
    assert_eq!(event.disposition, Some(Disposition::Abnormal(AbnormalReason::Bruised)));
    assert_eq!(event.note.as_deref(), Some("压伤"));
}

#[test]
fn a_repeat_within_two_seconds_is_the_same_report() {
    let (mut session, clock) = farmer_session();
    session.scan("APPLE-7").expect("scan");
    let first = session.report_normal().expect("first");

    clock.advance_ms(1_500);
    let rescan = session.scan("APPLE-7").expect("camera still sees the label");
    assert_eq!(rescan.recent_report.as_ref().map(|r| r.event_id), Some(first.event_id));
    let again = session.report_normal().expect("second tap");
    assert!(again.duplicate);
    assert_eq!(again.event_id, first.event_id);
    assert_eq!(session.store().event_count().expect("count"), 1);

    // After the window, a new report is a deliberate second check.
    clock.advance_ms(600);
    assert!(session.scan("APPLE-7").expect("scan").recent_report.is_none());
    let later = session.report_normal().expect("later");
    assert!(!later.duplicate);
    assert_ne!(later.event_id, first.event_id);
    assert_eq!(session.store().event_count().expect("count"), 2);
}

#[test]
fn changing_the_verdict_within_two_seconds_records_it() {
    let (mut session, clock) = farmer_session();
    session.scan("MANGO-1").expect("scan");
    session.report_normal().expect("normal");
    clock.advance_ms(500);
    let abnormal = session.report_abnormal(AbnormalReason::Rotten, None, None).expect("abnormal");
    assert!(!abnormal.duplicate);
    assert_eq!(session.scan("MANGO-1").expect("scan").last_disposition, abnormal.disposition);
}

#[test]
fn undo_within_ten_seconds_voids_the_report() {
    let (mut session, clock) = farmer_session();
    session.scan("KIWI-2").expect("scan");
    let receipt = session.report_normal().expect("report");
    assert_eq!(session.today_count().expect("count"), 1);

    clock.advance_ms(9_000);
    let correction = session.undo(receipt.event_id).expect("undo");
    assert_eq!(correction.undo_until_ms, None);
    let history = session.history("KIWI-2").expect("history");
    assert_eq!(history.len(), 2);
    assert!(history[0].voided);
    assert_eq!(history[1].event.kind, EventKind::Correction { voids: receipt.event_id });
    assert_eq!(session.pending_count().expect("pending"), 2, "the correction must reach the server too");
    assert_eq!(session.today_count().expect("count"), 0);
    let rescan = session.scan("KIWI-2").expect("scan");
    assert_eq!(rescan.last_step, None, "a voided report no longer counts");
    assert!(rescan.recent_report.is_none());

    assert!(matches!(session.undo(receipt.event_id), Err(Error::AlreadyUndone(_))));
    assert!(matches!(session.undo(correction.event_id), Err(Error::CannotUndoCorrection(_))));
}

#[test]
fn undo_is_refused_after_ten_seconds_for_others_and_for_unknown_ids() {
    let (mut session, clock) = farmer_session();
    session.scan("KIWI-3").expect("scan");
    let receipt = session.report_normal().expect("report");
    clock.advance_ms(10_001);
    let err = session.undo(receipt.event_id).expect_err("too late");
    assert_eq!(err.key(), "undo_expired");

    let unknown = EventId::new();
    assert!(matches!(session.undo(unknown), Err(Error::EventNotFound(id)) if id == unknown));

    let other_device = crate::model::DeviceId::new();
    let remote = report("KIWI-3", other_device, crate::clock::HlcTimestamp { wall_ms: 1, logical: 0 });
    session.store().insert_remote(std::slice::from_ref(&remote), 0).expect("remote");
    assert!(matches!(session.undo(remote.id), Err(Error::NotOwnEvent(_))));
}

#[test]
fn reporting_needs_a_scan_and_garbled_input_is_refused() {
    let (mut session, _) = farmer_session();
    assert_eq!(session.report_normal().expect_err("no scan").key(), "nothing_scanned");
    assert_eq!(session.scan("").expect_err("empty").key(), "payload_empty");
    assert_eq!(session.scan("A\u{7}B").expect_err("bell").key(), "payload_control_character");
    assert_eq!(session.store().event_count().expect("count"), 0);
}

#[test]
fn todays_count_is_distinct_codes_of_the_local_day() {
    let (mut session, clock) = session_with(Role::Assistant);
    clock.set(DateTime::parse_from_rfc3339("2026-11-22T23:59:00+08:00").expect("time"));
    session.scan("ITEM-0").expect("scan");
    session.report_normal().expect("yesterday");
    clock.set(DateTime::parse_from_rfc3339("2026-11-23T00:00:30+08:00").expect("time"));
    for code in ["ITEM-1", "ITEM-2", "ITEM-1"] {
        session.scan(code).expect("scan");
        clock.advance_ms(3_000);
        session.report_normal().expect("report");
    }
    assert_eq!(session.store().event_count().expect("count"), 4);
    assert_eq!(session.today_count().expect("today"), 2);
}

#[test]
fn a_wall_clock_jumping_back_keeps_history_in_recorded_order() {
    let (mut session, clock) = farmer_session();
    session.scan("PEAR-1").expect("scan");
    let first = session.report_normal().expect("first");
    clock.advance_ms(-3_600_000);
    session.scan("PEAR-1").expect("scan");
    let second = session.report_abnormal(AbnormalReason::Wet, None, None).expect("second");
    let history = session.history("PEAR-1").expect("history");
    let ids: Vec<_> = history.iter().map(|h| h.event.id).collect();
    assert_eq!(ids, vec![first.event_id, second.event_id]);
    assert!(history[1].event.hlc > history[0].event.hlc);
    assert_eq!(session.scan("PEAR-1").expect("scan").last_disposition, second.disposition);
}

#[test]
fn an_inspection_does_not_move_the_suggested_step() {
    let (mut session, _) = session_with(Role::Manager);
    let store = session.store().clone();
    let device = crate::model::DeviceId::new();
    let mut packed = report("BOX-1", device, crate::clock::HlcTimestamp { wall_ms: 1, logical: 0 });
    packed.step = Some(BizStep::Packing);
    let mut inspected = report("BOX-1", device, crate::clock::HlcTimestamp { wall_ms: 2, logical: 0 });
    inspected.step = Some(BizStep::Inspecting);
    store.insert_remote(&[packed, inspected], 0).expect("remote");
    let scan = session.scan("BOX-1").expect("scan");
    assert_eq!(scan.last_step, Some(BizStep::Inspecting));
    assert_eq!(scan.next_step, BizStep::WarehouseIn);
}

#[test]
fn reports_carry_the_location_when_set() {
    let (mut session, _) = farmer_session();
    let place = Location { gps: None, place: Some(crate::model::PlaceId::new("shed-3")) };
    session.set_location(Some(place.clone()));
    session.scan("KIWI-9").expect("scan");
    let receipt = session.report_normal().expect("report");
    let event = session.store().event(receipt.event_id).expect("read").expect("stored").event;
    assert_eq!(event.location, Some(place));
    assert_eq!(event.actor, farmer("user-1"));
}

#[test]
fn one_label_read_as_digital_link_or_element_string_is_one_code() {
    let (mut session, _) = farmer_session();
    let link = session.scan("https://id.example.cn/01/09506000134352/10/ABC123?17=271231").expect("digital link");
    let element_string = session.scan("]C1010950600013435217271231\u{1D}10ABC123").expect("element string");
    assert_eq!(link.code, "/01/09506000134352/10/ABC123");
    assert_eq!(element_string.code, link.code);
}

#[test]
fn a_wrong_check_digit_is_refused_before_anything_is_recorded() {
    let (mut session, _) = farmer_session();
    let err = session.scan("https://id.example.cn/01/09506000134353").expect_err("bad GTIN");
    assert_eq!(err.key(), "payload_check_digit");
    assert!(err.to_string().contains("expected 2"), "{err}");
    assert!(session.report_normal().is_err());
    assert_eq!(session.store().event_count().expect("count"), 0);
}

#[test]
fn an_assistants_piece_count_leaves_out_undone_reports() {
    let (mut session, clock) = session_with(Role::Assistant);
    let mut receipts = Vec::new();
    for code in ["KIWI-1", "KIWI-2", "KIWI-3"] {
        clock.advance_ms(3_000);
        session.scan(code).expect("scan");
        receipts.push(session.report_normal().expect("report"));
    }
    session.undo(receipts[1].event_id).expect("undo");
    let month = crate::pieces::Month::parse("2026-11").expect("month");
    let counts = session.piece_counts(month).expect("counts");
    assert_eq!(counts.total, 2, "three reports, one undone, the correction is no piece");
    assert_eq!(counts.days[0].date, "2026-11-23");
}

#[test]
fn a_new_user_reports_as_themselves_and_forgets_the_previous_users_scan() {
    let (mut session, _) = farmer_session();
    session.scan("KIWI-0001").expect("scan");
    session.report_normal().expect("report");
    let driver = Actor { party: PartyId::new("driver-zhang"), role: Role::Driver };
    session.set_user(driver.clone());
    assert_eq!(session.user(), &driver);
    assert!(matches!(session.report_normal(), Err(Error::NothingScanned)));
    session.scan("KIWI-0001").expect("scan");
    let receipt = session.report_normal().expect("not a repeat of the farmer's tap");
    assert!(!receipt.duplicate);
    let stored = session.store().event(receipt.event_id).expect("read").expect("stored");
    assert_eq!(stored.event.actor, driver);
}
