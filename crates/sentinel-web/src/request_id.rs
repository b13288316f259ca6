//! A request id for every request, and the one place failed answers are logged.
//!
//! [`assign`] gives each request a fresh ULID (in the request's extensions as [`RequestId`]
//! and in the `x-request-id` answer header). When the answer is an [`ApiError`], the error
//! left a [`FailureDetail`] on the response; this layer logs it once with the request id
//! (server faults at ERROR/WARN, refusals at DEBUG) and, for `internal`, rewrites the body
//! so the client gets the request id and never the cause.
//!
//! [`ApiError`]: crate::ApiError

use crate::error::{ErrorBody, ErrorCode, FailureDetail};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The answer header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of one request, as logged and as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The middleware: assigns the id, runs the request, logs a failure and hides its cause.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = RequestId::generate();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if let Some(failure) = response.extensions_mut().remove::<FailureDetail>() {
        log_failure(&failure, &id, &method, &path);
        if failure.code == ErrorCode::Internal {
            response = with_request_id(response, &failure, &id);
        }
    }
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn log_failure(failure: &FailureDetail, id: &RequestId, method: &Method, path: &str) {
    let code = failure.code.as_str();
    let cause = failure.detail.as_deref().unwrap_or(&failure.message);
    let request_id = id.as_str();
    match failure.code {
        ErrorCode::Internal => {
            tracing::error!(request_id, %method, path, code, cause, "request failed");
        }
        ErrorCode::Unavailable => {
            tracing::warn!(request_id, %method, path, code, cause, "request failed");
        }
        _ => {
            tracing::debug!(request_id, %method, path, code, cause, "request refused");
        }
    }
}

/// The same answer (status and headers) with a body that names the request id.
fn with_request_id(response: Response, failure: &FailureDetail, id: &RequestId) -> Response {
    let (mut parts, _) = response.into_parts();
    let body = ErrorBody::new(failure.code, &failure.message, Some(id.as_str()));
    let rebuilt = Json(body).into_response();
    let (rebuilt_parts, rebuilt_body) = rebuilt.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(content_type) = rebuilt_parts.headers.get(header::CONTENT_TYPE) {
        parts
            .headers
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    Response::from_parts(parts, rebuilt_body)
}
