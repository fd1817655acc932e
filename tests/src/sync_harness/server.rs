//! A sync server for tests: in-process on a tokio task, or a child process to kill.

use fieldtrace_core::model::Role;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A server on `127.0.0.1:<free port>` over a SQLite file; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub storage: Arc<SqliteStorage>,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db: &Path) -> Self {
        Self::start_with(db, ServerConfig::default()).await
    }

    pub async fn start_with(db: &Path, config: ServerConfig) -> Self {
        let storage = Arc::new(SqliteStorage::open(db).expect("open server database"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        tokio::spawn(fieldtrace_dashboard::serve(listener, storage.clone(), config, shutdown));
        Self { addr, storage, stop: Some(stop) }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Creates the co-op (if needed) and a one-time token; returns the enrollment QR text.
    pub async fn enrollment_qr(&self, coop: &str, party: &str, role: Role) -> String {
        enrollment_qr(&self.storage, &self.url(), coop, party, role).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Creates the co-op (if needed) and a one-time token that never expires; returns the QR text that
/// points a phone at `url` (the server, or a fault proxy in front of it).
pub async fn enrollment_qr(storage: &SqliteStorage, url: &str, coop: &str, party: &str, role: Role) -> String {
    storage.create_coop(coop, coop).await.expect("co-op");
    fieldtrace_server::enrollment::enrollment_qr(storage, url, coop, party, role, i64::MAX).await.expect("token")
}

/// The `sync-server` binary of this crate as a child process, so a test can SIGKILL it.
pub struct ServerProcess {
    pub addr: SocketAddr,
    db: PathBuf,
    child: Child,
}

impl ServerProcess {
    /// Starts the server on `addr` (port 0: any free port).
    pub fn start(binary: &Path, db: &Path, addr: &str) -> Self {
        let (child, line) = spawn(binary, db, addr);
        let addr = line.parse().unwrap_or_else(|_| panic!("sync-server printed {line:?}"));
        Self { addr, db: db.to_owned(), child }
    }

    /// SIGKILL: no graceful shutdown, no flush beyond what SQLite already made durable.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts again on the same address and database.
    pub fn restart(&mut self, binary: &Path) {
        self.kill();
        let addr = self.addr.to_string();
        // The port may linger briefly after the kill; retry the bind for a while.
        for _ in 0..100 {
            let (mut child, line) = spawn(binary, &self.db, &addr);
            if line == addr {
                self.child = child;
                return;
            }
            let _ = child.wait();
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("could not restart the server on {addr}");
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Starts `binary DB ADDR` and returns it with the first line it printed (the bound address, or
/// nothing if it could not bind).
fn spawn(binary: &Path, db: &Path, addr: &str) -> (Child, String) {
    let mut child = Command::new(binary)
        .arg(db)
        .arg(addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sync-server");
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
    }
    (child, line.trim().to_owned())
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
