use super::*;
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::fold::fold;
use fieldtrace_core::model::*;

struct Log {
    events: Vec<Event>,
    device: DeviceId,
    wall_ms: u64,
}

impl Log {
    fn new() -> Self {
        Self { events: Vec::new(), device: DeviceId::new(), wall_ms: 1_790_000_000_000 }
    }

    fn push(
        &mut self,
        party: &str,
        kind: EventKind,
        codes: &[&str],
        lot: Option<&str>,
        disposition: Option<Disposition>,
    ) -> Event {
        self.wall_ms += 60_000;
        let at = chrono::DateTime::from_timestamp_millis(self.wall_ms as i64).expect("time").fixed_offset();
        let event = Event {
            id: EventId::new(),
            kind,
            step: None,
            disposition,
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            lot: lot.map(LotId::new),
            actor: Actor { party: PartyId::new(party), role: Role::Manager },
            recorder: Recorder { party: PartyId::new(party), device: self.device },
            location: None,
            recorded_at: at,
            hlc: HlcTimestamp { wall_ms: self.wall_ms, logical: 0 },
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        };
        self.events.push(event.clone());
        event
    }

    fn update(&mut self, update: Update) {
        self.push("manager-chen", EventKind::Update(update), &[], None, None);
    }

    fn state(&self) -> ReplicaState {
        fold(&self.events)
    }
}

fn bruised() -> Option<Disposition> {
    Some(Disposition::Abnormal(AbnormalReason::Bruised))
}

fn seeded() -> Log {
    let mut log = Log::new();
    log.update(Update::new(EntityKind::Lot, "K-1").set("product", "猕猴桃").set("farm", "farmer-li"));
    log.update(Update::new(EntityKind::Party, "coop-z").set("kind", "coop").set("phone", "13800000000"));
    log
}

#[test]
fn an_abnormal_box_notifies_the_farm_and_everyone_who_held_it_before() {
    let mut log = seeded();
    log.push("farmer-li", EventKind::Report, &["t/A"], Some("K-1"), Some(Disposition::Normal));
    log.push(
        "assistant-wang",
        EventKind::Aggregation { parent: "t/P".into(), action: AggregationAction::Pack },
        &["t/A"],
        Some("K-1"),
        None,
    );
    // Someone who only touched another box is not upstream of t/A.
    log.push("farmer-zhang", EventKind::Report, &["t/B"], Some("K-1"), Some(Disposition::Normal));
    // The driver loads the pallet: he handled t/A inside it.
    log.push("driver-zhao", EventKind::Observation, &["t/P"], None, None);
    let report = log.push("retailer-sun", EventKind::Report, &["t/A"], Some("K-1"), bruised());
    // Later handling is not upstream.
    log.push("retailer-qian", EventKind::Observation, &["t/A"], None, None);
    let state = log.state();
    let alerts = abnormal_alerts(&state, &log.events, std::slice::from_ref(&report));
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.kind, AlertKind::Abnormal);
    assert_eq!(alert.subject, "K-1|t/A");
    assert_eq!(alert.recipients, vec!["assistant-wang", "driver-zhao", "farmer-li"]);
    assert!(alert.text_zh.contains("猕猴桃"), "{}", alert.text_zh);
}

#[test]
fn normal_reports_voided_reports_and_excursions_do_not_raise_abnormal_alerts() {
    let mut log = seeded();
    let normal = log.push("farmer-li", EventKind::Report, &["t/A"], Some("K-1"), Some(Disposition::Normal));
    let mistaken = log.push("farmer-li", EventKind::Report, &["t/A"], Some("K-1"), bruised());
    log.push("farmer-li", EventKind::Correction { voids: mistaken.id }, &[], None, None);
    let excursion = log.push("driver-zhao", EventKind::Excursion(excursion(45)), &["t/A"], Some("K-1"), bruised());
    let state = log.state();
    assert!(abnormal_alerts(&state, &log.events, &[normal, mistaken, excursion]).is_empty());
}

#[test]
fn a_handover_acceptance_alerts_for_each_abnormal_box_only() {
    let mut log = seeded();
    log.push("farmer-li", EventKind::Report, &["t/A", "t/B"], Some("K-1"), Some(Disposition::Normal));
    let acceptance = HandoverAcceptance {
        offer: EventId::new(),
        trip: None,
        giver: Recorder { party: PartyId::new("driver-zhao"), device: DeviceId::new() },
        offered_at_ms: 0,
        offer_signature: vec![0; 64],
        abnormal: vec![UnitCondition { code: "t/B".into(), reason: AbnormalReason::CrushedPackage }],
        signature: vec![0; 64],
    };
    let event = log.push("warehouse-xa", EventKind::HandoverAcceptance(acceptance), &["t/A", "t/B"], Some("K-1"), None);
    let alerts = abnormal_alerts(&log.state(), &log.events, &[event]);
    assert_eq!(alerts.iter().map(|a| a.subject.as_str()).collect::<Vec<_>>(), vec!["K-1|t/B"]);
    // The giver named in the acceptance is upstream even if its own events never synced.
    assert_eq!(alerts[0].recipients, vec!["driver-zhao", "farmer-li"]);
}

