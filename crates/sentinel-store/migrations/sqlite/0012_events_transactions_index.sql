-- The every-minute latency detector reads the durations of a day of transactions. Through
-- events_received it visited every event of the day, errors included, and read each row
-- to learn its kind. This partial index holds transactions only, with every column that
-- read needs, so it touches neither error events nor event rows; error events add no
-- entry to it.
CREATE INDEX events_transactions ON events(received_at, org_id, service_id, transaction_name, duration_ms)
    WHERE kind = 'transaction';
