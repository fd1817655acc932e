//! `/ui/devices`: every enrolled device (role, owner, enrolled, last sync, outbox size the phone
//! reported, revoked), revocation with a confirm step, and new enrollment QR codes. Both
//! actions are POSTs from a `SameSite=Strict` session (another site's form carries no cookie)
//! whose `Origin`, when the browser sends one, must be this server; both are audited.

use super::csv_export::{csv, download};
use super::insight_words::InsightWords;
use super::words::UiWords;
use super::{audit, language, page, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{HOST, LOCATION, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::{DateTime, FixedOffset};
use fieldtrace_core::model::{DeviceId, EntityKind, Role};
use fieldtrace_server::enrollment::enrollment_qr;
use fieldtrace_server::storage::{DeviceListing, Storage};
use fieldtrace_server::ApiError;
use fieldtrace_server::ReadState;
use serde::Deserialize;

/// Validity choices offered for a new enrollment QR, hours.
const VALIDITY_HOURS: [i64; 4] = [1, 24, 72, 168];

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

pub struct DeviceRow {
    pub id: String,
    /// The id's last 12 digits: UUIDv7s enrolled the same day share their first ones.
    pub short_id: String,
    pub role: &'static str,
    pub party: String,
    pub name: String,
    pub enrolled_at: String,
    pub last_sync: Option<String>,
    pub pending: Option<u64>,
    pub revoked_at: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/devices.html")]
struct DevicesView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    rows: Vec<DeviceRow>,
    roles: Vec<(&'static str, &'static str)>,
    hours: &'static [i64],
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "ui/device_revoke.html")]
struct RevokeView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    row: DeviceRow,
}

#[derive(Template)]
#[template(path = "ui/device_enrolled.html")]
struct EnrolledView {
    t: &'static UiWords,
    w: &'static InsightWords,
    manager: String,
    party: String,
    role: &'static str,
    expires: String,
    qr_svg: String,
    qr_text: String,
}

/// `ms` (server time) as `YYYY-MM-DD HH:MM` in the dashboard's offset.
pub fn local_time(ms: i64, offset_s: i32) -> String {
    let offset = FixedOffset::east_opt(offset_s).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC is valid"));
    DateTime::from_timestamp_millis(ms)
        .map_or_else(String::new, |t| t.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string())
}

async fn rows<S: Storage>(state: &ReadState<S>, coop: &str, w: &InsightWords) -> Result<Vec<DeviceRow>, ApiError> {
    let devices = state.storage.devices(coop).await?;
    // The holders' names from the projected registers: O(devices), whatever the log's length.
    state.projected(coop).await?;
    let parties = devices.iter().map(|d| (EntityKind::Party, d.party.0.clone())).collect();
    let registers = state.storage.registers_of(coop, parties).await?;
    let offset = state.config.display_offset_s;
    let name = |party: &str| {
        registers
            .get(&(EntityKind::Party, party.to_owned()))
            .and_then(|fields| fields.get("name"))
            .and_then(|f| f.value.clone())
            .unwrap_or_default()
    };
    Ok(devices
        .into_iter()
        .map(|d: DeviceListing| DeviceRow {
            short_id: d.id.to_string().chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect(),
            id: d.id.to_string(),
            role: w.role(d.role),
            name: name(&d.party.0),
            party: d.party.0,
            enrolled_at: local_time(d.enrolled_at_ms, offset),
            last_sync: d.last_sync_ms.map(|ms| local_time(ms, offset)),
            pending: d.pending,
            revoked_at: d.revoked_at_ms.map(|ms| local_time(ms, offset)),
        })
        .collect())
}

fn roles(w: &InsightWords) -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.key(), w.role(*r))).collect()
}

pub async fn devices_page<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let (t, lang_cookie) = language(&state, &headers, query.lang.as_deref());
    let w = InsightWords::for_lang(t.lang);
    let view = DevicesView {
        t,
        w,
        rows: rows(&state, &manager.coop, w).await?,
        manager: manager.display_name,
        roles: roles(w),
        hours: &VALIDITY_HOURS,
        error: None,
    };
    Ok(page(StatusCode::OK, &view, lang_cookie))
}

pub async fn devices_csv<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
) -> Result<Response, ApiError> {
    let rows: Vec<Vec<String>> = rows(&state, &manager.coop, &super::insight_words::EN)
        .await?
        .into_iter()
        .map(|d| {
            vec![
                d.id,
                d.role.to_owned(),
                d.party,
                d.name,
                d.enrolled_at,
                d.last_sync.unwrap_or_default(),
                d.pending.map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
                d.revoked_at.unwrap_or_default(),
            ]
        })
        .collect();
    audit(&state, &manager.coop, &manager.name, "export_csv", &format!("devices: {} rows", rows.len())).await?;
    let header = ["device", "role", "party", "name", "enrolled_at", "last_sync", "pending", "revoked_at"];
    Ok(download("devices.csv", csv(&header, &rows)))
}

