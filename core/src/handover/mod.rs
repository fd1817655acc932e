//! Two-party custody handover with both phones offline (see `docs/handover.md`).
//!
//! The giver's phone signs an offer of the boxes with its Ed25519 device key and shows it as a QR
//! (`FTHO1:`…) that also carries the co-op's certificate for that key; the receiver's phone checks
//! certificate and signature with no network, checks the boxes one by one and signs an acceptance,
//! shown back as a receipt QR (`FTHR1:`…) that the giver checks and files. Both phones then hold
//! the other's signature; the server re-checks every signature against the registered keys when
//! the events are pushed and pairs offers with acceptances.
//!
//! - [`keys`]: key pairs, signatures, the co-op's device certificates.
//! - [`statement`]: exactly what each signature covers.
//! - [`qr`]: the compact QR texts.
//! - [`verify`]: checking an event's signatures against registered keys (the server's side).
//! - [`HandoverSession`]: the screens' API.

mod base45;
mod error;
pub(crate) mod identity;
pub mod keys;
pub mod qr;
mod session;
pub mod statement;
pub mod verify;

pub use error::HandoverError;
pub use identity::{device_public_key, is_certified};
pub use keys::DeviceCertificate;
pub use qr::{SignedOffer, SignedReceipt, OFFER_PREFIX, RECEIPT_PREFIX};
pub use session::{
    AcceptanceShown, HandoverSession, OfferReview, OfferShown, ReceiptStored, ReceivingProgress, UnitCheck,
};
pub use verify::{verify_event, RegisteredDevice};

#[cfg(test)]
mod tests;
