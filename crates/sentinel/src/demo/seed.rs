//! `sentinel demo --seed`: a large synthetic history written straight into the database
//! through [`write_events`], in big transactions, for benchmarks.
//!
//! Incidents get a long-tailed share of the events (a few very busy, most rare), spread
//! over the last 14 days; a fifth are resolved afterwards so status filters have work.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Exception, Frame, Level, Mechanism};
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_core::role::Role;
use sentinel_store::incidents::{write_events, CompressedPayload, IncidentSeed, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService, NewUser};
use sentinel_store::Store;
use std::time::{Duration, Instant};

const DAY_MS: Millis = 24 * 3_600_000;
/// Events per transaction: large enough that commits are rare, small enough to bound memory.
const BATCH: usize = 10_000;
const SERVICES: usize = 5;
/// The seeded organization and its owner.
pub const SEED_ORG_SLUG: &str = "seed";
pub const SEED_USER_EMAIL: &str = "seed@example.com";

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub incidents: u64,
    pub events: u64,
}

/// What a seed run wrote.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub org_id: OrgId,
    pub user_email: String,
    /// Set when this run created the user.
    pub password: Option<String>,
    pub incidents: u64,
    pub events: u64,
    pub elapsed: Duration,
}

impl SeedReport {
    pub fn summary(&self) -> String {
        let rate = self.events as f64 / self.elapsed.as_secs_f64().max(0.001);
        let mut text = format!(
            "Seeded {} incidents and {} events in {:.1} s ({rate:.0} events/s).\n",
            self.incidents,
            self.events,
            self.elapsed.as_secs_f64()
        );
        match &self.password {
            Some(password) => text.push_str(&format!(
                "Log in as {} with password {password} (shown once).\n",
                self.user_email
            )),
            None => text.push_str(&format!(
                "Log in as {} (created earlier).\n",
                self.user_email
            )),
        }
        text
    }
}

/// Writes `options.incidents` incidents with `options.events` events in total (at least one
/// each) into the organization `seed`, creating it, its owner and five services if needed.
pub async fn seed(store: &Store, now: Millis, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let (org_id, password) = seed_org(store, now).await?;
    let mut services = Vec::new();
    for i in 0..SERVICES {
        let name = format!("seed-api-{i}");
        let service = match store.find_service_by_name(&org_id, &name).await? {
            Some(service) => service,
            None => {
                store
                    .create_service(
                        &org_id,
                        &NewService {
                            name,
                            platform: "python".into(),
                        },
                        now,
                    )
                    .await?
            }
        };
        services.push(service.id);
    }
    let incidents = options.incidents.max(1);
    let events = options.events.max(incidents);
    let shares = long_tail(incidents, events);
    // A run tag keeps fingerprints and event ids of two seed runs apart.
    let run = ulid::Ulid::new().to_string().to_lowercase();
    let mut rng = StdRng::seed_from_u64(0x5e17);
    let mut batch: Vec<NewEvent> = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    let mut created: Vec<IncidentId> = Vec::new();
    for (index, share) in shares.iter().enumerate() {
        let service = &services[index % SERVICES];
        let first_seen = now - rng.gen_range(0..14 * DAY_MS);
        for n in 0..*share {
            let received_at = if n == 0 {
                first_seen
            } else {
                rng.gen_range(first_seen..=now)
            };
            batch.push(seed_event(
                &org_id,
                service,
                &run,
                index as u64,
                n,
                received_at,
            )?);
            if batch.len() >= BATCH {
                written += flush(store, &mut batch, now, &mut created).await?;
            }
        }
    }
    written += flush(store, &mut batch, now, &mut created).await?;
    for id in created.iter().step_by(5) {
        store
            .set_incident_status(&org_id, id, IncidentStatus::Resolved, now)
            .await?;
    }
    tracing::info!(incidents, events = written, "seeded");
    Ok(SeedReport {
        org_id,
        user_email: SEED_USER_EMAIL.to_string(),
        password,
        incidents,
        events: written,
        elapsed: started.elapsed(),
    })
}

/// The organization `seed` and its owner, created when missing (then with a new password).
async fn seed_org(store: &Store, now: Millis) -> anyhow::Result<(OrgId, Option<String>)> {
    let org = match store.get_organization_by_slug(SEED_ORG_SLUG).await? {
        Some(org) => org,
        None => {
            store
                .create_organization(
                    &NewOrganization {
                        slug: SEED_ORG_SLUG.into(),
                        name: "Seeded data".into(),
                    },
                    now,
                )
                .await?
        }
    };
    if store.find_user_by_email(SEED_USER_EMAIL).await?.is_some() {
        return Ok((org.id, None));
    }
    let password = sentinel_web::auth::password::generate_password();
    let to_hash = password.clone();
    let password_hash =
        tokio::task::spawn_blocking(move || sentinel_web::auth::password::hash_password(&to_hash))
            .await??;
    let user = store
        .create_user(
            &NewUser {
                email: SEED_USER_EMAIL.into(),
                name: "Seed".into(),
                password_hash,
            },
            now,
        )
        .await?;
    store
        .add_member(&org.id, &user.id, Role::Owner, now)
        .await?;
    Ok((org.id, Some(password)))
}

