//! FieldTrace for Kotlin and Swift: uniffi adapters over `fieldtrace-core`, and nothing else.
//!
//! One file per concept (matrix-sdk-ffi style), FFI-only mirror types converted with `From` so
//! the core carries no uniffi derives:
//! - [`field_trace`]: the `FieldTrace` object (store, one-tap session, sync client).
//! - [`records`]: scan summaries, receipts, history lines.
//! - [`vocabulary`]: roles, steps, abnormal reasons, dispositions.
//! - [`decode`]: camera frames → codes.
//! - [`sync`]: sync status and reports, enrollment, the status listener.
//! - [`flows`]: packing, trip manifests, delivery, working lot, photos, piece counts.
//! - [`loading`]: the `LoadingSession` object (a driver's loading screen).
//! - [`handover`]: the `HandoverSession` object (offline custody handover by QR).
//! - [`sensors`]: box loggers' readings and CSV exports.
//! - [`error`]: `FieldTraceError`, each variant with the core's stable key for localization.
//!
//! `bindings/generate.sh` turns the compiled library into Kotlin and Swift sources.

pub mod decode;
pub mod error;
pub mod field_trace;
pub mod flows;
pub mod handover;
pub mod loading;
pub mod records;
pub mod sensors;
pub mod sync;
pub mod vocabulary;

pub use decode::{decode_frame, BarcodeFormat, CornerPoint, DecodedCode};
pub use error::FieldTraceError;
pub use field_trace::{FieldTrace, FieldTraceConfig};
pub use flows::{ContainerContents, DayPieces, DeliveryReceipt, MovedUnit, PackResult, PhotoQueue, PieceCounts};
pub use handover::{
    qr_code, BoxCondition, HandoverAcceptance, HandoverOffer, HandoverReceipt, HandoverSession, OfferReview, QrCode,
    ReceivingProgress, UnitCheck,
};
pub use loading::{DepartureReceipt, LoadOutcome, LoadScan, LoadingProgress, LoadingSession};
pub use records::{HistoryItem, LotInfo, PartyInfo, Receipt, ScanInfo};
pub use sensors::{Excursion, LimitSide, LogLineError, LoggerReading, SensorImportReport, SensorKind, SensorLimits};
pub use sync::{EnrollmentInfo, SyncListener, SyncPhase, SyncReport, SyncStatus};
pub use vocabulary::{AbnormalReason, BizStep, Disposition, Role};

uniffi::setup_scaffolding!();
