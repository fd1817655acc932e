//! FieldTrace core: the library shared by the Android and iOS apps.
//!
//! - [`model`]: the immutable, EPCIS-shaped events and the things they concern (no I/O);
//!   re-exported from `fieldtrace-proto`, like [`clock`] and [`sync::wire`].
//! - [`decode`]: camera frames and photos → every barcode in them (rxing).
//! - [`label`]: our trace codes as QR Codes (PNG, SVG) for printing.
//! - [`clock`]: the hybrid logical clock that orders events across devices with wrong clocks.
//! - [`store`]: the durable SQLite store with its outbox.
//! - [`fold`]: the read model as a deterministic fold; equal event sets give equal digests.
//! - [`sensors`]: box loggers' readings and temperature excursions.
//! - [`session`]: the one-tap 正常 / 异常 reporting session.
//! - [`handover`]: two-party custody handover between offline phones, device-signed QR codes.
//! - [`photo`]: photos for abnormal reports: compressed, content-addressed, uploaded after their events.
//! - [`farm`]: farming activities and the pre-harvest-interval flag.
//! - [`import`]: spreadsheet rows (CSV/XLSX cells) → farm-record and lot events.
//! - [`pieces`]: an assistant's piece count per day, for pay.

pub mod decode;
mod error;
pub mod farm;
pub mod fold;
pub mod handover;
pub mod import;
pub mod label;
pub mod payload;
pub mod photo;
pub mod pieces;
pub mod sensors;
pub mod session;
pub mod store;
pub mod sync;
pub mod test_report;

pub use error::{Error, Result};
// The model, the clock and the wire format live in fieldtrace-proto (shared with the server
// without the phone's store); re-exported so `fieldtrace_core::model::…` paths keep working.
pub use fieldtrace_proto::{clock, model};
pub use session::{Receipt, ScanResult, Session};
pub use store::Store;

#[cfg(test)]
mod test_support;
