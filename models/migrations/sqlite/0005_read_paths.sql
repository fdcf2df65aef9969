-- 0005: structures that keep every page of GET /v1/events O(limit) at any
-- table size, all maintained by triggers, so that no write path can forget
-- them. See the PostgreSQL migration of the same number for the design.

-- Stabbing index of spans: an event [s, e] answers to the days s+1..e,
-- cut into the fewest aligned blocks of 4^level days; node_key = level *
-- 4194304 + block. Day numbers count from 0001-01-01 (julianday 1721425.5).
CREATE TABLE span_levels (lv INTEGER PRIMARY KEY, width INTEGER NOT NULL);
INSERT INTO span_levels (lv, width) VALUES (0, 1), (1, 4), (2, 16), (3, 64), (4, 256), (5, 1024), (6, 4096),
    (7, 16384), (8, 65536), (9, 262144), (10, 1048576), (11, 4194304);
CREATE TABLE span_offsets (j INTEGER PRIMARY KEY);
INSERT INTO span_offsets (j) VALUES (0), (1), (2);

CREATE TABLE event_spans (
    node_key   INTEGER NOT NULL,
    start_date DATE NOT NULL,
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (node_key, start_date, event_id)
) WITHOUT ROWID;
CREATE INDEX event_spans_event ON event_spans (event_id);

INSERT INTO event_spans (event_id, start_date, node_key)
SELECT id, start_date, lv * 4194304 + lo + j AS node_key FROM (SELECT id, start_date, lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT id, start_date, CAST(julianday(start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(end_date) - 1721425.5 AS INTEGER) AS b FROM events) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
    UNION ALL
    SELECT id, start_date, lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT id, start_date, lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT id, start_date, CAST(julianday(start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(end_date) - 1721425.5 AS INTEGER) AS b FROM events) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi;

CREATE TRIGGER events_spans_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_spans (node_key, start_date, event_id)
    SELECT node_key, NEW.start_date, NEW.id FROM (SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
    UNION ALL
    SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
END;
CREATE TRIGGER events_spans_update AFTER UPDATE OF start_date, end_date ON events
WHEN OLD.start_date IS NOT NEW.start_date OR OLD.end_date IS NOT NEW.end_date BEGIN
    DELETE FROM event_spans WHERE event_id = OLD.id;
    INSERT INTO event_spans (node_key, start_date, event_id)
    SELECT node_key, NEW.start_date, NEW.id FROM (SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
    UNION ALL
    SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
        FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
            CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
    WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
    UPDATE event_actors SET start_date = NEW.start_date WHERE event_id = NEW.id;
    UPDATE event_places SET start_date = NEW.start_date WHERE event_id = NEW.id;
    UPDATE event_tags SET start_date = NEW.start_date WHERE event_id = NEW.id;
END;

-- The link tables carry their event's start_date (see the PostgreSQL
-- migration).
ALTER TABLE event_actors ADD COLUMN start_date DATE;
ALTER TABLE event_places ADD COLUMN start_date DATE;
ALTER TABLE event_tags ADD COLUMN start_date DATE;
UPDATE event_actors SET start_date = (SELECT start_date FROM events e WHERE e.id = event_actors.event_id);
UPDATE event_places SET start_date = (SELECT start_date FROM events e WHERE e.id = event_places.event_id);
UPDATE event_tags SET start_date = (SELECT start_date FROM events e WHERE e.id = event_tags.event_id);
DROP INDEX event_actors_actor;
DROP INDEX event_places_place;
DROP INDEX event_tags_tag;
CREATE INDEX event_actors_actor ON event_actors (actor_id, start_date, event_id);
CREATE INDEX event_places_place ON event_places (place_id, start_date, event_id);
CREATE INDEX event_tags_tag ON event_tags (tag, start_date, event_id);

CREATE TRIGGER event_actors_start_date AFTER INSERT ON event_actors BEGIN
    UPDATE event_actors SET start_date = (SELECT start_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND actor_id = NEW.actor_id;
END;
CREATE TRIGGER event_places_start_date AFTER INSERT ON event_places BEGIN
    UPDATE event_places SET start_date = (SELECT start_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND place_id = NEW.place_id;
END;
CREATE TRIGGER event_tags_start_date AFTER INSERT ON event_tags BEGIN
    UPDATE event_tags SET start_date = (SELECT start_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND tag = NEW.tag;
END;
