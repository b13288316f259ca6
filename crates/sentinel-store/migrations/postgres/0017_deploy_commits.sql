-- What each deploy shipped: the commits its sha adds over the previous deploy of the same
-- environment. Departure from the data model in ARCHITECTURE.md, which keeps deploys only as
-- code events: the suspect-commit search asks "which deploy first shipped this sha", and a
-- row per (deploy, sha) answers it with an index instead of a graph walk per incident.

-- One row per linked deploy: where its range starts, how it was read and whether it was cut.
CREATE TABLE deploy_ranges (
    deploy_event_id     TEXT PRIMARY KEY REFERENCES code_events(id) ON DELETE CASCADE,
    repository_id       TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    org_id              TEXT NOT NULL,
    environment         TEXT NOT NULL,
    head_sha            TEXT NOT NULL,
    previous_deploy_id  TEXT,
    base_sha            TEXT,
    -- clone, github or unknown (neither could say; no commits listed).
    source              TEXT NOT NULL,
    commit_count        BIGINT NOT NULL,
    truncated           BOOLEAN NOT NULL,
    deployed_at         BIGINT NOT NULL,
    linked_at           BIGINT NOT NULL
);
CREATE INDEX deploy_ranges_repository ON deploy_ranges(repository_id, environment, deployed_at);

CREATE TABLE deploy_commits (
    deploy_event_id  TEXT NOT NULL REFERENCES deploy_ranges(deploy_event_id) ON DELETE CASCADE,
    repository_id    TEXT NOT NULL,
    sha              TEXT NOT NULL,
    -- 0 is the deploy's own sha, then older.
    position         BIGINT NOT NULL,
    deployed_at      BIGINT NOT NULL,
    PRIMARY KEY (deploy_event_id, sha)
);
CREATE INDEX deploy_commits_sha ON deploy_commits(repository_id, sha, deployed_at);
