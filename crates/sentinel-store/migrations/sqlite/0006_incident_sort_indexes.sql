-- Incident lists sort by last_seen (indexed in 0003), first_seen or occurrence count; these
-- keep the other two orders an index walk per organization instead of a sort of all its
-- incidents.
CREATE INDEX incidents_org_first_seen ON incidents(org_id, first_seen DESC);
CREATE INDEX incidents_org_count ON incidents(org_id, occurrence_count DESC);
