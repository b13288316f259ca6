-- The incident list's status-chip counts and its environment/release facets aggregate over
-- every incident of an organization on each render. These indexes hold every column those
-- aggregates read, so each is a scan of one narrow index instead of a visit to every
-- incident row.
--
-- Chip counts group by status and filter on quiet (and often on environment). Kept apart
-- from incidents_org_status, which carries last_seen for sorted lists: without last_seen
-- this one changes only when an incident's status, quiet flag or environment does, and
-- PostgreSQL's planner prefers it to a sequential scan where it did not the wider one.
CREATE INDEX incidents_org_status_quiet ON incidents(org_id, status, quiet, environment);
-- Each facet groups by its value and orders the groups by their latest last_seen.
CREATE INDEX incidents_org_environment ON incidents(org_id, environment, last_seen);
CREATE INDEX incidents_org_release ON incidents(org_id, release, last_seen);
