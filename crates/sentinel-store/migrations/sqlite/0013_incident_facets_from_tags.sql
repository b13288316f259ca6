-- The environment and release filters of incident lists now match any event of an incident
-- (its tag breakdown, as Sentry filters issues), not only its latest event. The incident's
-- own release and environment columns, which follow its latest event, are then only shown,
-- so no index holds them: an event from another environment or release than the one before
-- it no longer rewrites index entries (and on PostgreSQL can update the row in place).
DROP INDEX incidents_org_environment_minute;
DROP INDEX incidents_org_release_minute;
DROP INDEX incidents_org_status_quiet;
CREATE INDEX incidents_org_status_quiet ON incidents(org_id, status, quiet);

-- The values the filters offer, per organization, with the minute each was last seen: kept
-- by the ingest writer with each batch, and filled here from the tag breakdowns.
CREATE TABLE org_facet_values (
    org_id            TEXT NOT NULL,
    facet             TEXT NOT NULL,         -- 'environment' or 'release'
    value             TEXT NOT NULL,
    last_seen_minute  INTEGER NOT NULL,      -- Unix minutes
    PRIMARY KEY (org_id, facet, value)
) WITHOUT ROWID;
INSERT INTO org_facet_values (org_id, facet, value, last_seen_minute)
    SELECT i.org_id, t.key, t.value, MAX(t.last_seen) / 60000
    FROM incident_tags t JOIN incidents i ON i.id = t.incident_id
    WHERE t.key IN ('environment', 'release')
    GROUP BY i.org_id, t.key, t.value;
