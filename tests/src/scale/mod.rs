//! The scale benchmark (issue 16): a deterministic co-op season of any size stored through the
//! storage layer with projections on (`build`), then a fresh release server measured over real
//! HTTP (`measure`), reported as JSON against the targets (`report`). The binary is
//! `scale-bench`; this module is the library it is made of, so its parts can be unit-tested.

pub mod build;
pub mod cast;
pub mod http;
pub mod measure;
pub mod phone;
pub mod report;
pub mod season;
pub mod server;
