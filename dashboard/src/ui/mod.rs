//! The co-op manager dashboard under `/ui`: server-rendered pages (askama templates, no
//! JavaScript needed), Chinese by default with an English switch, usable on a phone and a desktop.
//! Managers sign in with a password (Argon2id) and, when enabled, a TOTP code.

mod audit_page;
pub(crate) mod csv_export;
mod devices;
mod insight_words;
mod loss;
mod loss_chart;
mod lot;
pub(crate) mod lots;
pub mod password;
mod pieces;
mod session;
pub(crate) mod words;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fieldtrace_core::payload::percent_encode;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{AuditEntry, ManagerRecord, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::{now_ms, ReadState};
use lots::LotRow;
use serde::Deserialize;
pub use session::SignedIn;
use session::{cookie, set_cookie, LANG_COOKIE, SESSION_COOKIE, SESSION_MS};
use words::UiWords;

pub fn router<S: Storage>() -> Router<ReadState<S>> {
    Router::new()
        .route("/ui", get(lots_page::<S>))
        .route("/ui/lots.csv", get(lots_csv::<S>))
        .route("/ui/login", get(login_page::<S>).post(login::<S>))
        .route("/ui/logout", post(logout::<S>))
        .route("/ui/loss", get(loss::loss_page::<S>))
        .route("/ui/loss.csv", get(loss::loss_csv::<S>))
        .route("/ui/pieces", get(pieces::pieces_page::<S>))
        .route("/ui/pieces.csv", get(pieces::pieces_csv::<S>))
        .route("/ui/devices", get(devices::devices_page::<S>))
        .route("/ui/devices.csv", get(devices::devices_csv::<S>))
        .route("/ui/devices/enroll", post(devices::create_enrollment::<S>))
        .route("/ui/devices/{id}/revoke", get(devices::revoke_confirm::<S>).post(devices::revoke::<S>))
        .route("/ui/audit", get(audit_page::audit_page::<S>))
        .route("/ui/audit.csv", get(audit_page::audit_csv::<S>))
        .merge(lot::router())
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    #[serde(default)]
    product: String,
    #[serde(default)]
    farm: String,
}

/// The page language: `?lang=` (remembered in a cookie), else the cookie, else Chinese.
pub(crate) fn language<S>(
    state: &ReadState<S>,
    headers: &HeaderMap,
    asked: Option<&str>,
) -> (&'static UiWords, Option<String>) {
    match asked {
        Some(lang) => {
            let words = words::for_lang(Some(lang));
            let cookie = set_cookie(LANG_COOKIE, words.lang, 365 * 86_400, secure(state));
            (words, Some(cookie))
        }
        None => (words::for_lang(cookie(headers, LANG_COOKIE).as_deref()), None),
    }
}

fn secure<S>(state: &ReadState<S>) -> bool {
    state.config.public_url.as_deref().is_some_and(|url| url.starts_with("https://"))
}

pub(crate) fn page(status: StatusCode, view: &impl Template, set_cookie: Option<String>) -> Response {
    match view.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if let Some(cookie) = set_cookie.and_then(|c| c.parse().ok()) {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        Err(err) => ApiError::Internal(format!("rendering a dashboard page: {err}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginView {
    t: &'static UiWords,
    failed: bool,
    name: String,
}

async fn login_page<S: Storage>(
    State(state): State<ReadState<S>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    page(StatusCode::OK, &LoginView { t, failed: false, name: String::new() }, lang_cookie)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    code: String,
}

async fn login<S: Storage>(
    State(state): State<ReadState<S>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, None);
    let name = form.name.trim().to_owned();
    let manager = state.storage.manager(&name).await?;
    let now = now_ms();
    // Argon2 runs off the async workers: it is deliberately slow.
    let accepted = match manager.clone() {
        Some(manager) => tokio::task::spawn_blocking(move || {
            password::verify_password(&form.password, &manager.password_hash)
                && manager
                    .totp_secret
                    .as_deref()
                    .is_none_or(|secret| password::verify_totp(secret, &form.code, now / 1000))
        })
        .await
        .unwrap_or(false),
        None => false,
    };
    let Some(manager) = manager.filter(|_| accepted) else {
        state.config.metrics.login_failed();
        // Not the name typed: a password typed into the name field would land in the log.
        tracing::info!("dashboard sign-in refused");
        return Ok(page(StatusCode::UNAUTHORIZED, &LoginView { t, failed: true, name }, None));
    };
    let token = generate_secret().map_err(|e| ApiError::Internal(e.to_string()))?;
    state.storage.create_ui_session(hash_secret(&token), &manager.coop, &manager.name, now, now + SESSION_MS).await?;
    audit(&state, &manager.coop, &manager.name, "sign_in", "").await?;
    tracing::info!(manager = %manager.name, coop = %manager.coop, "dashboard sign-in");
    let cookie = set_cookie(SESSION_COOKIE, &token, SESSION_MS / 1000, secure(&state));
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/ui".to_owned()), (SET_COOKIE, cookie)]).into_response())
}

async fn logout<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.storage.delete_ui_session(hash_secret(&token)).await?;
    }
    audit(&state, &manager.coop, &manager.name, "sign_out", "").await?;
    let cookie = set_cookie(SESSION_COOKIE, "", 0, secure(&state));
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/ui/login".to_owned()), (SET_COOKIE, cookie)]).into_response())
}

pub(crate) async fn audit<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    manager: &str,
    action: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let entry = AuditEntry {
        at_ms: now_ms(),
        manager: manager.to_owned(),
        action: action.to_owned(),
        detail: detail.to_owned(),
    };
    Ok(state.storage.append_audit(coop, entry).await?)
}

