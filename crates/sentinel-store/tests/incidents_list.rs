//! Listing incidents and events on both backends: filters, sorts and keyset pagination,
//! and the aggregates the dashboard shows beside a list.
#![allow(clippy::unwrap_used)]

mod incidents_support;
#[path = "incidents_support/list_aggregates.rs"]
mod list_aggregates;

use incidents_support::*;
use list_aggregates::*;
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_store::incidents::{IncidentQuery, IncidentSort, NewEvent};
use sentinel_store::{Store, StoreError};
use std::collections::HashSet;

/// Writes `count` events of a new incident, the last received at `last`, and returns it.
async fn incident_with(
    store: &Store,
    org: &OrgId,
    service: &ServiceId,
    fingerprint: &str,
    count: i64,
    last: i64,
    adjust: impl Fn(&mut NewEvent),
) -> IncidentId {
    let batch: Vec<_> = (0..count)
        .map(|i| {
            let mut event = error_event(
                org,
                service,
                &format!("{fingerprint}-{i}"),
                fingerprint,
                last - (count - 1 - i),
            );
            adjust(&mut event);
            event
        })
        .collect();
    let outcomes = write(store, &batch, last).await;
    outcomes[0].incident_id.clone().unwrap()
}

fn ids(items: &[sentinel_store::incidents::Incident]) -> Vec<IncidentId> {
    items.iter().map(|i| i.id.clone()).collect()
}

