//! Custody handover between two offline phones: `FieldTrace.handover()` gives a
//! `HandoverSession` object. Giver: `offer` → QR text; receiver: `review_offer`, `check_unit` box
//! by box, `accept` → receipt QR text; giver: `store_receipt`. Signing and every check are the
//! core's (`fieldtrace_core::handover`, `docs/handover.md`); this only converts.

use crate::error::FieldTraceError;
use crate::field_trace::{lock, FieldTrace};
use crate::vocabulary::{AbnormalReason, Role};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::handover as core;
use fieldtrace_core::model::UnitCondition;
use std::sync::Arc;

/// The giver's recorded offer: show `qr_text` as a QR code to the receiver.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverOffer {
    pub offer_id: String,
    pub qr_text: String,
    pub trip: Option<String>,
    pub codes: Vec<String>,
}

/// A scanned offer whose certificate and signature checked out: what the receiver is asked to
/// take over.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfferReview {
    pub offer_id: String,
    pub trip: Option<String>,
    pub giver_party_id: String,
    pub giver_device_id: String,
    pub giver_role: Role,
    pub offered_at_ms: i64,
    pub codes: Vec<String>,
}

/// What checking one box did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UnitCheck {
    /// First check of a box on the offer.
    Checked,
    /// Checked again: the new condition replaces the earlier one.
    Rechecked,
    /// Not on this offer: warn loudly; nothing recorded.
    NotOnOffer,
}

/// "Checked x of y" after each box.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceivingProgress {
    pub code: String,
    pub check: UnitCheck,
    pub expected: u32,
    pub checked: u32,
    pub abnormal: u32,
    /// Offered boxes not checked yet: missing if accepted now.
    pub unchecked: Vec<String>,
}

/// A box that arrived abnormal (or, with reason `Missing`, did not arrive).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BoxCondition {
    pub code: String,
    pub reason: AbnormalReason,
}

/// The receiver's recorded acceptance: show `qr_text` to the giver as the receipt.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverAcceptance {
    pub acceptance_id: String,
    pub offer_id: String,
    pub qr_text: String,
    pub offered: u32,
    pub received: u32,
    pub abnormal: Vec<BoxCondition>,
}

/// The giver's filed receipt: proof of what the receiver accepted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverReceipt {
    pub receipt_event_id: String,
    pub offer_id: String,
    pub acceptance_id: String,
    pub receiver_party_id: String,
    pub receiver_device_id: String,
    pub offered: u32,
    pub received: u32,
    pub abnormal: Vec<BoxCondition>,
    /// The same receipt was already filed (scanned twice); nothing new was recorded.
    pub duplicate: bool,
}

fn conditions(units: Vec<UnitCondition>) -> Vec<BoxCondition> {
    units.into_iter().map(|unit| BoxCondition { code: unit.code, reason: unit.reason.into() }).collect()
}

impl From<core::OfferShown> for HandoverOffer {
    fn from(offer: core::OfferShown) -> Self {
        Self { offer_id: offer.offer_id.to_string(), qr_text: offer.qr_text, trip: offer.trip, codes: offer.codes }
    }
}

impl From<core::OfferReview> for OfferReview {
    fn from(review: core::OfferReview) -> Self {
        Self {
            offer_id: review.offer_id.to_string(),
            trip: review.trip,
            giver_party_id: review.giver_party.0,
            giver_device_id: review.giver_device.to_string(),
            giver_role: review.giver_role.into(),
            offered_at_ms: review.offered_at_ms,
            codes: review.codes,
        }
    }
}

impl From<core::UnitCheck> for UnitCheck {
    fn from(check: core::UnitCheck) -> Self {
        match check {
            core::UnitCheck::Checked => UnitCheck::Checked,
            core::UnitCheck::Rechecked => UnitCheck::Rechecked,
            core::UnitCheck::NotOnOffer => UnitCheck::NotOnOffer,
        }
    }
}

impl From<core::ReceivingProgress> for ReceivingProgress {
    fn from(progress: core::ReceivingProgress) -> Self {
        Self {
            code: progress.code,
            check: progress.check.into(),
            expected: progress.expected,
            checked: progress.checked,
            abnormal: progress.abnormal,
            unchecked: progress.unchecked,
        }
    }
}