/// Splits `events` over `incidents` with weights 1/(rank+1)^0.9, every incident at least one.
fn long_tail(incidents: u64, events: u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..incidents)
        .map(|i| 1.0 / ((i + 1) as f64).powf(0.9))
        .collect();
    let total: f64 = weights.iter().sum();
    let spare = (events - incidents) as f64;
    let mut shares: Vec<u64> = weights
        .iter()
        .map(|w| 1 + (spare * w / total) as u64)
        .collect();
    let assigned: u64 = shares.iter().sum();
    // Rounding leaves a few over; the busiest incident takes them.
    if let Some(first) = shares.first_mut() {
        *first += events.saturating_sub(assigned);
    }
    shares
}

async fn flush(
    store: &Store,
    batch: &mut Vec<NewEvent>,
    now: Millis,
    created: &mut Vec<IncidentId>,
) -> anyhow::Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin().await?;
    let outcomes = write_events(&mut tx, batch, now).await?;
    tx.commit().await?;
    created.extend(
        outcomes
            .iter()
            .filter(|o| o.incident_created)
            .filter_map(|o| o.incident_id.clone()),
    );
    let written = outcomes.iter().filter(|o| !o.duplicate).count() as u64;
    batch.clear();
    Ok(written)
}

const TYPES: [(&str, &str, ErrorClass); 6] = [
    (
        "ValueError",
        "invalid literal for int() with base 10",
        ErrorClass::UnhandledException,
    ),
    ("KeyError", "missing key", ErrorClass::UnhandledException),
    ("TimeoutError", "upstream timed out", ErrorClass::Server5xx),
    ("PermissionDenied", "not allowed", ErrorClass::Client4xx),
    ("DatabaseError", "deadlock detected", ErrorClass::Server5xx),
    ("RuntimeError", "worker crashed", ErrorClass::Crash),
];

fn seed_event(
    org: &OrgId,
    service: &ServiceId,
    run: &str,
    incident: u64,
    n: u64,
    at: Millis,
) -> anyhow::Result<NewEvent> {
    let (ty, message, class) = TYPES[(incident % TYPES.len() as u64) as usize];
    let module = format!("app/module_{}.py", incident % 97);
    let function = format!("handle_{incident}");
    let release = format!("app@1.{}.0", incident % 20);
    let environment = if n.is_multiple_of(7) {
        "staging"
    } else {
        "production"
    };
    let event = Event {
        event_id: format!("{:032x}", rand::random::<u128>()),
        timestamp_ms: at,
        kind: EventKind::Error,
        platform: "python".into(),
        level: Level::Error,
        release: Some(release.clone()),
        environment: Some(environment.into()),
        exceptions: vec![Exception {
            ty: ty.into(),
            value: Some(format!("{message} ({n})")),
            mechanism: Some(Mechanism {
                ty: "generic".into(),
                handled: Some(false),
                ..Default::default()
            }),
            frames: vec![
                Frame {
                    filename: Some("framework/dispatch.py".into()),
                    function: Some("dispatch".into()),
                    lineno: Some(120),
                    in_app: Some(false),
                    ..Default::default()
                },
                Frame {
                    filename: Some(module.clone()),
                    function: Some(function.clone()),
                    lineno: Some(10 + (incident % 300) as u32),
                    in_app: Some(true),
                    pre_context: vec![
                        "def handler(request):".into(),
                        "    payload = request.json()".into(),
                    ],
                    context_line: Some("    return process(payload)".into()),
                    post_context: vec!["".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        tags: vec![(
            "browser".into(),
            if n.is_multiple_of(2) {
                "Firefox"
            } else {
                "Chrome"
            }
            .into(),
        )],
        ..Default::default()
    };
    Ok(NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: event.event_id.clone(),
        kind: EventKind::Error,
        received_at: at,
        timestamp: at,
        level: Level::Error,
        trace_id: None,
        release: Some(release.clone()),
        environment: Some(environment.into()),
        transaction_name: None,
        duration_ms: None,
        tags: vec![
            ("browser".into(), event.tags[0].1.clone()),
            ("release".into(), release),
            ("environment".into(), environment.into()),
        ],
        payload: CompressedPayload::compress(&serde_json::to_vec(&event)?)?,
        incident: Some(IncidentSeed {
            fingerprint: format!("seed-{run}-{incident}"),
            grouping_version: 1,
            title: format!("{ty}: {message} in {function}"),
            culprit: format!("{module} in {function}"),
            error_class: class,
            error_type: ty.into(),
            message: message.into(),
            severity: "error".into(),
            quiet: class == ErrorClass::Client4xx,
            min_occurrences: 1,
            trigger_route: Some(format!("/api/v1/items/{}", incident % 50)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::long_tail;

    #[test]
    fn shares_add_up_and_give_everyone_one() {
        let shares = long_tail(1000, 100_000);
        assert_eq!(shares.iter().sum::<u64>(), 100_000);
        assert!(shares.iter().all(|s| *s >= 1));
        assert!(shares[0] > shares[999] * 10, "a long tail");
    }
}