/// The device `id` if it is one of `coop`'s.
async fn coop_device<S: Storage>(state: &ReadState<S>, coop: &str, id: &str) -> Result<DeviceId, ApiError> {
    let not_found = || device_not_found(id);
    let device = DeviceId::parse(id).ok_or_else(not_found)?;
    match state.storage.device(device).await? {
        Some(record) if record.coop == coop => Ok(device),
        _ => Err(not_found()),
    }
}

fn device_not_found(id: &str) -> ApiError {
    ApiError::Rejected {
        status: StatusCode::NOT_FOUND,
        key: "device_not_found",
        message: format!("no device {id:?} in this co-op"),
    }
}

pub async fn revoke_confirm<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, None);
    let w = InsightWords::for_lang(t.lang);
    let device = coop_device(&state, &manager.coop, &id).await?.to_string();
    let row = rows(&state, &manager.coop, w)
        .await?
        .into_iter()
        .find(|row| row.id == device)
        .ok_or_else(|| device_not_found(&id))?;
    Ok(page(StatusCode::OK, &RevokeView { t, w, manager: manager.display_name, row }, None))
}

pub async fn revoke<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    same_origin(&state, &headers)?;
    let device = coop_device(&state, &manager.coop, &id).await?;
    if state.storage.revoke_device(device, state.config.clock.now_ms()).await? {
        audit(&state, &manager.coop, &manager.name, "revoke_device", &device.to_string()).await?;
    }
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/ui/devices")]).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EnrollForm {
    party: String,
    role: String,
    hours: i64,
}

/// A party id as the co-op issues them: 1–64 ASCII letters, digits, `-` or `_`.
fn valid_party(party: &str) -> bool {
    (1..=64).contains(&party.len()) && party.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn create_enrollment<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Form(form): Form<EnrollForm>,
) -> Result<Response, ApiError> {
    same_origin(&state, &headers)?;
    let (t, _) = language(&state, &headers, None);
    let w = InsightWords::for_lang(t.lang);
    let party = form.party.trim().to_owned();
    let role = Role::from_key(form.role.trim())
        .ok_or_else(|| ApiError::bad_request("role_invalid", format!("role {:?} is not a role", form.role)))?;
    if !VALIDITY_HOURS.contains(&form.hours) {
        return Err(ApiError::bad_request("validity_invalid", format!("{} hours is not offered", form.hours)));
    }
    if !valid_party(&party) {
        let view = DevicesView {
            t,
            w,
            rows: rows(&state, &manager.coop, w).await?,
            manager: manager.display_name,
            roles: roles(w),
            hours: &VALIDITY_HOURS,
            error: Some(w.bad_party),
        };
        return Ok(page(StatusCode::BAD_REQUEST, &view, None));
    }
    let valid_ms = form.hours * 3_600_000;
    let qr_text =
        enrollment_qr(state.storage.as_ref(), &server_url(&state, &headers), &manager.coop, &party, role, valid_ms)
            .await
            .map_err(ApiError::Internal)?;
    let qr_svg = fieldtrace_core::label::text_qr_svg(&qr_text).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The token itself is never written to the log: whoever reads it could enroll a phone.
    let detail = format!("party {party}, role {}, valid {} h", role.key(), form.hours);
    audit(&state, &manager.coop, &manager.name, "create_enrollment", &detail).await?;
    let expires = local_time(fieldtrace_server::now_ms() + valid_ms, state.config.display_offset_s);
    let view =
        EnrolledView { t, w, manager: manager.display_name, party, role: w.role(role), expires, qr_svg, qr_text };
    Ok(page(StatusCode::OK, &view, None))
}

/// The address phones reach this server at: `--public-url`, else the host the browser used.
fn server_url<S>(state: &ReadState<S>, headers: &HeaderMap) -> String {
    match &state.config.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}/")
        }
    }
}

/// Refuses a POST whose `Origin` names another site (belt and braces with `SameSite=Strict`).
/// This site is the `Host` the request came in on, or `--public-url` (a front proxy may rewrite
/// `Host`).
fn same_origin<S>(state: &ReadState<S>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else { return Ok(()) };
    let host_of = |url: &str| -> String {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        rest.split('/').next().unwrap_or_default().to_ascii_lowercase()
    };
    let origin_host = host_of(origin);
    let request_host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let public_host = state.config.public_url.as_deref().map(host_of);
    if origin_host == request_host || public_host.as_deref() == Some(origin_host.as_str()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden { key: "cross_origin", message: format!("a form from {origin} may not act here") })
    }
}
