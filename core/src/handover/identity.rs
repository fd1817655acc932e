//! This phone's signing identity, kept in the store's settings: the key seed, the certificate the
//! co-op issued for it and the co-op's public key (the trust anchor for checking other phones).
//!
//! The seed is created before it is first sent anywhere (at enrollment, or on the first sync of a
//! phone enrolled before keys existed), so a retry after a lost answer registers the same key.

use super::error::HandoverError;
use super::keys::{key_from_base64, new_seed, public_key_of, to_base64, DeviceCertificate};
use crate::store::Store;
use crate::sync::SyncError;

const SEED: &str = "device_signing_seed";
const CERTIFICATE: &str = "device_certificate";
const COOP_KEY: &str = "coop_public_key";
/// The enrolled co-op, as `sync::enroll` stores it.
const COOP: &str = "sync_coop";

/// What signing and checking need.
pub(crate) struct Identity {
    pub coop: String,
    pub seed: [u8; 32],
    pub certificate: DeviceCertificate,
    pub coop_key: [u8; 32],
}

/// This device's key seed, created (and stored durably) on first use.
pub(crate) fn seed_or_create(store: &Store) -> Result<[u8; 32], SyncError> {
    if let Some(seed) = store.setting(SEED)?.as_deref().and_then(key_from_base64) {
        return Ok(seed);
    }
    let seed = new_seed().map_err(|e| SyncError::Entropy(e.to_string()))?;
    store.set_settings(&[(SEED, Some(&to_base64(&seed)))])?;
    Ok(seed)
}

/// This device's public key, if it has a key yet.
pub fn device_public_key(store: &Store) -> crate::Result<Option<[u8; 32]>> {
    Ok(store.setting(SEED)?.as_deref().and_then(key_from_base64).map(|seed| public_key_of(&seed)))
}

/// Whether the co-op has certified this device's key (so it can sign handovers).
pub fn is_certified(store: &Store) -> crate::Result<bool> {
    Ok(store.setting(CERTIFICATE)?.is_some() && store.setting(COOP_KEY)?.is_some())
}

/// Checks and keeps the certificate the server issued: it must be signed by the co-op key it came
/// with and certify this very device, co-op and key, or the server is not the one we enrolled with.
pub(crate) fn save_certification(
    store: &Store,
    coop: &str,
    certificate: &str,
    coop_key: &str,
) -> Result<(), SyncError> {
    let protocol = |what: String| SyncError::Protocol(format!("device certificate: {what}"));
    let cert = DeviceCertificate::from_base64(certificate).map_err(|e| protocol(e.to_string()))?;
    let key = key_from_base64(coop_key).ok_or_else(|| protocol("the co-op key is not 32 bytes of base64url".into()))?;
    cert.check(coop, &key).map_err(|e| protocol(e.to_string()))?;
    let ours = device_public_key(store)?;
    if cert.device != store.device_id() || Some(cert.public_key) != ours {
        return Err(protocol("it certifies another device or key".into()));
    }
    store.set_settings(&[(CERTIFICATE, Some(certificate)), (COOP_KEY, Some(coop_key))])?;
    Ok(())
}

/// Everything needed to sign or check a handover; `NoDeviceKey` until the co-op certified the key.
pub(crate) fn load(store: &Store) -> Result<Identity, HandoverError> {
    let (Some(coop), Some(seed), Some(cert), Some(coop_key)) =
        (store.setting(COOP)?, store.setting(SEED)?, store.setting(CERTIFICATE)?, store.setting(COOP_KEY)?)
    else {
        return Err(HandoverError::NoDeviceKey);
    };
    let corrupt = |what: &str| crate::Error::Corrupt(format!("stored {what} is malformed"));
    let seed = key_from_base64(&seed).ok_or_else(|| corrupt("signing key"))?;
    let coop_key = key_from_base64(&coop_key).ok_or_else(|| corrupt("co-op key"))?;
    let certificate = DeviceCertificate::from_base64(&cert).map_err(|_| corrupt("device certificate"))?;
    if certificate.coop != coop || certificate.public_key != public_key_of(&seed) {
        // Enrolled again (another co-op or a new key) since the certificate was issued.
        return Err(HandoverError::NoDeviceKey);
    }
    Ok(Identity { coop, seed, certificate, coop_key })
}
