-- Tenancy, access, services and their DSN keys.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL DEFAULT 'free',
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE organization_members (
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members(user_id);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,           -- SHA-256 hex of the cookie's secret
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,     -- SHA-256 hex of the whole secret
    role          TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '',
    created_by    TEXT,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    expires_at    INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_org ON api_keys(org_id);

CREATE TABLE services (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    number              INTEGER NOT NULL UNIQUE,  -- the project id in DSNs and ingest URLs
    name                TEXT NOT NULL,
    platform            TEXT NOT NULL DEFAULT '',
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    error_class_filter  TEXT NOT NULL,
    min_occurrences     INTEGER NOT NULL DEFAULT 1,
    settings            TEXT NOT NULL DEFAULT '{}',
    created_at          INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE service_keys (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    service_id             TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    public_key             TEXT NOT NULL UNIQUE,
    secret_key             TEXT,
    label                  TEXT NOT NULL DEFAULT 'Default',
    rate_limit_per_minute  INTEGER,
    created_at             INTEGER NOT NULL,
    revoked_at             INTEGER
);
CREATE INDEX service_keys_service ON service_keys(service_id);
