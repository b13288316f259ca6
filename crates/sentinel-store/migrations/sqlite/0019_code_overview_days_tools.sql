-- The overview of a long history (all time at 100,000 commits; "Code pages" in
-- BENCHMARKS.md) reads its days and tools without sorting the range's commits.

-- The overview groups its commits by UTC day: the day (the very expression its queries
-- name) comes before `authored_at`, so the days come out of the index already grouped.
DROP INDEX commits_overview;
CREATE INDEX commits_overview ON commits(repository_id, org_id, (authored_at / 86400000),
    authored_at, ai_confidence, lines_added, ai_lines_added, tool)
    WHERE status = 'attributed' AND is_merge = FALSE;

-- The tools seen: the AI commits alone (0.5 is the AI confidence threshold), in tool order,
-- so counting them needs no sort.
CREATE INDEX commits_tools ON commits(repository_id, org_id, tool, authored_at)
    WHERE status = 'attributed' AND is_merge = FALSE AND tool IS NOT NULL
    AND ai_confidence >= 0.5;
