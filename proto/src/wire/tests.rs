use super::*;
use crate::clock::HlcTimestamp;
use crate::testing::{arb_event, morning, report};
use proptest::prelude::*;
use uuid::Uuid;

#[test]
fn every_vocabulary_value_has_a_wire_code() {
    assert!(BizStep::ALL.iter().all(|s| STEPS.contains(s)) && STEPS.len() == BizStep::ALL.len());
    assert!(AbnormalReason::ALL.iter().all(|r| REASONS.contains(r)) && REASONS.len() == AbnormalReason::ALL.len());
    assert!(Role::ALL.iter().all(|r| ROLES.contains(r)) && ROLES.len() == Role::ALL.len());
}

/// A fixed event: every id and time pinned, so its encoding can be frozen.
fn pinned_event() -> Event {
    let mut event = report(
        "FT-7KQ2M9XD4T",
        DeviceId(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001)),
        HlcTimestamp { wall_ms: 1_795_420_800_000, logical: 2 },
    );
    event.id = EventId(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00ff));
    event.recorded_at = morning();
    event.disposition = Some(Disposition::Abnormal(AbnormalReason::Bruised));
    event.lot = Some(LotId::new("LOT-1"));
    event
}

#[test]
fn version_1_encoding_is_frozen() {
    let batch = WireBatch { version: WIRE_VERSION, events: vec![WireEvent::from(&pinned_event())] };
    let raw = postcard::to_stdvec(&batch).expect("encode");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    // If this changes, phones in the field can no longer talk to the server: add a version.
    assert_eq!(hex, GOLDEN_V1);
}

const GOLDEN_V1: &str = concat!(
    "0101019300000000700080000000000000ff0101000101010d46542d374b51324d395844345401054c4f542d31096661726d",
    "65722d6c6900096661726d65722d6c6901930000000070008000000000000001008088adbba03402ffcfbb1b80c203000000",
);

#[test]
fn batches_round_trip() {
    let events = vec![pinned_event(), report("B", DeviceId::new(), HlcTimestamp { wall_ms: 5, logical: 0 })];
    assert_eq!(decode_events(&encode_events(&events)).expect("decode"), events);
    assert_eq!(decode_events(&encode_events(&[])).expect("empty batch"), vec![]);
}

/// 100 one-tap reports as a farmer makes them: one device, a tap every few seconds, distinct
/// random-looking trace codes (the incompressible part), one lot.
#[test]
fn a_one_tap_event_costs_at_most_40_bytes_in_a_batch_of_100() {
    let device = DeviceId::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let events: Vec<Event> = (0..100u64)
        .map(|n| {
            let code: String = (0..11)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % 32) as usize] as char
                })
                .collect();
            let mut event = report(&code, device, HlcTimestamp { wall_ms: 1_795_420_800_000 + n * 2_700, logical: 0 });
            event.id = EventId::new();
            event.recorded_at = morning() + chrono::Duration::milliseconds((n * 2_700) as i64);
            event.lot = Some(LotId::new("LOT-KIWI-20261123-A"));
            event
        })
        .collect();
    let bytes = encode_events(&events).len();
    println!("100 one-tap events: {bytes} bytes on the wire, {} per event", bytes / 100);
    assert!(bytes <= 40 * 100, "{bytes} bytes for 100 events");
}

#[test]
fn a_batch_assembled_from_stored_events_decodes_like_an_encoded_one() {
    let events: Vec<Event> = (0..130u64)
        .map(|n| report(&format!("C{n}"), DeviceId::new(), HlcTimestamp { wall_ms: n, logical: 0 }))
        .collect();
    let stored: Vec<Vec<u8>> = events.iter().map(encode_event).collect();
    let batch = batch_from_encoded(stored.iter().map(Vec::as_slice));
    assert_eq!(decode_events(&batch).expect("decode"), events);
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    assert_eq!(decode_events(b"").expect_err("empty").key(), "wire_compression");
    assert!(decode_events(b"not deflate at all").is_err());
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&[0xff; 64]).expect("write");
    let garbage = encoder.finish().expect("finish");
    assert!(matches!(decode_events(&garbage), Err(WireError::Malformed(_))));
}

#[test]
fn a_newer_version_is_recognised_before_it_is_misread() {
    let raw = postcard::to_stdvec(&(2u16, 0u8)).expect("encode");
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&raw).expect("write");
    let batch = encoder.finish().expect("finish");
    assert_eq!(decode_events(&batch), Err(WireError::Version { found: 2 }));
}

#[test]
fn unknown_codes_and_invalid_events_are_refused() {
    let mut wire = WireEvent::from(&pinned_event());
    wire.step = Some(200);
    assert!(matches!(wire.into_event(3), Err(WireError::UnknownCode { index: 3, what: "business step", code: 200 })));
    let mut wire = WireEvent::from(&pinned_event());
    wire.codes.clear();
    assert!(matches!(wire.into_event(0), Err(WireError::InvalidEvent { index: 0, .. })));
}

#[test]
fn a_decompression_bomb_is_refused() {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..=(MAX_INFLATED_BYTES / zeros.len() as u64) {
        encoder.write_all(&zeros).expect("write");
    }
    let bomb = encoder.finish().expect("finish");
    assert_eq!(decode_events(&bomb), Err(WireError::Compression));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_valid_event_round_trips(events in prop::collection::vec(arb_event(), 0..6)) {
        prop_assert_eq!(decode_events(&encode_events(&events)).expect("decode"), events);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_events(&bytes);
    }
}
