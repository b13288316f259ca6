-- A manual override's note: why the person decided as they did, shown next to their verdict
-- on the commit page and in `GET /api/v1/repositories/{id}/commits/{sha}`.
ALTER TABLE commits ADD COLUMN override_note TEXT;
