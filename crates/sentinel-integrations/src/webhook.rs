//! Generic webhooks: a signed JSON POST that any receiver can verify.
//!
//! # Request
//! `POST <url>` with `Content-Type: application/json` and these headers:
//! - `X-Sentinel-Delivery`: the delivery id. Retries of one delivery reuse it, so receivers
//!   can drop duplicates.
//! - `X-Sentinel-Timestamp`: Unix seconds when this attempt was signed.
//! - `X-Sentinel-Signature`: `sha256=` followed by the lowercase hex HMAC-SHA256, keyed with
//!   the channel secret, of the bytes `<timestamp>.<raw body>` (the timestamp header value,
//!   one `.`, then the body exactly as received).
//!
//! # Verifying
//! Compute the HMAC over the raw body before parsing it, compare in constant time (see
//! [`verify_signature`]), and reject timestamps far from your own clock (five minutes is
//! usual) so a captured request cannot be replayed later. Redirects are not followed.
//!
//! # Body (version 1; fields are only ever added)
//! ```json
//! {
//!   "version": 1,
//!   "delivery_id": "01J...",
//!   "kind": "trigger",              // or "resolve"
//!   "title": "TypeError: x is undefined",
//!   "summary": "longer text, may be empty",
//!   "severity": "critical",         // critical | error | warning | info
//!   "link": "https://sentinel.example/incidents/01J...",   // or null
//!   "service": "checkout",
//!   "environment": "production",    // or null
//!   "class": "unhandled_exception", // or null
//!   "fields": [{ "name": "release", "value": "1.4.2" }],
//!   "dedup_key": "incident:01J...",
//!   "occurred_at": "2024-05-01T12:00:00.000Z"   // ISO 8601, UTC
//! }
//! ```
//! Any 2xx answer counts as delivered; 408, 429 and 5xx are retried (honouring
//! `Retry-After`); any other status is a permanent failure.

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;

use crate::error::ConfigError;
use crate::http::{parse_channel_url, HttpTransport};
use crate::notification::{iso8601, safe_link, Field, Notification};
use crate::outcome::DeliveryOutcome;

pub const DELIVERY_HEADER: &str = "x-sentinel-delivery";
pub const TIMESTAMP_HEADER: &str = "x-sentinel-timestamp";
pub const SIGNATURE_HEADER: &str = "x-sentinel-signature";
const SIGNATURE_PREFIX: &str = "sha256=";
/// The version of the body schema documented above.
pub const SCHEMA_VERSION: u32 = 1;

type HmacSha256 = Hmac<Sha256>;

pub use sentinel_core::channel::WebhookConfig;

/// Delivers notifications to one webhook receiver.
#[derive(Clone)]
pub struct WebhookClient {
    url: url::Url,
    secret: SecretString,
    http: HttpTransport,
}

impl std::fmt::Debug for WebhookClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookClient")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    version: u32,
    delivery_id: &'a str,
    kind: &'static str,
    title: &'a str,
    summary: &'a str,
    severity: &'static str,
    link: Option<String>,
    service: &'a str,
    environment: Option<&'a str>,
    class: Option<&'a str>,
    fields: &'a [Field],
    dedup_key: &'a str,
    occurred_at: String,
}

impl WebhookClient {
    pub fn new(config: &WebhookConfig, http: HttpTransport) -> Result<Self, ConfigError> {
        let url = parse_channel_url("url", &config.url)?;
        if config.secret.expose_secret().is_empty() {
            return Err(ConfigError::invalid("secret", "must not be empty"));
        }
        Ok(Self {
            url,
            secret: config.secret.clone(),
            http,
        })
    }

    /// Posts the signed notification; `delivery_id` goes out as `X-Sentinel-Delivery`.
    pub async fn deliver(&self, notification: &Notification, delivery_id: &str) -> DeliveryOutcome {
        let body = match webhook_body(notification, delivery_id) {
            Ok(body) => body,
            Err(e) => return DeliveryOutcome::permanent(format!("body not encodable: {e}")),
        };
        let timestamp = self.http.clock().now_ms().div_euclid(1000).to_string();
        let Some(signature) = sign(self.secret.expose_secret().as_bytes(), &timestamp, &body)
        else {
            return DeliveryOutcome::permanent("secret cannot key HMAC-SHA256");
        };
        let headers = [
            (DELIVERY_HEADER, delivery_id),
            (TIMESTAMP_HEADER, timestamp.as_str()),
            (SIGNATURE_HEADER, signature.as_str()),
        ];
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let Ok(value) = HeaderValue::from_str(value) else {
                return DeliveryOutcome::permanent(format!("{name} is not a valid header value"));
            };
            map.insert(HeaderName::from_static(name), value);
        }
        let (outcome, _) = self.http.post_json(&self.url, body, map).await;
        tracing::debug!(
            channel = "webhook",
            delivery_id,
            ?outcome,
            "delivery attempted"
        );
        outcome
    }
}

/// The version-1 body documented in the module docs.
pub(crate) fn webhook_body(n: &Notification, delivery_id: &str) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&WebhookBody {
        version: SCHEMA_VERSION,
        delivery_id,
        kind: n.kind.as_str(),
        title: &n.title,
        summary: &n.summary,
        severity: n.severity.as_str(),
        link: safe_link(n.link.as_deref()),
        service: &n.service,
        environment: n.environment.as_deref(),
        class: n.class.as_deref(),
        fields: &n.fields,
        dedup_key: &n.dedup_key,
        occurred_at: iso8601(n.occurred_at),
    })
}

fn keyed_mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `X-Sentinel-Signature` value for a body sent at `timestamp` (Unix seconds as text).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<String> {
    let mac = keyed_mac(secret, timestamp, body)?;
    Some(format!(
        "{SIGNATURE_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Whether `header` is the valid `X-Sentinel-Signature` for `body` sent with `timestamp`.
/// The comparison takes the same time wherever the first difference is. It does not judge
/// the timestamp's age: compare it with your own clock as well.
pub fn verify_signature(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix(SIGNATURE_PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    match keyed_mac(secret, timestamp, body) {
        Some(mac) => mac.verify_slice(&expected).is_ok(),
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_and_rejects_tampering() {
        let secret = b"It's a Secret to Everybody";
        let body = br#"{"a":1}"#;
        let Some(header) = sign(secret, "1700000000", body) else {
            panic!("hmac accepts any key");
        };
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert!(verify_signature(secret, "1700000000", body, &header));
        assert!(!verify_signature(secret, "1700000001", body, &header));
        assert!(!verify_signature(
            secret,
            "1700000000",
            br#"{"a":2}"#,
            &header
        ));
        assert!(!verify_signature(b"other", "1700000000", body, &header));
        assert!(!verify_signature(secret, "1700000000", body, &header[7..]));
        assert!(!verify_signature(secret, "1700000000", body, "sha256=zz"));
        assert!(!verify_signature(secret, "1700000000", body, "sha256="));
    }

    #[test]
    fn signature_matches_an_independently_computed_vector() {
        // HMAC-SHA256 keyed "whsec-test" over `1700000000.{"a":1}`, computed with another
        // HMAC implementation.
        assert_eq!(
            sign(b"whsec-test", "1700000000", br#"{"a":1}"#).as_deref(),
            Some("sha256=fed7a1a6c799a6367d73724d76bc70c16678908a32a879cd1ded6565ac05cece")
        );
    }
}
