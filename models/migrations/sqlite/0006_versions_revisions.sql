-- 0006: row versions for optimistic concurrency, the revision history of
-- events, and retractions.

-- Every write increments its record's version in the same statement that
-- checks it (UPDATE ... WHERE version = ?): the version is the record's
-- strong ETag. Events that existed before this migration start at 0 with an
-- empty content hash, so the next seed load rewrites them through the write
-- path and records their first revision.
ALTER TABLE events ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE events SET content_hash = '';
ALTER TABLE timelines ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE actors ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE places ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sources ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- One row per change of an event: the editable document after the change
-- (the retracted content for a retraction), who made it (an API key's id,
-- or "seed") and why. No foreign key: a retracted event's row is gone from
-- events, its history is not.
CREATE TABLE event_revisions (
    event_id    text NOT NULL,
    revision    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'retract', 'restore')),
    timeline_id text NOT NULL,
    content     text NOT NULL,
    key_id      text NOT NULL,
    comment     text NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (event_id, revision)
);

-- Retracted events: their row leaves events (so no listing, export, count
-- or facet can include them) and this row keeps the id taken for ever.
-- A PUT naming the version here restores the event.
CREATE TABLE retracted_events (
    id           text PRIMARY KEY,
    timeline_id  text NOT NULL,
    version      INTEGER NOT NULL,
    key_id       text NOT NULL,
    retracted_at DATETIME NOT NULL
);
CREATE INDEX retracted_events_timeline ON retracted_events (timeline_id);
