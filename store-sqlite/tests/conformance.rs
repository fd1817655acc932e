//! The SQLite backend passes the storage conformance suite, in memory and in a WAL file.

use fieldtrace_store_sqlite::SqliteStorage;

mod in_memory {
    use super::*;
    fieldtrace_server_store::storage_conformance_tests!((SqliteStorage::open_in_memory().expect("open"), ()));
}

mod in_a_file {
    use super::*;

    fn open() -> (SqliteStorage, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStorage::open(dir.path().join("server.db")).expect("open");
        (store, dir)
    }

    fieldtrace_server_store::storage_conformance_tests!(open());
}
