//! The `fieldtrace` operator tool's library half: what the binary's subcommands run and the
//! cross-crate tests drive directly — the demo co-op ([`demo`]), assistants' spreadsheet imports
//! ([`import`]), the alert settings and listing commands ([`alerts_cli`]), the log output
//! ([`logging`]) and `serve`'s settings ([`serve_config`]). The smaller
//! commands (decode, labels, sensors, reports) live beside `main.rs`.
//!
//! May import every FieldTrace crate: this is the top of the graph (cli -> dashboard -> server ->
//! proto <- core), and the only crate that picks a database (`fieldtrace-store-sqlite`).

pub mod alerts_cli;
pub mod demo;
pub mod import;
pub mod logging;
pub mod serve_config;
