//! Dashboard sessions: a random token in an `HttpOnly`, `SameSite=Strict` cookie (so another
//! site cannot make a signed-in browser post a form here), its SHA-256 in the database, 12 hours.
//! Device credentials do not open the dashboard: only a manager's signed-in browser does.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldtrace_server::secrets::hash_secret;
use fieldtrace_server::storage::{ManagerRecord, Storage};
use fieldtrace_server::{now_ms, ReadState};

pub const SESSION_COOKIE: &str = "ft_session";
pub const LANG_COOKIE: &str = "ft_lang";
pub const SESSION_MS: i64 = 12 * 3_600_000;

/// The signed-in manager. Without a valid session the request is sent to the sign-in page.
pub struct SignedIn(pub ManagerRecord);

impl<S: Storage> FromRequestParts<ReadState<S>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ReadState<S>) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        match state.storage.ui_session(hash_secret(&token), now_ms()).await {
            Ok(Some(manager)) => Ok(SignedIn(manager)),
            Ok(None) => Err(to_sign_in()),
            Err(err) => Err(fieldtrace_server::ApiError::from(err).into_response()),
        }
    }
}

fn to_sign_in() -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, "/ui/login")]).into_response()
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for the dashboard's cookies (`max_age_s` 0 deletes the cookie).
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/ui; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}")
}
