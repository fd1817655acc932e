//! The server's storage: the traits and records (`fieldtrace_server_store`) and the embedded
//! SQLite implementation (`fieldtrace_store_sqlite`, as [`sqlite`]), under the paths the handlers,
//! the CLI and the tests use.

pub use fieldtrace_server_store::*;
pub use fieldtrace_store_sqlite as sqlite;
