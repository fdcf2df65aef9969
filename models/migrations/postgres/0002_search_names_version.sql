-- 0002: full-text search, name lookup for actors and places, and a dataset
-- version for HTTP caching.

-- One row, bumped in the same transaction as every write that changes
-- data; ETag and Last-Modified derive from it.
CREATE TABLE dataset_state (
    id         integer PRIMARY KEY CHECK (id = 1),
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
INSERT INTO dataset_state (id, version, updated_at) VALUES (1, 0, now());

-- The text a search matches: title, summary, quotes, actor and place names.
-- The store writes it; PostgreSQL derives the vector.
ALTER TABLE events ADD COLUMN search_text text NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED;
CREATE INDEX events_search ON events USING gin (search_vector);

-- Every name an actor or place answers to (its id, name and aliases),
-- case-folded by the store, so that ?actor=ODKB finds the CSTO.
CREATE TABLE actor_names (
    name_key text NOT NULL,
    actor_id text NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (name_key, actor_id)
);
CREATE INDEX actor_names_actor ON actor_names (actor_id);
CREATE TABLE place_names (
    name_key text NOT NULL,
    place_id text NOT NULL REFERENCES places (id) ON DELETE CASCADE,
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
