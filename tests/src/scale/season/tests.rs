//! The season generator's promises: exact size, valid events, the same season for the same seed,
//! and sample codes that no alert names yet (the alert measurement relies on it).

use super::*;
use std::collections::{HashMap, HashSet};

fn season(seed: u64, target: u64) -> (Vec<Event>, Vec<Finding>, SeasonInfo) {
    let mut season = Season::new(seed, target, units_for(seed, target), season_days(target));
    let (mut events, mut findings) = (Vec::new(), Vec::new());
    while let Some(day) = season.next_day() {
        events.extend(day);
        findings.extend(season.take_findings());
    }
    (events, findings, season.info)
}

#[test]
fn a_season_has_exactly_the_events_asked_for_and_all_are_valid() {
    let (events, _, info) = season(1, 8_000);
    assert_eq!(events.len(), 8_000);
    let ids: HashSet<EventId> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), events.len(), "ids are unique");
    for event in &events {
        assert_eq!(event.validate(), Ok(()), "{event:?}");
    }
    assert_eq!(info.kinds.values().sum::<u64>(), 8_000);
    // The padding is a small share: the season is mostly harvest, packing and trips.
    let padding = events.iter().filter(|e| e.step == Some(BizStep::Inspecting)).count();
    assert!(padding < 800, "{padding} spot checks");
}

#[test]
fn the_same_seed_gives_the_same_season() {
    let ids = |seed| season(seed, 5_000).0.into_iter().map(|e| (e.id, e.hlc, e.codes)).collect::<Vec<_>>();
    assert_eq!(ids(7), ids(7));
    assert_ne!(ids(7), ids(8));
}

#[test]
fn sample_codes_were_tapped_normal_once_and_findings_are_abnormal() {
    let (events, findings, info) = season(3, 20_000);
    assert!(info.sample_codes.len() >= 10, "{} sample codes", info.sample_codes.len());
    let mut taps: HashMap<&str, Vec<Option<Disposition>>> = HashMap::new();
    for event in events.iter().filter(|e| e.step == Some(BizStep::Harvesting)) {
        for code in &event.codes {
            taps.entry(code.as_str()).or_default().push(event.disposition);
        }
    }
    for (_, code) in &info.sample_codes {
        assert_eq!(taps.get(code.as_str()), Some(&vec![Some(Disposition::Normal)]), "{code}");
    }
    assert!(!findings.is_empty());
    for finding in &findings {
        assert!(matches!(finding.event.disposition, Some(Disposition::Abnormal(_))), "{:?}", finding.event);
    }
    let abnormal_share = info.abnormal_taps as f64 / info.units as f64;
    assert!((0.03..0.07).contains(&abnormal_share), "{abnormal_share}");
}

#[test]
fn the_whole_season_fits_and_padding_is_small() {
    for target in [20_000, 100_000] {
        let (events, _, _) = season(2026, target);
        let padding = events.iter().filter(|e| e.step == Some(BizStep::Inspecting)).count() as u64;
        assert!(padding > 0 && padding < target * 3 / 100, "{target}: {padding} spot checks");
    }
}
