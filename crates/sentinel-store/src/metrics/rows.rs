//! `repo_metrics` rows: written under a fenced lock, read as a time series, marked stale by
//! new attributions inside their range.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{MetricValues, Period, PeriodWindow};

/// Which row: a repository, a period and the local first day of it (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricsKey {
    pub org_id: OrgId,
    pub repository_id: RepositoryId,
    pub period: Period,
    pub date: String,
}

/// One stored row.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoMetricRow {
    pub repository_id: RepositoryId,
    pub period: Period,
    pub date: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub time_zone: String,
    pub values: MetricValues,
    pub hourly_rate: f64,
    /// The latest hourly reading within the row's range (day rows).
    pub review_saturation: Option<f64>,
    /// Line survival of AI and human lines (week rows).
    pub survival_ai: Option<f64>,
    pub survival_human: Option<f64>,
    pub stale: bool,
    pub computed_at: Millis,
}

/// A computed row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMetricRow {
    pub window: PeriodWindow,
    pub time_zone: String,
    pub values: MetricValues,
    pub hourly_rate: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    repository_id: String,
    period: String,
    date: String,
    starts_at: i64,
    ends_at: i64,
    time_zone: String,
    commits_human: i64,
    commits_ai_declared: i64,
    commits_ai_heuristic: i64,
    lines_human: i64,
    lines_ai_declared: i64,
    lines_ai_heuristic: i64,
    ai_share_by_commit: Option<f64>,
    ai_share_by_line: Option<f64>,
    prs_merged: i64,
    first_review_median_hours: Option<f64>,
    first_review_p90_hours: Option<f64>,
    merge_median_hours: Option<f64>,
    merge_p90_hours: Option<f64>,
    verification_tax_hours: f64,
    verification_tax_cost: f64,
    hourly_rate: f64,
    high_risk_files: i64,
    deploys: i64,
    incidents: i64,
    ai_incidents: i64,
    review_saturation: Option<f64>,
    survival_ai: Option<f64>,
    survival_human: Option<f64>,
    stale: bool,
    computed_at: i64,
}

const COLUMNS: &str = "repository_id, period, date, starts_at, ends_at, time_zone, \
    commits_human, commits_ai_declared, commits_ai_heuristic, lines_human, lines_ai_declared, \
    lines_ai_heuristic, ai_share_by_commit, ai_share_by_line, prs_merged, \
    first_review_median_hours, first_review_p90_hours, merge_median_hours, merge_p90_hours, \
    verification_tax_hours, verification_tax_cost, hourly_rate, high_risk_files, deploys, \
    incidents, ai_incidents, review_saturation, survival_ai, survival_human, stale, computed_at";

impl TryFrom<Row> for RepoMetricRow {
    type Error = StoreError;

    fn try_from(r: Row) -> StoreResult<Self> {
        let period = r
            .period
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("repo_metrics period: {e}")))?;
        Ok(Self {
            repository_id: RepositoryId::from_string(r.repository_id),
            period,
            date: r.date,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            time_zone: r.time_zone,
            values: MetricValues {
                commits_human: r.commits_human,
                commits_ai_declared: r.commits_ai_declared,
                commits_ai_heuristic: r.commits_ai_heuristic,
                lines_human: r.lines_human,
                lines_ai_declared: r.lines_ai_declared,
                lines_ai_heuristic: r.lines_ai_heuristic,
                ai_share_by_commit: r.ai_share_by_commit,
                ai_share_by_line: r.ai_share_by_line,
                prs_merged: r.prs_merged,
                first_review_median_hours: r.first_review_median_hours,
                first_review_p90_hours: r.first_review_p90_hours,
                merge_median_hours: r.merge_median_hours,
                merge_p90_hours: r.merge_p90_hours,
                verification_tax_hours: r.verification_tax_hours,
                verification_tax_cost: r.verification_tax_cost,
                high_risk_files: r.high_risk_files,
                deploys: r.deploys,
                incidents: r.incidents,
                ai_incidents: r.ai_incidents,
            },
            hourly_rate: r.hourly_rate,
            review_saturation: r.review_saturation,
            survival_ai: r.survival_ai,
            survival_human: r.survival_human,
            stale: r.stale,
            computed_at: r.computed_at,
        })
    }
}

