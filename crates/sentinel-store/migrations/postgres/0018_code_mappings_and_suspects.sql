-- How a service's stack frames find their files, and the commit each incident most likely
-- came from.

-- A service's stack-frame prefix and where it lives in a repository. A mapping with both
-- roots empty only links the service to the repository: frames are then read as
-- repository-relative paths, else matched by their longest suffix against the tree.
CREATE TABLE code_mappings (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id     TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    stack_root     TEXT NOT NULL,
    source_root    TEXT NOT NULL,
    branch         TEXT,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX code_mappings_unique ON code_mappings(service_id, repository_id, stack_root);

-- Departure from the data model in ARCHITECTURE.md, which puts the suspect commit on the
-- incident row: it lives beside it, one row per incident, so the ingest writer's incident
-- upserts stay as narrow as they are. The commit's attribution is copied, as the design asks.
CREATE TABLE incident_suspects (
    incident_id    TEXT PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    sha            TEXT NOT NULL,
    path           TEXT NOT NULL,
    line           BIGINT,
    -- The revision the search read (the release's commit, or the default branch).
    revision       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    author_name    TEXT,
    author_email   TEXT,
    authored_at    BIGINT,
    ai_confidence  DOUBLE PRECISION,
    method         TEXT,
    tool           TEXT,
    found_at       BIGINT NOT NULL
);
CREATE INDEX incident_suspects_commit ON incident_suspects(repository_id, sha);
