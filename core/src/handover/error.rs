//! The handover surface's error: what failed while making, reading or checking a handover QR or
//! event, with a stable key the apps localize and the server sends as a push refusal reason.
//! Like `SyncError`, it wraps the core's `Error` for what is not about handovers.

use crate::model::{DeviceId, EventId};

#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    #[error("this is not a readable FieldTrace handover code: {0}")]
    QrInvalid(String),
    #[error("the handover comes from co-op {found:?}, but this phone belongs to co-op {expected:?}")]
    WrongCoop { found: String, expected: String },
    #[error("device {device} is not certified by this co-op: {reason}")]
    NotCertified { device: String, reason: String },
    #[error(
        "the {what} signature of device {device} does not verify: the {what} was altered or signed with another key"
    )]
    BadSignature { what: &'static str, device: DeviceId },
    #[error("this phone has no certified signing key yet: connect to the co-op's server once (sync) so it can certify the key")]
    NoDeviceKey,
    #[error("device {0} is not registered with this co-op or has registered no key")]
    UnknownDevice(DeviceId),
    #[error("offer {0} was not made on this phone")]
    UnknownOffer(EventId),
    #[error("offer {0} was already accepted on this phone")]
    AlreadyAccepted(EventId),
    #[error("no offer is being received: scan the giver's offer QR first")]
    NoOfferScanned,
    #[error("this offer was made on this phone: the receiver scans it with their own phone")]
    OwnOffer,
    #[error("the offer is not valid: {0}")]
    InvalidOffer(String),
    /// Reading a scanned box, a role that may not hand over, or the store failing.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl HandoverError {
    /// Stable key for localization, telemetry and push refusals; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            HandoverError::QrInvalid(_) => "handover_qr_invalid",
            HandoverError::WrongCoop { .. } => "handover_wrong_coop",
            HandoverError::NotCertified { .. } => "handover_not_certified",
            HandoverError::BadSignature { .. } => "handover_bad_signature",
            HandoverError::NoDeviceKey => "handover_no_device_key",
            HandoverError::UnknownDevice(_) => "handover_unknown_device",
            HandoverError::UnknownOffer(_) => "handover_unknown_offer",
            HandoverError::AlreadyAccepted(_) => "handover_already_accepted",
            HandoverError::NoOfferScanned => "handover_no_offer",
            HandoverError::OwnOffer => "handover_own_offer",
            HandoverError::InvalidOffer(_) => "handover_offer_invalid",
            HandoverError::Store(inner) => inner.key(),
        }
    }

    pub(crate) fn not_certified(device: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        HandoverError::NotCertified { device: device.to_string(), reason: reason.into() }
    }
}
