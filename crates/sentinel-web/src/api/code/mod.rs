//! The code-intelligence reads of `/api/v1`: a repository's overview, its event feed, one
//! code event, one commit with each file's attribution (and a person's override of it), and
//! the high-risk files.
//!
//! Everything is scoped to the principal's organization: a repository, event or commit of
//! another organization answers 404, as one that does not exist. Query strings are parsed
//! here, not by serde, so an unknown or malformed parameter is a 400 with the usual JSON
//! error body. Lists are cursor-paged: `limit` (1 to 200, default 50) and `cursor` (the
//! previous page's `next_cursor`); answers are `{"data": [...], "next_cursor": ...}`.

pub mod commits;
pub mod events;
pub mod metrics;
pub mod overview;

use crate::{ApiError, AppState};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate};
use sentinel_core::clock::Millis;
use sentinel_core::code::Signal;
use serde::Serialize;

/// Rows per page when no `limit` is given.
pub const DEFAULT_PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/repositories/{id}/overview",
            get(overview::overview),
        )
        .route(
            "/api/v1/repositories/{id}/high-risk-files",
            get(overview::high_risk_files),
        )
        .route("/api/v1/repositories/{id}/events", get(events::list))
        .route("/api/v1/repositories/{id}/metrics", get(metrics::metrics))
        .route("/api/v1/code-events/{id}", get(events::show))
        .route(
            "/api/v1/repositories/{id}/commits/{sha}",
            get(commits::show).patch(commits::update),
        )
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// One piece of evidence, as answered.
#[derive(Debug, Clone, Serialize)]
pub struct SignalAnswer {
    pub name: String,
    pub weight: f64,
    pub evidence: String,
    /// The tool the signal names, if any.
    pub tool: Option<&'static str>,
}

impl From<&Signal> for SignalAnswer {
    fn from(signal: &Signal) -> Self {
        Self {
            name: signal.name.clone(),
            weight: signal.weight,
            evidence: signal.evidence.clone(),
            tool: signal.tool.map(|t| t.as_str()),
        }
    }
}

/// A query string's parameters, taken one by one so that every parameter is accounted
/// for: [`QueryParams::finish`] refuses any the handler did not ask about.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// The value of `name` (the last one when repeated), trimmed; `None` when absent or
    /// empty, as forms send "no filter".
    pub fn take(&mut self, name: &str) -> Option<String> {
        let mut found = None;
        self.pairs.retain(|(key, value)| {
            if key == name {
                found = Some(value.trim().to_string());
                false
            } else {
                true
            }
        });
        found.filter(|v| !v.is_empty())
    }

    /// `limit`, from 1 to the store's most, or the default page.
    pub fn limit(&mut self) -> Result<u32, ApiError> {
        let max = sentinel_store::code::MAX_CODE_PAGE;
        match self.take("limit") {
            None => Ok(DEFAULT_PAGE),
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad_request(format!(
                    "limit must be a number from 1 to {max}"
                ))),
            },
        }
    }

    /// Refuses the parameters nobody took.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError::bad_request(format!("unknown parameter {name:?}"))),
        }
    }
}

/// A point in time as a query parameter: milliseconds since the epoch, an RFC 3339 time
/// (`2026-11-01T00:00:00Z`) or a date (`2026-11-01`, midnight UTC).
pub fn parse_time(name: &str, text: &str) -> Result<Millis, ApiError> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.timestamp_millis());
    }
    if let Some(midnight) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(midnight.and_utc().timestamp_millis());
    }
    Err(ApiError::bad_request(format!(
        "{name} must be milliseconds since the epoch, an RFC 3339 time or a date (YYYY-MM-DD), \
         got {text:?}"
    )))
}

/// `true`/`false` (or `1`/`0`, or a form's `yes`/`no`).
pub fn parse_bool(name: &str, text: &str) -> Result<bool, ApiError> {
    match text {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be true or false, got {text:?}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_are_millis_rfc3339_or_dates() {
        assert_eq!(
            parse_time("from", "1700000000000").unwrap(),
            1_700_000_000_000
        );
        assert_eq!(
            parse_time("from", "2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000_000
        );
        assert_eq!(
            parse_time("from", "2023-11-14T23:13:20+01:00").unwrap(),
            1_700_000_000_000
        );
        assert_eq!(parse_time("to", "1970-01-02").unwrap(), 86_400_000);
        assert!(parse_time("to", "yesterday").is_err());
    }

    #[test]
    fn unknown_parameters_are_refused() {
        let mut params = QueryParams::parse(Some("type=commit&limit=5&colour=red"));
        assert_eq!(params.take("type").as_deref(), Some("commit"));
        assert_eq!(params.limit().unwrap(), 5);
        let refused = params.finish().unwrap_err();
        assert!(refused.message.contains("colour"));
        let mut empty = QueryParams::parse(Some("author=&limit=0"));
        assert_eq!(empty.take("author"), None);
        assert!(empty.limit().is_err());
        assert!(QueryParams::parse(None).finish().is_ok());
    }
}
