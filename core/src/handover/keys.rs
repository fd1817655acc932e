//! Device keys and the co-op's certificates for them.
//!
//! Each phone has an Ed25519 key pair, made from 32 bytes of OS randomness when it enrolls (or,
//! for a phone enrolled before keys existed, on its next sync). The server registers the public
//! key and signs a certificate with the co-op's own key: "in co-op C, device D of party P, role R,
//! holds public key K". The phone keeps its certificate and the co-op's public key, so two phones
//! can check each other's signatures with no network: the certificate travels in the QR.

use super::error::HandoverError;
use crate::model::{DeviceId, PartyId, Role};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const CERTIFICATE_DOMAIN: &str = "fieldtrace/device-certificate/v1";

/// A new Ed25519 secret key seed from the OS random source.
pub fn new_seed() -> Result<[u8; 32], getrandom::Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)?;
    Ok(seed)
}

/// The public key of the key pair made from `seed`.
pub fn public_key_of(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// Whether `key` is a usable Ed25519 public key (a valid curve point, not a weak one).
pub fn is_valid_public_key(key: &[u8; 32]) -> bool {
    VerifyingKey::from_bytes(key).is_ok_and(|k| !k.is_weak())
}

/// Signs `message` with the key made from `seed`.
pub fn sign(seed: &[u8; 32], message: &[u8]) -> Vec<u8> {
    SigningKey::from_bytes(seed).sign(message).to_bytes().to_vec()
}

/// Whether `signature` is `public_key`'s signature of `message` (strict: no malleable forms).
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else { return false };
    let Ok(signature) = Signature::from_slice(signature) else { return false };
    key.verify_strict(message, &signature).is_ok()
}

/// A signed message: the domain string keeps a signature of one kind of statement from ever
/// being valid for another.
pub(crate) fn message<T: Serialize>(domain: &str, body: &T) -> Vec<u8> {
    postcard::to_stdvec(&(domain, body)).unwrap_or_default()
}

pub fn to_base64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn key_from_base64(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(text.trim()).ok()?.try_into().ok()
}

/// The co-op server's statement that a device holds a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCertificate {
    pub coop: String,
    pub device: DeviceId,
    pub party: PartyId,
    pub role: Role,
    pub public_key: [u8; 32],
    /// Server time of the key's registration, UTC ms.
    pub issued_ms: i64,
    /// The co-op key's signature over the fields above.
    pub signature: Vec<u8>,
}

/// The certificate's compact binary form (inside QR codes and in the enrollment answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CertificateWire {
    coop: String,
    device: [u8; 16],
    party: String,
    role: String,
    public_key: [u8; 32],
    issued_ms: i64,
    signature: Vec<u8>,
}

#[derive(Serialize)]
struct CertificateBody<'a> {
    coop: &'a str,
    device: [u8; 16],
    party: &'a str,
    role: &'a str,
    public_key: [u8; 32],
    issued_ms: i64,
}

impl DeviceCertificate {
    /// Issues a certificate signed with the co-op key made from `coop_seed` (server side).
    pub fn issue(
        coop_seed: &[u8; 32],
        coop: &str,
        device: DeviceId,
        party: PartyId,
        role: Role,
        public_key: [u8; 32],
        issued_ms: i64,
    ) -> Self {
        let mut cert =
            Self { coop: coop.to_owned(), device, party, role, public_key, issued_ms, signature: Vec::new() };
        cert.signature = sign(coop_seed, &cert.signed_message());
        cert
    }

    fn signed_message(&self) -> Vec<u8> {
        message(
            CERTIFICATE_DOMAIN,
            &CertificateBody {
                coop: &self.coop,
                device: self.device.0.into_bytes(),
                party: self.party.as_str(),
                role: self.role.key(),
                public_key: self.public_key,
                issued_ms: self.issued_ms,
            },
        )
    }

    /// Checks the certificate against the co-op this phone belongs to and that co-op's key.
    pub fn check(&self, coop: &str, coop_key: &[u8; 32]) -> Result<(), HandoverError> {
        if self.coop != coop {
            return Err(HandoverError::WrongCoop { found: self.coop.clone(), expected: coop.to_owned() });
        }
        if !verify(coop_key, &self.signed_message(), &self.signature) {
            return Err(HandoverError::not_certified(
                self.device,
                "its certificate is not signed by this co-op's key (forged, altered or from another server)",
            ));
        }
        Ok(())
    }

    pub(crate) fn to_wire(&self) -> CertificateWire {
        CertificateWire {
            coop: self.coop.clone(),
            device: self.device.0.into_bytes(),
            party: self.party.0.clone(),
            role: self.role.key().to_owned(),
            public_key: self.public_key,
            issued_ms: self.issued_ms,
            signature: self.signature.clone(),
        }
    }

    pub(crate) fn from_wire(wire: CertificateWire) -> Result<Self, HandoverError> {
        let role = Role::from_key(&wire.role)
            .ok_or_else(|| HandoverError::QrInvalid(format!("certificate: unknown role {:?}", wire.role)))?;
        Ok(Self {
            coop: wire.coop,
            device: DeviceId(Uuid::from_bytes(wire.device)),
            party: PartyId(wire.party),
            role,
            public_key: wire.public_key,
            issued_ms: wire.issued_ms,
            signature: wire.signature,
        })
    }

    /// Base64url of the binary form: how the server hands it to the phone.
    pub fn to_base64(&self) -> String {
        to_base64(&postcard::to_stdvec(&self.to_wire()).unwrap_or_default())
    }

    pub fn from_base64(text: &str) -> Result<Self, HandoverError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|e| HandoverError::QrInvalid(format!("certificate is not base64url: {e}")))?;
        let wire: CertificateWire = postcard::from_bytes(&bytes)
            .map_err(|e| HandoverError::QrInvalid(format!("certificate does not decode: {e}")))?;
        Self::from_wire(wire)
    }
}
