use super::identity;
use super::keys::{new_seed, public_key_of, to_base64, DeviceCertificate};
use super::qr::{SignedOffer, SignedReceipt};
use super::verify::{verify_event, RegisteredDevice};
use super::*;
use crate::clock::{ManualClock, WallClock};
use crate::model::{AbnormalReason, Actor, DeviceId, Event, EventKind, PartyId, Role};
use crate::payload::TraceCode;
use crate::store::Store;
use crate::test_support::morning;
use std::collections::HashMap;
use std::sync::Arc;

struct Coop {
    id: String,
    seed: [u8; 32],
}

impl Coop {
    fn new(id: &str) -> Self {
        Self { id: id.to_owned(), seed: new_seed().expect("entropy") }
    }

    fn key(&self) -> [u8; 32] {
        public_key_of(&self.seed)
    }
}

struct TestPhone {
    store: Arc<Store>,
    session: HandoverSession,
    party: PartyId,
    clock: Arc<ManualClock>,
}

/// A phone enrolled in `coop` whose key the co-op certified, as enrollment leaves it.
fn phone(coop: &Coop, party: &str, role: Role) -> TestPhone {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let seed = identity::seed_or_create(&store).expect("seed");
    let cert = DeviceCertificate::issue(
        &coop.seed,
        &coop.id,
        store.device_id(),
        PartyId::new(party),
        role,
        public_key_of(&seed),
        1_700_000_000_000,
    );
    store.set_settings(&[("sync_coop", Some(&coop.id))]).expect("coop");
    identity::save_certification(&store, &coop.id, &cert.to_base64(), &to_base64(&coop.key())).expect("certified");
    let clock = Arc::new(ManualClock::new(morning()));
    let user = Actor { party: PartyId::new(party), role };
    let session = HandoverSession::new(store.clone(), user, clock.clone() as Arc<dyn WallClock>);
    TestPhone { store, session, party: PartyId::new(party), clock }
}

fn trace_codes(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!("t/{}", TraceCode::from_value(0x3_1415_9265_3589 ^ (i * 0x9E37_79B9)).expect("code").canonical())
        })
        .collect()
}

fn registry(phones: &[&TestPhone], coop: &Coop) -> HashMap<DeviceId, RegisteredDevice> {
    phones
        .iter()
        .map(|p| {
            let key = device_public_key(&p.store).expect("read").expect("key");
            (
                p.store.device_id(),
                RegisteredDevice { coop: coop.id.clone(), party: p.party.clone(), public_key: Some(key) },
            )
        })
        .collect()
}

fn key_of(result: Result<impl std::fmt::Debug, HandoverError>) -> &'static str {
    result.expect_err("must be refused").key()
}

