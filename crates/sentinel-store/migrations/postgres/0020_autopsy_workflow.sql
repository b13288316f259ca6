-- The autopsy workflow (ARCHITECTURE §3, §4): one workflow per run, one agent run per step,
-- one autopsy per incident, the code around the frames, and the artifacts by key.

-- Terminal states (completed, failed, aborted) are final: every status change is guarded by
-- `status = 'active'`. At most one active workflow per incident.
CREATE TABLE workflows (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('active', 'completed', 'failed', 'aborted')),
    reason       TEXT,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX workflows_incident ON workflows(incident_id, started_at);
CREATE UNIQUE INDEX workflows_one_active ON workflows(incident_id) WHERE status = 'active';

-- One row per (workflow, step); a step that runs again (its job retried) bumps `attempt`.
CREATE TABLE agent_runs (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    workflow_id  TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    step         TEXT NOT NULL
                 CHECK (step IN ('triage', 'tracing', 'root_cause', 'test_gen', 'fix', 'publish')),
    status       TEXT NOT NULL CHECK (status IN ('running', 'success', 'failure', 'timeout')),
    attempt      BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    duration_ms  BIGINT,
    error        TEXT,
    metadata     TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX agent_runs_step ON agent_runs(workflow_id, step);

-- One per incident: a re-run replaces it.
CREATE TABLE autopsies (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    incident_id       TEXT NOT NULL UNIQUE REFERENCES incidents(id) ON DELETE CASCADE,
    workflow_id       TEXT REFERENCES workflows(id) ON DELETE SET NULL,
    root_cause        TEXT NOT NULL,
    category          TEXT NOT NULL,
    disposition       TEXT NOT NULL CHECK (disposition IN ('identified', 'not_found', 'false_alarm')),
    confidence        DOUBLE PRECISION NOT NULL,
    model_used        TEXT NOT NULL,
    culprit_path      TEXT,
    culprit_line      BIGINT,
    test_case         TEXT,
    test_path         TEXT,
    patch_diff        TEXT,
    ai_fix_prompt     TEXT NOT NULL,
    -- A JSON array of strings.
    manual_steps      TEXT NOT NULL DEFAULT '[]',
    analysis_time_ms  BIGINT,
    -- NULL: not checked (no clone, no test command).
    patch_applied     BOOLEAN,
    test_verified     BOOLEAN,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX autopsies_org_created ON autopsies(org_id, created_at);

CREATE TABLE file_snapshots (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    workflow_id  TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    -- The repository file when the frame mapped, else the frame's path.
    path         TEXT NOT NULL,
    first_line   BIGINT NOT NULL,
    focus_line   BIGINT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('sdk_context', 'repository')),
    content      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX file_snapshots_workflow ON file_snapshots(workflow_id);

-- The bytes live in the artifact store under `key`.
CREATE TABLE artifacts (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    workflow_id    TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    incident_id    TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    artifact_type  TEXT NOT NULL CHECK (artifact_type IN
                   ('sample_event', 'file_snapshot', 'test_case', 'test_result', 'patch', 'pr_body')),
    key            TEXT NOT NULL UNIQUE,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX artifacts_workflow ON artifacts(workflow_id, created_at);
