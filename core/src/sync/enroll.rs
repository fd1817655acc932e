//! Enrollment: a manager shows a QR with the server address and a one-time token; the phone
//! generates its own credential, sends it once with the token, and keeps it in its settings.
//!
//! The QR text is `fieldtrace://enroll?server=<url>&token=<token>`: a custom scheme so any phone
//! camera app hands it to FieldTrace and no browser ever sends the token anywhere.

use super::error::SyncError;
use crate::model::{PartyId, Role};
use crate::store::Store;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use url::Url;

const SERVER: &str = "sync_server";
const CREDENTIAL: &str = "sync_credential";
const COOP: &str = "sync_coop";
const PARTY: &str = "sync_party";
const ROLE: &str = "sync_role";
/// The token being redeemed, kept until the server answers, so a retry after a lost answer sends
/// the same token and credential (the server answers such a retry again).
const PENDING_TOKEN: &str = "sync_pending_token";

/// What an enrollment QR says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentOffer {
    pub server: Url,
    pub token: String,
}

impl EnrollmentOffer {
    pub fn new(server: &str, token: &str) -> Result<Self, SyncError> {
        let server =
            Url::parse(server).map_err(|e| SyncError::InvalidEnrollmentQr(format!("server {server:?}: {e}")))?;
        if !matches!(server.scheme(), "http" | "https") || server.host().is_none() {
            return Err(SyncError::InvalidEnrollmentQr(format!("server {server} is not an http(s) address")));
        }
        let token = token.trim();
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(SyncError::InvalidEnrollmentQr("the token is missing or malformed".into()));
        }
        Ok(Self { server, token: token.to_owned() })
    }

    /// Reads the QR text.
    pub fn parse(qr_text: &str) -> Result<Self, SyncError> {
        let url = Url::parse(qr_text.trim())
            .map_err(|_| SyncError::InvalidEnrollmentQr("this is not a FieldTrace enrollment code".into()))?;
        if url.scheme() != "fieldtrace" || url.host_str() != Some("enroll") {
            return Err(SyncError::InvalidEnrollmentQr("this is not a FieldTrace enrollment code".into()));
        }
        let value = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        let server = value("server").ok_or_else(|| SyncError::InvalidEnrollmentQr("no server address".into()))?;
        let token = value("token").ok_or_else(|| SyncError::InvalidEnrollmentQr("no token".into()))?;
        Self::new(&server, &token)
    }

    /// The QR text for this offer.
    pub fn to_qr_text(&self) -> String {
        let mut url = Url::parse("fieldtrace://enroll").unwrap_or_else(|_| self.server.clone());
        url.query_pairs_mut().append_pair("server", self.server.as_str()).append_pair("token", &self.token);
        url.into()
    }
}

/// Who this phone is in its co-op, as the server confirmed at enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub server: Url,
    pub coop: String,
    pub party: PartyId,
    pub role: Role,
}

/// What a request needs to authenticate.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub server: Url,
    pub bearer: String,
}

/// A new device credential: 256 random bits, URL-safe base64 (43 characters, no `:`).
pub fn new_secret() -> Result<String, SyncError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SyncError::Entropy(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The credential to send for `offer`: the one already sent for the same token if an earlier
/// attempt's answer was lost, otherwise a new one, stored before it leaves the phone.
pub(crate) fn credential_for(store: &Store, offer: &EnrollmentOffer) -> Result<String, SyncError> {
    if store.setting(PENDING_TOKEN)?.as_deref() == Some(offer.token.as_str()) {
        if let Some(credential) = store.setting(CREDENTIAL)? {
            return Ok(credential);
        }
    }
    let credential = new_secret()?;
    store.set_settings(&[
        (PENDING_TOKEN, Some(&offer.token)),
        (CREDENTIAL, Some(&credential)),
        (SERVER, Some(offer.server.as_str())),
        (COOP, None),
    ])?;
    Ok(credential)
}

pub(crate) fn save(store: &Store, enrollment: &Enrollment) -> Result<(), SyncError> {
    store.set_settings(&[
        (SERVER, Some(enrollment.server.as_str())),
        (COOP, Some(&enrollment.coop)),
        (PARTY, Some(enrollment.party.as_str())),
        (ROLE, Some(enrollment.role.key())),
        (PENDING_TOKEN, None),
    ])?;
    Ok(())
}

/// The enrollment this phone completed, if any.
pub fn enrollment(store: &Store) -> Result<Option<Enrollment>, SyncError> {
    let (Some(server), Some(coop), Some(party), Some(role)) =
        (store.setting(SERVER)?, store.setting(COOP)?, store.setting(PARTY)?, store.setting(ROLE)?)
    else {
        return Ok(None);
    };
    let server = Url::parse(&server).map_err(|e| crate::Error::Corrupt(format!("stored server {server:?}: {e}")))?;
    let role = Role::from_key(&role).ok_or_else(|| crate::Error::Corrupt(format!("stored role {role:?}")))?;
    Ok(Some(Enrollment { server, coop, party: PartyId(party), role }))
}

pub(crate) fn credentials(store: &Store) -> Result<Credentials, SyncError> {
    let enrolled = enrollment(store)?.ok_or(SyncError::NotEnrolled)?;
    let credential = store.setting(CREDENTIAL)?.ok_or(SyncError::NotEnrolled)?;
    Ok(Credentials { server: enrolled.server, bearer: format!("Bearer {}:{credential}", store.device_id()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_text_round_trips_and_garbage_is_refused() {
        let offer = EnrollmentOffer::new("https://sync.coop.example.cn:8443/", "AbCdEfGh12345678_-xyz").expect("offer");
        let text = offer.to_qr_text();
        assert!(text.starts_with("fieldtrace://enroll?server=https%3A%2F%2Fsync.coop"), "{text}");
        assert_eq!(EnrollmentOffer::parse(&text).expect("parse"), offer);
        for bad in [
            "",
            "https://example.com/enroll?token=AbCdEfGh12345678",
            "fieldtrace://enroll?token=AbCdEfGh12345678",
            "fieldtrace://enroll?server=ftp%3A%2F%2Fx&token=AbCdEfGh12345678",
            "fieldtrace://enroll?server=http%3A%2F%2Fx&token=short",
        ] {
            let err = EnrollmentOffer::parse(bad).expect_err(bad);
            assert_eq!(err.key(), "enrollment_qr_invalid", "{bad}");
        }
    }

    #[test]
    fn a_retried_enrollment_reuses_the_credential_sent_for_the_same_token() {
        let store = Store::open_in_memory().expect("store");
        let offer = EnrollmentOffer::new("http://127.0.0.1:1", "AbCdEfGh12345678").expect("offer");
        let first = credential_for(&store, &offer).expect("credential");
        assert_eq!(credential_for(&store, &offer).expect("again"), first);
        let other = EnrollmentOffer::new("http://127.0.0.1:1", "ZZZZZZZZ12345678").expect("offer");
        assert_ne!(credential_for(&store, &other).expect("new token"), first);
        assert!(matches!(credentials(&store), Err(SyncError::NotEnrolled)));
    }
}
