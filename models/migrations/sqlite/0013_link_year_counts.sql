-- 0013: the year counts by actor, place and tag (see the PostgreSQL
-- migration). SQLite has one writer at a time: row triggers update the
-- counts directly. A link added counts under its event's years (read from
-- events: the link's own dates are filled by a later trigger); a link
-- removed under the dates it carries (its event may be gone already, in a
-- cascade); an event whose years change moves each of its links.
ALTER TABLE event_year_counts ADD COLUMN span_class INTEGER GENERATED ALWAYS AS (
    CASE WHEN last_year - first_year < 1 THEN 0 WHEN last_year - first_year < 2 THEN 1
        WHEN last_year - first_year < 4 THEN 2 WHEN last_year - first_year < 8 THEN 3
        WHEN last_year - first_year < 16 THEN 4 WHEN last_year - first_year < 32 THEN 5
        WHEN last_year - first_year < 64 THEN 6 WHEN last_year - first_year < 128 THEN 7
        WHEN last_year - first_year < 256 THEN 8 WHEN last_year - first_year < 512 THEN 9
        ELSE 10 END) VIRTUAL;

INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'actor', l.actor_id, CAST(substr(e.start_date, 1, 4) AS INTEGER), CAST(substr(e.end_date, 1, 4) AS INTEGER), count(*)
FROM event_actors l JOIN events e ON e.id = l.event_id GROUP BY 2, 3, 4;
INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'place', l.place_id, CAST(substr(e.start_date, 1, 4) AS INTEGER), CAST(substr(e.end_date, 1, 4) AS INTEGER), count(*)
FROM event_places l JOIN events e ON e.id = l.event_id GROUP BY 2, 3, 4;
INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'tag', l.tag, CAST(substr(e.start_date, 1, 4) AS INTEGER), CAST(substr(e.end_date, 1, 4) AS INTEGER), count(*)
FROM event_tags l JOIN events e ON e.id = l.event_id GROUP BY 2, 3, 4;
CREATE INDEX event_year_counts_span ON event_year_counts (dim, span_class, first_year, last_year, value, n);
CREATE INDEX event_year_deltas_span ON event_year_deltas (dim, first_year);

CREATE TRIGGER event_actors_year_counts_insert AFTER INSERT ON event_actors BEGIN
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('actor', NEW.actor_id, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER event_actors_year_counts_delete AFTER DELETE ON event_actors BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'actor' AND value = OLD.actor_id
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
END;
CREATE TRIGGER event_actors_year_counts_update AFTER UPDATE OF actor_id ON event_actors WHEN OLD.actor_id IS NOT NEW.actor_id BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'actor' AND value = OLD.actor_id
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('actor', NEW.actor_id, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER event_places_year_counts_insert AFTER INSERT ON event_places BEGIN
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('place', NEW.place_id, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER event_places_year_counts_delete AFTER DELETE ON event_places BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'place' AND value = OLD.place_id
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
END;
CREATE TRIGGER event_places_year_counts_update AFTER UPDATE OF place_id ON event_places WHEN OLD.place_id IS NOT NEW.place_id BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'place' AND value = OLD.place_id
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('place', NEW.place_id, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER event_tags_year_counts_insert AFTER INSERT ON event_tags BEGIN
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('tag', NEW.tag, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER event_tags_year_counts_delete AFTER DELETE ON event_tags BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'tag' AND value = OLD.tag
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
END;
CREATE TRIGGER event_tags_year_counts_update AFTER UPDATE OF tag ON event_tags WHEN OLD.tag IS NOT NEW.tag BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'tag' AND value = OLD.tag
        AND first_year = COALESCE(CAST(substr(OLD.start_date, 1, 4) AS INTEGER), (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id)) AND last_year = COALESCE(CAST(substr(OLD.end_date, 1, 4) AS INTEGER), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = OLD.event_id));
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n) VALUES ('tag', NEW.tag, (SELECT CAST(substr(start_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), (SELECT CAST(substr(end_date, 1, 4) AS INTEGER) FROM events WHERE id = NEW.event_id), 1)
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER events_link_year_counts_update AFTER UPDATE OF start_date, end_date ON events
WHEN substr(OLD.start_date, 1, 4) IS NOT substr(NEW.start_date, 1, 4) OR substr(OLD.end_date, 1, 4) IS NOT substr(NEW.end_date, 1, 4) BEGIN
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'actor' AND value IN (SELECT actor_id FROM event_actors WHERE event_id = NEW.id)
        AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
    SELECT 'actor', actor_id, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1 FROM event_actors WHERE event_id = NEW.id AND TRUE
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'place' AND value IN (SELECT place_id FROM event_places WHERE event_id = NEW.id)
        AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
    SELECT 'place', place_id, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1 FROM event_places WHERE event_id = NEW.id AND TRUE
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
    UPDATE event_year_counts SET n = n - 1 WHERE dim = 'tag' AND value IN (SELECT tag FROM event_tags WHERE event_id = NEW.id)
        AND first_year = CAST(substr(OLD.start_date, 1, 4) AS INTEGER) AND last_year = CAST(substr(OLD.end_date, 1, 4) AS INTEGER);
    INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
    SELECT 'tag', tag, CAST(substr(NEW.start_date, 1, 4) AS INTEGER), CAST(substr(NEW.end_date, 1, 4) AS INTEGER), 1 FROM event_tags WHERE event_id = NEW.id AND TRUE
        ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = n + 1;
END;
