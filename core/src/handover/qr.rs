//! The two QR texts of a handover: the giver's offer (`FTHO1:`) and the receiver's receipt
//! (`FTHR1:`). Each is the prefix and the base45 of a postcard body, so the whole text stays in
//! the QR alphanumeric set. Codes are packed: our trace codes as their 7-byte number, SSCCs as
//! their 8-byte number, anything else as text. Reading checks structure only; `verify` checks
//! the signatures.

use super::base45;
use super::error::HandoverError;
use super::keys::{verify, CertificateWire, DeviceCertificate};
use super::statement::{AcceptanceStatement, OfferStatement};
use crate::model::{AbnormalReason, EventId, MAX_CODE_LEN, MAX_TRIP_LEN, SIGNATURE_LEN};
use crate::payload::TraceCode;
use crate::sync::wire::REASONS;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const OFFER_PREFIX: &str = "FTHO1:";
pub const RECEIPT_PREFIX: &str = "FTHR1:";
/// Longer texts are refused before decoding: the largest QR Code holds 4,296 characters.
pub const MAX_QR_TEXT: usize = 4_296;

/// An offer as scanned: the statement (giver and co-op taken from the certificate), the giver
/// device's signature and its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOffer {
    pub statement: OfferStatement,
    pub signature: Vec<u8>,
    pub certificate: DeviceCertificate,
}

/// A receipt as scanned: the receiver's signed acceptance of an offer, with its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    pub acceptance: EventId,
    pub offer: EventId,
    pub accepted_ms: i64,
    pub abnormal: Vec<(u32, AbnormalReason)>,
    pub signature: Vec<u8>,
    pub certificate: DeviceCertificate,
}

#[derive(Serialize, Deserialize)]
enum PackedCode {
    Text(String),
    /// `t/<trace code>`: the code's 50-bit number, big-endian in 7 bytes.
    Trace([u8; 7]),
    /// `/00/<18-digit SSCC>` as a number, big-endian in 8 bytes.
    Sscc([u8; 8]),
}

impl PackedCode {
    fn pack(code: &str) -> Self {
        if let Some(trace) = code.strip_prefix("t/").and_then(|t| TraceCode::parse(t).ok()) {
            if format!("t/{}", trace.canonical()) == code {
                let bytes = trace.value().to_be_bytes();
                return PackedCode::Trace([bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]);
            }
        }
        if let Some(digits) =
            code.strip_prefix("/00/").filter(|d| d.len() == 18 && d.bytes().all(|b| b.is_ascii_digit()))
        {
            if let Ok(value) = digits.parse::<u64>() {
                return PackedCode::Sscc(value.to_be_bytes());
            }
        }
        PackedCode::Text(code.to_owned())
    }