#[test]
fn a_handover_goes_from_offer_to_acceptance_to_stored_receipt() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let codes = trace_codes(3);
    let mut scanned = codes.clone();
    scanned.push(codes[0].clone()); // scanned twice: offered once
    let offer = giver.session.offer(Some("TRIP-7".into()), scanned).expect("offer");
    assert!(offer.qr_text.starts_with("FTHO1:"));
    assert_eq!(offer.codes, codes);

    let review = receiver.session.review_offer(&offer.qr_text).expect("verified offline");
    assert_eq!((review.giver_party.as_str(), review.giver_role, review.codes.len()), ("driver-wang", Role::Driver, 3));
    let progress = receiver.session.check_unit(&codes[0], None).expect("check");
    assert_eq!((progress.check, progress.checked, progress.expected), (UnitCheck::Checked, 1, 3));
    let stray = receiver.session.check_unit("t/0000000000", None);
    assert!(stray.is_err() || stray.as_ref().is_ok_and(|p| p.check == UnitCheck::NotOnOffer));
    let other = trace_codes(4).pop().expect("a fourth code");
    assert_eq!(receiver.session.check_unit(&other, None).expect("check").check, UnitCheck::NotOnOffer);
    receiver.session.check_unit(&codes[1], None).expect("check");
    let progress = receiver.session.check_unit(&codes[1], Some(AbnormalReason::CrushedPackage)).expect("recheck");
    assert_eq!(
        (progress.check, progress.abnormal, progress.unchecked.clone()),
        (UnitCheck::Rechecked, 1, vec![codes[2].clone()])
    );

    let accepted = receiver.session.accept().expect("accept");
    assert_eq!((accepted.offered, accepted.received), (3, 2));
    let reasons: Vec<_> = accepted.abnormal.iter().map(|u| (u.code.as_str(), u.reason)).collect();
    assert_eq!(
        reasons,
        [(codes[1].as_str(), AbnormalReason::CrushedPackage), (codes[2].as_str(), AbnormalReason::Missing)]
    );
    assert_eq!(key_of(receiver.session.review_offer(&offer.qr_text)), "handover_already_accepted");

    let stored = giver.session.store_receipt(&accepted.qr_text).expect("receipt");
    assert_eq!((stored.acceptance_id, stored.received, stored.duplicate), (accepted.acceptance_id, 2, false));
    assert_eq!(stored.abnormal, accepted.abnormal);
    let again = giver.session.store_receipt(&accepted.qr_text).expect("scanned twice");
    assert_eq!((again.receipt_event_id, again.duplicate), (stored.receipt_event_id, true));

    // The server's check of each event against the registered keys passes.
    let devices = registry(&[&giver, &receiver], &coop);
    let events: Vec<Event> = [&giver, &receiver]
        .iter()
        .flat_map(|p| p.store.all_events().expect("events"))
        .map(|stored| stored.event)
        .collect();
    assert_eq!(events.len(), 3);
    let wire = crate::sync::wire::encode_events(&events);
    assert_eq!(crate::sync::wire::decode_events(&wire).expect("wire round trip"), events);
    for event in &events {
        verify_event(event, &coop.id, |d| devices.get(&d).cloned())
            .unwrap_or_else(|e| panic!("{}: {e}", event.kind.key()));
    }
    // The fold: the receiver's judgement box by box; the giver's receipt is not counted again.
    let state = crate::fold::fold(&events);
    let unit = |i: usize| state.units.get(&codes[i]).expect("unit");
    assert_eq!(unit(0).events, 2);
    assert_eq!(unit(0).last_disposition, Some(crate::model::Disposition::Normal));
    assert_eq!(unit(2).last_disposition, Some(crate::model::Disposition::Abnormal(AbnormalReason::Missing)));
    assert_eq!(unit(1).last_step, Some(crate::model::BizStep::Receiving));
}

#[test]
fn offer_and_receipt_texts_round_trip() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let mut codes = trace_codes(2);
    codes.push("/00/095060001343522514".into());
    codes.push("my-own-box-7".into());
    let offer = giver.session.offer(None, codes.clone()).expect("offer");
    let parsed = SignedOffer::parse(&offer.qr_text).expect("parse");
    assert_eq!(parsed.statement.codes, codes);
    assert_eq!(parsed.to_qr_text(), offer.qr_text);
    let receipt = SignedReceipt {
        acceptance: crate::model::EventId::new(),
        offer: offer.offer_id,
        accepted_ms: 5,
        abnormal: vec![(1, AbnormalReason::Wet)],
        signature: vec![7; 64],
        certificate: parsed.certificate.clone(),
    };
    assert_eq!(SignedReceipt::parse(&receipt.to_qr_text()).expect("parse"), receipt);
}

