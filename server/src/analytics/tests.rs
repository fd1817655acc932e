//! Known answers on a seeded chain, computed by hand (see each assertion's comment).
//!
//! Two lots: L1 kiwis of 李家果园 (k1–k4, first handled Mon 2026-11-02), L2 apples of 张家果园
//! (a1–a3, first handled Tue 2026-11-10). k1,k2 go in BOX1, k3,k4 in BOX2, a1–a3 in BOX3.
//! - harvest: k1 bruised (and a second, normal report: still one unit); a3 reported rotten by
//!   mistake, undone (voided) and reported normal;
//! - storage: packing handles all 7; BOX2 is wet at warehouse-in → k3,k4 abnormal;
//! - loading: driver 赵 loads BOX1, BOX2 (trip scans); driver 孙 checks BOX3 normal at loading;
//! - transport: the cold store accepts BOX1 from 赵 with BOX1 crushed → k1,k2 abnormal;
//! - delivery: 赵 delivers BOX2, then the receiver finds k4 rotten (an inspection) and k3 fine;
//!   孙 delivers BOX3, the shop finds a2 bruised at delivering.

use super::*;
use chrono::{DateTime, FixedOffset, NaiveDate};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::fold::fold;
use fieldtrace_core::model::{
    AbnormalReason, Actor, AggregationAction, DeviceId, EntityKind, HandoverAcceptance, LotId, PartyId, Recorder, Role,
    TripStage, UnitCondition, Update,
};

struct Chain {
    events: Vec<Event>,
    device: DeviceId,
    tick: u64,
}

impl Chain {
    fn new() -> Self {
        Self { events: Vec::new(), device: DeviceId::new(), tick: 0 }
    }

