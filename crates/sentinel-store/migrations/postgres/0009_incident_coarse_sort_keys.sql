-- Every event changes its incident's last_seen and occurrence_count, and each index that
-- held either had to be rewritten on every event (on PostgreSQL, it also ruled out
-- heap-only updates). The list indexes now hold coarse keys that change rarely: the
-- minute of last_seen and a two-digit scale of the count (see sentinel-core's
-- incident::sort_keys, whose functions the two UPDATEs below compute). Lists order by
-- (key, value), which is the same order as by the value alone.
ALTER TABLE incidents ADD COLUMN last_seen_minute BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN count_scale BIGINT NOT NULL DEFAULT 0;
UPDATE incidents SET
    last_seen_minute = last_seen / 60000,
    count_scale = length(CAST(occurrence_count AS TEXT)) * 10
        + CAST(substr(CAST(occurrence_count AS TEXT), 1, 1) AS INTEGER);

DROP INDEX incidents_org_last_seen;
DROP INDEX incidents_org_status;
DROP INDEX incidents_org_count;
DROP INDEX incidents_org_environment;
DROP INDEX incidents_org_release;
CREATE INDEX incidents_org_last_seen_minute ON incidents(org_id, last_seen_minute DESC);
CREATE INDEX incidents_org_status_minute ON incidents(org_id, status, last_seen_minute DESC);
CREATE INDEX incidents_org_count_scale ON incidents(org_id, count_scale DESC);
CREATE INDEX incidents_org_environment_minute ON incidents(org_id, environment, last_seen_minute);
CREATE INDEX incidents_org_release_minute ON incidents(org_id, release, last_seen_minute);

-- With no indexed column changing, an update can stay on its page (heap-only) if the
-- page has room: leave a fifth of each page for the next versions of its incidents.
ALTER TABLE incidents SET (fillfactor = 80);
