//! The signal of a repository's finished day: its AI shares and verification tax beside the
//! same day a week earlier and the last seven days' total, for the code alert rules.

use crate::kinds::fire_signal;
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;
use sentinel_core::metrics::{Period, PeriodWindow};
use sentinel_store::code::Repository;
use sentinel_store::{Store, StoreResult};

/// Fires the day rules for `day` of `repository`; returns the alerts recorded.
pub(super) async fn fire_day_rules(
    store: &Store,
    engine: &RuleEngine,
    org: &OrgId,
    repository: &Repository,
    day: &PeriodWindow,
    now: Millis,
) -> StoreResult<usize> {
    let Some(signal) = day_signal(store, org, repository, day).await? else {
        return Ok(0);
    };
    Ok(fire_signal(store, engine, org, &signal, now).await?.len())
}

async fn day_signal(
    store: &Store,
    org: &OrgId,
    repository: &Repository,
    day: &PeriodWindow,
) -> StoreResult<Option<Signal>> {
    let date = day.date;
    let (Some(week_before), Some(six_before)) = (
        date.checked_sub_days(chrono_days(7)),
        date.checked_sub_days(chrono_days(6)),
    ) else {
        return Ok(None);
    };
    let last_seven = store
        .list_repo_metrics(
            org,
            &repository.id,
            Period::Day,
            &six_before.to_string(),
            &date.to_string(),
        )
        .await?;
    let Some(today) = last_seven.iter().find(|r| r.date == date.to_string()) else {
        return Ok(None);
    };
    let earlier = store
        .get_repo_metric(org, &repository.id, Period::Day, &week_before.to_string())
        .await?;
    let v = &today.values;
    let mut signal = Signal::new(
        signals::METRICS_DAY,
        format!("repository:{}", repository.id),
        format!("{} on {date}", repository.full_name),
    );
    signal
        .labels
        .insert("repository_id".into(), repository.id.to_string());
    signal.labels.insert("date".into(), date.to_string());
    if let Some(share) = v.ai_share_by_line {
        signal.facts.insert("ai_share_by_line".into(), share);
    }
    if let Some(share) = v.ai_share_by_commit {
        signal.facts.insert("ai_share_by_commit".into(), share);
    }
    signal
        .facts
        .insert("verification_tax_hours".into(), v.verification_tax_hours);
    signal.facts.insert(
        "verification_tax_hours_week_earlier".into(),
        earlier.map_or(0.0, |r| r.values.verification_tax_hours),
    );
    signal.facts.insert(
        "verification_tax_hours_7d".into(),
        last_seven
            .iter()
            .map(|r| r.values.verification_tax_hours)
            .sum(),
    );
    signal.summary = format!(
        "AI share {} by line, {} by commit; verification tax {:.1} h ({:.0} at {:.0}/h)",
        percent(v.ai_share_by_line),
        percent(v.ai_share_by_commit),
        v.verification_tax_hours,
        v.verification_tax_cost,
        today.hourly_rate,
    );
    Ok(Some(signal))
}

fn chrono_days(n: u64) -> sentinel_core::metrics::Days {
    sentinel_core::metrics::Days::new(n)
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "n/a".into(), |s| format!("{:.0}%", s * 100.0))
}