    fn unpack(self) -> Result<String, HandoverError> {
        match self {
            PackedCode::Text(text) => Ok(text),
            PackedCode::Trace(b) => {
                let value = u64::from_be_bytes([0, b[0], b[1], b[2], b[3], b[4], b[5], b[6]]);
                let code = TraceCode::from_value(value)
                    .map_err(|_| HandoverError::QrInvalid(format!("trace code number {value} is out of range")))?;
                Ok(format!("t/{}", code.canonical()))
            }
            PackedCode::Sscc(b) => {
                let value = u64::from_be_bytes(b);
                if value > 999_999_999_999_999_999 {
                    return Err(HandoverError::QrInvalid(format!("SSCC number {value} has more than 18 digits")));
                }
                Ok(format!("/00/{value:018}"))
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct OfferBody {
    offer: [u8; 16],
    offered_ms: i64,
    trip: Option<String>,
    codes: Vec<PackedCode>,
    signature: Vec<u8>,
    certificate: CertificateWire,
}

#[derive(Serialize, Deserialize)]
struct ReceiptBody {
    acceptance: [u8; 16],
    offer: [u8; 16],
    accepted_ms: i64,
    abnormal: Vec<(u32, u8)>,
    signature: Vec<u8>,
    certificate: CertificateWire,
}

fn to_text<T: Serialize>(prefix: &str, body: &T) -> String {
    format!("{prefix}{}", base45::encode(&postcard::to_stdvec(body).unwrap_or_default()))
}

fn from_text<T: for<'de> Deserialize<'de>>(prefix: &str, what: &str, text: &str) -> Result<T, HandoverError> {
    let invalid = |why: String| HandoverError::QrInvalid(format!("{what}: {why}"));
    if text.len() > MAX_QR_TEXT {
        return Err(invalid(format!("{} characters; a QR Code holds at most {MAX_QR_TEXT}", text.len())));
    }
    // Scanners may add a line break; spaces are base45 digits, so only line breaks are trimmed.
    let text = text.trim_start().trim_end_matches(['\r', '\n']);
    let encoded = text.strip_prefix(prefix).ok_or_else(|| invalid(format!("it does not start with {prefix}")))?;
    let bytes = base45::decode(encoded).map_err(invalid)?;
    let (body, rest) =
        postcard::take_from_bytes::<T>(&bytes).map_err(|e| invalid(format!("truncated or damaged ({e})")))?;
    if !rest.is_empty() {
        return Err(invalid(format!("{} unexpected bytes after the end", rest.len())));
    }
    Ok(body)
}

fn check_signature_len(signature: &[u8], what: &str) -> Result<(), HandoverError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(HandoverError::QrInvalid(format!(
            "{what}: the signature is {} bytes, not {SIGNATURE_LEN}",
            signature.len()
        )));
    }
    Ok(())
}

impl SignedOffer {
    pub fn to_qr_text(&self) -> String {
        let s = &self.statement;
        let body = OfferBody {
            offer: s.offer.0.into_bytes(),
            offered_ms: s.offered_ms,
            trip: s.trip.clone(),
            codes: s.codes.iter().map(|c| PackedCode::pack(c)).collect(),
            signature: self.signature.clone(),
            certificate: self.certificate.to_wire(),
        };
        to_text(OFFER_PREFIX, &body)
    }

    /// Reads an offer QR text. Never panics; any damage is `handover_qr_invalid` saying what.
    pub fn parse(text: &str) -> Result<Self, HandoverError> {
        let body: OfferBody = from_text(OFFER_PREFIX, "handover offer", text)?;
        check_signature_len(&body.signature, "handover offer")?;
        let certificate = DeviceCertificate::from_wire(body.certificate)?;
        let codes = body.codes.into_iter().map(PackedCode::unpack).collect::<Result<Vec<_>, _>>()?;
        if codes.is_empty() {
            return Err(HandoverError::InvalidOffer("it names no boxes".into()));
        }
        for (i, code) in codes.iter().enumerate() {
            if code.is_empty() || code.chars().count() > MAX_CODE_LEN || codes[..i].contains(code) {
                return Err(HandoverError::InvalidOffer(format!(
                    "box {} ({code:?}) is empty, too long or repeated",
                    i + 1
                )));
            }
        }
        if body.trip.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > MAX_TRIP_LEN) {
            return Err(HandoverError::InvalidOffer(format!("the trip id is empty or longer than {MAX_TRIP_LEN}")));
        }
        let statement = OfferStatement {
            coop: certificate.coop.clone(),
            offer: EventId(Uuid::from_bytes(body.offer)),
            giver_party: certificate.party.clone(),
            giver_device: certificate.device,
            offered_ms: body.offered_ms,
            trip: body.trip,
            codes,
        };
        Ok(Self { statement, signature: body.signature, certificate })
    }

    /// Offline check, in order: the certificate is this co-op's and signed by its key, then the
    /// offer is signed by the certified key. The first failure is the error.
    pub fn verify(&self, coop: &str, coop_key: &[u8; 32]) -> Result<(), HandoverError> {
        self.certificate.check(coop, coop_key)?;
        let s = &self.statement;
        if s.giver_device != self.certificate.device || s.giver_party != self.certificate.party {
            return Err(HandoverError::not_certified(s.giver_device, "the certificate is for another device"));
        }
        if !verify(&self.certificate.public_key, &s.message(), &self.signature) {
            return Err(HandoverError::BadSignature { what: "offer", device: s.giver_device });
        }
        Ok(())
    }
}

impl SignedReceipt {
    pub fn to_qr_text(&self) -> String {
        let body = ReceiptBody {
            acceptance: self.acceptance.0.into_bytes(),
            offer: self.offer.0.into_bytes(),
            accepted_ms: self.accepted_ms,
            abnormal: self
                .abnormal
                .iter()
                .map(|(i, r)| (*i, REASONS.iter().position(|x| x == r).unwrap_or(0) as u8))
                .collect(),
            signature: self.signature.clone(),
            certificate: self.certificate.to_wire(),
        };
        to_text(RECEIPT_PREFIX, &body)
    }

    pub fn parse(text: &str) -> Result<Self, HandoverError> {
        let body: ReceiptBody = from_text(RECEIPT_PREFIX, "handover receipt", text)?;
        check_signature_len(&body.signature, "handover receipt")?;
        let abnormal = body
            .abnormal
            .into_iter()
            .map(|(at, code)| {
                let reason = REASONS.get(usize::from(code)).copied().ok_or_else(|| {
                    HandoverError::QrInvalid(format!("handover receipt: unknown abnormal reason code {code}"))
                })?;
                Ok((at, reason))
            })
            .collect::<Result<_, HandoverError>>()?;
        Ok(Self {
            acceptance: EventId(Uuid::from_bytes(body.acceptance)),
            offer: EventId(Uuid::from_bytes(body.offer)),
            accepted_ms: body.accepted_ms,
            abnormal,
            signature: body.signature,
            certificate: DeviceCertificate::from_wire(body.certificate)?,
        })
    }

    /// The acceptance this receipt states about `offer` (the giver's own offer statement).
    pub fn statement(&self, offer: &OfferStatement) -> AcceptanceStatement {
        AcceptanceStatement {
            coop: self.certificate.coop.clone(),
            acceptance: self.acceptance,
            offer_digest: offer.digest(),
            receiver_party: self.certificate.party.clone(),
            receiver_device: self.certificate.device,
            accepted_ms: self.accepted_ms,
            abnormal: self.abnormal.clone(),
        }
    }

    /// Offline check by the giver: the receipt answers `offer`, its certificate is this co-op's,
    /// and the acceptance is signed by the certified key.
    pub fn verify(&self, offer: &OfferStatement, coop: &str, coop_key: &[u8; 32]) -> Result<(), HandoverError> {
        if self.offer != offer.offer {
            return Err(HandoverError::UnknownOffer(self.offer));
        }
        self.certificate.check(coop, coop_key)?;
        let count = offer.codes.len();
        if let Some((at, _)) = self.abnormal.iter().find(|(at, _)| usize::try_from(*at).map_or(true, |at| at >= count))
        {
            return Err(HandoverError::QrInvalid(format!(
                "handover receipt: box {at} is past the offer's {count} boxes"
            )));
        }
        if !verify(&self.certificate.public_key, &self.statement(offer).message(), &self.signature) {
            return Err(HandoverError::BadSignature { what: "acceptance", device: self.certificate.device });
        }
        Ok(())
    }
}
