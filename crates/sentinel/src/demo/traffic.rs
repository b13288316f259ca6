//! Demo traffic through the real endpoints: envelopes to the ingest URL of each DSN, and the
//! JSON API for creating services and resolving an incident.

use super::payloads::{bug_event, check_in, one_off_event, service_of, Bug, BUGS};
use anyhow::{anyhow, bail, Context};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where one service's events go.
struct Target {
    name: String,
    envelope_url: String,
    auth: String,
    dsn: String,
}

impl Target {
    fn from_dsn(name: &str, dsn: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(dsn).with_context(|| format!("not a DSN: {dsn}"))?;
        let key = url.username();
        if key.is_empty() {
            bail!("the DSN has no public key: {dsn}");
        }
        let path = url.path().trim_end_matches('/');
        let (prefix, project) = path.rsplit_once('/').unwrap_or(("", path));
        let host = url
            .host_str()
            .ok_or_else(|| anyhow!("the DSN has no host: {dsn}"))?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Self {
            name: name.to_string(),
            envelope_url: format!(
                "{}://{host}{port}{prefix}/api/{project}/envelope/",
                url.scheme()
            ),
            auth: format!(
                "Sentry sentry_version=7, sentry_key={key}, sentry_client=sentinel-demo/1.0"
            ),
            dsn: dsn.to_string(),
        })
    }
}

/// Sends the demo traffic and returns a summary.
pub async fn run(api_url: &str, dsn: &str, api_key: Option<&str>) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let api = api_url.trim_end_matches('/');
    let mut targets = vec![Target::from_dsn("checkout", dsn)?];
    let mut notes = Vec::new();
    match api_key {
        Some(key) => {
            for (name, platform) in [("search", "node"), ("worker", "python")] {
                let dsn = service_dsn(&http, api, key, name, platform).await?;
                targets.push(Target::from_dsn(name, &dsn)?);
            }
        }
        None => notes.push(
            "no --api-key: everything goes to one service, and the regression step is skipped"
                .to_string(),
        ),
    }
    let target_of = |bug: usize| &targets[service_of(bug).min(targets.len() - 1)];

    // Grouping bugs, in different amounts so the list has an order, plus one-offs.
    let mut envelopes: Vec<(usize, Value)> = Vec::new();
    for (index, bug) in BUGS.iter().enumerate() {
        let occurrences = 40 / (index as u64 + 1) + 3;
        for n in 0..occurrences {
            envelopes.push((index, bug_event(bug, n, now_secs(), release_of(n))));
        }
    }
    let grouped = envelopes.len();
    let mut sent = send_all(
        &http,
        envelopes
            .iter()
            .map(|(bug, e)| (target_of(*bug), item("event", e))),
    )
    .await?;
    let one_offs: Vec<Value> = (1..=5).map(|n| one_off_event(n, now_secs())).collect();
    sent += send_all(
        &http,
        one_offs.iter().map(|e| (&targets[0], item("event", e))),
    )
    .await?;

    // A failing cron monitor: it starts, then reports an error, a few nights running.
    let mut check_ins = Vec::new();
    for night in 0..3 {
        let id = format!("{:032x}", rand::random::<u128>());
        check_ins.push(check_in(&id, "in_progress", None));
        check_ins.push(check_in(
            &id,
            if night == 0 { "ok" } else { "error" },
            Some(12.5),
        ));
    }
    let worker = targets.last().unwrap_or(&targets[0]);
    let checked_in = send_all(
        &http,
        check_ins.iter().map(|c| (worker, item("check_in", c))),
    )
    .await?;

    // A regression: resolve the payment bug through the API, then it happens again.
    if let Some(key) = api_key {
        match regress(&http, api, key, &BUGS[2], target_of(2)).await {
            Ok(id) => notes.push(format!("incident {id} was resolved and then regressed")),
            Err(err) => notes.push(format!("regression step skipped: {err:#}")),
        }
    }

    let mut summary = format!(
        "Sent {sent} events ({grouped} of {} recurring bugs, 5 one-offs) and {checked_in} check-ins to {} service(s):\n",
        BUGS.len(),
        targets.len()
    );
    for target in &targets {
        summary.push_str(&format!("  {}: {}\n", target.name, target.dsn));
    }
    for note in notes {
        summary.push_str(&format!("Note: {note}\n"));
    }
    summary.push_str(&format!("Open {api}/incidents to look at them.\n"));
    Ok(summary)
}