/// Whether `token` still holds lock `name` at `now`, inside `tx`. The no-op update takes the
/// lock row's write lock on PostgreSQL, so a rival cannot take the lock over until `tx` ends.
pub(crate) async fn holds_lock_in(
    tx: &mut Tx,
    name: &str,
    token: &str,
    now: Millis,
) -> StoreResult<bool> {
    let held = tx!(tx, |conn| {
        sqlx::query(
            "UPDATE locks SET expires_at = expires_at \
             WHERE name = $1 AND token = $2 AND expires_at > $3",
        )
        .bind(name)
        .bind(token)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    });
    Ok(held > 0)
}

impl Store {
    /// Writes computed rows of one repository if `token` still holds lock `lock` at `now`;
    /// returns false (and writes nothing) when it does not. A row already there is replaced,
    /// keeping its saturation and survival; it stops being stale unless it was marked stale
    /// after `started_at` (an attribution that arrived while it was computed).
    pub async fn write_repo_metrics_fenced(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        rows: &[NewMetricRow],
        (lock, token): (&str, &str),
        started_at: Millis,
        now: Millis,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if !holds_lock_in(&mut tx, lock, token, now).await? {
            return Ok(false);
        }
        for row in rows {
            let v = &row.values;
            tx!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO repo_metrics (repository_id, org_id, period, date, starts_at, \
                     ends_at, time_zone, commits_human, commits_ai_declared, \
                     commits_ai_heuristic, lines_human, lines_ai_declared, lines_ai_heuristic, \
                     ai_share_by_commit, ai_share_by_line, prs_merged, \
                     first_review_median_hours, first_review_p90_hours, merge_median_hours, \
                     merge_p90_hours, verification_tax_hours, verification_tax_cost, \
                     hourly_rate, high_risk_files, deploys, incidents, ai_incidents, stale, \
                     computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                     $27, FALSE, $28) \
                     ON CONFLICT (repository_id, period, date) DO UPDATE SET \
                     starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
                     time_zone = excluded.time_zone, commits_human = excluded.commits_human, \
                     commits_ai_declared = excluded.commits_ai_declared, \
                     commits_ai_heuristic = excluded.commits_ai_heuristic, \
                     lines_human = excluded.lines_human, \
                     lines_ai_declared = excluded.lines_ai_declared, \
                     lines_ai_heuristic = excluded.lines_ai_heuristic, \
                     ai_share_by_commit = excluded.ai_share_by_commit, \
                     ai_share_by_line = excluded.ai_share_by_line, \
                     prs_merged = excluded.prs_merged, \
                     first_review_median_hours = excluded.first_review_median_hours, \
                     first_review_p90_hours = excluded.first_review_p90_hours, \
                     merge_median_hours = excluded.merge_median_hours, \
                     merge_p90_hours = excluded.merge_p90_hours, \
                     verification_tax_hours = excluded.verification_tax_hours, \
                     verification_tax_cost = excluded.verification_tax_cost, \
                     hourly_rate = excluded.hourly_rate, \
                     high_risk_files = excluded.high_risk_files, deploys = excluded.deploys, \
                     incidents = excluded.incidents, ai_incidents = excluded.ai_incidents, \
                     computed_at = excluded.computed_at, \
                     stale = CASE WHEN repo_metrics.stale_at > $29 THEN repo_metrics.stale \
                        ELSE FALSE END",
                )
                .bind(repository.as_str())
                .bind(org.as_str())
                .bind(row.window.period.as_str())
                .bind(row.window.date.to_string())
                .bind(row.window.starts_at)
                .bind(row.window.ends_at)
                .bind(&row.time_zone)
                .bind(v.commits_human)
                .bind(v.commits_ai_declared)
                .bind(v.commits_ai_heuristic)
                .bind(v.lines_human)
                .bind(v.lines_ai_declared)
                .bind(v.lines_ai_heuristic)
                .bind(v.ai_share_by_commit)
                .bind(v.ai_share_by_line)
                .bind(v.prs_merged)
                .bind(v.first_review_median_hours)
                .bind(v.first_review_p90_hours)
                .bind(v.merge_median_hours)
                .bind(v.merge_p90_hours)
                .bind(v.verification_tax_hours)
                .bind(v.verification_tax_cost)
                .bind(row.hourly_rate)
                .bind(v.high_risk_files)
                .bind(v.deploys)
                .bind(v.incidents)
                .bind(v.ai_incidents)
                .bind(now)
                .bind(started_at)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The rows of one repository and period whose first day is within `from..=to`
    /// (`YYYY-MM-DD`), oldest first.
    pub async fn list_repo_metrics(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        period: Period,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<RepoMetricRow>> {
        let rows: Vec<Row> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM repo_metrics WHERE repository_id = $1 AND org_id = $2 \
                 AND period = $3 AND date >= $4 AND date <= $5 ORDER BY date"
            ))
            .bind(repository.as_str())
            .bind(org.as_str())
            .bind(period.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RepoMetricRow::try_from).collect()
    }

