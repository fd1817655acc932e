//! A TCP proxy on loopback that injects network faults between a phone and the server: refused
//! connections (a partition) and responses lost after the server handled the request — the case
//! that makes naive sync duplicate data. It also counts the bytes phones send, and can cut one
//! connection at a chosen byte (a signal lost in the middle of an upload).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Pass everything through.
    None,
    /// Accept and close at once: the server is unreachable.
    Partition,
    /// Forward the request, let the server answer, then cut the connection before the phone
    /// gets a single byte of the answer.
    DropResponses,
}

/// Faults are chosen per connection. `drop_every`: with `DropResponses`, only every n-th
/// connection loses its response (1: all of them).
pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: Arc<watch::Sender<(Fault, u64)>>,
    connections: Arc<AtomicU64>,
    wire: Arc<Wire>,
    task: tokio::task::JoinHandle<()>,
}

/// Byte accounting shared by every relayed connection.
#[derive(Default)]
struct Wire {
    /// Bytes relayed from phones to the server.
    upstream: AtomicU64,
    /// When `upstream` reaches this, the connection carrying that byte loses its response.
    trip_at: AtomicU64,
    dropped: AtomicU64,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let fault = Arc::new(watch::Sender::new((Fault::None, 1)));
        let connections = Arc::new(AtomicU64::new(0));
        let wire = Arc::new(Wire { trip_at: AtomicU64::new(u64::MAX), ..Wire::default() });
        let (shared, counter, bytes) = (fault.clone(), connections.clone(), wire.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
                let (mode, every) = *shared.borrow();
                let mode = if mode == Fault::DropResponses && n % every.max(1) != 0 { Fault::None } else { mode };
                tokio::spawn(relay(client, upstream, mode, shared.subscribe(), bytes.clone()));
            }
        });
        Self { addr, fault, connections, wire, task }
    }

    /// Bytes phones have sent through this proxy (requests, headers included).
    pub fn bytes_up(&self) -> u64 {
        self.wire.upstream.load(Ordering::SeqCst)
    }

    /// One-shot: once `bytes` more bytes have gone up, the connection carrying them still
    /// delivers its request, but its response is lost and the connection cut — the signal gone in
    /// the middle of an upload, after the server stored what it received.
    pub fn drop_response_after(&self, bytes: u64) {
        self.wire.trip_at.store(self.bytes_up().saturating_add(bytes.max(1)), Ordering::SeqCst);
    }

    /// Responses lost by `drop_response_after` so far.
    pub fn responses_dropped(&self) -> u64 {
        self.wire.dropped.load(Ordering::SeqCst)
    }

    pub fn set(&self, fault: Fault, every: u64) {
        self.fault.send_replace((fault, every));
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    mut changes: watch::Receiver<(Fault, u64)>,
    wire: Arc<Wire>,
) {
    if fault == Fault::Partition {
        return; // dropping the stream closes it
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    if fault == Fault::None {
        // A change of network conditions cuts open (keep-alive) connections, as a lost cell does.
        tokio::select! {
            _ = counted_relay(&mut client, &mut server, &wire) => {}
            _ = changes.changed() => {}
        }
        return;
    }
    // DropResponses: pump the request through until the server starts answering, then hang up.
    let (mut client_read, _client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let upstream_copy = tokio::io::copy(&mut client_read, &mut server_write);
    let mut first = [0u8; 1];
    tokio::select! {
        _ = upstream_copy => {}
        _ = server_read.read(&mut first) => {}
    }
    // Give the server a moment to finish handling (it already has the whole request), then cut.
    let _ = server_write.shutdown().await;
}

/// Relays both ways, counting upstream bytes; if this connection carries the byte at which the
/// trip wire is set, the server's answer is dropped and the connection closed.
async fn counted_relay(client: &mut TcpStream, server: &mut TcpStream, wire: &Wire) {
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let doomed = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let total = wire.upstream.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            let at = wire.trip_at.load(Ordering::SeqCst);
            if total >= at && wire.trip_at.compare_exchange(at, u64::MAX, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                doomed.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
        // The client finished sending; the answer may still be on its way down.
        std::future::pending::<()>().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if doomed.load(Ordering::SeqCst) {
                wire.dropped.fetch_add(1, Ordering::SeqCst);
                return; // the answer is lost; dropping the streams cuts the connection
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}
