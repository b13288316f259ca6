-- Engineering metrics: one row per (repository, period, date), where `date` is the local
-- first day of the period in the organization's time zone and `starts_at`/`ends_at` its
-- bounds in UTC milliseconds. A new attribution inside `[starts_at, ends_at)` sets `stale`,
-- and the next metrics run recomputes the row. Review saturation (hourly) and line survival
-- (weekly) are written by their own jobs into the rows of their day and week.
CREATE TABLE repo_metrics (
    repository_id              TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    org_id                     TEXT NOT NULL,
    period                     TEXT NOT NULL,
    date                       TEXT NOT NULL,
    starts_at                  INTEGER NOT NULL,
    ends_at                    INTEGER NOT NULL,
    time_zone                  TEXT NOT NULL,
    commits_human              INTEGER NOT NULL DEFAULT 0,
    commits_ai_declared        INTEGER NOT NULL DEFAULT 0,
    commits_ai_heuristic       INTEGER NOT NULL DEFAULT 0,
    lines_human                INTEGER NOT NULL DEFAULT 0,
    lines_ai_declared          INTEGER NOT NULL DEFAULT 0,
    lines_ai_heuristic         INTEGER NOT NULL DEFAULT 0,
    ai_share_by_commit         REAL,
    ai_share_by_line           REAL,
    prs_merged                 INTEGER NOT NULL DEFAULT 0,
    first_review_median_hours  REAL,
    first_review_p90_hours     REAL,
    merge_median_hours         REAL,
    merge_p90_hours            REAL,
    verification_tax_hours     REAL NOT NULL DEFAULT 0,
    verification_tax_cost      REAL NOT NULL DEFAULT 0,
    hourly_rate                REAL NOT NULL DEFAULT 150,
    high_risk_files            INTEGER NOT NULL DEFAULT 0,
    deploys                    INTEGER NOT NULL DEFAULT 0,
    incidents                  INTEGER NOT NULL DEFAULT 0,
    ai_incidents               INTEGER NOT NULL DEFAULT 0,
    review_saturation          REAL,
    survival_ai                REAL,
    survival_human             REAL,
    stale                      BOOLEAN NOT NULL DEFAULT FALSE,
    stale_at                   INTEGER,
    computed_at                INTEGER NOT NULL,
    PRIMARY KEY (repository_id, period, date)
);
CREATE INDEX repo_metrics_stale ON repo_metrics(repository_id, period, date) WHERE stale;
CREATE INDEX repo_metrics_bounds ON repo_metrics(repository_id, starts_at, ends_at);

-- Review times read a pull request's events by number.
CREATE INDEX code_events_pull_requests ON code_events(repository_id, pr_number, kind,
    occurred_at) WHERE pr_number IS NOT NULL;
CREATE INDEX code_events_kind_time ON code_events(repository_id, kind, occurred_at);