    /// One row, if computed.
    pub async fn get_repo_metric(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        period: Period,
        date: &str,
    ) -> StoreResult<Option<RepoMetricRow>> {
        Ok(self
            .list_repo_metrics(org, repository, period, date, date)
            .await?
            .into_iter()
            .next())
    }

    /// Up to `limit` stale rows of `repository`, oldest first.
    pub async fn stale_repo_metrics(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        limit: i64,
    ) -> StoreResult<Vec<MetricsKey>> {
        let rows: Vec<(String, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT period, date FROM repo_metrics WHERE repository_id = $1 AND stale \
                 AND org_id = $2 ORDER BY date, period LIMIT $3",
            )
            .bind(repository.as_str())
            .bind(org.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(period, date)| {
                Ok(MetricsKey {
                    org_id: org.clone(),
                    repository_id: repository.clone(),
                    period: period
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("repo_metrics period: {e}")))?,
                    date,
                })
            })
            .collect()
    }

    /// Marks stale the rows of `repository` whose range overlaps `[from, to]`.
    pub async fn mark_repo_metrics_stale(
        &self,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let marked = mark_stale_in(&mut tx, repository, from, to, now).await?;
        tx.commit().await?;
        Ok(marked)
    }

    /// Sets the latest review saturation reading of the day row `window` (creating a stale
    /// row for it when the day has none yet, which the metrics job then fills in).
    pub async fn set_review_saturation(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        window: &PeriodWindow,
        time_zone: &str,
        saturation: Option<f64>,
        now: Millis,
    ) -> StoreResult<()> {
        let target = ExtraTarget {
            org,
            repository,
            window,
            time_zone,
        };
        self.set_extra(&target, &[("review_saturation", saturation)], now)
            .await
    }

    /// Sets line survival (AI, human) on the week row `window`.
    pub async fn set_line_survival(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        window: &PeriodWindow,
        time_zone: &str,
        (ai, human): (Option<f64>, Option<f64>),
        now: Millis,
    ) -> StoreResult<()> {
        let target = ExtraTarget {
            org,
            repository,
            window,
            time_zone,
        };
        self.set_extra(
            &target,
            &[("survival_ai", ai), ("survival_human", human)],
            now,
        )
        .await
    }

    async fn set_extra(
        &self,
        target: &ExtraTarget<'_>,
        values: &[(&str, Option<f64>)],
        now: Millis,
    ) -> StoreResult<()> {
        let names: Vec<&str> = values.iter().map(|(name, _)| *name).collect();
        let placeholders: Vec<String> = (0..values.len()).map(|i| format!("${}", i + 9)).collect();
        let updates: Vec<String> = names
            .iter()
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        let sql = format!(
            "INSERT INTO repo_metrics (repository_id, org_id, period, date, starts_at, \
             ends_at, time_zone, computed_at, stale, {}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, {}) \
             ON CONFLICT (repository_id, period, date) DO UPDATE SET {}",
            names.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        );
        write!(self, |pool| {
            let mut query = sqlx::query(&sql)
                .bind(target.repository.as_str())
                .bind(target.org.as_str())
                .bind(target.window.period.as_str())
                .bind(target.window.date.to_string())
                .bind(target.window.starts_at)
                .bind(target.window.ends_at)
                .bind(target.time_zone)
                .bind(now);
            for (_, value) in values {
                query = query.bind(*value);
            }
            query.execute(pool).await?.rows_affected()
        });
        Ok(())
    }
}

/// The row a saturation or survival reading goes to.
struct ExtraTarget<'a> {
    org: &'a OrgId,
    repository: &'a RepositoryId,
    window: &'a PeriodWindow,
    time_zone: &'a str,
}

/// Marks stale, inside `tx`, the rows of `repository` overlapping `[from, to]`.
pub(crate) async fn mark_stale_in(
    tx: &mut Tx,
    repository: &RepositoryId,
    from: Millis,
    to: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let marked = tx!(tx, |conn| {
        sqlx::query(
            "UPDATE repo_metrics SET stale = TRUE, stale_at = $4 \
             WHERE repository_id = $1 AND starts_at <= $3 AND ends_at > $2",
        )
        .bind(repository.as_str())
        .bind(from)
        .bind(to)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    });
    Ok(marked)
}
