//! Secrets: enrollment tokens and device credentials are 256-bit random values; only their
//! SHA-256 is stored (a fast hash suffices for high-entropy secrets; passwords would need argon2).

use sha2::{Digest, Sha256};

/// A new random secret, URL-safe base64 (43 characters): the same generator phones use for
/// their credentials.
pub use fieldtrace_core::sync::new_secret as generate_secret;

pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two hashes without an early exit, so timing does not reveal how much matched.
pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let a = generate_secret().expect("entropy");
        let b = generate_secret().expect("entropy");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(hashes_equal(&hash_secret(&a), &hash_secret(&a)));
        assert!(!hashes_equal(&hash_secret(&a), &hash_secret(&b)));
    }
}
