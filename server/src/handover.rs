//! The server's side of device keys and handovers: certifying a device's key with the co-op's
//! signing key, and re-checking every handover signature on push against the registered keys
//! (`fieldtrace_core::handover::verify_event`), so a forged or altered event is never stored.

use crate::storage::{DeviceRecord, Storage};
use crate::ApiError;
use fieldtrace_core::handover::keys::{new_seed, public_key_of, to_base64};
use fieldtrace_core::handover::{verify_event, DeviceCertificate, RegisteredDevice};
use fieldtrace_core::model::{handover_signers, DeviceId, Event};
use std::collections::HashMap;

/// What a phone keeps to sign and to check other phones offline: its certificate (base64url) and
/// the co-op's public key (base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub certificate: String,
    pub coop_key: String,
}

/// Certifies `device`'s registered key with its co-op's key (made on first need). The same
/// registration always gives the same certificate (Ed25519 signing is deterministic).
pub async fn certify<S: Storage>(storage: &S, device: &DeviceRecord, now_ms: i64) -> Result<Certification, ApiError> {
    let (Some(public_key), Some(issued_ms)) = (device.public_key, device.key_registered_at_ms) else {
        return Err(ApiError::Internal(format!("device {} has no registered key to certify", device.id)));
    };
    let candidate = new_seed().map_err(|e| ApiError::Internal(format!("entropy: {e}")))?;
    let seed = storage.coop_signing_seed(&device.coop, candidate, now_ms).await?;
    let cert = DeviceCertificate::issue(
        &seed,
        &device.coop,
        device.id,
        device.party.clone(),
        device.role,
        public_key,
        issued_ms,
    );
    Ok(Certification { certificate: cert.to_base64(), coop_key: to_base64(&public_key_of(&seed)) })
}

/// For each pushed event: `None` if it may be stored, or the refusal key (`handover_bad_signature`,
/// `handover_not_certified`, `handover_wrong_coop`, `handover_unknown_device`, ...).
pub async fn check_signatures<S: Storage>(
    storage: &S,
    coop: &str,
    events: &[Event],
) -> Result<Vec<Option<&'static str>>, ApiError> {
    let mut devices: HashMap<DeviceId, Option<RegisteredDevice>> = HashMap::new();
    for event in events {
        for signer in handover_signers(&event.kind, event.recorder.device) {
            if let std::collections::hash_map::Entry::Vacant(slot) = devices.entry(signer) {
                let record = storage.device(signer).await?;
                slot.insert(record.map(|d| RegisteredDevice {
                    coop: d.coop,
                    party: d.party,
                    public_key: d.public_key,
                }));
            }
        }
    }
    Ok(events
        .iter()
        .map(|event| verify_event(event, coop, |device| devices.get(&device).cloned().flatten()).err().map(|e| e.key()))
        .collect())
}
