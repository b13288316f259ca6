//! What became of one delivery attempt, and the rules that decide it from an HTTP answer.
//!
//! The delivery job acts on [`DeliveryOutcome`] alone: `Delivered` completes it, `Retry`
//! schedules another attempt (no sooner than `after` when the receiver said so), `Permanent`
//! discards it because sending the same request again cannot succeed.

use std::time::Duration;

use sentinel_core::clock::Millis;

/// The longest wait a receiver's `Retry-After` may impose; longer answers are capped so a
/// misbehaving receiver cannot park a delivery for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The result of one attempt to deliver one notification to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver accepted it. `status` is the HTTP status or the SMTP reply code.
    Delivered { status: u16 },
    /// It may succeed later: network trouble, a timeout, 5xx, 429 or an SMTP 4xx reply.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// It will never succeed as configured: a 4xx other than 408/429, an SMTP 5xx reply.
    Permanent { reason: String },
}

impl DeliveryOutcome {
    pub fn is_delivered(&self) -> bool {
        matches!(self, Self::Delivered { .. })
    }

    pub(crate) fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            after: None,
            reason: reason.into(),
        }
    }

    pub(crate) fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }
}

/// The parts of an HTTP answer that decide an outcome.
#[derive(Debug, Clone)]
pub(crate) struct HttpAnswer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    /// The start of the body, for the reason text.
    pub body: String,
}

/// Classifies an HTTP answer the same way for every HTTP channel:
/// 2xx delivered; 429, 408 and 5xx retry (honouring `Retry-After`); 3xx permanent because
/// redirects are never followed; every other status permanent.
pub(crate) fn classify_http(answer: &HttpAnswer, now_ms: Millis) -> DeliveryOutcome {
    let status = answer.status;
    let body = answer.body.trim();
    let reason = if body.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {body}")
    };
    let after = || {
        answer
            .retry_after
            .as_deref()
            .and_then(|value| parse_retry_after(value, now_ms))
    };
    match status {
        200..=299 => DeliveryOutcome::Delivered { status },
        429 | 408 | 500..=599 => DeliveryOutcome::Retry {
            after: after(),
            reason,
        },
        300..=399 => DeliveryOutcome::permanent(format!(
            "HTTP {status}: redirect to {} not followed; configure the final URL",
            answer.location.as_deref().unwrap_or("(no Location)")
        )),
        400..=499 => DeliveryOutcome::permanent(reason),
        _ => DeliveryOutcome::retry(reason),
    }
}

/// Reads a `Retry-After` value: delay seconds, or an HTTP date measured against `now_ms`.
/// A date in the past means "now" (zero); unreadable values are ignored.
pub fn parse_retry_after(value: &str, now_ms: Millis) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit still means "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let at_ms = at
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())?;
        let wait_ms = at_ms.saturating_sub(now_ms).max(0);
        Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> HttpAnswer {
        HttpAnswer {
            status,
            retry_after: retry_after.map(str::to_owned),
            location: None,
            body: String::new(),
        }
    }

    const NOW: Millis = 1_700_000_000_000;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(
            parse_retry_after("120", NOW),
            Some(Duration::from_secs(120))
        );
        let in_90s = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + Duration::from_millis((NOW + 90_000) as u64),
        );
        assert_eq!(
            parse_retry_after(&in_90s, NOW),
            Some(Duration::from_secs(90))
        );
        // The obsolete RFC 850 form is still an HTTP date.
        assert_eq!(
            parse_retry_after("Tuesday, 14-Nov-23 22:13:50 GMT", NOW),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", NOW), None);
        assert_eq!(parse_retry_after("", NOW), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", NOW),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn options_are_configured_in_milliseconds() {
        let http: crate::HttpOptions =
            serde_json::from_str(r#"{"connect_timeout_ms": 250}"#).unwrap();
        assert_eq!(http.connect_timeout, Duration::from_millis(250));
        assert_eq!(
            http.request_timeout,
            crate::HttpOptions::default().request_timeout
        );
        let smtp: crate::SmtpOptions =
            serde_json::from_str(r#"{"total_timeout_ms": 1500}"#).unwrap();
        assert_eq!(smtp.total_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(
            classify_http(&answer(202, None), NOW),
            DeliveryOutcome::Delivered { status: 202 }
        );
        assert!(matches!(
            classify_http(&answer(429, Some("7")), NOW),
            DeliveryOutcome::Retry { after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            classify_http(&answer(503, None), NOW),
            DeliveryOutcome::Retry { after: None, .. }
        ));
        assert!(matches!(
            classify_http(&answer(408, None), NOW),
            DeliveryOutcome::Retry { .. }
        ));
        assert!(matches!(
            classify_http(&answer(404, None), NOW),
            DeliveryOutcome::Permanent { .. }
        ));
        assert!(matches!(
            classify_http(&answer(302, None), NOW),
            DeliveryOutcome::Permanent { .. }
        ));
    }
}
