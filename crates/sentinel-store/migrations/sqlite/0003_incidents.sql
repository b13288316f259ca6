-- Incidents, the events that make them up, and the rollups the API reads.
CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id        TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    fingerprint       TEXT NOT NULL,          -- SHA-256 hex
    grouping_version  INTEGER NOT NULL,
    title             TEXT NOT NULL,
    culprit           TEXT NOT NULL DEFAULT '',
    error_class       TEXT NOT NULL,
    error_type        TEXT NOT NULL DEFAULT '',
    message           TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    severity          TEXT NOT NULL DEFAULT 'error',
    quiet             BOOLEAN NOT NULL DEFAULT FALSE, -- outside the service's class filter
    occurrence_count  INTEGER NOT NULL DEFAULT 0,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    release           TEXT,
    environment       TEXT,
    trigger_route     TEXT,
    trace_id          TEXT,
    regression_count  INTEGER NOT NULL DEFAULT 0,
    resolved_at       INTEGER,
    updated_at        INTEGER NOT NULL,
    UNIQUE (service_id, fingerprint)
);
CREATE INDEX incidents_org_last_seen ON incidents(org_id, last_seen DESC);
CREATE INDEX incidents_org_status ON incidents(org_id, status, last_seen DESC);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    incident_id  TEXT,                       -- NULL for transactions
    event_id     TEXT NOT NULL,              -- the SDK's id
    kind         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    timestamp    INTEGER NOT NULL,
    level        TEXT NOT NULL,
    trace_id     TEXT,
    release      TEXT,
    environment  TEXT,
    transaction_name TEXT,
    duration_ms  REAL,
    tags         TEXT NOT NULL DEFAULT '[]',
    payload      BLOB NOT NULL,              -- zstd-compressed JSON of the normalised event
    UNIQUE (service_id, event_id)
);
CREATE INDEX events_incident ON events(incident_id, received_at DESC);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_org_event_id ON events(org_id, event_id);

CREATE TABLE incident_hourly (
    incident_id  TEXT NOT NULL,
    hour         INTEGER NOT NULL,           -- Unix ms at the start of the hour
    count        INTEGER NOT NULL,
    PRIMARY KEY (incident_id, hour)
);

CREATE TABLE incident_tags (
    incident_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    count        INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, key, value)
);

CREATE TABLE check_ins (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    service_id      TEXT NOT NULL,
    check_in_id     TEXT NOT NULL,
    monitor_slug    TEXT NOT NULL,
    status          TEXT NOT NULL,
    duration_ms     REAL,
    environment     TEXT,
    monitor_config  TEXT,
    received_at     INTEGER NOT NULL
);
CREATE INDEX check_ins_monitor ON check_ins(service_id, monitor_slug, received_at DESC);
