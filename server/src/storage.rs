//! The server's storage: the traits and records of `fieldtrace_server_store`, under the path the
//! handlers use. Which backend runs behind them is the binary's choice.

pub use fieldtrace_server_store::*;
