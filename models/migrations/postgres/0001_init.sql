-- 0001_init: timelines, sources, actors, places, events and their links.
CREATE TABLE timelines (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    content_hash text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sources (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    author       text NOT NULL DEFAULT '',
    publisher    text NOT NULL DEFAULT '',
    published    date,
    url          text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    content_hash text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE timeline_sources (
    timeline_id text NOT NULL REFERENCES timelines (id) ON DELETE CASCADE,
    source_id   text NOT NULL REFERENCES sources (id),
    position    integer NOT NULL,
    PRIMARY KEY (timeline_id, source_id)
);

CREATE TABLE actors (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('organization', 'state', 'person', 'body')),
    content_hash text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE actor_aliases (
    actor_id text NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    alias    text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (actor_id, alias)
);

CREATE TABLE places (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('city', 'country', 'region')),
    country_id   text REFERENCES places (id),
    content_hash text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE place_aliases (
    place_id text NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    alias    text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (place_id, alias)
);

CREATE TABLE events (
    id             text PRIMARY KEY,
    timeline_id    text NOT NULL REFERENCES timelines (id),
    title          text NOT NULL,
    summary        text NOT NULL DEFAULT '',
    start_date     date NOT NULL,
    end_date       date NOT NULL,
    date_precision text NOT NULL CHECK (date_precision IN ('day', 'month', 'year', 'decade')),
    approximate    boolean NOT NULL DEFAULT false,
    display_date   text NOT NULL,
    edtf           text NOT NULL,
    type           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('occurred', 'planned', 'not_implemented')),
    -- Spans longer than a year are rare; flagging them lets a date filter
    -- bound start_date from below (see EventFilter) and stay on an index.
    long_span      boolean GENERATED ALWAYS AS (end_date - start_date > 366) STORED,
    content_hash   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date)
);

CREATE INDEX events_start_id ON events (start_date, id);
CREATE INDEX events_long_span ON events (start_date, id) WHERE long_span;
CREATE INDEX events_end ON events (end_date);
CREATE INDEX events_timeline ON events (timeline_id, start_date, id);
CREATE INDEX events_type ON events (type, start_date, id);
CREATE INDEX events_status ON events (status, start_date, id);

CREATE TABLE event_actors (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    actor_id text NOT NULL REFERENCES actors (id),
    role     text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (event_id, actor_id)
);
CREATE INDEX event_actors_actor ON event_actors (actor_id, event_id);

CREATE TABLE event_places (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    place_id text NOT NULL REFERENCES places (id),
    position integer NOT NULL,
    PRIMARY KEY (event_id, place_id)
);
CREATE INDEX event_places_place ON event_places (place_id, event_id);

CREATE TABLE event_tags (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag      text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags (tag, event_id);

CREATE TABLE citations (
    event_id  text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    source_id text NOT NULL REFERENCES sources (id),
    quote     text NOT NULL CHECK (quote <> ''),
    note      text NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, position)
);
CREATE INDEX citations_source ON citations (source_id);

-- One row a year, so that per-year counts are a plain join.
CREATE TABLE calendar_years (
    year      integer PRIMARY KEY,
    first_day date NOT NULL,
    last_day  date NOT NULL
);
INSERT INTO calendar_years (year, first_day, last_day)
SELECT y, make_date(y, 1, 1), make_date(y, 12, 31) FROM generate_series(1, 9999) AS y;
CREATE INDEX calendar_years_days ON calendar_years (first_day, last_day);
