-- The code side: GitHub App installations, repositories, webhook deliveries, the code-event
-- feed, commits and per-file attribution.
--
-- Departure from the data model in ARCHITECTURE.md, which lists only `code_attribution`:
-- `commits` keeps one row per (repository, sha) with the commit's identities, its own
-- commit-level attribution and its status (pending, attributed, unavailable). The commit
-- page, the feed's AI filter and the repository overview read it instead of aggregating the
-- per-file rows; `ai_lines_added` (lines of files judged AI, confidence >= 0.5) is kept on it
-- for the same reason.

-- One row per installation of the GitHub App. `org_id` stays NULL until an organization
-- claims it. There is no per-installation secret: webhooks are signed with the App's one
-- secret, which lives in configuration.
CREATE TABLE github_installations (
    github_id      BIGINT PRIMARY KEY,
    account_login  TEXT NOT NULL,
    account_type   TEXT NOT NULL,
    org_id         TEXT REFERENCES organizations(id) ON DELETE SET NULL,
    suspended      BOOLEAN NOT NULL DEFAULT FALSE,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    claimed_at     BIGINT
);
CREATE INDEX github_installations_org ON github_installations(org_id);

CREATE TABLE repositories (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    github_id        BIGINT,
    installation_id  BIGINT,
    full_name        TEXT NOT NULL,
    default_branch   TEXT NOT NULL,
    clone_path       TEXT,
    settings         TEXT NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX repositories_full_name ON repositories(org_id, full_name);
CREATE UNIQUE INDEX repositories_github_id ON repositories(org_id, github_id);
CREATE INDEX repositories_installation ON repositories(installation_id);

-- Every webhook delivery as received (payload zstd-compressed), keyed by GitHub's delivery
-- GUID so a redelivery is recognised and not processed twice.
CREATE TABLE webhook_deliveries (
    delivery_id      TEXT PRIMARY KEY,
    event            TEXT NOT NULL,
    installation_id  BIGINT,
    org_id           TEXT,
    payload          BYTEA NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    error            TEXT,
    received_at      BIGINT NOT NULL,
    processed_at     BIGINT
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries(received_at);

-- Append-only. `dedup_key` makes inserts idempotent: `commit:<sha>` for commits (a push may
-- list a sha twice, and several pushes may carry the same commit), otherwise the kind with
-- the delivery (or, without one, the time and actor) and the pull request and sha.
CREATE TABLE code_events (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    occurred_at    BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    sha            TEXT,
    pr_number      BIGINT,
    environment    TEXT,
    delivery_id    TEXT,
    dedup_key      TEXT NOT NULL,
    details        TEXT NOT NULL,
    received_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX code_events_dedup ON code_events(repository_id, dedup_key);
CREATE INDEX code_events_feed ON code_events(repository_id, occurred_at DESC, id DESC);
CREATE INDEX code_events_deploys ON code_events(repository_id, environment, occurred_at)
    WHERE kind = 'deploy';

CREATE TABLE commits (
    repository_id       TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    sha                 TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    author_name         TEXT,
    author_email        TEXT,
    authored_at         BIGINT,
    author_offset       BIGINT,
    committer_name      TEXT,
    committer_email     TEXT,
    committed_at        BIGINT,
    committer_offset    BIGINT,
    subject             TEXT,
    parents             TEXT NOT NULL DEFAULT '[]',
    is_merge            BOOLEAN NOT NULL DEFAULT FALSE,
    lines_added         BIGINT NOT NULL DEFAULT 0,
    lines_deleted       BIGINT NOT NULL DEFAULT 0,
    ai_lines_added      BIGINT NOT NULL DEFAULT 0,
    status              TEXT NOT NULL,
    unavailable_reason  TEXT,
    ai_confidence       DOUBLE PRECISION,
    method              TEXT,
    tool                TEXT,
    signals             TEXT NOT NULL DEFAULT '[]',
    overridden_by       TEXT,
    overridden_at       BIGINT,
    attributed_at       BIGINT,
    PRIMARY KEY (repository_id, sha)
);
-- The overview reads a range of authored_at from this index alone.
CREATE INDEX commits_overview ON commits(repository_id, authored_at, status, is_merge,
    ai_confidence, lines_added, ai_lines_added, tool);
CREATE INDEX commits_author ON commits(repository_id, author_email, authored_at);

-- One row per (repository, commit, file). `authored_at` is the commit's, copied so that
-- the high-risk reads need no join.
CREATE TABLE code_attribution (
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    sha            TEXT NOT NULL,
    path           TEXT NOT NULL,
    org_id         TEXT NOT NULL,
    authored_at    BIGINT NOT NULL,
    ai_confidence  DOUBLE PRECISION NOT NULL,
    method         TEXT NOT NULL,
    tool           TEXT,
    signals        TEXT NOT NULL,
    lines_added    BIGINT NOT NULL,
    lines_deleted  BIGINT NOT NULL,
    risk_tier      TEXT NOT NULL,
    risk_score     DOUBLE PRECISION NOT NULL,
    explanation    TEXT NOT NULL,
    flagged        BOOLEAN NOT NULL,
    overridden_by  TEXT,
    overridden_at  BIGINT,
    computed_at    BIGINT NOT NULL,
    PRIMARY KEY (repository_id, sha, path)
);
-- The latest high-risk attribution of each path.
CREATE INDEX code_attribution_high_risk ON code_attribution(repository_id, path, authored_at,
    computed_at) WHERE risk_tier IN ('T3', 'T4');
-- Distinct high-risk paths changed in a range of time (the overview).
CREATE INDEX code_attribution_high_risk_time ON code_attribution(repository_id, authored_at,
    path) WHERE risk_tier IN ('T3', 'T4');
