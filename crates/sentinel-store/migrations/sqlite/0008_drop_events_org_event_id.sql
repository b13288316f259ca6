-- Looking an event up by the SDK's id goes through the organization's services and the
-- unique (service_id, event_id) index; this second index on a random key only made every
-- ingested event dearer to write.
DROP INDEX events_org_event_id;
