-- The log tailer: a service's log files (a path glob, a line format, a field mapping, a poll
-- interval) and, per file read, how far it has been read.

CREATE TABLE log_sources (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id        TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    path              TEXT NOT NULL,
    format            TEXT NOT NULL,
    -- JSON of the field mapping (sentinel_core::log_source::FieldMapping).
    fields            TEXT NOT NULL,
    poll_interval_ms  BIGINT NOT NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX log_sources_path ON log_sources(service_id, path);
CREATE INDEX log_sources_org ON log_sources(org_id);

-- One row per file a source has read, keyed by the file's identity (device and inode), so a
-- renamed file keeps its offset and a new file at the same path starts from its beginning.
-- `head` is the hex of the file's first bytes when it was first read: a reused inode, or a
-- file truncated and rewritten, no longer starts with them.
CREATE TABLE log_source_files (
    source_id    TEXT NOT NULL REFERENCES log_sources(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL,
    file_key     TEXT NOT NULL,
    path         TEXT NOT NULL,
    head         TEXT NOT NULL,
    read_offset  BIGINT NOT NULL,
    lines        BIGINT NOT NULL,
    errors       BIGINT NOT NULL,
    malformed    BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (source_id, file_key)
);
