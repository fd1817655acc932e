//! Prometheus metrics of one server.
//!
//! Why the `prometheus` crate rather than the `metrics` facade with `metrics-exporter-prometheus`:
//! the facade records into one process-wide recorder, so every server in a process (the CLI's
//! integration tests start dozens side by side) would count into the same numbers, and a test
//! could not tell its own push from another's. A [`prometheus::Registry`] per server keeps each
//! server's numbers its own, with no global to install, and the crate without default features
//! brings no protobuf, HTTP or process collector: the text is rendered here, per scrape.
//!
//! Counters and histograms move where things happen (handlers, the alert sender). Gauges that
//! are facts of the database (projection lag, alert queue depth, size) are read from storage at
//! scrape time, so they are exact and cost nothing between scrapes.

use crate::storage::{Storage, StorageError};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::Duration;

/// The two sync calls a phone makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOp {
    Push,
    Pull,
}

impl SyncOp {
    fn label(self) -> &'static str {
        match self {
            SyncOp::Push => "push",
            SyncOp::Pull => "pull",
        }
    }
}

/// The server's metrics; clones share one registry.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    sync_requests: IntCounterVec,
    sync_seconds: HistogramVec,
    events_ingested: IntCounter,
    events_duplicate: IntCounter,
    events_rejected: IntCounter,
    events_pulled: IntCounter,
    photo_bytes: IntCounter,
    login_failures: IntCounter,
    alert_delivery_failures: IntCounterVec,
    projection_lag: IntGaugeVec,
    alert_queue: IntGauge,
    db_bytes: IntGauge,
}

/// Handler latencies on loopback are milliseconds; a busy disk or a large batch reaches seconds.
const SYNC_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

impl Inner {
    fn build() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| -> prometheus::Result<IntCounter> {
            let metric = IntCounter::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let metric = IntGauge::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let sync_requests = IntCounterVec::new(
            Opts::new("fieldtrace_sync_requests_total", "Authenticated sync requests by operation and outcome."),
            &["op", "outcome"],
        )?;
        registry.register(Box::new(sync_requests.clone()))?;
        let sync_seconds = HistogramVec::new(
            HistogramOpts::new("fieldtrace_sync_request_duration_seconds", "Time to answer a sync request.")
                .buckets(SYNC_BUCKETS.to_vec()),
            &["op"],
        )?;
        registry.register(Box::new(sync_seconds.clone()))?;
        let alert_delivery_failures = IntCounterVec::new(
            Opts::new(
                "fieldtrace_alert_delivery_failures_total",
                "Failed alert notification attempts: retry (will be tried again) or gave_up.",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(alert_delivery_failures.clone()))?;
        let projection_lag = IntGaugeVec::new(
            Opts::new("fieldtrace_projection_lag_events", "Events stored but not yet in the read models, per co-op."),
            &["coop"],
        )?;
        registry.register(Box::new(projection_lag.clone()))?;
        Ok(Self {
            events_ingested: counter("fieldtrace_events_ingested_total", "Events pushed and stored as new.")?,
            events_duplicate: counter(
                "fieldtrace_events_duplicate_total",
                "Events pushed that the server already had (retries).",
            )?,
            events_rejected: counter("fieldtrace_events_rejected_total", "Events pushed and refused.")?,
            events_pulled: counter("fieldtrace_events_pulled_total", "Events sent to phones by pulls.")?,
            photo_bytes: counter("fieldtrace_photo_bytes_received_total", "Photo bytes received and stored.")?,
            login_failures: counter("fieldtrace_login_failures_total", "Failed dashboard sign-ins.")?,
            alert_queue: gauge("fieldtrace_alert_notifications_pending", "Alert notifications waiting to be sent.")?,
            db_bytes: gauge("fieldtrace_database_size_bytes", "Size of the database (page count × page size).")?,
            sync_requests,
            sync_seconds,
            alert_delivery_failures,
            projection_lag,
            registry,
        })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        // The definitions are constants (names, help texts, labels): they either always register
        // or never do, and `definitions_register_and_counters_render` below proves they do.
        Self(Arc::new(Inner::build().expect("the metric definitions are valid and distinct")))
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// One sync request answered (`ok`: with success), and how long it took.
    pub fn sync_request(&self, op: SyncOp, ok: bool, took: Duration) {
        let outcome = if ok { "ok" } else { "error" };
        self.0.sync_requests.with_label_values(&[op.label(), outcome]).inc();
        self.0.sync_seconds.with_label_values(&[op.label()]).observe(took.as_secs_f64());
    }

    /// The fate of one push's events.
    pub fn events_pushed(&self, ingested: usize, duplicate: usize, rejected: usize) {
        self.0.events_ingested.inc_by(ingested as u64);
        self.0.events_duplicate.inc_by(duplicate as u64);
        self.0.events_rejected.inc_by(rejected as u64);
    }

    pub fn events_pulled(&self, count: usize) {
        self.0.events_pulled.inc_by(count as u64);
    }

    pub fn photo_bytes_received(&self, bytes: usize) {
        self.0.photo_bytes.inc_by(bytes as u64);
    }

    pub fn login_failed(&self) {
        self.0.login_failures.inc();
    }

    /// A notification attempt failed; `gave_up`: it will not be tried again.
    pub fn alert_delivery_failed(&self, gave_up: bool) {
        self.0.alert_delivery_failures.with_label_values(&[if gave_up { "gave_up" } else { "retry" }]).inc();
    }

    /// The exposition text (Prometheus text format 0.0.4), with the storage gauges read now.
    pub async fn render<S: Storage>(&self, storage: &S) -> Result<String, StorageError> {
        let inner = &self.0;
        // Co-ops removed since the last scrape must not linger with their old lag.
        inner.projection_lag.reset();
        for coop in storage.coop_ids().await? {
            let progress = storage.projection_progress(&coop).await?;
            inner
                .projection_lag
                .with_label_values(&[coop.as_str()])
                .set(progress.head.saturating_sub(progress.checkpoint));
        }
        inner.alert_queue.set(i64::try_from(storage.pending_notification_count().await?).unwrap_or(i64::MAX));
        inner.db_bytes.set(i64::try_from(storage.database_bytes().await?).unwrap_or(i64::MAX));
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&inner.registry.gather(), &mut text)
            .map_err(|err| StorageError::Backend(format!("encoding metrics: {err}")))?;
        String::from_utf8(text).map_err(|err| StorageError::Backend(format!("encoding metrics: {err}")))
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_register_and_counters_render() {
        let metrics = Metrics::default();
        metrics.sync_request(SyncOp::Push, true, Duration::from_millis(3));
        metrics.events_pushed(2, 1, 0);
        let mut text = Vec::new();
        TextEncoder::new().encode(&metrics.0.registry.gather(), &mut text).expect("encode");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains("fieldtrace_sync_requests_total{op=\"push\",outcome=\"ok\"} 1"), "{text}");
        assert!(text.contains("fieldtrace_events_ingested_total 2"), "{text}");
        assert!(text.contains("fieldtrace_events_duplicate_total 1"), "{text}");
        assert!(text.contains("# TYPE fieldtrace_sync_request_duration_seconds histogram"), "{text}");
    }

    #[test]
    fn each_server_counts_for_itself() {
        let (a, b) = (Metrics::default(), Metrics::default());
        a.login_failed();
        assert_eq!(a.0.login_failures.get(), 1);
        assert_eq!(b.0.login_failures.get(), 0);
    }
}
