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
use crate::state::{CoopView, ViewCache};
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
    /// Decoded events and folded state per co-op, refreshed incrementally.
    pub views: Arc<ViewCache>,
}

impl<S: Storage> AppState<S> {
    /// The state of a server over `storage`; starts the alert task (so call it inside a runtime).
    pub fn new(storage: Arc<S>, config: ServerConfig) -> Self {
        let photo_dir = config.photo_dir.clone().or_else(|| storage.default_photo_dir());
        let config = Arc::new(config);
        Self {
            photos: photo_dir.map(|dir| Arc::new(PhotoFiles::new(dir))),
            alerts: AlertsHandle::start(storage.clone(), config.clone()),
            limiter: Arc::new(RateLimiter::new(config.rate_per_second, config.rate_burst)),
            views: Arc::new(ViewCache::new(config.view_cache)),
            storage,
            config,
        }
    }

    /// The co-op's events and state, including every push acknowledged before this call.
    pub async fn coop_view(&self, coop: &str) -> Result<Arc<CoopView>, StorageError> {
        self.views.view(self.storage.as_ref(), coop).await
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
            views: self.views.clone(),
        }
    }
}

/// What pages read: the storage, the config, photo files and the read-model cache.
pub struct ReadState<S> {
    pub storage: Arc<S>,
    pub config: Arc<ServerConfig>,
    pub photos: Option<Arc<PhotoFiles>>,
    pub views: Arc<ViewCache>,
}

impl<S: Storage> ReadState<S> {
    /// The co-op's events and state, including every push acknowledged before this call.
    pub async fn coop_view(&self, coop: &str) -> Result<Arc<CoopView>, StorageError> {
        self.views.view(self.storage.as_ref(), coop).await
    }
}

impl<S> Clone for ReadState<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            config: self.config.clone(),
            photos: self.photos.clone(),
            views: self.views.clone(),
        }
    }
}

impl<S> FromRef<AppState<S>> for ReadState<S> {
    fn from_ref(app: &AppState<S>) -> Self {
        Self {
            storage: app.storage.clone(),
            config: app.config.clone(),
            photos: app.photos.clone(),
            views: app.views.clone(),
        }
    }
}

impl<S> FromRef<AppState<S>> for AlertsHandle {
    fn from_ref(app: &AppState<S>) -> Self {
        app.alerts.clone()
    }
}
