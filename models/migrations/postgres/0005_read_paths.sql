-- 0005: structures that keep every page of GET /v1/events O(limit) at any
-- table size, all maintained by the database itself (triggers), so that no
-- write path can forget them.

-- Stabbing index of spans. An event whose span is [s, e] answers to the
-- days s+1..e, cut into the fewest aligned blocks of 4^level days (at most
-- 6 blocks a level); node_key = level * 4194304 + block. Every row under
-- the key of (level, day p / 4^level) is an event with s < p <= e, so the
-- events crossing into a period that begins on day p (the ones a date
-- filter cannot find by start_date) are read in start order from 12 index
-- ranges, each holding only matches: no walk over older long spans.
-- Single-day events have no rows.
CREATE FUNCTION event_span_nodes(s date, e date) RETURNS SETOF integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lv * 4194304 + k
    FROM (SELECT s - DATE '0001-01-01' + 1 AS a, e - DATE '0001-01-01' AS b) d,
        generate_series(0, 11) AS lv,
        LATERAL (SELECT (d.a + (1 << (2 * lv)) - 1) / (1 << (2 * lv)) AS lo, (d.b + 1) / (1 << (2 * lv)) AS hi) r,
        LATERAL (SELECT r.lo + j AS k FROM generate_series(0, 2) AS j
                 WHERE r.lo + j < r.hi AND r.lo + j < 4 * ((r.lo + 3) / 4)
                 UNION ALL
                 SELECT 4 * (r.hi / 4) + j FROM generate_series(0, 2) AS j
                 WHERE r.hi / 4 >= (r.lo + 3) / 4 AND 4 * (r.hi / 4) + j < r.hi) n
    WHERE d.a <= d.b
$$;

CREATE TABLE event_spans (
    node_key   integer NOT NULL,
    start_date date NOT NULL,
    event_id   text NOT NULL REFERENCES events (id) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (node_key, start_date, event_id)
);
CREATE INDEX event_spans_event ON event_spans (event_id);

INSERT INTO event_spans (node_key, start_date, event_id)
SELECT n, e.start_date, e.id FROM events e, LATERAL event_span_nodes(e.start_date, e.end_date) AS n;

CREATE FUNCTION event_spans_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM event_spans WHERE event_id = OLD.id;
        UPDATE event_actors SET start_date = NEW.start_date WHERE event_id = NEW.id AND start_date IS DISTINCT FROM NEW.start_date;
        UPDATE event_places SET start_date = NEW.start_date WHERE event_id = NEW.id AND start_date IS DISTINCT FROM NEW.start_date;
        UPDATE event_tags SET start_date = NEW.start_date WHERE event_id = NEW.id AND start_date IS DISTINCT FROM NEW.start_date;
    END IF;
    INSERT INTO event_spans (node_key, start_date, event_id)
    SELECT n, NEW.start_date, NEW.id FROM event_span_nodes(NEW.start_date, NEW.end_date) AS n;
    RETURN NULL;
END $$;
CREATE TRIGGER events_spans_insert AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION event_spans_refresh();
CREATE TRIGGER events_spans_update AFTER UPDATE OF start_date, end_date ON events
    FOR EACH ROW WHEN (OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.end_date IS DISTINCT FROM NEW.end_date)
    EXECUTE FUNCTION event_spans_refresh();

-- The link tables carry their event's start_date, so that an actor, place
-- or tag filter reads its events in date order from one index range
-- instead of walking all events in date order probing the links.
ALTER TABLE event_actors ADD COLUMN start_date date;
ALTER TABLE event_places ADD COLUMN start_date date;
ALTER TABLE event_tags ADD COLUMN start_date date;
UPDATE event_actors l SET start_date = e.start_date FROM events e WHERE e.id = l.event_id;
UPDATE event_places l SET start_date = e.start_date FROM events e WHERE e.id = l.event_id;
UPDATE event_tags l SET start_date = e.start_date FROM events e WHERE e.id = l.event_id;
DROP INDEX event_actors_actor;
DROP INDEX event_places_place;
DROP INDEX event_tags_tag;
CREATE INDEX event_actors_actor ON event_actors (actor_id, start_date, event_id);
CREATE INDEX event_places_place ON event_places (place_id, start_date, event_id);
CREATE INDEX event_tags_tag ON event_tags (tag, start_date, event_id);

CREATE FUNCTION event_link_start_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.start_date := (SELECT start_date FROM events WHERE id = NEW.event_id);
    RETURN NEW;
END $$;
CREATE TRIGGER event_actors_start_date BEFORE INSERT OR UPDATE OF event_id ON event_actors
    FOR EACH ROW EXECUTE FUNCTION event_link_start_date();
CREATE TRIGGER event_places_start_date BEFORE INSERT OR UPDATE OF event_id ON event_places
    FOR EACH ROW EXECUTE FUNCTION event_link_start_date();
CREATE TRIGGER event_tags_start_date BEFORE INSERT OR UPDATE OF event_id ON event_tags
    FOR EACH ROW EXECUTE FUNCTION event_link_start_date();

-- Every change of the dataset version is announced, so that servers keep
-- the version in memory and answer conditional requests without asking.
CREATE FUNCTION dataset_state_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('timeline_dataset_state', NEW.version::text);
    RETURN NULL;
END $$;
CREATE TRIGGER dataset_state_notify AFTER INSERT OR UPDATE ON dataset_state
    FOR EACH ROW EXECUTE FUNCTION dataset_state_notify();