/// Offers are altered field by field after signing; each must be refused, naming what failed.
#[test]
fn tampering_with_any_field_of_an_offer_is_refused() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let offer = SignedOffer::parse(&giver.session.offer(Some("T1".into()), trace_codes(5)).expect("offer").qr_text)
        .expect("parse");
    type Tamper = Box<dyn Fn(&mut SignedOffer)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        ("offer id", Box::new(|o| o.statement.offer = crate::model::EventId::new()), "handover_bad_signature"),
        ("time", Box::new(|o| o.statement.offered_ms += 1), "handover_bad_signature"),
        ("trip", Box::new(|o| o.statement.trip = Some("T2".into())), "handover_bad_signature"),
        ("no trip", Box::new(|o| o.statement.trip = None), "handover_bad_signature"),
        ("box dropped", Box::new(|o| drop(o.statement.codes.pop())), "handover_bad_signature"),
        ("box added", Box::new(|o| o.statement.codes.push("extra".into())), "handover_bad_signature"),
        ("boxes reordered", Box::new(|o| o.statement.codes.swap(0, 1)), "handover_bad_signature"),
        ("signature", Box::new(|o| o.signature[10] ^= 1), "handover_bad_signature"),
        ("certificate party", Box::new(|o| o.certificate.party = PartyId::new("driver-li")), "handover_not_certified"),
        ("certificate role", Box::new(|o| o.certificate.role = Role::Manager), "handover_not_certified"),
        ("certificate device", Box::new(|o| o.certificate.device = DeviceId::new()), "handover_not_certified"),
        ("certificate key", Box::new(|o| o.certificate.public_key[0] ^= 1), "handover_not_certified"),
        ("certificate time", Box::new(|o| o.certificate.issued_ms += 1), "handover_not_certified"),
        ("certificate signature", Box::new(|o| o.certificate.signature[3] ^= 1), "handover_not_certified"),
        ("certificate co-op", Box::new(|o| o.certificate.coop = "coop-other".into()), "handover_wrong_coop"),
    ];
    for (what, tamper, expected) in cases {
        let mut altered = offer.clone();
        tamper(&mut altered);
        let text = altered.to_qr_text();
        assert_eq!(key_of(receiver.session.review_offer(&text)), expected, "{what}");
    }
    receiver.session.review_offer(&offer.to_qr_text()).expect("the untouched offer passes");
}

#[test]
fn flipping_any_bit_of_an_offer_text_is_caught() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let offer = giver.session.offer(None, trace_codes(3)).expect("offer");
    let bytes = base45::decode(offer.qr_text.strip_prefix(OFFER_PREFIX).expect("prefix")).expect("base45");
    for at in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut altered = bytes.clone();
            altered[at] ^= bit;
            let text = format!("{OFFER_PREFIX}{}", base45::encode(&altered));
            let verdict = SignedOffer::parse(&text).and_then(|o| o.verify(&coop.id, &coop.key()));
            assert!(verdict.is_err(), "byte {at} bit {bit:#x} went unnoticed");
        }
    }
}

#[test]
fn forged_offers_and_offers_from_other_coops_are_refused() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let genuine =
        SignedOffer::parse(&giver.session.offer(None, trace_codes(2)).expect("offer").qr_text).expect("parse");

    // A thief's own key, with the genuine certificate attached: the signature is not the giver's.
    let thief = new_seed().expect("entropy");
    let mut forged = genuine.clone();
    forged.signature = keys::sign(&thief, &forged.statement.message());
    assert_eq!(key_of(receiver.session.review_offer(&forged.to_qr_text())), "handover_bad_signature");

    // The thief also certifies their key themselves: not signed by the co-op's key.
    let fake_coop = Coop { id: coop.id.clone(), seed: new_seed().expect("entropy") };
    forged.certificate = DeviceCertificate::issue(
        &fake_coop.seed,
        &coop.id,
        genuine.certificate.device,
        genuine.certificate.party.clone(),
        Role::Driver,
        public_key_of(&thief),
        0,
    );
    let err = receiver.session.review_offer(&forged.to_qr_text()).expect_err("forged certificate");
    assert_eq!(err.key(), "handover_not_certified");
    assert!(err.to_string().contains("not signed by this co-op's key"), "{err}");

    // A genuine phone of another co-op.
    let other = Coop::new("coop-other");
    let stranger = phone(&other, "driver-zhao", Role::Driver);
    let text = stranger.session.offer(None, trace_codes(2)).expect("offer").qr_text;
    let err = receiver.session.review_offer(&text).expect_err("other co-op");
    assert_eq!(err.key(), "handover_wrong_coop");
    assert!(err.to_string().contains("coop-other"), "{err}");
}

