-- The rollups are looked up and upserted only by their primary keys. As rowid tables each
-- upsert wrote two b-trees, the table and its primary-key index; WITHOUT ROWID keeps the
-- rows in the primary key's b-tree, so a batch dirties (and commits) half the pages.
CREATE TABLE incident_hourly_new (
    incident_id  TEXT NOT NULL,
    hour         INTEGER NOT NULL,           -- Unix ms at the start of the hour
    count        INTEGER NOT NULL,
    PRIMARY KEY (incident_id, hour)
) WITHOUT ROWID;
INSERT INTO incident_hourly_new (incident_id, hour, count)
    SELECT incident_id, hour, count FROM incident_hourly;
DROP TABLE incident_hourly;
ALTER TABLE incident_hourly_new RENAME TO incident_hourly;

CREATE TABLE incident_tags_new (
    incident_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    count        INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, key, value)
) WITHOUT ROWID;
INSERT INTO incident_tags_new (incident_id, key, value, count, last_seen)
    SELECT incident_id, key, value, count, last_seen FROM incident_tags;
DROP TABLE incident_tags;
ALTER TABLE incident_tags_new RENAME TO incident_tags;
