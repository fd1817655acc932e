//! FieldTrace's protocol crate: what the phone client and the server must agree on, byte for byte.
//!
//! - [`model`]: the immutable, EPCIS-shaped events and the things they concern, with the rules
//!   every replica checks before storing or sending one ([`model::Event::validate`]).
//! - [`clock`]: the hybrid logical clock that orders events across devices with wrong clocks.
//! - [`wire`]: the frozen, compressed event wire format, version 1.
//!
//! Pure data and codecs: no I/O, no storage, no HTTP. This crate may depend only on third-party
//! crates (serde, chrono, uuid, postcard, flate2, thiserror; proptest for the `testing` feature's
//! builders) — never on `fieldtrace-core` or the server crates, which both build on it. That keeps
//! the wire format in one place both sides compile, and lets the server take it without the
//! phone's store, camera decoding or HTTP client.

pub mod clock;
mod error;
pub mod model;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod wire;

pub use error::InvalidEvent;
