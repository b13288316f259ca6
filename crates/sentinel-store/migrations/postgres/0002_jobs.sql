-- The durable job queue, cron schedules and named locks.
CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    org_id            TEXT,
    payload           TEXT NOT NULL DEFAULT '{}',
    status            TEXT NOT NULL DEFAULT 'available',
    attempt           BIGINT NOT NULL DEFAULT 0,
    max_attempts      BIGINT NOT NULL DEFAULT 20,
    run_at            BIGINT NOT NULL,
    lease_token       TEXT,
    lease_expires_at  BIGINT,
    worker            TEXT,
    dedup_key         TEXT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    finished_at       BIGINT
);
CREATE INDEX jobs_ready ON jobs(status, run_at);
CREATE INDEX jobs_lease ON jobs(status, lease_expires_at);
CREATE UNIQUE INDEX jobs_dedup_unfinished ON jobs(dedup_key)
    WHERE dedup_key IS NOT NULL AND status IN ('available', 'running', 'retryable');

CREATE TABLE schedules (
    name         TEXT PRIMARY KEY,
    next_run_at  BIGINT NOT NULL,
    last_run_at  BIGINT,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    token       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
