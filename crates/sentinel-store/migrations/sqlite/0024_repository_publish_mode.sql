-- What publishing may create on GitHub for a repository's incidents: nothing (the default),
-- an issue, or a draft pull request on a branch of its own.
ALTER TABLE repositories ADD COLUMN publish_mode TEXT NOT NULL DEFAULT 'off'
    CHECK (publish_mode IN ('off', 'issue', 'draft_pr'));
