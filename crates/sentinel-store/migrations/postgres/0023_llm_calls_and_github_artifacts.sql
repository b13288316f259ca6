-- Model calls, the providers organizations configure, and what publishing created on GitHub.

-- One row per model call, answered by the provider or from the cache. Token columns follow
-- one convention whatever the vendor: the three input classes are disjoint, reasoning is
-- part of output. Costs are whole nano-dollars from the price table named beside them
-- (NULL when the table has no price for the model).
CREATE TABLE llm_calls (
    id                         TEXT PRIMARY KEY,
    org_id                     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    incident_id                TEXT REFERENCES incidents(id) ON DELETE SET NULL,
    step                       TEXT NOT NULL,
    provider                   TEXT NOT NULL,
    model_requested            TEXT NOT NULL,
    model_answered             TEXT,
    input_tokens_uncached      BIGINT NOT NULL DEFAULT 0,
    input_tokens_cache_read    BIGINT NOT NULL DEFAULT 0,
    input_tokens_cache_write   BIGINT NOT NULL DEFAULT 0,
    output_tokens              BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens           BIGINT NOT NULL DEFAULT 0,
    cost_nano_usd              BIGINT,
    price_table_version        TEXT,
    latency_ms                 BIGINT NOT NULL,
    ttft_ms                    BIGINT,
    -- ok, or the failure's class (rate_limited, server_error, timeout, malformed, …);
    -- budget_exhausted when the call was not made.
    status                     TEXT NOT NULL,
    error                      TEXT,
    input_hash                 TEXT NOT NULL,
    cache_hit                  BOOLEAN NOT NULL DEFAULT FALSE,
    -- The model's answer, kept to answer identical requests from the cache.
    response                   TEXT,
    created_at                 BIGINT NOT NULL
);
CREATE INDEX llm_calls_org_time ON llm_calls(org_id, created_at, id);
CREATE INDEX llm_calls_cache ON llm_calls(org_id, input_hash, created_at);

-- The model provider an organization's autopsies use. The API key is stored only sealed
-- with the server's key (v1.<base64>), never returned by the API.
CREATE TABLE llm_provider_settings (
    org_id                     TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    provider                   TEXT NOT NULL,
    base_url                   TEXT NOT NULL,
    model                      TEXT NOT NULL,
    api_key_sealed             TEXT,
    max_output_tokens          BIGINT NOT NULL,
    monthly_token_budget       BIGINT,
    monthly_cost_budget_nano_usd BIGINT,
    -- A JSON array of {model, input, output, cache_read, cache_write} in USD per million
    -- tokens, replacing the built-in price table; NULL for the built-in one.
    prices                     TEXT,
    updated_at                 BIGINT NOT NULL
);

-- What publishing created for an incident: at most one issue, one pull request and one
-- branch, so a re-run updates them instead of opening new ones.
CREATE TABLE github_artifacts (
    id                         TEXT PRIMARY KEY,
    org_id                     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    incident_id                TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind                       TEXT NOT NULL CHECK (kind IN ('issue', 'pr', 'branch')),
    repo                       TEXT NOT NULL,
    number                     BIGINT,
    name                       TEXT,
    url                        TEXT NOT NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
CREATE UNIQUE INDEX github_artifacts_incident_kind ON github_artifacts(incident_id, kind);