#[test]
fn truncated_and_garbage_texts_are_refused_without_panicking() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let text = giver.session.offer(None, trace_codes(4)).expect("offer").qr_text;
    for end in 0..text.len() {
        assert_eq!(key_of(receiver.session.review_offer(&text[..end])), "handover_qr_invalid", "cut at {end}");
        assert!(SignedReceipt::parse(&text[..end]).is_err());
    }
    let long = format!("FTHO1:{}", "0".repeat(5_000));
    for garbage in ["", "FTHO1:", "FTHR1:AB", "fieldtrace://enroll?x", "FTHO1:😀", "FTHO1:ab", long.as_str()] {
        assert_eq!(key_of(receiver.session.review_offer(garbage)), "handover_qr_invalid", "{garbage:?}");
        assert_eq!(key_of(giver.session.store_receipt(garbage)), "handover_qr_invalid", "{garbage:?}");
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let text = format!("{OFFER_PREFIX}{}", base45::encode(&bytes));
        assert!(receiver.session.review_offer(&text).is_err());
        assert!(SignedReceipt::parse(&text.replace(OFFER_PREFIX, RECEIPT_PREFIX)).is_err() || len > 100);
    }
}

#[test]
fn a_receipt_is_checked_against_the_givers_own_offer() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let offer = giver.session.offer(None, trace_codes(3)).expect("offer");
    receiver.session.review_offer(&offer.qr_text).expect("review");
    let accepted = receiver.session.accept().expect("accept, all missing");
    assert_eq!(accepted.received, 0);

    let mut receipt = SignedReceipt::parse(&accepted.qr_text).expect("parse");
    receipt.abnormal.pop(); // claim one box fewer missing
    assert_eq!(key_of(giver.session.store_receipt(&receipt.to_qr_text())), "handover_bad_signature");
    let mut receipt = SignedReceipt::parse(&accepted.qr_text).expect("parse");
    receipt.accepted_ms -= 60_000;
    assert_eq!(key_of(giver.session.store_receipt(&receipt.to_qr_text())), "handover_bad_signature");
    let mut receipt = SignedReceipt::parse(&accepted.qr_text).expect("parse");
    receipt.offer = crate::model::EventId::new();
    assert_eq!(key_of(giver.session.store_receipt(&receipt.to_qr_text())), "handover_unknown_offer");
    // Another phone cannot file a receipt for an offer it did not make.
    let bystander = phone(&coop, "driver-li", Role::Driver);
    assert_eq!(key_of(bystander.session.store_receipt(&accepted.qr_text)), "handover_unknown_offer");
    giver.session.store_receipt(&accepted.qr_text).expect("the genuine receipt");
}

#[test]
fn handovers_need_a_certified_key_a_scanned_offer_and_a_role_that_hands_over() {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let user = Actor { party: PartyId::new("driver-wang"), role: Role::Driver };
    let session = HandoverSession::new(store, user, Arc::new(ManualClock::new(morning())));
    assert_eq!(key_of(session.offer(None, trace_codes(1))), "handover_no_device_key");
    let coop = Coop::new("coop-zz");
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    assert_eq!(key_of(receiver.session.accept()), "handover_no_offer");
    assert_eq!(key_of(receiver.session.check_unit(&trace_codes(1)[0], None)), "handover_no_offer");
    assert_eq!(key_of(receiver.session.offer(None, Vec::new())), "handover_offer_invalid");
    let farmer = phone(&coop, "farmer-li", Role::Farmer);
    assert_eq!(key_of(farmer.session.offer(None, trace_codes(1))), "role_forbidden_kind");
    let own = receiver.session.offer(None, trace_codes(1)).expect("offer");
    assert_eq!(key_of(receiver.session.review_offer(&own.qr_text)), "handover_own_offer");
}