#[derive(Template)]
#[template(path = "ui/lots.html")]
struct LotsView {
    t: &'static UiWords,
    manager: String,
    rows: Vec<LotRowView>,
    products: Vec<String>,
    farms: Vec<String>,
    product: String,
    farm: String,
    csv_href: String,
    /// The language switch keeps the filters.
    lang_href: String,
}

struct LotRowView {
    row: LotRow,
    stage: &'static str,
    /// The lot id as a path segment of its page.
    href: String,
}

async fn lots_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    state.projected(&manager.coop).await?;
    let all = lots::lot_rows(state.storage.as_ref(), &manager.coop).await?;
    let distinct = |pick: fn(&LotRow) -> &String| {
        let mut values: Vec<String> = all.iter().map(pick).filter(|v| !v.is_empty()).cloned().collect();
        values.sort();
        values.dedup();
        values
    };
    let (products, farms) = (distinct(|r| &r.product), distinct(|r| &r.farm));
    let step_words = crate::trace_page::words_for(t.lang);
    let rows = lots::filter(all, &query.product, &query.farm)
        .into_iter()
        .map(|row| LotRowView {
            stage: row.stage.map_or(t.not_started, |s| step_words.step(s)),
            href: percent_encode(&row.id),
            row,
        })
        .collect();
    let filters = format!("product={}&farm={}", percent_encode(&query.product), percent_encode(&query.farm));
    let csv_href = format!("/ui/lots.csv?{filters}");
    let lang_href = format!("/ui?lang={}&{filters}", t.other_lang);
    let view = LotsView {
        t,
        manager: manager.display_name,
        rows,
        products,
        farms,
        product: query.product,
        farm: query.farm,
        csv_href,
        lang_href,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

async fn lots_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, query.lang.as_deref());
    state.projected(&manager.coop).await?;
    let all = lots::lot_rows(state.storage.as_ref(), &manager.coop).await?;
    let rows = lots::filter(all, &query.product, &query.farm);
    audit(&state, &manager.coop, &manager.name, "export_csv", &format!("lots: {} rows", rows.len())).await?;
    let body = lots::csv(&rows, crate::trace_page::words_for(t.lang));
    Ok(csv_export::download("lots.csv", body))
}

/// Creates (or re-keys) a dashboard account; with `totp`, returns the `otpauth://` URI of its new
/// second factor.
pub async fn put_manager<S: Storage>(
    storage: &S,
    coop: &str,
    name: &str,
    display_name: Option<&str>,
    password: &str,
    totp: bool,
) -> Result<Option<String>, String> {
    if storage.coop_name(coop).await.map_err(|e| e.to_string())?.is_none() {
        return Err(format!("no co-op {coop:?}: create it first with `fieldtrace coop`"));
    }
    let password_hash = password::hash_password(password).map_err(|e| e.to_string())?;
    let totp_secret = if totp { Some(password::new_totp_secret().map_err(|e| e.to_string())?) } else { None };
    let uri = totp_secret.as_deref().map(|secret| password::otpauth_uri(secret, name));
    let record = ManagerRecord {
        coop: coop.to_owned(),
        name: name.to_owned(),
        display_name: display_name.unwrap_or(name).to_owned(),
        password_hash,
        totp_secret,
    };
    storage.put_manager(record, fieldtrace_server::now_ms()).await.map_err(|e| e.to_string())?;
    Ok(uri)
}
