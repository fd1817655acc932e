//! What an operator may tune, and the server's clock.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The server's clock for handover bookkeeping (arrival times, the unpaired-offer deadline).
/// Tests move it forward instead of sleeping; in service it is the system clock.
#[derive(Debug, Clone, Default)]
pub struct ServerClock {
    offset_ms: Arc<AtomicI64>,
}

impl ServerClock {
    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Limits an operator may tune.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted (compressed), bytes.
    pub max_body_bytes: usize,
    /// Sustained requests per second per device, and the burst allowed above it.
    pub rate_per_second: f64,
    pub rate_burst: f64,
    /// Most events returned by one pull.
    pub max_pull_page: usize,
    /// The address buyers reach this server at (trace pages `/t/{code}` in exports and labels);
    /// when unset, the `Host` a request came in on.
    pub public_url: Option<String>,
    /// The GS1 Digital Link resolver GS1 keys are exported on.
    pub digital_link_base: String,
    /// A request header the front proxy or CDN fills with the client's city (for example
    /// `X-Client-City`); the trace page shows where a code was looked up from. Unset: no places.
    pub geo_header: Option<String>,
    /// UTC offset (seconds) for times the server itself stamps on pages, such as a trace code's
    /// first look-up. Events keep the offset of the phone that recorded them.
    pub display_offset_s: i32,
    /// A handover offer with no acceptance this long after the server received it is flagged
    /// `unpaired` (`--unpaired-after`).
    pub unpaired_after_ms: i64,
    pub clock: ServerClock,
    /// Where photo files go; by default a folder beside the database (`<db>-photos`).
    pub photo_dir: Option<PathBuf>,
    /// Largest photo accepted, bytes (phones send at most 200 KB).
    pub max_photo_bytes: u64,
    /// Largest photo chunk per request, bytes (phones send 64 KiB).
    pub max_photo_chunk_bytes: usize,
    /// Longest edge of served thumbnails, pixels.
    pub thumbnail_edge: u32,
    /// Timing of the alert task (evaluation tick, retries).
    pub alerts: crate::alerts::AlertOptions,
    /// Where this server counts (`/metrics`). Kept here, beside the clock, so whoever builds the
    /// config keeps a handle to serve the numbers from a listener of its own.
    pub metrics: crate::observe::Metrics,
}

/// Default for `unpaired_after_ms`: a working day's trip leg, with room for late syncs.
pub const DEFAULT_UNPAIRED_AFTER_MS: i64 = 6 * 3_600_000;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            rate_per_second: 50.0,
            rate_burst: 200.0,
            max_pull_page: 5_000,
            public_url: None,
            digital_link_base: "https://id.gs1.org".to_owned(),
            geo_header: None,
            // China Standard Time: the co-ops and most buyers are there.
            display_offset_s: 8 * 3600,
            unpaired_after_ms: DEFAULT_UNPAIRED_AFTER_MS,
            clock: ServerClock::default(),
            photo_dir: None,
            max_photo_bytes: 400 * 1024,
            max_photo_chunk_bytes: 256 * 1024,
            thumbnail_edge: 256,
            alerts: crate::alerts::AlertOptions::default(),
            metrics: crate::observe::Metrics::default(),
        }
    }
}

/// Milliseconds since the epoch on the server's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