/// What the server checks on push: each event's signatures against the registered keys.
#[test]
fn the_servers_check_catches_altered_events_and_unregistered_or_foreign_signers() {
    let coop = Coop::new("coop-zz");
    let giver = phone(&coop, "driver-wang", Role::Driver);
    let receiver = phone(&coop, "warehouse-xian", Role::Manager);
    let offer = giver.session.offer(Some("T1".into()), trace_codes(3)).expect("offer");
    receiver.session.review_offer(&offer.qr_text).expect("review");
    receiver.session.check_unit(&trace_codes(3)[0], Some(AbnormalReason::Bruised)).expect("check");
    let accepted = receiver.session.accept().expect("accept");
    giver.session.store_receipt(&accepted.qr_text).expect("receipt");
    let devices = registry(&[&giver, &receiver], &coop);
    let check = |event: &Event, devices: &HashMap<DeviceId, RegisteredDevice>| {
        verify_event(event, &coop.id, |d| devices.get(&d).cloned()).map_err(|e| e.key())
    };
    let events: Vec<Event> = [&giver, &receiver]
        .iter()
        .flat_map(|p| p.store.all_events().expect("events"))
        .map(|stored| stored.event)
        .collect();
    for event in &events {
        check(event, &devices).expect("genuine");
        // A consistent forgery: one box swapped for another everywhere the event names it.
        let mut altered = event.clone();
        let swapped = std::mem::replace(&mut altered.codes[1], "t/SWAPPEDBOX".into());
        match &mut altered.kind {
            EventKind::HandoverAcceptance(a) => a.abnormal.iter_mut().for_each(|u| {
                if u.code == swapped {
                    u.code = "t/SWAPPEDBOX".into();
                }
            }),
            EventKind::HandoverReceipt(r) => r.abnormal.iter_mut().for_each(|u| {
                if u.code == swapped {
                    u.code = "t/SWAPPEDBOX".into();
                }
            }),
            _ => {}
        }
        altered.validate().expect("still well-formed");
        assert_eq!(check(&altered, &devices), Err("handover_bad_signature"), "{} codes", event.kind.key());
        let mut altered = event.clone();
        altered.recorded_at += chrono::Duration::milliseconds(1);
        if !matches!(event.kind, EventKind::HandoverReceipt(_)) {
            assert_eq!(check(&altered, &devices), Err("handover_bad_signature"), "{} time", event.kind.key());
        }
        let mut altered = event.clone();
        match &mut altered.kind {
            EventKind::HandoverOffer(o) => o.trip = Some("T9".into()),
            EventKind::HandoverAcceptance(a) => a.abnormal.clear(),
            EventKind::HandoverReceipt(r) => r.accepted_at_ms += 1,
            _ => unreachable!(),
        }
        assert_eq!(check(&altered, &devices), Err("handover_bad_signature"), "{} kind", event.kind.key());
        // Verified against another co-op, or with a signer unknown, foreign or keyless.
        assert_eq!(
            verify_event(event, "coop-other", |d| devices.get(&d).cloned()).map_err(|e| e.key()),
            Err("handover_wrong_coop")
        );
        assert_eq!(check(event, &HashMap::new()), Err("handover_unknown_device"));
        let mut keyless = devices.clone();
        keyless.values_mut().for_each(|d| d.public_key = None);
        assert_eq!(check(event, &keyless), Err("handover_not_certified"));
        let mut renamed = devices.clone();
        renamed.values_mut().for_each(|d| d.party = PartyId::new("someone-else"));
        assert_eq!(check(event, &renamed), Err("handover_not_certified"));
    }
    let _ = (giver.clock, receiver.clock);
}

/// A 40-box offer must fit one QR Code a phone camera reads off another phone's screen.
#[test]
fn a_forty_box_offer_fits_comfortably_in_one_qr_code() {
    use rxing::qrcode::QRCodeWriter;
    use rxing::{BarcodeFormat, EncodeHints, Writer};
    let coop = Coop::new("coop-zhouzhi-kiwi");
    let giver = phone(&coop, "driver-wang-jianguo", Role::Driver);
    let ssccs: Vec<String> = (0..40).map(|i| format!("/00/0950600013{:08}", 43_520_000 + i * 7)).collect();
    for (what, codes) in [("trace codes", trace_codes(40)), ("SSCCs", ssccs)] {
        let text = giver.session.offer(Some("TRIP-20261123-07".into()), codes).expect("offer").qr_text;
        let hints = EncodeHints {
            ErrorCorrection: Some("M".to_owned()),
            Margin: Some("0".to_owned()),
            ..EncodeHints::default()
        };
        let matrix = QRCodeWriter.encode_with_hints(&text, &BarcodeFormat::QR_CODE, 0, 0, &hints).expect("encodes");
        let version = (matrix.getWidth() - 17) / 4;
        let (chars, side) = (text.len(), matrix.getWidth());
        println!("40-box offer ({what}): {chars} characters, QR version {version} ({side}×{side} modules, ECC M)");
        assert!(version <= 20, "{what}: version {version}");
        let receiver = phone(&coop, "warehouse-xian", Role::Manager);
        assert_eq!(receiver.session.review_offer(&text).expect("reads").codes.len(), 40);
    }
}