fn release_of(n: u64) -> &'static str {
    if n.is_multiple_of(3) {
        "shop@2.0.9"
    } else {
        "shop@2.1.0"
    }
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One envelope with one item of `kind`.
fn item(kind: &str, payload: &Value) -> Vec<u8> {
    let body = payload.to_string();
    format!(
        "{{}}\n{{\"type\":\"{kind}\",\"length\":{}}}\n{body}\n",
        body.len()
    )
    .into_bytes()
}

/// Sends envelopes, eight at a time, and returns how many were accepted.
async fn send_all<'a>(
    http: &reqwest::Client,
    envelopes: impl Iterator<Item = (&'a Target, Vec<u8>)>,
) -> anyhow::Result<usize> {
    let results: Vec<anyhow::Result<()>> = stream::iter(envelopes)
        .map(|(target, body)| async move {
            let response = http
                .post(&target.envelope_url)
                .header("x-sentry-auth", &target.auth)
                .header("content-type", "application/x-sentry-envelope")
                .body(body)
                .send()
                .await
                .with_context(|| format!("sending to {}", target.envelope_url))?;
            if !response.status().is_success() {
                bail!(
                    "{} answered {}: {}",
                    target.envelope_url,
                    response.status(),
                    response.text().await.unwrap_or_default()
                );
            }
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut accepted = 0;
    for result in results {
        result?;
        accepted += 1;
    }
    Ok(accepted)
}

/// The DSN of the service `name`, created if it does not exist yet.
async fn service_dsn(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    name: &str,
    platform: &str,
) -> anyhow::Result<String> {
    let created = http
        .post(format!("{api}/api/v1/services"))
        .bearer_auth(key)
        .json(&json!({"name": name, "platform": platform}))
        .send()
        .await?;
    if created.status().is_success() {
        let body: Value = created.json().await?;
        return body["dsn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no dsn in {body}"));
    }
    if created.status() != reqwest::StatusCode::CONFLICT {
        bail!(
            "creating service {name}: {} {}",
            created.status(),
            created.text().await.unwrap_or_default()
        );
    }
    let list: Value = http
        .get(format!("{api}/api/v1/services"))
        .bearer_auth(key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = list["data"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name))
        .and_then(|s| s["id"].as_str())
        .ok_or_else(|| anyhow!("service {name} exists but is not listed"))?
        .to_string();
    let keys: Value = http
        .get(format!("{api}/api/v1/services/{id}/keys"))
        .bearer_auth(key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    keys["data"]
        .as_array()
        .and_then(|all| all.iter().find_map(|k| k["dsn"].as_str()))
        .map(str::to_string)
        .ok_or_else(|| anyhow!("service {name} has no DSN key"))
}

/// Waits for the bug's incident, resolves it through the API and sends the bug again.
async fn regress(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    bug: &Bug,
    target: &Target,
) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let id = loop {
        let list: Value = http
            .get(format!("{api}/api/v1/incidents"))
            .query(&[("q", bug.ty), ("status", "detected")])
            .bearer_auth(key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if let Some(id) = list["data"].get(0).and_then(|i| i["id"].as_str()) {
            break id.to_string();
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the {} incident did not appear", bug.ty);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    http.patch(format!("{api}/api/v1/incidents/{id}"))
        .bearer_auth(key)
        .json(&json!({"status": "resolved"}))
        .send()
        .await?
        .error_for_status()?;
    let again = bug_event(bug, 999, now_secs(), "shop@2.1.1");
    send_all(http, std::iter::once((target, item("event", &again)))).await?;
    Ok(id)
}
