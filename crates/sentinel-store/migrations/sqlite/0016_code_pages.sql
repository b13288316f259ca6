-- The code pages (commit page, repository overview, high-risk files) at 100,000 commits and
-- 1,000,000 attribution rows; see "Code pages" in BENCHMARKS.md.

-- A manual override's note: why the person decided as they did, shown next to their verdict
-- on the commit page and in `GET /api/v1/repositories/{id}/commits/{sha}`.
ALTER TABLE commits ADD COLUMN override_note TEXT;

-- The overview's reads name the organization as well as the repository. Without `org_id` in
-- these indexes every row in range was looked up in the table for it (one random read per
-- commit or file row); with it, and with the constant conditions made the indexes' own, the
-- reads never leave the indexes. `risk_tier` is repeated as a column because SQLite does not
-- count a partial index as covering when the query's `IN` term names a column it lacks.
DROP INDEX commits_overview;
CREATE INDEX commits_overview ON commits(repository_id, org_id, authored_at, ai_confidence,
    lines_added, ai_lines_added, tool) WHERE status = 'attributed' AND is_merge = FALSE;

DROP INDEX code_attribution_high_risk;
CREATE INDEX code_attribution_high_risk ON code_attribution(repository_id, org_id, path,
    authored_at, computed_at, risk_tier) WHERE risk_tier IN ('T3', 'T4');

DROP INDEX code_attribution_high_risk_time;
CREATE INDEX code_attribution_high_risk_time ON code_attribution(repository_id, org_id,
    authored_at, path, risk_tier) WHERE risk_tier IN ('T3', 'T4');
