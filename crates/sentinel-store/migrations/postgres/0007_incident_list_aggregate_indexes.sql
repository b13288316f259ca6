-- The incident list's status-chip counts and its environment/release facets aggregate over
-- every incident of an organization on each render. These indexes hold every column those
-- aggregates read, so each is a scan of one narrow index instead of a visit to every
-- incident row.
--
-- Chip counts group by status and filter on quiet (and often on environment): the status
-- index of 0003 gains those two as trailing columns, so it still serves status-filtered
-- lists sorted by last_seen and writes keep maintaining one index for both.
DROP INDEX incidents_org_status;
CREATE INDEX incidents_org_status ON incidents(org_id, status, last_seen DESC, quiet, environment);
-- Each facet groups by its value and orders the groups by their latest last_seen.
CREATE INDEX incidents_org_environment ON incidents(org_id, environment, last_seen);
CREATE INDEX incidents_org_release ON incidents(org_id, release, last_seen);
