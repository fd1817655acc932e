//! `sync-server DB ADDR`: the sync server as a separate process, for tests that SIGKILL it.
//! Prints the bound address on the first line of stdout once it accepts connections.

use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, addr] = args.as_slice() else {
        eprintln!("usage: sync-server DB ADDR");
        return ExitCode::from(2);
    };
    let storage = match SqliteStorage::open(db) {
        Ok(storage) => Arc::new(storage),
        Err(err) => {
            eprintln!("sync-server: {db}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("sync-server: bind {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => {
            println!("{bound}");
            let _ = std::io::stdout().flush();
        }
        Err(err) => {
            eprintln!("sync-server: {err}");
            return ExitCode::FAILURE;
        }
    }
    match fieldtrace_dashboard::serve(listener, storage, ServerConfig::default(), std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sync-server: {err}");
            ExitCode::FAILURE
        }
    }
}
