//! `GET /incidents`: the filtered, sorted, paginated incident list with status chips and a
//! sparkline per row.

use super::format::{ago, count, sparkline, HtmlTime, Window};
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use sentinel_core::id::ServiceId;
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_store::incidents::{IncidentQuery, IncidentSort};
use serde::Deserialize;
use std::collections::HashMap;

/// The list's query string. Empty values (as forms send them) mean "no filter".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    quiet: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListParams {
    fn status(&self) -> &str {
        given(&self.status).unwrap_or("open")
    }

    /// The link to this list with one parameter changed (and the cursor dropped, since a
    /// different filter starts from the first page).
    fn with(&self, key: &str, value: &str) -> String {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("status", Some(self.status())),
            ("service", given(&self.service)),
            ("environment", given(&self.environment)),
            ("release", given(&self.release)),
            ("class", given(&self.class)),
            ("q", given(&self.q)),
            ("sort", given(&self.sort)),
            ("window", given(&self.window)),
            ("quiet", given(&self.quiet)),
        ];
        for (name, current) in pairs {
            let chosen = if name == key { Some(value) } else { current };
            if let Some(v) = chosen.filter(|v| !v.is_empty()) {
                serializer.append_pair(name, v);
            }
        }
        if key == "cursor" {
            serializer.append_pair("cursor", value);
        }
        format!("/incidents?{}", serializer.finish())
    }
}

const OPEN: [IncidentStatus; 6] = [
    IncidentStatus::Pending,
    IncidentStatus::Detected,
    IncidentStatus::Analyzing,
    IncidentStatus::Diagnosed,
    IncidentStatus::FixProposed,
    IncidentStatus::PrCreated,
];

pub struct Chip {
    label: String,
    count: String,
    href: String,
    active: bool,
}

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(
    values: impl IntoIterator<Item = (String, String)>,
    current: Option<&str>,
) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: current == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

pub struct Row {
    id: String,
    title: String,
    culprit: String,
    status: &'static str,
    class: &'static str,
    service: String,
    environment: String,
    release: String,
    events: String,
    first_seen: HtmlTime,
    last_seen: HtmlTime,
    last_seen_ago: String,
    spark: String,
    quiet: bool,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    layout: Layout,
    chips: Vec<Chip>,
    services: Vec<Choice>,
    environments: Vec<Choice>,
    releases: Vec<Choice>,
    classes: Vec<Choice>,
    sorts: Vec<Choice>,
    windows: Vec<Choice>,
    status: String,
    q: String,
    quiet: bool,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    window_label: &'static str,
}

/// `GET /incidents`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let now = state.clock.now_ms();
    let window = Window::parse(given(&params.window).unwrap_or("24h"));
    let statuses = match params.status() {
        "open" => Some(OPEN.to_vec()),
        "all" => None,
        other => Some(vec![IncidentStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == other)
            .ok_or_else(|| {
                PageError::BadRequest(format!("unknown status {other:?}"))
            })?]),
    };
    let sort = match given(&params.sort) {
        Some(text) => text
            .parse::<IncidentSort>()
            .map_err(|err| PageError::BadRequest(err.to_string()))?,
        None => IncidentSort::LastSeen,
    };
    let error_class = given(&params.class)
        .map(|text| {
            text.parse::<ErrorClass>()
                .map_err(|err| PageError::BadRequest(err.to_string()))
        })
        .transpose()?;
    let query = IncidentQuery {
        status: statuses,
        service_id: given(&params.service).map(|s| ServiceId::from_string(s.to_string())),
        environment: given(&params.environment).map(str::to_string),
        release: given(&params.release).map(str::to_string),
        error_class,
        text: given(&params.q).map(str::to_string),
        include_quiet: given(&params.quiet).is_some(),
        sort,
        cursor: given(&params.cursor).map(str::to_string),
        limit: 25,
    };
    if query.check_cursor().is_err() {
        return Err(PageError::BadRequest(
            "this page link is out of date; start again from the first page".into(),
        ));
    }
    let page = state.store.list_incidents(org, &query).await?;
    let counts = state.store.count_incidents_by_status(org, &query).await?;
    let services = state.store.list_services(org).await?;
    let facets = state.store.incident_facets(org).await?;
    let ids: Vec<_> = page.items.iter().map(|i| i.id.clone()).collect();
    let hourly = state
        .store
        .hourly_counts_for_incidents(org, &ids, window.since(now))
        .await?;

    let service_names: HashMap<_, _> = services
        .iter()
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    let count_of = |status: IncidentStatus| {
        counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    };
    let open_total: i64 = OPEN.iter().map(|s| count_of(*s)).sum();
    let all_total: i64 = counts.iter().map(|(_, n)| n).sum();
    let current = params.status().to_string();
    let mut chips = vec![Chip {
        label: "Open".into(),
        count: count(open_total),
        href: params.with("status", "open"),
        active: current == "open",
    }];
    for status in IncidentStatus::ALL {
        chips.push(Chip {
            label: status.as_str().replace('_', " "),
            count: count(count_of(status)),
            href: params.with("status", status.as_str()),
            active: current == status.as_str(),
        });
    }
    chips.push(Chip {
        label: "All".into(),
        count: count(all_total),
        href: params.with("status", "all"),
        active: current == "all",
    });

    let rows = page
        .items
        .iter()
        .map(|incident| Row {
            id: incident.id.as_str().to_string(),
            title: incident.title.clone(),
            culprit: incident.culprit.clone(),
            status: incident.status.as_str(),
            class: incident.error_class.as_str(),
            service: service_names
                .get(&incident.service_id)
                .cloned()
                .unwrap_or_default(),
            environment: incident.environment.clone().unwrap_or_default(),
            release: incident.release.clone().unwrap_or_default(),
            events: count(incident.occurrence_count),
            first_seen: HtmlTime(incident.first_seen),
            last_seen: HtmlTime(incident.last_seen),
            last_seen_ago: ago(now, incident.last_seen),
            spark: sparkline(
                hourly.get(&incident.id).map_or(&[][..], Vec::as_slice),
                now,
                window,
            ),
            quiet: incident.quiet,
        })
        .collect();

    let list_page = ListPage {
        layout: viewer.layout("Incidents", "incidents"),
        chips,
        services: choices(
            services
                .iter()
                .map(|s| (s.id.as_str().to_string(), s.name.clone())),
            given(&params.service),
        ),
        environments: choices(
            facets.environments.iter().map(|e| (e.clone(), e.clone())),
            given(&params.environment),
        ),
        releases: choices(
            facets.releases.iter().map(|r| (r.clone(), r.clone())),
            given(&params.release),
        ),
        classes: choices(
            ErrorClass::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), c.as_str().replace('_', " "))),
            given(&params.class),
        ),
        sorts: choices(
            [
                ("last_seen", "Last seen"),
                ("first_seen", "First seen"),
                ("count", "Most events"),
            ]
            .map(|(v, l)| (v.to_string(), l.to_string())),
            Some(sort.as_str()),
        ),
        windows: choices(
            [("24h", "24 hours"), ("14d", "14 days")].map(|(v, l)| (v.to_string(), l.to_string())),
            Some(window.as_str()),
        ),
        status: current,
        q: given(&params.q).unwrap_or_default().to_string(),
        quiet: query.include_quiet,
        rows,
        next_href: page
            .next_cursor
            .as_deref()
            .map(|c| params.with("cursor", c)),
        first_href: query
            .cursor
            .as_ref()
            .map(|_| params.with("status", params.status())),
        window_label: match window {
            Window::Day => "24 h",
            Window::TwoWeeks => "14 d",
        },
    };
    render(&list_page)
}
