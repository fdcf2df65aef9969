-- 0011: counts kept by the database (see the PostgreSQL migration). SQLite
-- has one writer at a time and no statement triggers: row triggers update
-- the counts directly, and the delta tables exist for the shared read
-- queries but stay empty.
CREATE TABLE event_year_counts (
    dim        text NOT NULL,
    value      text NOT NULL,
    first_year integer NOT NULL,
    last_year  integer NOT NULL,
    n          integer NOT NULL,
    PRIMARY KEY (dim, value, first_year, last_year)
) WITHOUT ROWID;
CREATE TABLE event_year_deltas (
    dim        text NOT NULL,
    value      text NOT NULL,
    first_year integer NOT NULL,
    last_year  integer NOT NULL,
    n          integer NOT NULL
);
CREATE INDEX event_year_deltas_key ON event_year_deltas (dim, value);
CREATE TABLE link_counts (
    kind text NOT NULL,
    key  text NOT NULL,
    n    integer NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE link_count_deltas (
    kind text NOT NULL,
    key  text NOT NULL,
    n    integer NOT NULL
);
CREATE INDEX link_count_deltas_key ON link_count_deltas (kind, key);

INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'timeline' THEN e.timeline_id WHEN 'type' THEN e.type ELSE e.status END,
    e.y1, e.y2, sum(e.n)
FROM (SELECT timeline_id, type, status, CAST(substr(start_date, 1, 4) AS INTEGER) AS y1,
        CAST(substr(end_date, 1, 4) AS INTEGER) AS y2, count(*) AS n FROM events GROUP BY 1, 2, 3, 4, 5) e,
    (SELECT 'all' AS dim UNION ALL SELECT 'timeline' UNION ALL SELECT 'type' UNION ALL SELECT 'status') d
GROUP BY 1, 2, 3, 4;
INSERT INTO link_counts (kind, key, n) SELECT 'timeline', timeline_id, count(*) FROM events GROUP BY timeline_id;
INSERT INTO link_counts (kind, key, n) SELECT 'type', type, count(*) FROM events GROUP BY type;
INSERT INTO link_counts (kind, key, n) SELECT 'status', status, count(*) FROM events GROUP BY status;
INSERT INTO link_counts (kind, key, n) SELECT 'actor', actor_id, count(*) FROM event_actors GROUP BY actor_id;
INSERT INTO link_counts (kind, key, n) SELECT 'place', place_id, count(*) FROM event_places GROUP BY place_id;
INSERT INTO link_counts (kind, key, n) SELECT 'tag', tag, count(*) FROM event_tags GROUP BY tag;

CREATE TRIGGER events_year_counts_insert AFTER INSERT ON events BEGIN
    INSERT INTO link_counts (kind, key, n) VALUES ('timeline', NEW.timeline_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    INSERT INTO link_counts (kind, key, n) VALUES ('type', NEW.type, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    INSERT INTO link_counts (kind, key, n) VALUES ('status', NEW.status, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('all', '', CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('timeline', NEW.timeline_id, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('type', NEW.type, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('status', NEW.status, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER events_year_counts_delete AFTER DELETE ON events BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'timeline' AND key = OLD.timeline_id;
    UPDATE link_counts SET n = n - 1 WHERE kind = 'type' AND key = OLD.type;
    UPDATE link_counts SET n = n - 1 WHERE kind = 'status' AND key = OLD.status;
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'all' AND value = '' AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'timeline' AND value = OLD.timeline_id AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'type' AND value = OLD.type AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'status' AND value = OLD.status AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
END;
CREATE TRIGGER events_year_counts_update AFTER UPDATE OF timeline_id, type, status, start_date, end_date ON events
WHEN OLD.timeline_id IS NOT NEW.timeline_id OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status
    OR substr(OLD.start_date, 1, 4) IS NOT substr(NEW.start_date, 1, 4) OR substr(OLD.end_date, 1, 4) IS NOT substr(NEW.end_date, 1, 4) BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'timeline' AND key = OLD.timeline_id;
    UPDATE link_counts SET n = n - 1 WHERE kind = 'type' AND key = OLD.type;
    UPDATE link_counts SET n = n - 1 WHERE kind = 'status' AND key = OLD.status;
    INSERT INTO link_counts (kind, key, n) VALUES ('timeline', NEW.timeline_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    INSERT INTO link_counts (kind, key, n) VALUES ('type', NEW.type, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    INSERT INTO link_counts (kind, key, n) VALUES ('status', NEW.status, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'all' AND value = '' AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'timeline' AND value = OLD.timeline_id AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'type' AND value = OLD.type AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'status' AND value = OLD.status AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('all', '', CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('timeline', NEW.timeline_id, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('type', NEW.type, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('status', NEW.status, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER event_actors_counts_insert AFTER INSERT ON event_actors BEGIN
    INSERT INTO link_counts (kind, key, n) VALUES ('actor', NEW.actor_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_actors_counts_delete AFTER DELETE ON event_actors BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'actor' AND key = OLD.actor_id;
END;
CREATE TRIGGER event_actors_counts_update AFTER UPDATE OF actor_id ON event_actors WHEN OLD.actor_id IS NOT NEW.actor_id BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'actor' AND key = OLD.actor_id;
    INSERT INTO link_counts (kind, key, n) VALUES ('actor', NEW.actor_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_places_counts_insert AFTER INSERT ON event_places BEGIN
    INSERT INTO link_counts (kind, key, n) VALUES ('place', NEW.place_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_places_counts_delete AFTER DELETE ON event_places BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'place' AND key = OLD.place_id;
END;
CREATE TRIGGER event_places_counts_update AFTER UPDATE OF place_id ON event_places WHEN OLD.place_id IS NOT NEW.place_id BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'place' AND key = OLD.place_id;
    INSERT INTO link_counts (kind, key, n) VALUES ('place', NEW.place_id, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_tags_counts_insert AFTER INSERT ON event_tags BEGIN
    INSERT INTO link_counts (kind, key, n) VALUES ('tag', NEW.tag, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_tags_counts_delete AFTER DELETE ON event_tags BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'tag' AND key = OLD.tag;
END;
CREATE TRIGGER event_tags_counts_update AFTER UPDATE OF tag ON event_tags WHEN OLD.tag IS NOT NEW.tag BEGIN
    UPDATE link_counts SET n = n - 1 WHERE kind = 'tag' AND key = OLD.tag;
    INSERT INTO link_counts (kind, key, n) VALUES ('tag', NEW.tag, 1) ON CONFLICT (kind, key) DO UPDATE SET n = n + 1;
END;

-- The link tables carry their event's end_date too (see PostgreSQL).
ALTER TABLE event_actors ADD COLUMN end_date DATE;
ALTER TABLE event_places ADD COLUMN end_date DATE;
ALTER TABLE event_tags ADD COLUMN end_date DATE;
UPDATE event_actors SET end_date = (SELECT end_date FROM events e WHERE e.id = event_actors.event_id);
UPDATE event_places SET end_date = (SELECT end_date FROM events e WHERE e.id = event_places.event_id);
UPDATE event_tags SET end_date = (SELECT end_date FROM events e WHERE e.id = event_tags.event_id);
CREATE INDEX event_actors_actor_end ON event_actors (actor_id, end_date);
CREATE INDEX event_places_place_end ON event_places (place_id, end_date);
CREATE INDEX event_tags_tag_end ON event_tags (tag, end_date);
CREATE INDEX events_timeline_end ON events (timeline_id, end_date);

CREATE TRIGGER event_actors_end_date AFTER INSERT ON event_actors BEGIN
    UPDATE event_actors SET end_date = (SELECT end_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND actor_id = NEW.actor_id;
END;
CREATE TRIGGER event_places_end_date AFTER INSERT ON event_places BEGIN
    UPDATE event_places SET end_date = (SELECT end_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND place_id = NEW.place_id;
END;
CREATE TRIGGER event_tags_end_date AFTER INSERT ON event_tags BEGIN
    UPDATE event_tags SET end_date = (SELECT end_date FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND tag = NEW.tag;
END;
CREATE TRIGGER events_links_end_date AFTER UPDATE OF end_date ON events WHEN OLD.end_date IS NOT NEW.end_date BEGIN
    UPDATE event_actors SET end_date = NEW.end_date WHERE event_id = NEW.id;
    UPDATE event_places SET end_date = NEW.end_date WHERE event_id = NEW.id;
    UPDATE event_tags SET end_date = NEW.end_date WHERE event_id = NEW.id;
END;
