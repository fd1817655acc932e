//! The server's shared state, and the read-only part of it the pages get.
//!
//! [`AppState`] is built once per server: the storage, the phones' rate limiter, the config, the
//! photo files, the alert task's handle and the read-model cache. Routers that only read (the
//! dashboard, the consumer trace page) take [`ReadState`] through axum's `FromRef`, and the trace
//! page takes [`AlertsHandle`] the same way to nudge the diversion rule: neither sees the rate
//! limiter or anything it has no use for.

use crate::alerts::AlertsHandle;
use crate::api::rate_limit::RateLimiter;
use crate::config::ServerConfig;
use crate::photos::PhotoFiles;
use crate::projection::Projector;
use crate::storage::{Storage, StorageError};
use axum::extract::FromRef;
use std::sync::Arc;

pub struct AppState<S> {
    pub storage: Arc<S>,
    pub limiter: Arc<RateLimiter>,
    pub config: Arc<ServerConfig>,
    /// Photo files; `None` when there is nowhere to keep them (an in-memory database).
    pub photos: Option<Arc<PhotoFiles>>,
    /// Nudged after pushes and trace scans; evaluates alert rules off the request path.
    pub alerts: AlertsHandle,
    /// Keeps the persisted read models up with the log.
    pub projector: Arc<Projector>,
}

impl<S: Storage> AppState<S> {
    /// The state of a server over `storage`; starts the alert task (so call it inside a runtime).
    pub fn new(storage: Arc<S>, config: ServerConfig) -> Self {
        let photo_dir = config.photo_dir.clone().or_else(|| storage.default_photo_dir());
        let config = Arc::new(config);
        let projector = Arc::new(Projector::new());
        Self {
            photos: photo_dir.map(|dir| Arc::new(PhotoFiles::new(dir))),
            alerts: AlertsHandle::start(storage.clone(), config.clone(), projector.clone()),
            limiter: Arc::new(RateLimiter::new(config.rate_per_second, config.rate_burst)),
            projector,
            storage,
            config,
        }
    }

    /// Brings `coop`'s persisted read models up to every push stored before this call.
    pub async fn projected(&self, coop: &str) -> Result<(), StorageError> {
        self.projector.catch_up(self.storage.as_ref(), coop).await.map(|_| ())
    }

    /// Projects what `coop`'s pushes stored, in the background: reads catch up themselves, this
    /// only keeps them from having to (and lets alerts see projected rows soon).
    pub fn project_soon(&self, coop: &str) {
        let (storage, projector, coop) = (self.storage.clone(), self.projector.clone(), coop.to_owned());
        tokio::spawn(async move {
            if let Err(err) = projector.catch_up(storage.as_ref(), &coop).await {
                tracing::error!(coop = %coop, error = %err, "projecting the co-op's read models");
            }
        });
    }
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            limiter: self.limiter.clone(),
            config: self.config.clone(),
            photos: self.photos.clone(),
            alerts: self.alerts.clone(),
            projector: self.projector.clone(),
        }
    }
}

/// What pages read: the storage, the config, photo files and the read-model cache.
pub struct ReadState<S> {
    pub storage: Arc<S>,
    pub config: Arc<ServerConfig>,
    pub photos: Option<Arc<PhotoFiles>>,
    pub projector: Arc<Projector>,
}

impl<S: Storage> ReadState<S> {
    /// Brings `coop`'s persisted read models up to every push stored before this call: reads of
    /// projected rows after it see their own writes.
    pub async fn projected(&self, coop: &str) -> Result<(), StorageError> {
        self.projector.catch_up(self.storage.as_ref(), coop).await.map(|_| ())
    }
}

impl<S> Clone for ReadState<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            config: self.config.clone(),
            photos: self.photos.clone(),
            projector: self.projector.clone(),
        }
    }
}

impl<S> FromRef<AppState<S>> for ReadState<S> {
    fn from_ref(app: &AppState<S>) -> Self {
        Self {
            storage: app.storage.clone(),
            config: app.config.clone(),
            photos: app.photos.clone(),
            projector: app.projector.clone(),
        }
    }
}

impl<S> FromRef<AppState<S>> for AlertsHandle {
    fn from_ref(app: &AppState<S>) -> Self {
        app.alerts.clone()
    }
}
