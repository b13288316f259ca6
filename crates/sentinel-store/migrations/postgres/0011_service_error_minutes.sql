-- Error events per service and minute, kept by the ingest writer with each batch (as
-- incident_hourly is), so the every-minute detections job reads a day of counts instead of
-- a day of event rows. Keyed by minute first: the job reads a range of minutes across all
-- services, retention drops the oldest minutes, and the writer's upserts all land at the end.
CREATE TABLE service_error_minutes (
    minute      BIGINT NOT NULL,             -- Unix minutes (received_at / 60000)
    service_id  TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (minute, service_id)
);
INSERT INTO service_error_minutes (minute, service_id, org_id, count)
    SELECT received_at / 60000, service_id, MIN(org_id), COUNT(*) FROM events
    WHERE incident_id IS NOT NULL
    GROUP BY received_at / 60000, service_id;
