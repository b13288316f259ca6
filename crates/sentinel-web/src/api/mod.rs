//! The `/api/v1` JSON API.
//!
//! Every handler takes a [`Principal`](crate::auth::Principal) and acts for its
//! organization only. Request bodies go through [`ApiJson`], so a malformed body is answered
//! with the same JSON error shape as every other failure.

pub mod alerts;
pub mod autopsies;
pub mod channels;
pub mod code;
pub mod code_mappings;
pub mod detections;
pub mod events;
pub mod incidents;
pub mod keys;
pub mod llm;
pub mod log_sources;
pub mod me;
pub mod monitors;
pub mod repositories;
pub mod rules;
pub mod services;

use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A list answer: `{"data": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

impl<T> DataList<T> {
    pub fn new(data: Vec<T>) -> Self {
        Self { data }
    }
}

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::auth::routes())
        .merge(me::routes())
        .merge(keys::routes())
        .merge(services::routes())
        .merge(channels::routes())
        .merge(rules::routes())
        .merge(alerts::routes())
        .merge(detections::routes())
        .merge(monitors::routes())
        .merge(repositories::routes())
        .merge(code::routes())
        .merge(code_mappings::routes())
        .merge(log_sources::routes())
        .merge(autopsies::routes())
        .merge(llm::routes())
}

/// A JSON request body whose rejection is an [`ApiError`] (400 with the usual body).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("expected a JSON body with `Content-Type: application/json`")
        }
        other => ApiError::bad_request(other.body_text()),
    }
}
