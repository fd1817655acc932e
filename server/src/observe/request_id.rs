//! A request id for every HTTP request, so one line in a phone's bug report (an error body) or
//! in a proxy's log finds every server log line of that request.
//!
//! The id is the caller's `X-Request-Id` when it is sane (1–64 visible ASCII characters: a
//! proxy's or load balancer's id joins the two logs), else one made here. It is echoed in the
//! response's `X-Request-Id`, recorded on the request's tracing span (so every log line of the
//! request carries it) and kept in a task-local for [`crate::ApiError`] to put in error bodies.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest incoming id accepted; a longer one is replaced, never truncated (a cut id would not
/// match the sender's log anyway).
pub const MAX_REQUEST_ID_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request this task is serving, if any (none in background tasks).
pub fn current() -> Option<String> {
    CURRENT.try_with(String::clone).ok()
}

/// An incoming id we are willing to log and echo: bounded, and only visible ASCII so it can
/// neither break a log line nor smuggle a header.
pub fn accepted(value: &HeaderValue) -> Option<String> {
    let bytes = value.as_bytes();
    let sane = (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len()) && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    if sane {
        value.to_str().ok().map(str::to_owned)
    } else {
        None
    }
}

/// A new id: a per-process prefix (from the start time and pid, so restarts do not reuse ids)
/// and a counter. Unique is all an id needs to be; it is not a secret, so no random bytes per
/// request.
pub fn generate() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seed = Sha256::new()
            .chain_update(started.as_nanos().to_le_bytes())
            .chain_update(std::process::id().to_le_bytes())
            .finalize();
        seed.iter().take(5).map(|b| format!("{b:02x}")).collect()
    });
    format!("{prefix}-{:06x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The middleware: picks the id, runs the request inside its span and task-local, and echoes
/// the id on the response.
pub async fn layer(request: Request, next: Next) -> Response {
    let id = request.headers().get(REQUEST_ID_HEADER).and_then(accepted).unwrap_or_else(generate);
    // The path only: query strings are the client's business and could carry anything.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let echoed = HeaderValue::from_str(&id);
    let mut response = CURRENT.scope(id, next.run(request)).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1e3,
            "request done"
        );
    });
    if let Ok(value) = echoed {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_incoming_ids_are_kept_and_others_refused() {
        let ok = |text: &str| accepted(&HeaderValue::from_str(text).expect("header"));
        assert_eq!(ok("abc-123_DEF.456").as_deref(), Some("abc-123_DEF.456"));
        assert_eq!(ok(&"x".repeat(MAX_REQUEST_ID_LEN)).map(|id| id.len()), Some(MAX_REQUEST_ID_LEN));
        assert_eq!(ok(&"x".repeat(MAX_REQUEST_ID_LEN + 1)), None, "too long");
        assert_eq!(ok(""), None, "empty");
        assert_eq!(ok("two words"), None, "space");
        assert_eq!(ok("tab\there"), None, "control character");
        let utf8 = HeaderValue::from_bytes("请求".as_bytes()).expect("opaque bytes");
        assert_eq!(accepted(&utf8), None, "not ASCII");
    }

    #[test]
    fn generated_ids_are_distinct_and_themselves_acceptable() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        let header = HeaderValue::from_str(&a).expect("header");
        assert_eq!(accepted(&header), Some(a));
    }

    #[tokio::test]
    async fn the_id_is_visible_inside_its_scope_only() {
        assert_eq!(current(), None);
        let inside = CURRENT.scope("req-1".to_owned(), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("req-1"));
    }
}
