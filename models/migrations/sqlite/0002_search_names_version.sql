-- 0002: full-text search, name lookup for actors and places, and a dataset
-- version for HTTP caching.

-- One row, bumped in the same transaction as every write that changes
-- data; ETag and Last-Modified derive from it.
CREATE TABLE dataset_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    updated_at DATETIME NOT NULL
);
INSERT INTO dataset_state (id, version, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP);

-- The text a search matches: title, summary, quotes, actor and place names.
-- The store writes it; triggers keep the FTS5 index in step.
ALTER TABLE events ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE VIRTUAL TABLE events_fts USING fts5(
    search_text, content = 'events', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER events_fts_update AFTER UPDATE OF search_text ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO events_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
INSERT INTO events_fts (rowid, search_text) SELECT rowid, search_text FROM events;

-- Every name an actor or place answers to (its id, name and aliases),
-- case-folded by the store, so that ?actor=ODKB finds the CSTO.
CREATE TABLE actor_names (
    name_key TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (name_key, actor_id)
);
CREATE INDEX actor_names_actor ON actor_names (actor_id);
CREATE TABLE place_names (
    name_key TEXT NOT NULL,
    place_id TEXT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    PRIMARY KEY (name_key, place_id)
);
CREATE INDEX place_names_place ON place_names (place_id);

CREATE INDEX actors_kind ON actors (kind, id);
CREATE INDEX places_kind ON places (kind, id);

-- Derived data is written by the store: make the next seed load rewrite
-- every record so that names and search text are filled in.
UPDATE actors SET content_hash = '';
UPDATE places SET content_hash = '';
UPDATE events SET content_hash = '';
