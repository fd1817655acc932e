//! Scanners hand us arbitrary bytes: parsing must never panic, and an identifier's key must read
//! back as the same key (a key stored in an event can be scanned or linked to again).
#![no_main]

use fieldtrace_core::payload::{parse_payload, Payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(payload) = parse_payload(&text) else { return };
    let key = payload.code_key();
    assert!(!key.is_empty());
    if matches!(payload, Payload::Unrecognized(_)) {
        return;
    }
    let separator = if key.starts_with('/') { "" } else { "/" };
    let link = format!("https://fuzz.example{separator}{key}");
    match parse_payload(&link) {
        Ok(again) => assert_eq!(again.code_key(), key, "{link}"),
        Err(err) => panic!("{link} does not parse back: {err}"),
    }
});
