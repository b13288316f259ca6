-- SQLite's 0010 stores the rollups in their primary keys' b-trees (WITHOUT ROWID). A
-- PostgreSQL table is always a heap beside its indexes, so nothing changes here; the file
-- keeps the two backends' migration numbers in step.
SELECT 1;