    fn add(
        &mut self,
        day: &str,
        party: &str,
        role: Role,
        kind: EventKind,
        step: Option<BizStep>,
        codes: &[&str],
    ) -> &mut Event {
        self.tick += 1;
        let recorded_at: DateTime<FixedOffset> =
            DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00")).expect("time");
        let wall_ms = u64::try_from(recorded_at.timestamp_millis()).expect("after 1970") + self.tick;
        let event = Event {
            id: EventId::new(),
            kind,
            step,
            disposition: None,
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: None,
            actor: Actor { party: PartyId::new(party), role },
            recorder: Recorder { party: PartyId::new(party), device: self.device },
            location: None,
            recorded_at,
            hlc: HlcTimestamp { wall_ms, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        };
        self.events.push(event);
        self.events.last_mut().expect("just pushed")
    }

    fn report(
        &mut self,
        day: &str,
        party: &str,
        role: Role,
        step: BizStep,
        codes: &[&str],
        bad: Option<AbnormalReason>,
    ) -> EventId {
        let event = self.add(day, party, role, EventKind::Report, Some(step), codes);
        event.disposition = Some(bad.map_or(Disposition::Normal, Disposition::Abnormal));
        event.id
    }

    fn pack(&mut self, day: &str, parent: &str, codes: &[&str]) {
        let kind = EventKind::Aggregation { parent: parent.to_owned(), action: AggregationAction::Pack };
        self.add(day, "assistant-wang", Role::Assistant, kind, Some(BizStep::Packing), codes);
    }

    fn update(&mut self, update: Update) {
        self.add("2026-11-01", "manager-chen", Role::Manager, EventKind::Update(update), None, &[]);
    }
}

fn seeded() -> Chain {
    let mut c = Chain::new();
    for (id, name) in
        [("farmer-li", "李家果园"), ("farmer-zhang", "张家果园"), ("driver-zhao", "赵师傅"), ("driver-sun", "孙师傅")]
    {
        c.update(Update::new(EntityKind::Party, id).set("name", name));
    }
    c.update(Update::new(EntityKind::Lot, "L1").set("product", "猕猴桃").set("farm", "farmer-li"));
    c.update(Update::new(EntityKind::Lot, "L2").set("product", "苹果").set("farm", "farmer-zhang"));

    let (mon, tue) = ("2026-11-02", "2026-11-10");
    for code in ["k1", "k2", "k3", "k4"] {
        let bad = (code == "k1").then_some(AbnormalReason::Bruised);
        c.report(mon, "farmer-li", Role::Farmer, BizStep::Harvesting, &[code], bad);
        c.events.last_mut().expect("event").lot = Some(LotId::new("L1"));
    }
    c.report(mon, "farmer-li", Role::Farmer, BizStep::Harvesting, &["k1"], None);
    for code in ["a1", "a2", "a3"] {
        let bad = (code == "a3").then_some(AbnormalReason::Rotten);
        let id = c.report(tue, "farmer-zhang", Role::Farmer, BizStep::Harvesting, &[code], bad);
        c.events.last_mut().expect("event").lot = Some(LotId::new("L2"));
        if code == "a3" {
            c.add(tue, "farmer-zhang", Role::Farmer, EventKind::Correction { voids: id }, None, &["a3"]);
            c.report(tue, "farmer-zhang", Role::Farmer, BizStep::Harvesting, &["a3"], None);
            c.events.last_mut().expect("event").lot = Some(LotId::new("L2"));
        }
    }
    c.pack(tue, "BOX1", &["k1", "k2"]);
    c.pack(tue, "BOX2", &["k3", "k4"]);
    c.pack(tue, "BOX3", &["a1", "a2", "a3"]);
    c.report(tue, "assistant-wang", Role::Assistant, BizStep::WarehouseIn, &["BOX2"], Some(AbnormalReason::Wet));

    let load = |trip: &str| EventKind::Trip { trip: trip.to_owned(), stage: TripStage::Load { on_manifest: true } };
    c.add(tue, "driver-zhao", Role::Driver, load("T1"), Some(BizStep::Loading), &["BOX1"]);
    c.add(tue, "driver-zhao", Role::Driver, load("T1"), Some(BizStep::Loading), &["BOX2"]);
    c.report(tue, "driver-sun", Role::Driver, BizStep::Loading, &["BOX3"], None);

    let acceptance = HandoverAcceptance {
        offer: EventId::new(),
        trip: Some("T1".into()),
        giver: Recorder { party: PartyId::new("driver-zhao"), device: DeviceId::new() },
        offered_at_ms: 0,
        offer_signature: vec![0; 64],
        abnormal: vec![UnitCondition { code: "BOX1".into(), reason: AbnormalReason::CrushedPackage }],
        signature: vec![0; 64],
    };
    let kind = EventKind::HandoverAcceptance(acceptance);
    c.add("2026-11-11", "manager-chen", Role::Manager, kind, Some(BizStep::Receiving), &["BOX1"]);

    let deliver =
        |trip: &str| EventKind::Trip { trip: trip.to_owned(), stage: TripStage::Deliver { recipient: "王".into() } };
    c.add("2026-11-11", "driver-zhao", Role::Driver, deliver("T1"), Some(BizStep::Delivering), &["BOX2"]);
    c.report("2026-11-11", "manager-chen", Role::Manager, BizStep::Inspecting, &["k4"], Some(AbnormalReason::Rotten));
    c.report("2026-11-11", "manager-chen", Role::Manager, BizStep::Inspecting, &["k3"], None);
    c.add("2026-11-11", "driver-sun", Role::Driver, deliver("T2"), Some(BizStep::Delivering), &["BOX3"]);
    c.report("2026-11-12", "manager-chen", Role::Manager, BizStep::Delivering, &["a2"], Some(AbnormalReason::Bruised));
    c
}

fn report_for(c: &Chain, filter: &LossFilter, period: Period) -> LossReport {
    let state = fold(&c.events);
    loss_report(&unit_histories(&c.events), &state, filter, period)
}

fn r(abnormal: u64, units: u64) -> Ratio {
    Ratio { units, abnormal }
}

#[test]
fn per_stage_loss_counts_each_unit_once_per_stage_and_containers_for_their_contents() {
    let report = report_for(&seeded(), &LossFilter::default(), Period::Week);
    // 7 units (boxes are not units); abnormal anywhere: k1, k2, k3, k4, a2.
    assert_eq!(report.overall, r(5, 7));
    let stages: Vec<(&str, Ratio)> = report.stages.iter().map(|(s, l)| (s.key(), *l)).collect();
    assert_eq!(
        stages,
        [
            ("harvest", r(1, 7)),   // k1 once, though reported twice; a3's report was undone
            ("storage", r(2, 7)),   // packing handled all; BOX2 wet → k3, k4
            ("loading", r(0, 7)),   // trip scans and 孙's normal check
            ("transport", r(2, 2)), // BOX1 crushed on acceptance → k1, k2
            ("delivery", r(2, 5)),  // k3, k4, a1–a3 delivered; k4 (inspection there) and a2
        ]
    );
    assert_eq!(report.overall.percent().map(|p| (p * 100.0).round()), Some(7143.0));
}

#[test]
fn per_lot_farm_driver_and_week() {
    let report = report_for(&seeded(), &LossFilter::default(), Period::Week);
    let lots: Vec<(&str, &str, &str, Ratio)> =
        report.lots.iter().map(|l| (l.lot.as_str(), l.product.as_str(), l.farm.as_str(), l.loss)).collect();
    assert_eq!(lots, [("L1", "猕猴桃", "李家果园", r(4, 4)), ("L2", "苹果", "张家果园", r(1, 3))]);
    let farms: Vec<(&str, Ratio)> = report.farms.iter().map(|f| (f.name.as_str(), f.loss)).collect();
    assert_eq!(farms, [("李家果园", r(4, 4)), ("张家果园", r(1, 3))]);
    // 赵 held k1–k4: k1, k2 crushed on acceptance (the giver's count), k4 found rotten right after
    // delivery, k3 checked fine; k3/k4's wet box was found before he took them. 孙 held a1–a3:
    // a2 bruised at delivery; his own check at loading judges the previous holder, not him.
    let drivers: Vec<(&str, &str, Ratio)> =
        report.drivers.iter().map(|d| (d.id.as_str(), d.name.as_str(), d.loss)).collect();
    assert_eq!(drivers, [("driver-sun", "孙师傅", r(1, 3)), ("driver-zhao", "赵师傅", r(3, 4))]);
    let weeks: Vec<(String, Ratio)> = report.periods.iter().map(|p| (p.start.to_string(), p.loss)).collect();
    assert_eq!(weeks, [("2026-11-02".to_owned(), r(4, 4)), ("2026-11-09".to_owned(), r(1, 3))]);
}

#[test]
fn days_include_the_empty_ones_between() {
    let report = report_for(&seeded(), &LossFilter::default(), Period::Day);
    assert_eq!(report.periods.len(), 9); // 2026-11-02 ..= 2026-11-10
    assert_eq!(report.periods[0].loss, r(4, 4));
    assert_eq!(report.periods[4].loss, r(0, 0));
    assert_eq!(report.periods[8].loss, r(1, 3));
}

#[test]
fn filters_select_units_by_product_and_first_day() {
    let chain = seeded();
    let apples = LossFilter { product: Some("苹果".into()), ..LossFilter::default() };
    let report = report_for(&chain, &apples, Period::Week);
    assert_eq!(report.overall, r(1, 3));
    assert_eq!(report.stages[0], (Stage::Harvest, r(0, 3)));
    assert_eq!(report.drivers.len(), 1);
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let early = LossFilter { to: day("2026-11-08"), ..LossFilter::default() };
    assert_eq!(report_for(&chain, &early, Period::Week).overall, r(4, 4));
    let late = LossFilter { from: day("2026-11-09"), ..LossFilter::default() };
    assert_eq!(report_for(&chain, &late, Period::Week).overall, r(1, 3));
    let none = LossFilter { product: Some("芒果".into()), ..LossFilter::default() };
    let empty = report_for(&chain, &none, Period::Week);
    assert_eq!((empty.overall, empty.periods.len(), empty.overall.percent()), (r(0, 0), 0, None));
}

#[test]
fn an_event_on_a_box_counts_only_for_what_is_inside_at_that_moment() {
    let mut c = Chain::new();
    let day = "2026-11-02";
    c.pack(day, "BOX", &["x1", "x2"]);
    c.add(
        day,
        "assistant-wang",
        Role::Assistant,
        EventKind::Aggregation { parent: "BOX".into(), action: AggregationAction::Unpack },
        None,
        &["x2"],
    );
    c.report(day, "assistant-wang", Role::Assistant, BizStep::WarehouseIn, &["BOX"], Some(AbnormalReason::Wet));
    c.pack(day, "BOX", &["x3"]);
    let histories = unit_histories(&c.events);
    let abnormal: Vec<(&str, bool)> = histories.iter().map(|h| (h.code.as_str(), h.abnormal())).collect();
    assert_eq!(abnormal, [("x1", true), ("x2", false), ("x3", false)]);
}

#[test]
fn duplicates_and_arrival_order_do_not_change_the_answer() {
    let chain = seeded();
    let mut shuffled: Vec<Event> = chain.events.iter().rev().cloned().collect();
    shuffled.extend(chain.events.iter().take(10).cloned());
    assert_eq!(unit_histories(&shuffled), unit_histories(&chain.events));
}
