//! The pre-harvest-interval rule at its boundaries.

use super::*;
use crate::clock::HlcTimestamp;
use crate::model::*;
use crate::test_support::{farmer, report};
use chrono::{DateTime, FixedOffset};

fn at(date: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("{date}T09:00:00+08:00")).expect("date")
}

fn record(party: &str, date: &str, lot: Option<&str>, record: FarmRecord) -> Event {
    let mut event = report("unused", DeviceId::new(), HlcTimestamp { wall_ms: 1, logical: 0 });
    event.kind = EventKind::FarmRecord(record);
    event.codes.clear();
    event.step = None;
    event.disposition = None;
    event.actor = farmer(party);
    event.lot = lot.map(LotId::new);
    event.recorded_at = at(date);
    event
}

fn spraying(party: &str, date: &str, plot: &str, days: u32) -> Event {
    record(
        party,
        date,
        None,
        FarmRecord {
            activity: "spraying".into(),
            plot: Some(plot.into()),
            input: Some("吡虫啉".into()),
            amount: Some(Quantity { value: 30.0, unit: "ml".into() }),
            pre_harvest_interval_days: Some(days),
            grade: None,
        },
    )
}

fn harvest(party: &str, date: &str, plot: Option<&str>, lot: Option<&str>) -> Event {
    record(
        party,
        date,
        lot,
        FarmRecord {
            activity: "harvest".into(),
            plot: plot.map(str::to_owned),
            input: None,
            amount: Some(Quantity { value: 500.0, unit: "kg".into() }),
            pre_harvest_interval_days: None,
            grade: Some("一级".into()),
        },
    )
}

#[test]
fn harvest_on_the_last_day_inside_the_interval_is_flagged_and_on_the_first_day_after_is_not() {
    let spray = spraying("farmer-li", "2026-09-01", "A1", 14);
    // 2026-09-15 is 14 days later: the interval is over.
    let on_time = harvest("farmer-li", "2026-09-15", Some("A1"), None);
    assert!(phi_flags([&spray, &on_time]).is_empty());

    let early = harvest("farmer-li", "2026-09-14", Some("A1"), None);
    let flags = phi_flags([&spray, &early, &on_time]);
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert_eq!((flag.spraying, flag.harvest), (spray.id, early.id));
    assert_eq!((flag.sprayed_on.as_str(), flag.harvested_on.as_str()), ("2026-09-01", "2026-09-14"));
    assert_eq!((flag.interval_days, flag.days_between, flag.harvests_inside), (14, 13, 1));
    assert_eq!(flag.pesticide.as_deref(), Some("吡虫啉"));
}

#[test]
fn a_harvest_on_the_spraying_day_is_flagged_one_before_it_is_not() {
    let spray = spraying("farmer-li", "2026-09-01", "A1", 1);
    let same_day = harvest("farmer-li", "2026-09-01", Some("A1"), None);
    let day_before = harvest("farmer-li", "2026-08-31", Some("A1"), None);
    let next_day = harvest("farmer-li", "2026-09-02", Some("A1"), None);
    let flags = phi_flags([&spray, &same_day, &day_before, &next_day]);
    assert_eq!(flags.len(), 1);
    assert_eq!((flags[0].harvest, flags[0].days_between), (same_day.id, 0));
}

#[test]
fn days_are_counted_in_the_events_own_offset() {
    let mut spray = spraying("farmer-li", "2026-09-01", "A1", 7);
    // 23:30 on Sept 1 in China is still Sept 1 there, though it is Sept 1 15:30 UTC.
    spray.recorded_at = DateTime::parse_from_rfc3339("2026-09-01T23:30:00+08:00").expect("time");
    let mut harvest = harvest("farmer-li", "2026-09-08", Some("A1"), None);
    harvest.recorded_at = DateTime::parse_from_rfc3339("2026-09-08T00:10:00+08:00").expect("time");
    assert!(phi_flags([&spray, &harvest]).is_empty(), "7 calendar days after");
}

#[test]
fn the_scope_is_the_same_lot_or_the_same_farmers_same_plot() {
    let spray = spraying("farmer-li", "2026-09-01", "A1", 14);
    let other_plot = harvest("farmer-li", "2026-09-05", Some("B2"), None);
    let other_farmer = harvest("farmer-wang", "2026-09-05", Some("A1"), None);
    assert!(phi_flags([&spray, &other_plot, &other_farmer]).is_empty());

    let mut on_lot = spraying("farmer-li", "2026-09-01", "A1", 14);
    on_lot.lot = Some(LotId::new("LOT-7"));
    // A phone's one-tap harvest report on the lot counts as a harvest too.
    let mut tap = report("KIWI-1", DeviceId::new(), HlcTimestamp { wall_ms: 2, logical: 0 });
    tap.lot = Some(LotId::new("LOT-7"));
    tap.recorded_at = at("2026-09-03");
    let flags = phi_flags([&on_lot, &tap, &other_farmer]);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].harvest, tap.id);
}

#[test]
fn voided_sprayings_and_harvests_do_not_count_and_a_zero_interval_never_flags() {
    let spray = spraying("farmer-li", "2026-09-01", "A1", 14);
    let early = harvest("farmer-li", "2026-09-03", Some("A1"), None);
    let mut undo = report("unused", DeviceId::new(), HlcTimestamp { wall_ms: 3, logical: 0 });
    undo.kind = EventKind::Correction { voids: early.id };
    assert!(phi_flags([&spray, &early, &undo]).is_empty());
    undo.kind = EventKind::Correction { voids: spray.id };
    assert!(phi_flags([&spray, &early, &undo]).is_empty());
    assert_eq!(phi_flags([&spray, &early, &early]).len(), 1, "duplicates are one event");

    let zero = spraying("farmer-li", "2026-09-01", "A1", 0);
    assert!(phi_flags([&zero, &early]).is_empty());
}

#[test]
fn two_harvests_inside_the_interval_name_the_earliest() {
    let spray = spraying("farmer-li", "2026-09-01", "A1", 10);
    let later = harvest("farmer-li", "2026-09-06", Some("A1"), Some("LOT-1"));
    let earlier = harvest("farmer-li", "2026-09-04", Some("A1"), Some("LOT-2"));
    let flags = phi_flags([&later, &spray, &earlier]);
    assert_eq!(flags.len(), 1);
    assert_eq!((flags[0].harvest, flags[0].harvests_inside), (earlier.id, 2));
}
