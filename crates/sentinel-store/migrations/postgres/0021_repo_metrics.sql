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
    starts_at                  BIGINT NOT NULL,
    ends_at                    BIGINT NOT NULL,
    time_zone                  TEXT NOT NULL,
    commits_human              BIGINT NOT NULL DEFAULT 0,
    commits_ai_declared        BIGINT NOT NULL DEFAULT 0,
    commits_ai_heuristic       BIGINT NOT NULL DEFAULT 0,
    lines_human                BIGINT NOT NULL DEFAULT 0,
    lines_ai_declared          BIGINT NOT NULL DEFAULT 0,
    lines_ai_heuristic         BIGINT NOT NULL DEFAULT 0,
    ai_share_by_commit         DOUBLE PRECISION,
    ai_share_by_line           DOUBLE PRECISION,
    prs_merged                 BIGINT NOT NULL DEFAULT 0,
    first_review_median_hours  DOUBLE PRECISION,
    first_review_p90_hours     DOUBLE PRECISION,
    merge_median_hours         DOUBLE PRECISION,
    merge_p90_hours            DOUBLE PRECISION,
    verification_tax_hours     DOUBLE PRECISION NOT NULL DEFAULT 0,
    verification_tax_cost      DOUBLE PRECISION NOT NULL DEFAULT 0,
    hourly_rate                DOUBLE PRECISION NOT NULL DEFAULT 150,
    high_risk_files            BIGINT NOT NULL DEFAULT 0,
    deploys                    BIGINT NOT NULL DEFAULT 0,
    incidents                  BIGINT NOT NULL DEFAULT 0,
    ai_incidents               BIGINT NOT NULL DEFAULT 0,
    review_saturation          DOUBLE PRECISION,
    survival_ai                DOUBLE PRECISION,
    survival_human             DOUBLE PRECISION,
    stale                      BOOLEAN NOT NULL DEFAULT FALSE,
    stale_at                   BIGINT,
    computed_at                BIGINT NOT NULL,
    PRIMARY KEY (repository_id, period, date)
);
CREATE INDEX repo_metrics_stale ON repo_metrics(repository_id, period, date) WHERE stale;
CREATE INDEX repo_metrics_bounds ON repo_metrics(repository_id, starts_at, ends_at);

-- Review times read a pull request's events by number.
CREATE INDEX code_events_pull_requests ON code_events(repository_id, pr_number, kind,
    occurred_at) WHERE pr_number IS NOT NULL;
CREATE INDEX code_events_kind_time ON code_events(repository_id, kind, occurred_at);
