//! Alerts (docs/alerts.md): rules evaluated as events and trace-page scans arrive — abnormal goods
//! notify the lot's upstream parties, long temperature excursions, lots near expiry, diversion
//! (窜货) — filed durably, de-duplicated, rate-limited, sent by webhook and SMS gateway, and listed on
//! the dashboard (`/ui/alerts`, the dashboard crate) where managers acknowledge them.
//!
//! - [`rules`]: the rules as pure functions.
//! - [`store`]: settings, cursors, alerts and the notification outbox (the `AlertStore` trait).
//! - [`notify`]: the `Notifier` trait, webhook and SMS gateway.
//! - [`dispatch`]: the background task tying them together.

pub mod dispatch;
mod evaluate;
mod handling;
pub mod notify;
pub mod rules;
pub mod store;

pub use dispatch::{AlertOptions, AlertsHandle};
pub use store::{AlertSettings, AlertStore};
