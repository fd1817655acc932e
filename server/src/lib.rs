//! FieldTrace sync server: the `/v1` API the phones speak (enrollment, idempotent push, cursor
//! pull, device keys, custody, photos, exports), co-op tenancy, the storage traits it runs on and
//! the alert engine.
//!
//! - [`storage`]: the storage traits and records (`fieldtrace-server-store`); backends such as
//!   `fieldtrace-store-sqlite` implement them.
//! - [`api`]: the versioned HTTP API over any `Storage`; [`app`]: its state, and the read-only
//!   part the pages get.
//! - [`projection`]: the persisted read models; [`analytics`]: loss analytics over them;
//!   [`alerts`]: rules, notifications, the alert task.
//! - [`photos`]: photo files on disk (content-addressed, resumable partial uploads, thumbnails).
//! - [`observe`]: request ids for the logs, Prometheus metrics and their listener.
//!
//! May import: `fieldtrace-core` and `fieldtrace-server-store`. Nothing here knows of the
//! dashboard, the trace page, the CLI or a particular database: those depend on this crate.

pub mod alerts;
pub mod analytics;
pub mod api;
pub mod app;
mod config;
pub mod custody;
pub mod enrollment;
pub mod epcis;
mod error;
pub mod handover;
pub mod observe;
pub mod photos;
pub mod projection;
pub mod reports;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod vocabulary_names;

pub use app::{AppState, ReadState};
pub use config::{now_ms, ServerClock, ServerConfig, DEFAULT_UNPAIRED_AFTER_MS};
pub use error::ApiError;
