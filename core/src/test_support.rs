//! Builders shared by the unit tests: a fixed clock, a user, and well-formed events. They depend on
//! the model and the clock only, so they live in `fieldtrace_proto::testing` (feature `testing`,
//! enabled in this crate's dev-dependencies) and the server's tests can use them too.

pub use fieldtrace_proto::testing::*;
