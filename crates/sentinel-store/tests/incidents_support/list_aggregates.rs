//! What the dashboard's incident list reads beside its page: status-chip counts, the
//! environment/release facets and the batched sparkline rollups, each scoped to one
//! organization.

use crate::incident_with;
use crate::incidents_support::*;
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_store::dashboard::IncidentFacets;
use sentinel_store::incidents::IncidentQuery;
use sentinel_store::Store;
use std::collections::BTreeMap;

/// Chip counts by status name, so the assertions do not depend on row order.
async fn chips(
    store: &Store,
    org: &sentinel_core::id::OrgId,
    query: IncidentQuery,
) -> BTreeMap<&'static str, i64> {
    store
        .count_incidents_by_status(org, &query)
        .await
        .unwrap()
        .into_iter()
        .map(|(status, n)| (status.as_str(), n))
        .collect()
}

pub async fn chip_counts_follow_every_filter_but_status(store: Store) {
    let (org, web) = org_with_service(&store).await;
    let worker = add_service(&store, &org).await;
    incident_with(&store, &org, &web, "plain", 1, T0 + 10, |_| {}).await;
    incident_with(&store, &org, &web, "staging", 1, T0 + 20, |e| {
        e.environment = Some("staging".to_string());
        e.release = Some("2.0.0".to_string());
    })
    .await;
    let fixed = incident_with(&store, &org, &worker, "fixed", 1, T0 + 30, |e| {
        let seed = e.incident.as_mut().unwrap();
        seed.title = "TimeoutError: upstream timed out".to_string();
        seed.error_class = ErrorClass::Crash;
    })
    .await;
    incident_with(&store, &org, &web, "quiet", 1, T0 + 40, |e| {
        let seed = e.incident.as_mut().unwrap();
        seed.quiet = true;
        seed.error_class = ErrorClass::Client4xx;
    })
    .await;
    store
        .set_incident_status(&org, &fixed, IncidentStatus::Resolved, T0 + 50)
        .await
        .unwrap();
    // Another organization's incidents never count.
    let (other, other_service) = org_with_service(&store).await;
    incident_with(&store, &other, &other_service, "plain", 3, T0 + 10, |_| {}).await;

    let counts = |query| chips(&store, &org, query);
    assert_eq!(
        counts(IncidentQuery::default()).await,
        BTreeMap::from([("detected", 2), ("resolved", 1)])
    );
    // The list's own status filter does not narrow its chips.
    assert_eq!(
        counts(IncidentQuery {
            status: Some(vec![IncidentStatus::Resolved]),
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("detected", 2), ("resolved", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            include_quiet: true,
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("detected", 3), ("resolved", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            environment: Some("production".to_string()),
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("detected", 1), ("resolved", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            release: Some("2.0.0".to_string()),
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("detected", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            service_id: Some(worker.clone()),
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("resolved", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            error_class: Some(ErrorClass::Client4xx),
            include_quiet: true,
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("detected", 1)])
    );
    assert_eq!(
        counts(IncidentQuery {
            text: Some("TIMEOUT".to_string()),
            ..IncidentQuery::default()
        })
        .await,
        BTreeMap::from([("resolved", 1)])
    );
    assert!(counts(IncidentQuery {
        environment: Some("nowhere".to_string()),
        ..IncidentQuery::default()
    })
    .await
    .is_empty());
}

pub async fn facets_list_latest_values_most_recently_seen_first(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let at = |env: Option<&str>, release: Option<&str>| {
        let (env, release) = (env.map(str::to_string), release.map(str::to_string));
        move |e: &mut sentinel_store::incidents::NewEvent| {
            e.environment.clone_from(&env);
            e.release.clone_from(&release);
        }
    };
    let put = |fingerprint: &'static str, last, adjust| {
        let (store, org, service) = (store.clone(), org.clone(), service.clone());
        async move { incident_with(&store, &org, &service, fingerprint, 1, last, adjust).await }
    };
    put("a", T0 + 10 * MINUTE, at(Some("production"), Some("2.0.0"))).await;
    put("b", T0 + 30 * MINUTE, at(Some("staging"), Some("1.0.0"))).await;
    put("c", T0 + 40 * MINUTE, at(Some("qa"), Some("3.0.0"))).await;
    put("d", T0 + 20 * MINUTE, at(Some("production"), Some("1.0.0"))).await;
    // Incidents without either value add none; a quiet incident's values count.
    put("e", T0 + 50 * MINUTE, at(None, None)).await;
    incident_with(&store, &org, &service, "f", 1, T0 + 5 * MINUTE, |e| {
        e.environment = Some("load-test".to_string());
        e.release = Some("0.9.0".to_string());
        e.incident.as_mut().unwrap().quiet = true;
    })
    .await;
    let (other, other_service) = org_with_service(&store).await;
    incident_with(
        &store,
        &other,
        &other_service,
        "x",
        1,
        T0 + 60 * MINUTE,
        |e| {
            e.environment = Some("elsewhere".to_string());
            e.release = Some("9.9.9".to_string());
        },
    )
    .await;

    // Ordered by the minute of each value's latest last_seen: neither alphabetical nor by
    // insertion.
    assert_eq!(
        store.incident_facets(&org).await.unwrap(),
        IncidentFacets {
            environments: vec![
                "qa".to_string(),
                "staging".to_string(),
                "production".to_string(),
                "load-test".to_string(),
            ],
            releases: vec![
                "3.0.0".to_string(),
                "1.0.0".to_string(),
                "2.0.0".to_string(),
                "0.9.0".to_string(),
            ],
        }
    );
    // Values last seen in the same minute are ordered by name, whatever the milliseconds.
    put(
        "g",
        T0 + 40 * MINUTE + 30_000,
        at(Some("canary"), Some("3.0.1")),
    )
    .await;
    let facets = store.incident_facets(&org).await.unwrap();
    assert_eq!(facets.environments[..2], ["canary", "qa"]);
    assert_eq!(facets.releases[..2], ["3.0.0", "3.0.1"]);
    let empty = create_org(&store).await;
    assert_eq!(
        store.incident_facets(&empty).await.unwrap(),
        IncidentFacets::default()
    );
}

pub async fn sparkline_counts_cover_listed_incidents_of_the_org_only(store: Store) {
    let (org, service) = org_with_service(&store).await;
    // Events two hours ago, twice an hour ago and now; an unlisted incident's event now.
    let busy = incident_with(&store, &org, &service, "busy", 1, T0 - 2 * HOUR, |_| {}).await;
    let later = [T0 - HOUR + 1, T0 - HOUR + 2, T0];
    for (i, at) in later.into_iter().enumerate() {
        let event = error_event(&org, &service, &format!("busy-more-{i}"), "busy", at);
        write(&store, &[event], at).await;
    }
    let unlisted = incident_with(&store, &org, &service, "unlisted", 1, T0, |_| {}).await;
    let quiet_hours = incident_with(&store, &org, &service, "old", 1, T0 - 5 * HOUR, |_| {}).await;
    let (other, other_service) = org_with_service(&store).await;
    let foreign = incident_with(&store, &other, &other_service, "x", 1, T0, |_| {}).await;

    // `since` is rounded down to its hour.
    let since = T0 - HOUR + 5 * 60_000;
    let counts = store
        .hourly_counts_for_incidents(&org, &[busy.clone(), quiet_hours, foreign.clone()], since)
        .await
        .unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[&busy], vec![(T0 - HOUR, 2), (T0, 1)]);
    assert!(!counts.contains_key(&unlisted));

    let from_other = store
        .hourly_counts_for_incidents(&other, &[busy, foreign.clone()], T0 - 3 * HOUR)
        .await
        .unwrap();
    assert_eq!(from_other.len(), 1);
    assert_eq!(from_other[&foreign], vec![(T0, 1)]);
    assert!(store
        .hourly_counts_for_incidents(&org, &[], T0)
        .await
        .unwrap()
        .is_empty());
}

/// An incident seen in production and then in staging is listed and counted under both
/// environments (and both releases), as Sentry filters issues; its own columns still show
/// its latest event. The facets offer every value any event had.
pub async fn environment_and_release_filters_match_any_event_of_an_incident(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let at = |env: &'static str, release: &'static str| {
        move |e: &mut sentinel_store::incidents::NewEvent| {
            e.environment = Some(env.to_string());
            e.release = Some(release.to_string());
        }
    };
    let moved = incident_with(
        &store,
        &org,
        &service,
        "moved",
        2,
        T0,
        at("production", "1.0.0"),
    )
    .await;
    let production_only = incident_with(
        &store,
        &org,
        &service,
        "production-only",
        1,
        T0 + 5 * MINUTE,
        at("production", "1.0.0"),
    )
    .await;
    // A later batch: the existing incident's latest environment and release change.
    let mut later = error_event(&org, &service, "moved-later", "moved", T0 + 10 * MINUTE);
    at("staging", "1.1.0")(&mut later);
    write(&store, &[later], T0 + 10 * MINUTE).await;

    let latest = store.get_incident(&org, &moved).await.unwrap();
    assert_eq!(latest.environment.as_deref(), Some("staging"));
    assert_eq!(latest.release.as_deref(), Some("1.1.0"));

    let listed = |environment: Option<&str>, release: Option<&str>| {
        let query = IncidentQuery {
            environment: environment.map(str::to_string),
            release: release.map(str::to_string),
            ..IncidentQuery::default()
        };
        let (store, org) = (store.clone(), org.clone());
        async move {
            let page = store.list_incidents(&org, &query).await.unwrap();
            let ids: Vec<_> = page.items.into_iter().map(|i| i.id).collect();
            let counted = chips(&store, &org, query).await;
            (ids, counted)
        }
    };
    let both = vec![moved.clone(), production_only.clone()];
    let two = BTreeMap::from([("detected", 2)]);
    let one = BTreeMap::from([("detected", 1)]);
    assert_eq!(
        listed(Some("production"), None).await,
        (both.clone(), two.clone())
    );
    assert_eq!(
        listed(Some("staging"), None).await,
        (vec![moved.clone()], one.clone())
    );
    assert_eq!(listed(None, Some("1.0.0")).await, (both, two));
    assert_eq!(
        listed(None, Some("1.1.0")).await,
        (vec![moved.clone()], one.clone())
    );
    // Both filters must hold, each by some event.
    assert_eq!(
        listed(Some("staging"), Some("1.0.0")).await,
        (vec![moved.clone()], one)
    );
    assert_eq!(
        listed(Some("qa"), None).await,
        (Vec::new(), BTreeMap::new())
    );

    let latest_first = IncidentFacets {
        environments: vec!["staging".to_string(), "production".to_string()],
        releases: vec!["1.1.0".to_string(), "1.0.0".to_string()],
    };
    assert_eq!(store.incident_facets(&org).await.unwrap(), latest_first);
    // An event received earlier (staging at +1 min, production last seen at +5) does not
    // move a value's minute back.
    let mut late = error_event(&org, &service, "moved-late", "moved", T0 + MINUTE);
    at("staging", "1.1.0")(&mut late);
    write(&store, &[late], T0 + 11 * MINUTE).await;
    assert_eq!(store.incident_facets(&org).await.unwrap(), latest_first);
    let mut newer_production =
        error_event(&org, &service, "p-2", "production-only", T0 + 20 * MINUTE);
    at("production", "1.0.0")(&mut newer_production);
    write(&store, &[newer_production], T0 + 20 * MINUTE).await;
    let facets = store.incident_facets(&org).await.unwrap();
    assert_eq!(facets.environments, ["production", "staging"]);
    assert_eq!(facets.releases, ["1.0.0", "1.1.0"]);

    // Migration 0013 filled the facets of events stored before it with this SQL.
    let before = store.incident_facets(&org).await.unwrap();
    run_sql(&store, "DELETE FROM org_facet_values").await;
    assert_eq!(
        store.incident_facets(&org).await.unwrap(),
        IncidentFacets::default()
    );
    run_sql(
        &store,
        "INSERT INTO org_facet_values (org_id, facet, value, last_seen_minute) \
         SELECT i.org_id, t.key, t.value, MAX(t.last_seen) / 60000 \
         FROM incident_tags t JOIN incidents i ON i.id = t.incident_id \
         WHERE t.key IN ('environment', 'release') \
         GROUP BY i.org_id, t.key, t.value",
    )
    .await;
    assert_eq!(store.incident_facets(&org).await.unwrap(), before);
}

/// An incident's `release` and `environment` change whenever its events come from another
/// release or environment than the one before. An index holding either makes each such
/// event rewrite index entries, and keeps PostgreSQL from updating the row in place
/// (BENCHMARKS.md, "Ingest over HTTP", 2026-12-02 morning); the filters use the tag rollup.
pub async fn no_index_of_incidents_holds_its_latest_release_or_environment(store: Store) {
    use sentinel_store::Tx;
    let mut tx = store.begin().await.unwrap();
    let indexes: Vec<(String, String)> = match &mut tx {
        Tx::Sqlite(t) => sqlx::query_as(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'incidents' AND sql IS NOT NULL",
        )
        .fetch_all(&mut **t)
        .await
        .unwrap(),
        Tx::Postgres(t) => sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes \
             WHERE tablename = 'incidents' AND schemaname = current_schema()",
        )
        .fetch_all(&mut **t)
        .await
        .unwrap(),
    };
    assert!(
        indexes
            .iter()
            .any(|(name, _)| name == "incidents_org_status_quiet"),
        "{indexes:?}"
    );
    for (name, definition) in &indexes {
        let columns = definition.to_lowercase();
        let columns = columns.split_once('(').map_or("", |(_, rest)| rest);
        assert!(
            !columns.contains("environment") && !columns.contains("release"),
            "{name}: {definition}"
        );
    }
}
