//! One-time enrollment tokens as the QR text a phone scans: used by `fieldtrace token`, the demo
//! and the dashboard's devices page, so all three make the same offer.

use crate::storage::{NewEnrollmentToken, Storage};
use fieldtrace_core::model::{PartyId, Role};
use fieldtrace_core::sync::{new_secret, EnrollmentOffer};

/// A one-time enrollment token for `party` as `role`, valid `valid_ms` from now, as the QR text
/// a phone scans (`fieldtrace://enroll?server=…&token=…`). Only the token's hash is stored.
pub async fn enrollment_qr<S: Storage>(
    storage: &S,
    server_url: &str,
    coop: &str,
    party: &str,
    role: Role,
    valid_ms: i64,
) -> Result<String, String> {
    let token = new_secret().map_err(|e| e.to_string())?;
    let new = NewEnrollmentToken {
        token_hash: crate::secrets::hash_secret(&token),
        coop: coop.to_owned(),
        party: PartyId::new(party),
        role,
        expires_at_ms: crate::now_ms().saturating_add(valid_ms),
    };
    storage.create_enrollment_token(new).await.map_err(|e| e.to_string())?;
    Ok(EnrollmentOffer::new(server_url, &token).map_err(|e| e.to_string())?.to_qr_text())
}
