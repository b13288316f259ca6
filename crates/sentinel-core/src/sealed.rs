//! Secrets kept at rest under the server's key: an organization's provider API key is stored
//! only sealed (XChaCha20-Poly1305, a fresh random 24-byte nonce per seal, the owner's id as
//! associated data so a sealed value copied to another organization does not open).
//!
//! Sealed text is `v1.<base64 of nonce ‖ ciphertext ‖ tag>`. The server's key is 32 bytes,
//! configured as base64; without it nothing can be sealed and provider keys cannot be saved.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the server key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("the sealed value is damaged, or was sealed with another key or for another owner")]
    Unopenable,
}

/// The server's key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([REDACTED])")
    }
}

impl SealingKey {
    pub fn from_base64(encoded: &SecretString) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(encoded.expose_secret().trim())
            .map_err(|_| SealError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| SealError::BadKey)?;
        Ok(Self { cipher })
    }

    /// `secret` sealed for `owner` (an organization id).
    pub fn seal(&self, owner: &str, secret: &SecretString) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: owner.as_bytes(),
        };
        // Encryption fails only for messages beyond the cipher's limit (256 GiB).
        let ciphertext = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// The secret `sealed` holds, if it was sealed with this key for `owner`.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<SecretString, SealError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SealError::Unopenable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: owner.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| SealError::Unopenable)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SealError::Unopenable)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SealingKey {
        SealingKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_owner() {
        let secret = SecretString::from("sk-live-123456");
        let sealed = key(1).seal("org-a", &secret);
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("sk-live"));
        assert_eq!(
            key(1).open("org-a", &sealed).unwrap().expose_secret(),
            "sk-live-123456"
        );
        assert_eq!(
            key(2).open("org-a", &sealed).unwrap_err(),
            SealError::Unopenable
        );
        assert_eq!(
            key(1).open("org-b", &sealed).unwrap_err(),
            SealError::Unopenable
        );
        assert_eq!(
            key(1).open("org-a", "v1.AAAA").unwrap_err(),
            SealError::Unopenable
        );
        // A fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(sealed, key(1).seal("org-a", &secret));
    }

    #[test]
    fn keys_are_32_bytes_of_base64_and_never_shown() {
        let good = SecretString::from(STANDARD.encode([7u8; 32]));
        assert!(SealingKey::from_base64(&good).is_ok());
        let short = SecretString::from(STANDARD.encode([7u8; 16]));
        assert_eq!(
            SealingKey::from_base64(&short).unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(format!("{:?}", key(7)), "SealingKey([REDACTED])");
    }
}
