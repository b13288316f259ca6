-- Transaction durations per service, transaction name and hour, as a histogram: the number
-- of transactions in each duration bucket (sentinel-core's detection::latency_bucket: whole
-- milliseconds to two significant digits). Kept by the ingest writer with each batch, so
-- the every-minute latency detector reads a day's baseline as a few dozen counts per hour
-- instead of every transaction of the day. Keyed by hour first: the detector reads a range
-- of hours, retention drops the oldest, and the writer's upserts land at the end.
CREATE TABLE transaction_hours (
    hour              BIGINT NOT NULL,       -- Unix hours (received_at / 3600000)
    service_id        TEXT NOT NULL,
    transaction_name  TEXT NOT NULL,
    bucket            BIGINT NOT NULL,
    org_id            TEXT NOT NULL,
    count             BIGINT NOT NULL,
    PRIMARY KEY (hour, service_id, transaction_name, bucket)
);
-- floor() first: a cast to BIGINT alone would round to the nearest.
INSERT INTO transaction_hours (hour, service_id, transaction_name, bucket, org_id, count)
    SELECT hour, service_id, transaction_name,
        length(whole) * 100 + CAST(substr(whole, 1, 2) AS BIGINT), MIN(org_id), COUNT(*)
    FROM (
        SELECT received_at / 3600000 AS hour, service_id, transaction_name, org_id,
            CAST(CAST(floor(GREATEST(duration_ms, 0)) AS BIGINT) AS TEXT) AS whole
        FROM events
        WHERE kind = 'transaction' AND transaction_name IS NOT NULL
            AND duration_ms IS NOT NULL
    ) AS durations
    GROUP BY hour, service_id, transaction_name,
        length(whole) * 100 + CAST(substr(whole, 1, 2) AS BIGINT);