impl From<core::AcceptanceShown> for HandoverAcceptance {
    fn from(shown: core::AcceptanceShown) -> Self {
        Self {
            acceptance_id: shown.acceptance_id.to_string(),
            offer_id: shown.offer_id.to_string(),
            qr_text: shown.qr_text,
            offered: shown.offered,
            received: shown.received,
            abnormal: conditions(shown.abnormal),
        }
    }
}

impl From<core::ReceiptStored> for HandoverReceipt {
    fn from(stored: core::ReceiptStored) -> Self {
        Self {
            receipt_event_id: stored.receipt_event_id.to_string(),
            offer_id: stored.offer_id.to_string(),
            acceptance_id: stored.acceptance_id.to_string(),
            receiver_party_id: stored.receiver_party.0,
            receiver_device_id: stored.receiver_device.to_string(),
            offered: stored.offered,
            received: stored.received,
            abnormal: conditions(stored.abnormal),
            duplicate: stored.duplicate,
        }
    }
}

/// One handover on this phone, as giver or receiver. Keep it for the handover's screens; a new
/// one starts fresh (a half-checked offer is forgotten, nothing is recorded until `accept`).
#[derive(uniffi::Object)]
pub struct HandoverSession {
    inner: core::HandoverSession,
}

#[uniffi::export]
impl FieldTrace {
    /// A handover session for the current user. Signing needs the co-op's certificate for this
    /// phone's key (enroll, or sync once): until then `handover_no_device_key`.
    pub fn handover(&self) -> Arc<HandoverSession> {
        let user = lock(&self.session).user().clone();
        Arc::new(HandoverSession { inner: core::HandoverSession::new(self.store.clone(), user, Arc::new(SystemClock)) })
    }
}

#[uniffi::export]
impl HandoverSession {
    /// Giver: records a signed offer of the scanned boxes and returns the QR text to show.
    pub fn offer(&self, trip: Option<String>, scanned: Vec<String>) -> Result<HandoverOffer, FieldTraceError> {
        Ok(self.inner.offer(trip, scanned)?.into())
    }

    /// Receiver: reads and checks a scanned offer QR offline; a forged or altered offer is
    /// `Untrusted`. Starts the box-by-box check.
    pub fn review_offer(&self, qr_text: String) -> Result<OfferReview, FieldTraceError> {
        Ok(self.inner.review_offer(&qr_text)?.into())
    }

    /// Receiver: one box checked, normal (`abnormal` absent) or abnormal with a reason.
    pub fn check_unit(
        &self,
        scanned: String,
        abnormal: Option<AbnormalReason>,
    ) -> Result<ReceivingProgress, FieldTraceError> {
        Ok(self.inner.check_unit(&scanned, abnormal.map(Into::into))?.into())
    }

    /// Receiver: accepts as checked (unchecked boxes count as missing), records the signed
    /// acceptance and returns the receipt QR text for the giver.
    pub fn accept(&self) -> Result<HandoverAcceptance, FieldTraceError> {
        Ok(self.inner.accept()?.into())
    }

    /// Giver: checks the receiver's receipt QR against the offer made here and files it.
    pub fn store_receipt(&self, qr_text: String) -> Result<HandoverReceipt, FieldTraceError> {
        Ok(self.inner.store_receipt(&qr_text)?.into())
    }
}

/// A QR symbol to draw on screen: `side` modules per side (quiet zone included), row-major.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrCode {
    pub side: u32,
    /// `side × side` modules, true = dark.
    pub dark: Vec<bool>,
}

/// The QR symbol of a handover offer's or receipt's `qr_text` (any text), for the other phone's
/// camera. `label_encoding` when the text does not fit in one symbol.
#[uniffi::export]
pub fn qr_code(text: String) -> Result<QrCode, FieldTraceError> {
    let qr = fieldtrace_core::label::qr_modules_of(&text)
        .map_err(|e| FieldTraceError::invalid_input(e.key(), e.to_string()))?;
    Ok(QrCode { side: qr.side, dark: qr.dark })
}
