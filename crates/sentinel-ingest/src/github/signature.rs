//! Webhook signature checks: GitHub signs every delivery with HMAC-SHA256 over the raw body,
//! keyed with the webhook secret, and sends it as `X-Hub-Signature-256: sha256=<hex>`.
//!
//! The legacy SHA-1 header (`X-Hub-Signature`) is never trusted on its own: a delivery that
//! carries only that one is refused with its own error, so the operator can tell a webhook
//! configured long ago from a forgery.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SHA256_PREFIX: &str = "sha256=";
/// Hex characters in a SHA-256 digest.
const DIGEST_HEX_LEN: usize = 64;

/// Why a delivery's signature was refused. Every variant means 401 and nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no X-Hub-Signature-256 header")]
    Missing,
    #[error("X-Hub-Signature-256 is not `sha256=` followed by 64 hex digits")]
    Malformed,
    #[error("only the SHA-1 X-Hub-Signature header was sent; SHA-256 is required")]
    Sha1Only,
    #[error("X-Hub-Signature-256 does not match the body under any configured secret")]
    Mismatch,
    #[error("no webhook secret is configured")]
    NoSecret,
}

/// Checks a delivery against every accepted secret (a global one and per-installation ones).
///
/// `signature_256` is the `X-Hub-Signature-256` value, `signature_sha1` the legacy
/// `X-Hub-Signature` value; `body` must be the raw request bytes, before any decoding.
/// Hex is accepted in either case; the digest comparison is constant time.
pub fn verify_signature(
    secrets: &[&[u8]],
    signature_256: Option<&str>,
    signature_sha1: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = match (signature_256.map(str::trim), signature_sha1) {
        (Some(value), _) if !value.is_empty() => value,
        (_, Some(sha1)) if !sha1.trim().is_empty() => return Err(SignatureError::Sha1Only),
        _ => return Err(SignatureError::Missing),
    };
    let digest = parse_header(header)?;
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // Every secret is tried even after a match would be found, so the time taken does not
    // say which secret (if any) was right.
    let mut matched = false;
    for secret in secrets {
        matched |= digest_matches(secret, body, &digest);
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `sha256=<hex>` value a secret gives for a body, lower-case as GitHub sends it.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = new_mac(secret);
    mac.update(body);
    format!(
        "{SHA256_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn parse_header(header: &str) -> Result<Vec<u8>, SignatureError> {
    let prefix = header.get(..SHA256_PREFIX.len()).unwrap_or_default();
    if !prefix.eq_ignore_ascii_case(SHA256_PREFIX) {
        return Err(SignatureError::Malformed);
    }
    let hex_digest = &header[SHA256_PREFIX.len()..];
    if hex_digest.len() != DIGEST_HEX_LEN {
        return Err(SignatureError::Malformed);
    }
    hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)
}

fn digest_matches(secret: &[u8], body: &[u8], digest: &[u8]) -> bool {
    let mut mac = new_mac(secret);
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(digest).is_ok()
}

fn new_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so this cannot fail.
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS_SECRET: &[u8] = b"It's a Secret to Everybody";
    const DOCS_BODY: &[u8] = b"Hello, World!";
    const DOCS_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn the_documented_vector_verifies_in_either_hex_case() {
        assert_eq!(sign(DOCS_SECRET, DOCS_BODY), DOCS_SIGNATURE);
        let upper = format!("sha256={}", DOCS_SIGNATURE[7..].to_ascii_uppercase());
        for header in [DOCS_SIGNATURE, upper.as_str()] {
            assert_eq!(
                verify_signature(&[DOCS_SECRET], Some(header), None, DOCS_BODY),
                Ok(())
            );
        }
    }

    #[test]
    fn any_configured_secret_may_match() {
        let secrets: [&[u8]; 2] = [b"installation secret", DOCS_SECRET];
        assert_eq!(
            verify_signature(&secrets, Some(DOCS_SIGNATURE), None, DOCS_BODY),
            Ok(())
        );
        assert_eq!(
            verify_signature(&secrets[..1], Some(DOCS_SIGNATURE), None, DOCS_BODY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn each_refusal_has_its_own_reason() {
        let check = |sig256, sha1| verify_signature(&[DOCS_SECRET], sig256, sha1, DOCS_BODY);
        assert_eq!(check(None, None), Err(SignatureError::Missing));
        assert_eq!(check(Some(""), None), Err(SignatureError::Missing));
        assert_eq!(
            check(None, Some("sha1=0123456789abcdef0123456789abcdef01234567")),
            Err(SignatureError::Sha1Only)
        );
        let too_short = &DOCS_SIGNATURE[..DOCS_SIGNATURE.len() - 2];
        let not_hex = format!("sha256={}", "zz".repeat(32));
        let sha1_prefix = DOCS_SIGNATURE.replace("sha256=", "sha1=");
        for malformed in [too_short, &not_hex, &sha1_prefix, &DOCS_SIGNATURE[7..]] {
            assert_eq!(check(Some(malformed), None), Err(SignatureError::Malformed));
        }
        assert_eq!(
            verify_signature(&[], Some(DOCS_SIGNATURE), None, DOCS_BODY),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(
            verify_signature(&[DOCS_SECRET], Some(DOCS_SIGNATURE), None, b"Hello, World?"),
            Err(SignatureError::Mismatch)
        );
    }
}
