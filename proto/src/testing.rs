//! Builders for tests of the model and the wire format, here and in the crates above: a fixed
//! clock, a user, well-formed events, and proptest strategies for events of every kind.
//!
//! Compiled for this crate's own tests, and for other crates with the `testing` feature (enable
//! it from `[dev-dependencies]`; `fieldtrace-core`'s `test_support` re-exports all of it).

use crate::clock::{HlcTimestamp, ManualClock};
use crate::model::*;
use chrono::{DateTime, FixedOffset, TimeZone};
use proptest::prelude::*;
use std::sync::Arc;

/// 2026-11-23 08:00 in China (UTC+8): a morning in the orchard.
pub fn morning() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("valid timestamp")
}

pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(morning()))
}

pub fn farmer(party: &str) -> Actor {
    Actor { party: PartyId::new(party), role: Role::Farmer }
}

/// A normal report of `code` by `device`, stamped `hlc`.
pub fn report(code: &str, device: DeviceId, hlc: HlcTimestamp) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(Disposition::Normal),
        codes: vec![code.to_owned()],
        lot: None,
        actor: farmer("farmer-li"),
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: morning(),
        hlc,
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

fn ts(wall_ms: u64, logical: u32) -> HlcTimestamp {
    HlcTimestamp { wall_ms, logical }
}

/// Proptest strategies for well-formed events of every kind.
pub fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9-]{1,24}", "[\\p{Han}]{1,6}", "01[0-9]{14}\u{1D}10[A-Z0-9]{1,8}"]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![-60.0f64..60.0, Just(0.0), Just(-0.0), Just(1e-300)]
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::Observation),
        Just(EventKind::Report),
        Just(EventKind::SensorReading),
        // `:` is in no `arb_text`, so the container is never among the event's own codes.
        (arb_text(), any::<bool>()).prop_map(|(parent, pack)| EventKind::Aggregation {
            parent: format!("box:{parent}"),
            action: if pack { AggregationAction::Pack } else { AggregationAction::Unpack },
        }),
        prop::collection::vec(arb_text(), 0..3).prop_map(|outputs| EventKind::Transformation { outputs }),
        (arb_text(), arb_text()).prop_map(|(a, b)| EventKind::Handover { from: PartyId(a), to: PartyId(b) }),
        (arb_text(), prop::option::of(arb_text()), prop::option::of(0.0f64..1e6), prop::option::of(0u32..90)).prop_map(
            |(activity, input, amount, phi)| EventKind::FarmRecord(FarmRecord {
                activity,
                plot: None,
                input,
                amount: amount.map(|value| Quantity { value, unit: "kg".into() }),
                pre_harvest_interval_days: phi,
                grade: Some("A".into()),
            })
        ),
        Just(EventKind::Correction { voids: EventId::new() }),
        (arb_text(), trip_stage()).prop_map(|(trip, stage)| EventKind::Trip { trip, stage }),
        (prop::option::of("[A-Z0-9-]{1,12}"), prop::collection::vec(any::<u8>(), SIGNATURE_LEN))
            .prop_map(|(trip, signature)| EventKind::HandoverOffer(HandoverOffer { trip, signature })),
        (prop::option::of("[A-Z0-9-]{1,12}"), any::<i64>(), prop::collection::vec(any::<u8>(), SIGNATURE_LEN))
            .prop_map(|(trip, at, signature)| EventKind::HandoverReceipt(HandoverReceipt {
                offer: EventId::new(),
                acceptance: EventId::new(),
                trip,
                offered_at_ms: at,
                receiver: Recorder { party: PartyId::new("receiver"), device: DeviceId::new() },
                accepted_at_ms: at.wrapping_add(1),
                abnormal: Vec::new(),
                signature,
            })),
        (arb_text(), any::<bool>(), finite(), recorded_at(), 0i64..100_000_000).prop_map(
            |(logger, above, threshold, start, minutes_ms)| EventKind::Excursion(Excursion {
                logger,
                sensor: if above { SensorKind::TemperatureCelsius } else { SensorKind::RelativeHumidityPercent },
                bound: if above { Bound::Above } else { Bound::Below },
                threshold,
                start,
                end: start + chrono::Duration::milliseconds(minutes_ms),
                peak: threshold + 1.5,
            })
        ),
        (prop::sample::select(EntityKind::ALL.to_vec()), "[a-z0-9-]{1,12}", prop::option::of(arb_text())).prop_map(
            |(entity, id, value)| {
                // A free-text field of each kind: typed fields (dates, numbers) refuse arbitrary text.
                let field = match entity {
                    EntityKind::Lot => "grade",
                    EntityKind::Party => "name",
                    EntityKind::Trip => "units",
                    EntityKind::Logger => "box",
                };
                let update = Update::new(entity, id);
                EventKind::Update(match value {
                    Some(value) => update.set(field, value),
                    None => update.clear(field),
                })
            }
        ),
    ]
}

fn trip_stage() -> impl Strategy<Value = TripStage> {
    prop_oneof![
        any::<bool>().prop_map(|on_manifest| TripStage::Load { on_manifest }),
        (0u32..50, prop::collection::vec(arb_text(), 0..3), prop::collection::vec(arb_text(), 0..3)).prop_map(
            |(loaded, missing, off_manifest)| TripStage::Depart {
                expected: loaded + missing.len() as u32,
                loaded,
                missing,
                off_manifest,
            }
        ),
        "[\\p{Han}]{1,4}".prop_map(|recipient| TripStage::Deliver { recipient }),
    ]
}

fn recorded_at() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (0i64..4_000_000_000_000, -720i32..=840).prop_map(|(ms, offset_min)| {
        let offset = FixedOffset::east_opt(offset_min * 60).expect("offset in range");
        offset.timestamp_millis_opt(ms).single().expect("representable")
    })
}

prop_compose! {
    pub fn arb_event()(
        kind in kind(),
        step in prop::option::of(prop::sample::select(BizStep::ALL)),
        reason in prop::option::of(prop::sample::select(AbnormalReason::ALL)),
        // Distinct: a handover may not name a box twice.
        codes in prop::collection::btree_set(arb_text(), 1..4),
        lot in prop::option::of(arb_text()),
        role in prop::sample::select(Role::ALL),
        gps in prop::option::of((-90.0f64..=90.0, -180.0f64..=180.0, prop::option::of(0.0f32..500.0))),
        recorded_at in recorded_at(),
        hlc in (0u64..i64::MAX as u64, any::<u32>()),
        note in prop::option::of("\\PC{0,40}"),
        photos in prop::collection::vec("[0-9a-f]{64}", 0..2),
        sensors in prop::collection::vec(finite(), 0..3),
    ) -> Event {
        Event {
            id: EventId::new(),
            disposition: Some(reason.map_or(Disposition::Normal, Disposition::Abnormal)),
            kind,
            step,
            codes: codes.into_iter().collect(),
            lot: lot.map(LotId),
            actor: Actor { party: PartyId::new("actor"), role },
            recorder: Recorder { party: PartyId::new("recorder"), device: DeviceId::new() },
            location: gps.map(|(lat, lon, accuracy_m)| Location {
                gps: Some(GeoPoint { lat, lon, accuracy_m }),
                place: Some(PlaceId::new("shed")),
            }),
            recorded_at,
            hlc: ts(hlc.0, hlc.1),
            note,
            photos: photos.into_iter().map(PhotoRef).collect(),
            sensors: sensors.into_iter().map(|value| SensorValue {
                kind: SensorKind::TemperatureCelsius, value, at: Some(recorded_at),
            }).collect(),
        }
    }
}
