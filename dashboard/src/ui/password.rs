//! Manager sign-in secrets: passwords hashed with Argon2id (PHC strings, salt from the OS), and
//! optional TOTP second factors (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits — what every
//! authenticator app speaks).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha1::Sha1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the system random source failed: {0}")]
    Entropy(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// The PHC string of `password` (`$argon2id$v=19$m=…`), with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Entropy(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let hash =
        Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new 160-bit TOTP secret (RFC 4226 recommends 160 bits).
pub fn new_totp_secret() -> Result<Vec<u8>, PasswordError> {
    let mut secret = vec![0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| PasswordError::Entropy(e.to_string()))?;
    Ok(secret)
}

const STEP_S: i64 = 30;

/// The 6-digit code for `secret` in the 30-second step containing `unix_s`.
pub fn totp_code(secret: &[u8], unix_s: i64) -> String {
    let counter = unix_s.div_euclid(STEP_S) as u64;
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 §5.3).
    let offset = usize::from(digest[19] & 0x0f);
    let binary =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", binary % 1_000_000)
}

/// Accepts the code of the current step or one step either side (phones' clocks drift).
pub fn verify_totp(secret: &[u8], code: &str, unix_s: i64) -> bool {
    let code = code.trim();
    code.len() == 6 && (-1..=1).any(|step| totp_code(secret, unix_s + step * STEP_S) == code)
}

/// The `otpauth://` URI an authenticator app scans to add the account.
pub fn otpauth_uri(secret: &[u8], account: &str) -> String {
    let account: String =
        account.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    format!("otpauth://totp/FieldTrace:{account}?secret={}&issuer=FieldTrace&digits=6&period=30", base32(secret))
}

/// RFC 4648 base32 without padding, as authenticator apps expect.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_salt_and_verify() {
        let a = hash_password("猕猴桃-2026-secure").expect("hash");
        let b = hash_password("猕猴桃-2026-secure").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("猕猴桃-2026-secure", &a));
        assert!(!verify_password("猕猴桃-2026-Secure", &a));
        assert!(!verify_password("anything", "not a phc string"));
        assert!(matches!(hash_password("short"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890" (8-digit codes; we use the
        // low 6 digits, which is what a 6-digit generator yields).
        let secret = b"12345678901234567890";
        for (time, eight_digits) in
            [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")]
        {
            assert_eq!(totp_code(secret, time), eight_digits[2..], "t = {time}");
        }
        assert!(verify_totp(secret, "287082", 59 + 30), "one step late is accepted");
        assert!(!verify_totp(secret, "287082", 59 + 90), "three steps late is not");
        assert!(!verify_totp(secret, "28708", 59));
    }

    #[test]
    fn base32_and_otpauth() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert!(otpauth_uri(b"12345678901234567890", "zhao").contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
    }
}