fn excursion(minutes: i64) -> Excursion {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00").expect("time");
    Excursion {
        logger: "LG-7".into(),
        sensor: SensorKind::TemperatureCelsius,
        bound: Bound::Above,
        threshold: 5.0,
        start,
        end: start + chrono::Duration::minutes(minutes),
        peak: 9.4,
    }
}

#[test]
fn excursions_alert_only_when_longer_than_the_co_ops_minutes() {
    let mut log = seeded();
    let short = log.push("driver-zhao", EventKind::Excursion(excursion(30)), &["t/A"], Some("K-1"), bruised());
    let long = log.push("driver-zhao", EventKind::Excursion(excursion(31)), &["t/A"], Some("K-1"), bruised());
    let state = log.state();
    let alerts = excursion_alerts(&state, &[short.clone(), long.clone()], 30);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].text_en.contains("31 min") && alerts[0].text_en.contains("9.4"), "{}", alerts[0].text_en);
    assert_eq!(alerts[0].recipients, vec!["coop-z"]);
    // A co-op that tolerates an hour hears of neither.
    assert!(excursion_alerts(&state, &[short, long], 60).is_empty());
}

#[test]
fn a_grown_excursion_keeps_its_subject() {
    let mut log = seeded();
    let first = log.push("driver-zhao", EventKind::Excursion(excursion(40)), &["t/A"], Some("K-1"), bruised());
    let grown = log.push("driver-zhao", EventKind::Excursion(excursion(90)), &["t/A"], Some("K-1"), bruised());
    let state = log.state();
    let a = excursion_alerts(&state, &[first], 30);
    let b = excursion_alerts(&state, &[grown], 30);
    assert_eq!(a[0].subject, b[0].subject);
}

#[test]
fn near_expiry_fires_the_tightest_threshold_reached() {
    let mut log = seeded();
    log.update(Update::new(EntityKind::Lot, "K-1").set("expiry_date", "2027-06-01"));
    let state = log.state();
    let on = |day: &str| -> Vec<String> {
        expiry_alerts(&state, day.parse().expect("date")).into_iter().map(|a| a.subject).collect()
    };
    assert!(on("2026-12-01").is_empty(), "182 days left");
    assert_eq!(on("2026-12-03"), vec!["K-1|180"], "180 days left");
    assert_eq!(on("2027-03-03"), vec!["K-1|90"], "90 days left");
    assert_eq!(on("2027-05-02"), vec!["K-1|30"], "30 days left");
    assert_eq!(on("2027-06-10"), vec!["K-1|30"], "expired");
}

#[test]
fn lots_without_a_valid_expiry_date_never_alert() {
    let mut log = seeded();
    log.update(Update::new(EntityKind::Lot, "M-1").set("product", "芒果"));
    assert!(expiry_alerts(&log.state(), "2030-01-01".parse().expect("date")).is_empty());
}

#[test]
fn regions_match_by_name_and_province() {
    let regions = sales_regions("陕西 四川，重庆、 Shanghai");
    assert_eq!(regions, vec!["陕西", "四川", "重庆", "Shanghai"]);
    assert!(place_in_regions("陕西省西安市", &regions));
    assert!(place_in_regions("shanghai", &regions));
    assert!(!place_in_regions("广东省广州市", &regions));
    assert_eq!(region_of("陕西省西安市"), "陕西省");
    assert_eq!(region_of("广西壮族自治区南宁市"), "广西壮族自治区");
    assert_eq!(region_of("重庆市渝中区"), "重庆市");
    assert_eq!(region_of("Guangzhou"), "Guangzhou");
}

fn scan(code: &str, place: &str, earlier: &[&str]) -> Scan {
    Scan {
        code: code.into(),
        place: Some(place.into()),
        earlier_places: earlier.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[test]
fn diversion_outside_the_sales_regions_and_in_two_regions() {
    let mut log = seeded();
    log.update(Update::new(EntityKind::Lot, "K-1").set("sales_regions", "陕西 四川"));
    log.push("farmer-li", EventKind::Report, &["t/A"], Some("K-1"), Some(Disposition::Normal));
    let state = log.state();
    assert!(diversion_alerts(&state, &[scan("t/A", "陕西省西安市", &[])]).is_empty());
    assert!(diversion_alerts(&state, &[scan("t/A", "陕西省咸阳市", &["陕西省西安市"])]).is_empty(), "same province");
    let outside = diversion_alerts(&state, &[scan("t/A", "广东省广州市", &[])]);
    assert_eq!(outside.iter().map(|a| a.subject.as_str()).collect::<Vec<_>>(), vec!["t/A|outside"]);
    let both = diversion_alerts(&state, &[scan("t/A", "广东省广州市", &["陕西省西安市"])]);
    assert_eq!(both.iter().map(|a| a.subject.as_str()).collect::<Vec<_>>(), vec!["t/A|outside", "t/A|regions"]);
    // No place from the proxy: nothing to judge.
    assert!(diversion_alerts(&state, &[Scan { code: "t/A".into(), place: None, earlier_places: vec![] }]).is_empty());
}

#[test]
fn two_regions_alert_even_without_sales_regions() {
    let mut log = seeded();
    log.push("farmer-li", EventKind::Report, &["t/A"], Some("K-1"), Some(Disposition::Normal));
    let alerts = diversion_alerts(&log.state(), &[scan("t/A", "广东省广州市", &["陕西省西安市"])]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].subject, "t/A|regions");
}
