//! How `fieldtrace serve` and `fieldtrace demo` stop: on Ctrl-C (SIGINT) or SIGTERM, the signal
//! systemd, Docker and Kubernetes send. The listener closes at once; requests in flight (a push
//! being stored) run to their answer, for at most the grace period. Past it the process exits
//! anyway, which is safe too: a push is one transaction, so it is stored whole or not at all,
//! and a phone that got no answer pushes again (pushes are idempotent).

use fieldtrace_server::storage::Storage;
use fieldtrace_server::ServerConfig;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Completes on the first Ctrl-C or SIGTERM.
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Serves until `stop` completes, then lets requests in flight finish for at most `grace`.
pub async fn serve_draining<S: Storage>(
    listener: tokio::net::TcpListener,
    storage: Arc<S>,
    config: ServerConfig,
    stop: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        stop.await;
        tracing::info!(grace_s = grace.as_secs(), "stopping: finishing requests in flight");
        let _ = stopping.send(());
    };
    let deadline = async move {
        match stopped.await {
            Ok(()) => tokio::time::sleep(grace).await,
            // The shutdown future was dropped: the server ended on its own and is answered below.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        served = fieldtrace_dashboard::serve(listener, storage, config, shutdown) => served,
        () = deadline => {
            tracing::warn!(grace_s = grace.as_secs(), "requests still open after the grace; exiting without them");
            Ok(())
        }
    }
}
