//! Secrets handed to people and browsers: API keys, session cookies and CSRF tokens.
//!
//! An API key looks like `snt_<8-char prefix>_<secret>`. The whole string is shown once; the
//! store keeps its SHA-256 (hex) and the visible `snt_<prefix>` so people can tell keys
//! apart. Session cookies and CSRF tokens are 256 random bits, URL-safe base64.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Every API key starts with this, so secret scanners and people recognise it.
pub const API_KEY_TAG: &str = "snt";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 40;

/// A freshly generated API key. `secret` is the only copy of the full key.
#[derive(Debug, Clone)]
pub struct GeneratedApiKey {
    /// The full key, e.g. `snt_ab12cd34_…`; shown once.
    pub secret: String,
    /// The visible part stored with the key, e.g. `snt_ab12cd34`.
    pub prefix: String,
    /// SHA-256 hex of `secret`.
    pub secret_hash: String,
}

/// Generates a new API key from the operating system's random source.
pub fn generate_api_key() -> GeneratedApiKey {
    let mut rng = rand::rngs::OsRng;
    let prefix_part = random_alphanumeric(&mut rng, PREFIX_LEN).to_lowercase();
    let secret_part = random_alphanumeric(&mut rng, SECRET_LEN);
    let prefix = format!("{API_KEY_TAG}_{prefix_part}");
    let secret = format!("{prefix}_{secret_part}");
    GeneratedApiKey {
        secret_hash: sha256_hex(&secret),
        prefix,
        secret,
    }
}

/// Whether a presented bearer token has the shape of one of our API keys. Checked before
/// the database is asked, so garbage costs nothing.
pub fn looks_like_api_key(token: &str) -> bool {
    let mut parts = token.splitn(3, '_');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(API_KEY_TAG), Some(prefix), Some(secret))
            if prefix.len() == PREFIX_LEN
                && !secret.is_empty()
                && token.len() <= 128
                && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    )
}

/// 256 random bits as URL-safe base64 (no padding): session cookie secrets, CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A DSN public key: 32 lowercase hex characters, as Sentry's are.
pub fn generate_dsn_public_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of `text` as lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two secrets without revealing, through timing, where they first differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn random_alphanumeric(rng: &mut impl Rng, len: usize) -> String {
    rng.sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let key = generate_api_key();
        assert!(key.secret.starts_with(&format!("{}_", key.prefix)));
        assert_eq!(key.prefix.len(), "snt_".len() + PREFIX_LEN);
        assert!(looks_like_api_key(&key.secret));
        assert_eq!(key.secret_hash, sha256_hex(&key.secret));
        assert_eq!(key.secret_hash.len(), 64);
        assert_ne!(generate_api_key().secret, key.secret);
    }

    #[test]
    fn malformed_tokens_are_recognised_without_the_database() {
        assert!(!looks_like_api_key(""));
        assert!(!looks_like_api_key("snt_short_secret"));
        assert!(!looks_like_api_key("abc_abcdefgh_secret"));
        assert!(!looks_like_api_key("snt_abcdefgh_"));
        assert!(!looks_like_api_key("snt_abcdefgh_sec ret"));
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(generate_dsn_public_key().len(), 32);
    }

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
