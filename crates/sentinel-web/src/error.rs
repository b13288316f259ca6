//! The one error type of the HTTP layer.
//!
//! Every failure a handler returns becomes an [`ApiError`]: a stable [`ErrorCode`] (listed
//! here and nowhere else), the HTTP status that code maps to, and a message for people. It is
//! logged once, when it becomes a response: server faults at WARN/ERROR, client faults at DEBUG.
//! The body is always `{"error": {"code": "...", "message": "..."}}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sentinel_store::StoreError;
use serde_json::json;

/// Stable machine-readable error codes. Clients may match on these strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request body or parameters are malformed.
    BadRequest,
    /// No credentials, or credentials that are wrong, expired or revoked.
    Unauthorized,
    /// Valid credentials without the role or scope the action needs.
    Forbidden,
    NotFound,
    /// The action conflicts with the current state (e.g. a disallowed status change).
    Conflict,
    /// The body is larger than the limit.
    PayloadTooLarge,
    /// The content encoding is not supported.
    UnsupportedMediaType,
    /// A rate limit or the ingest queue is exhausted; retry after `Retry-After` seconds.
    RateLimited,
    /// The database is unreachable or busy; retry later.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn rate_limited(retry_after_secs: u64, message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(ErrorCode::Unavailable, message)
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Conflict(msg) => ApiError::conflict(msg),
            StoreError::Unavailable(_) | StoreError::Busy(_) => {
                ApiError::unavailable(format!("storage temporarily unavailable: {err}"))
            }
            other => ApiError::internal(format!("storage error: {other}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            if self.code == ErrorCode::Unavailable {
                tracing::warn!(code = self.code.as_str(), message = %self.message, "request failed");
            } else {
                tracing::error!(code = self.code.as_str(), message = %self.message, "request failed");
            }
        } else {
            tracing::debug!(code = self.code.as_str(), message = %self.message, "request refused");
        }
        let body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_their_statuses() {
        assert_eq!(ErrorCode::Unauthorized.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(ErrorCode::Forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            ErrorCode::RateLimited.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(ErrorCode::Conflict.as_str(), "conflict");
    }

    #[test]
    fn rate_limited_answers_carry_retry_after() {
        let response = ApiError::rate_limited(7, "slow down").into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
    }
}
