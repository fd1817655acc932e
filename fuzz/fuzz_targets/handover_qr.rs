//! Handover QR texts come from another person's phone screen: reading them must never panic, and
//! whatever reads must write back to the same text (the encoding is canonical) and be refused by a
//! co-op whose key did not certify it.
#![no_main]

use fieldtrace_core::handover::{SignedOffer, SignedReceipt, OFFER_PREFIX, RECEIPT_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for text in [text.to_string(), format!("{OFFER_PREFIX}{text}"), format!("{RECEIPT_PREFIX}{text}")] {
        if let Ok(offer) = SignedOffer::parse(&text) {
            assert_eq!(SignedOffer::parse(&offer.to_qr_text()).ok(), Some(offer.clone()));
            assert!(offer.verify(&offer.certificate.coop, &[0u8; 32]).is_err());
        }
        if let Ok(receipt) = SignedReceipt::parse(&text) {
            assert_eq!(SignedReceipt::parse(&receipt.to_qr_text()).ok(), Some(receipt));
        }
    }
});
