-- Claims take the oldest due jobs: a partial index in claim order lets them stop after
-- the batch instead of sorting every waiting job. It replaces jobs_ready, which could not
-- serve that order for two statuses at once.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status IN ('available', 'retryable');
DROP INDEX jobs_ready;