async fn filters_select_matching_incidents(store: Store) {
    let (org, web) = org_with_service(&store).await;
    let worker = add_service(&store, &org).await;
    let plain = incident_with(&store, &org, &web, "plain", 1, T0 + 10, |_| {}).await;
    let staging = incident_with(&store, &org, &web, "staging", 1, T0 + 20, |e| {
        e.environment = Some("staging".to_string());
        e.release = Some("2.0.0".to_string());
    })
    .await;
    let on_worker = incident_with(&store, &org, &worker, "worker", 1, T0 + 30, |e| {
        let seed = e.incident.as_mut().unwrap();
        seed.error_class = ErrorClass::Crash;
        seed.title = "SIGSEGV in Decoder".to_string();
    })
    .await;
    let with_message = incident_with(&store, &org, &web, "msg", 1, T0 + 40, |e| {
        e.incident.as_mut().unwrap().message = "Disk 100%_Full on /dev/sda".to_string();
    })
    .await;
    let quiet = incident_with(&store, &org, &web, "quiet", 1, T0 + 50, |e| {
        let seed = e.incident.as_mut().unwrap();
        seed.quiet = true;
        seed.error_class = ErrorClass::Client4xx;
    })
    .await;
    store
        .set_incident_status(&org, &plain, IncidentStatus::Resolved, T0 + 60)
        .await
        .unwrap();

    let list = |query: IncidentQuery| {
        let store = store.clone();
        let org = org.clone();
        async move { ids(&store.list_incidents(&org, &query).await.unwrap().items) }
    };

    // Default: every non-quiet incident, most recently seen first.
    assert_eq!(
        list(IncidentQuery::default()).await,
        vec![
            with_message.clone(),
            on_worker.clone(),
            staging.clone(),
            plain.clone()
        ]
    );
    let all = list(IncidentQuery {
        include_quiet: true,
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(all.first(), Some(&quiet));
    assert_eq!(all.len(), 5);

    let by_status = list(IncidentQuery {
        status: Some(vec![IncidentStatus::Resolved, IncidentStatus::Ignored]),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(by_status, vec![plain.clone()]);
    let by_service = list(IncidentQuery {
        service_id: Some(worker.clone()),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(by_service, vec![on_worker.clone()]);
    let by_environment = list(IncidentQuery {
        environment: Some("staging".to_string()),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(by_environment, vec![staging.clone()]);
    let by_release = list(IncidentQuery {
        release: Some("2.0.0".to_string()),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(by_release, vec![staging.clone()]);
    let by_class = list(IncidentQuery {
        error_class: Some(ErrorClass::Crash),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(by_class, vec![on_worker.clone()]);

    // Text: case-insensitive, over title and message, wildcards taken literally.
    let text = |text: &str| IncidentQuery {
        text: Some(text.to_string()),
        ..IncidentQuery::default()
    };
    assert_eq!(list(text("sigsegv")).await, vec![on_worker.clone()]);
    assert_eq!(list(text("100%_FULL")).await, vec![with_message.clone()]);
    assert!(list(text("100%full")).await.is_empty());
    // Unescaped, `_` would match "valueerror".
    assert!(list(text("e_r")).await.is_empty());
    // Filters combine.
    let combined = list(IncidentQuery {
        text: Some("went wrong".to_string()),
        environment: Some("production".to_string()),
        status: Some(vec![IncidentStatus::Detected]),
        ..IncidentQuery::default()
    })
    .await;
    assert_eq!(combined, vec![with_message, on_worker]);
}

async fn sorts_order_by_last_seen_first_seen_or_count(store: Store) {
    let (org, service) = org_with_service(&store).await;
    // old: seen first, 5 times, last at +100; new: seen at +200 only, twice; mid: 3 at +300.
    let old = incident_with(&store, &org, &service, "old", 5, T0 + 100, |_| {}).await;
    let new = incident_with(&store, &org, &service, "new", 2, T0 + 200, |_| {}).await;
    let mid = incident_with(&store, &org, &service, "mid", 3, T0 + 300, |_| {}).await;
    let sorted = |sort| {
        let store = store.clone();
        let org = org.clone();
        async move {
            let query = IncidentQuery {
                sort,
                ..IncidentQuery::default()
            };
            ids(&store.list_incidents(&org, &query).await.unwrap().items)
        }
    };
    assert_eq!(
        sorted(IncidentSort::LastSeen).await,
        vec![mid.clone(), new.clone(), old.clone()]
    );
    assert_eq!(
        sorted(IncidentSort::FirstSeen).await,
        vec![mid.clone(), new.clone(), old.clone()]
    );
    assert_eq!(sorted(IncidentSort::Count).await, vec![old, mid, new]);
}

async fn cursor_pages_are_stable_across_inserts(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let mut expected = Vec::new();
    for i in 0..7 {
        // Two incidents share each last_seen, so ties are broken by id.
        let at = T0 + (i / 2) * 10;
        expected
            .push(incident_with(&store, &org, &service, &format!("fp{i}"), 1, at, |_| {}).await);
    }
    for sort in [
        IncidentSort::LastSeen,
        IncidentSort::FirstSeen,
        IncidentSort::Count,
    ] {
        let mut query = IncidentQuery {
            sort,
            limit: 3,
            ..IncidentQuery::default()
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.list_incidents(&org, &query).await.unwrap();
            pages += 1;
            assert!(page.items.len() <= 3);
            seen.extend(ids(&page.items));
            if pages == 1 && sort == IncidentSort::LastSeen {
                // A new incident arriving between pages goes to the top: it neither
                // shifts later pages nor shows up twice.
                incident_with(&store, &org, &service, "late", 1, T0 + 1000, |_| {}).await;
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
            assert!(pages < 10, "pagination does not end");
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{sort:?}: no incident twice");
        for id in &expected {
            assert!(unique.contains(id), "{sort:?}: every incident listed");
        }
        if sort == IncidentSort::LastSeen {
            assert_eq!(seen.len(), 7, "the late incident is not on later pages");
            assert_eq!(pages, 3);
        }
    }
    // Exactly a full last page: no cursor to an empty page.
    let page = store
        .list_incidents(
            &org,
            &IncidentQuery {
                limit: 8,
                ..IncidentQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.next_cursor), (8, None));
}

/// Lists order by coarse keys (the minute of last_seen, the scale of the count) and then by
/// the value: across many keys, pages of two give exactly the order of the values, and the
/// stored keys, including those computed by migration 0009's SQL, are the core's.
async fn sorts_and_cursors_cross_coarse_keys(store: Store) {
    let (org, service) = org_with_service(&store).await;
    // Counts either side of scale steps and last_seen either side of minute boundaries,
    // shuffled against each other so the two orders differ.
    let shapes = [
        (1, 0),
        (9, 59_999),
        (10, 60_000),
        (11, 61_000),
        (19, 119_999),
        (20, 30_000),
        (21, 180_000),
        (99, 125_000),
        (100, 59_000),
        (101, 240_001),
        (3, 240_000),
        (30, 239_999),
    ];
    for (i, (count, offset)) in shapes.into_iter().enumerate() {
        incident_with(
            &store,
            &org,
            &service,
            &format!("k{i}"),
            count,
            T0 + offset,
            |_| {},
        )
        .await;
    }
    assert_sort_keys_current(&store).await;
    for sort in [IncidentSort::LastSeen, IncidentSort::Count] {
        let all = store
            .list_incidents(
                &org,
                &IncidentQuery {
                    sort,
                    limit: 100,
                    ..IncidentQuery::default()
                },
            )
            .await
            .unwrap()
            .items;
        let mut expected = all.clone();
        let key = |i: &sentinel_store::incidents::Incident| match sort {
            IncidentSort::Count => i.occurrence_count,
            _ => i.last_seen,
        };
        expected.sort_by(|a, b| key(b).cmp(&key(a)).then(b.id.cmp(&a.id)));
        assert_eq!(ids(&all), ids(&expected), "{sort:?}: one page");
        let mut query = IncidentQuery {
            sort,
            limit: 2,
            ..IncidentQuery::default()
        };
        let mut paged = Vec::new();
        loop {
            let page = store.list_incidents(&org, &query).await.unwrap();
            paged.extend(ids(&page.items));
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
            assert!(
                paged.len() <= shapes.len(),
                "{sort:?}: pagination does not end"
            );
        }
        assert_eq!(paged, ids(&expected), "{sort:?}: pages of two");
    }

    // Migration 0009 filled the keys of existing incidents with this SQL.
    run_sql(
        &store,
        "UPDATE incidents SET last_seen_minute = -1, count_scale = -1",
    )
    .await;
    run_sql(
        &store,
        "UPDATE incidents SET last_seen_minute = last_seen / 60000, \
         count_scale = length(CAST(occurrence_count AS TEXT)) * 10 \
         + CAST(substr(CAST(occurrence_count AS TEXT), 1, 1) AS INTEGER)",
    )
    .await;
    assert_sort_keys_current(&store).await;
}

async fn bad_cursors_are_refused(store: Store) {
    let (org, service) = org_with_service(&store).await;
    for i in 0..3 {
        incident_with(&store, &org, &service, &format!("fp{i}"), 1, T0 + i, |_| {}).await;
    }
    let first = store
        .list_incidents(
            &org,
            &IncidentQuery {
                limit: 1,
                ..IncidentQuery::default()
            },
        )
        .await
        .unwrap();
    let cursor = first.next_cursor.unwrap();
    let other_sort = IncidentQuery {
        sort: IncidentSort::Count,
        cursor: Some(cursor),
        ..IncidentQuery::default()
    };
    assert!(other_sort.check_cursor().is_err());
    assert!(matches!(
        store.list_incidents(&org, &other_sort).await,
        Err(StoreError::Corrupt(_))
    ));
    let garbage = IncidentQuery {
        cursor: Some("not-a-cursor".to_string()),
        ..IncidentQuery::default()
    };
    assert!(garbage.check_cursor().is_err());
    assert!(store.list_incidents(&org, &garbage).await.is_err());
}

async fn incident_events_page_newest_first(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let id = incident_with(&store, &org, &service, "fp", 5, T0 + 100, |_| {}).await;
    let mut cursor = None;
    let mut received = Vec::new();
    loop {
        let page = store
            .list_incident_events(&org, &id, cursor.as_deref(), 2)
            .await
            .unwrap();
        received.extend(page.items.iter().map(|e| e.received_at));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(received, vec![T0 + 100, T0 + 99, T0 + 98, T0 + 97, T0 + 96]);
    assert!(store
        .list_incident_events(&org, &id, Some("zz"), 2)
        .await
        .is_err());
}

sentinel_store::store_tests!(
    filters_select_matching_incidents,
    sorts_order_by_last_seen_first_seen_or_count,
    cursor_pages_are_stable_across_inserts,
    sorts_and_cursors_cross_coarse_keys,
    bad_cursors_are_refused,
    incident_events_page_newest_first,
    chip_counts_follow_every_filter_but_status,
    facets_list_latest_values_most_recently_seen_first,
    environment_and_release_filters_match_any_event_of_an_incident,
    no_index_of_incidents_holds_its_latest_release_or_environment,
    sparkline_counts_cover_listed_incidents_of_the_org_only,
);
