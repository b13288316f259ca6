//! The one error type of the HTTP layer.
//!
//! Every failure a handler returns becomes an [`ApiError`]: a stable [`ErrorCode`] (listed
//! here and nowhere else), the HTTP status that code maps to, and a message for people. A
//! fault of ours never shows its cause: the answer says `internal error` (or that storage is
//! unavailable) and the cause travels, as a [`FailureDetail`] response extension, to the
//! request layer ([`crate::request_id`]), which logs it once with the request's id.
//! The body is always `{"error": {"code": "...", "message": "..."}}`; an `internal` answer
//! also carries `"request_id"`, so a report can be matched with the log line.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sentinel_store::StoreError;
use serde::Serialize;

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

/// The public message of every `internal` answer.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// The public message of every `unavailable` answer.
pub const UNAVAILABLE_MESSAGE: &str = "storage temporarily unavailable";

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// What the client is told.
    pub message: String,
    /// What went wrong, for the log only; never part of the answer.
    pub detail: Option<String>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
}

/// What the request layer logs about a failed answer: attached to the response by
/// [`ApiError::into_response`] and taken off again before the response leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureDetail {
    pub code: ErrorCode,
    pub message: String,
    pub detail: Option<String>,
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: ErrorBodyInner<'a>,
}

/// The `error` object of [`ErrorBody`]; fields in the order the answer has always had.
#[derive(Debug, Serialize)]
pub struct ErrorBodyInner<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
}

impl<'a> ErrorBody<'a> {
    pub fn new(code: ErrorCode, message: &'a str, request_id: Option<&'a str>) -> Self {
        Self {
            error: ErrorBodyInner {
                code: code.as_str(),
                message,
                request_id,
            },
        }
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
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

    /// Storage did not answer; `detail` is logged, the client is told to retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            detail: Some(detail.into()),
            ..Self::new(ErrorCode::Unavailable, UNAVAILABLE_MESSAGE)
        }
    }

    /// A fault of ours; `detail` is logged, the client only learns that it happened.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..Self::new(ErrorCode::Internal, INTERNAL_MESSAGE)
        }
    }

    /// The cause for the log: the detail when there is one, else the public message.
    pub fn log_text(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Conflict(msg) => ApiError::conflict(msg),
            StoreError::Unavailable(_) | StoreError::Busy(_) => {
                ApiError::unavailable(err.to_string())
            }
            other => ApiError::internal(format!("storage error: {other}")),
        }
    }
}

impl IntoResponse for ApiError {
    /// The answer without a request id; the request layer adds it to `internal` answers and
    /// logs the [`FailureDetail`] this attaches.
    fn into_response(self) -> Response {
        let status = self.code.status();
        let mut response =
            (status, Json(ErrorBody::new(self.code, &self.message, None))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response.extensions_mut().insert(FailureDetail {
            code: self.code,
            message: self.message,
            detail: self.detail,
        });
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// Log output captured for one test.
    #[derive(Clone, Default)]
    struct CapturedLog(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for CapturedLog {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl CapturedLog {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    async fn failing_store() -> Result<(), ApiError> {
        Err(StoreError::Corrupt("rule 01J: params: secret-column-detail".into()).into())
    }

    async fn refused() -> Result<(), ApiError> {
        Err(ApiError::not_found("no such rule"))
    }

    #[tokio::test]
    async fn a_store_failure_answers_internal_with_a_request_id_and_is_logged_once() {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/broken", get(failing_store))
            .route("/missing", get(refused))
            .layer(axum::middleware::from_fn(crate::request_id::assign));

        let response = app
            .clone()
            .oneshot(Request::get("/broken").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let header_id = response.headers()[crate::request_id::REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_string();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(!text.contains("secret-column-detail"), "{text}");
        assert!(!text.contains("corrupt"), "{text}");
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "internal",
                "message": "internal error",
                "request_id": header_id,
            }})
        );

        let logged = log.text();
        assert_eq!(
            logged.matches("secret-column-detail").count(),
            1,
            "{logged}"
        );
        let line = logged
            .lines()
            .find(|l| l.contains("secret-column-detail"))
            .unwrap();
        assert!(line.contains(&header_id), "{line}");
        assert!(line.contains("ERROR"), "{line}");

        // A refusal keeps its message and gets no request id in the body.
        let response = app
            .oneshot(Request::get("/missing").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.extensions().get::<FailureDetail>().is_none());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            &bytes[..],
            br#"{"error":{"code":"not_found","message":"no such rule"}}"#
        );
        assert_eq!(log.text().matches("no such rule").count(), 1);
    }

    #[test]
    fn unavailable_storage_does_not_show_the_driver_error() {
        let err = ApiError::unavailable("database unavailable: pool timed out on 10.0.0.7");
        assert_eq!(err.message, UNAVAILABLE_MESSAGE);
        assert!(err.log_text().contains("10.0.0.7"));
    }

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
