//! A TCP proxy on loopback that injects network faults between a phone and the server: refused
//! connections (a partition) and responses lost after the server handled the request — the case
//! that makes naive sync duplicate data.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
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
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let fault = Arc::new(watch::Sender::new((Fault::None, 1)));
        let connections = Arc::new(AtomicU64::new(0));
        let (shared, counter) = (fault.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
                let (mode, every) = *shared.borrow();
                let mode = if mode == Fault::DropResponses && n % every.max(1) != 0 { Fault::None } else { mode };
                tokio::spawn(relay(client, upstream, mode, shared.subscribe()));
            }
        });
        Self { addr, fault, connections, task }
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

async fn relay(mut client: TcpStream, upstream: SocketAddr, fault: Fault, mut changes: watch::Receiver<(Fault, u64)>) {
    if fault == Fault::Partition {
        return; // dropping the stream closes it
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    if fault == Fault::None {
        // A change of network conditions cuts open (keep-alive) connections, as a lost cell does.
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
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
