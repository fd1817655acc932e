//! Where alerts live: the records and the `AlertStore` trait are the storage crate's
//! (`fieldtrace_server_store::alerts`), the SQLite tables `fieldtrace_store_sqlite`'s; this module
//! keeps the paths the server and its tests use.

pub use fieldtrace_server_store::alerts::*;
