-- Notification channels, alert rules, alerts with per-channel deliveries, detections and
-- cron monitors.
CREATE TABLE notification_channels (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,               -- slack, pagerduty, email, webhook
    config      TEXT NOT NULL,               -- JSON, secrets included; never served as is
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX notification_channels_org ON notification_channels(org_id);

CREATE TABLE alert_rules (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    params       TEXT NOT NULL DEFAULT '{}',
    severity     TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    channel_ids  TEXT NOT NULL DEFAULT '[]',  -- JSON array; empty means every enabled channel
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX alert_rules_org_kind ON alert_rules(org_id, kind);

-- Organizations whose default rules were created once (deleting one keeps it deleted).
CREATE TABLE alert_rule_defaults (
    org_id      TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE alerts (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    rule_id           TEXT NOT NULL,
    rule_kind         TEXT NOT NULL,
    scope             TEXT NOT NULL,
    service_id        TEXT,
    incident_id       TEXT,
    detection_id      TEXT,
    severity          TEXT NOT NULL,
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL DEFAULT '',
    value             REAL,
    threshold         REAL,
    dedup_key         TEXT NOT NULL,
    occurrence_count  INTEGER NOT NULL DEFAULT 1,
    triggered_at      INTEGER NOT NULL,
    last_triggered_at INTEGER NOT NULL,
    sent_at           INTEGER,
    acknowledged_at   INTEGER,
    acknowledged_by   TEXT
);
CREATE INDEX alerts_org_triggered ON alerts(org_id, triggered_at DESC);
CREATE INDEX alerts_org_dedup ON alerts(org_id, dedup_key, triggered_at DESC);
CREATE INDEX alerts_incident ON alerts(incident_id);

CREATE TABLE alert_deliveries (
    alert_id      TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    channel_id    TEXT NOT NULL,
    action        TEXT NOT NULL,              -- trigger, resolve
    status        TEXT NOT NULL,              -- pending, delivered, retrying, failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    delivered_at  INTEGER,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (alert_id, channel_id, action)
);

CREATE TABLE detections (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id        TEXT,
    kind              TEXT NOT NULL,          -- HIGH_ERROR_COUNT, SERVICE_STALL, ...
    severity          TEXT NOT NULL,
    title             TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '{}',
    dedup_key         TEXT NOT NULL,
    occurrence_count  INTEGER NOT NULL DEFAULT 1,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    resolved_at       INTEGER,
    resolved_by       TEXT,
    resolution        TEXT
);
CREATE UNIQUE INDEX detections_open_dedup ON detections(org_id, dedup_key) WHERE resolved_at IS NULL;
CREATE INDEX detections_org_seen ON detections(org_id, last_seen DESC);

CREATE TABLE monitors (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id          TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    slug                TEXT NOT NULL,
    config              TEXT NOT NULL,         -- JSON of the core MonitorConfig
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (service_id, slug)
);
CREATE INDEX monitors_org ON monitors(org_id);
