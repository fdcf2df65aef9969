-- 0010: the change feed. One row per create, update, retraction or
-- restoration of an event, timeline, actor, place or source, written in
-- the same transaction as the change itself.
--
-- A row is inserted with position 0 (pending) and given its position at
-- the end of its transaction, while the transaction holds the lock on
-- dataset_state's one row that every writer takes last (see
-- postgresDialect): the position is the dataset version the transaction
-- committed, so positions follow commit order and a reader that sees
-- position p has also seen every position below it. Rows of one
-- transaction share a position and are ordered by seq. The feed's token is
-- (position, seq).
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    position    INTEGER NOT NULL DEFAULT 0,
    kind        text NOT NULL CHECK (kind IN ('event', 'timeline', 'actor', 'place', 'source')),
    resource_id text NOT NULL,
    timeline_id text NOT NULL DEFAULT '',
    action      text NOT NULL CHECK (action IN ('create', 'update', 'retract', 'restore')),
    revision    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    -- The resource's write document after the change; NULL for a
    -- retraction (a tombstone).
    content     text,
    key_id      text NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX changes_position ON changes (position, seq);
CREATE INDEX changes_timeline ON changes (timeline_id, position, seq);

-- What existed before the feed: the current records, then every recorded
-- revision of events, all at the current dataset version.
INSERT INTO changes (position, kind, resource_id, action, revision, version, content, created_at)
SELECT (SELECT version FROM dataset_state WHERE id = 1), 'source', id, 'create', version, version,
       json_object('id', id, 'title', title, 'author', author, 'publisher', publisher, 'issue', issue,
                         'published_date', published, 'url', url, 'note', note), updated_at
FROM sources ORDER BY id;
INSERT INTO changes (position, kind, resource_id, action, revision, version, content, created_at)
SELECT (SELECT version FROM dataset_state WHERE id = 1), 'place', p.id, 'create', p.version, p.version,
       json_object('id', p.id, 'name', p.name, 'kind', p.kind, 'country', p.country_id,
                         'aliases', json((SELECT json_group_array(alias) FROM (SELECT alias FROM place_aliases WHERE place_id = p.id ORDER BY position)))),
       p.updated_at
FROM places p ORDER BY p.country_id IS NOT NULL, p.id;
INSERT INTO changes (position, kind, resource_id, action, revision, version, content, created_at)
SELECT (SELECT version FROM dataset_state WHERE id = 1), 'actor', a.id, 'create', a.version, a.version,
       json_object('id', a.id, 'name', a.name, 'kind', a.kind,
                         'aliases', json((SELECT json_group_array(alias) FROM (SELECT alias FROM actor_aliases WHERE actor_id = a.id ORDER BY position)))),
       a.updated_at
FROM actors a ORDER BY a.id;
INSERT INTO changes (position, kind, resource_id, timeline_id, action, revision, version, content, created_at)
SELECT (SELECT version FROM dataset_state WHERE id = 1), 'timeline', t.id, t.id, 'create', t.version, t.version,
       json_object('id', t.id, 'title', t.title, 'description', t.description,
                         'sources', json((SELECT json_group_array(source_id) FROM (SELECT source_id FROM timeline_sources WHERE timeline_id = t.id ORDER BY position)))),
       t.updated_at
FROM timelines t ORDER BY t.id;
INSERT INTO changes (position, kind, resource_id, timeline_id, action, revision, version, content, key_id, created_at)
SELECT (SELECT version FROM dataset_state WHERE id = 1), 'event', event_id, timeline_id, action, revision, version,
       CASE WHEN action = 'retract' THEN NULL ELSE content END, key_id, created_at
FROM event_revisions ORDER BY created_at, event_id, revision;
