-- 0015: the span index of 0005 per actor, place and tag (kind 1, 2, 3), so
-- that a page led by a link filter with a period reads only the driver's
-- events that run into the period. See the PostgreSQL migration of the
-- same number for the design.
--
-- A row is a function of one link row: its kind, value, event_id,
-- start_date and the node keys of its dates (cut as in 0005, repeated in
-- each trigger: SQLite's triggers call no shared function). Each trigger
-- touches the one link row it fires for, by the primary key, so a
-- statement costs what it touches. An inserted link reads its event's
-- dates (its own are filled by the AFTER INSERT triggers of 0005 and 0011,
-- whose UPDATEs the update trigger follows, in whichever order SQLite runs
-- them: hence OR IGNORE).
CREATE TABLE event_link_spans (
    kind       INTEGER NOT NULL,
    driver     TEXT NOT NULL,
    node_key   INTEGER NOT NULL,
    start_date DATE NOT NULL,
    event_id   TEXT NOT NULL,
    PRIMARY KEY (kind, driver, node_key, start_date, event_id)
) WITHOUT ROWID;

INSERT INTO event_link_spans (kind, driver, node_key, start_date, event_id)
SELECT 1, l.actor_id, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_actors l ON l.event_id = sp.event_id
UNION ALL
SELECT 2, l.place_id, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_places l ON l.event_id = sp.event_id
UNION ALL
SELECT 3, l.tag, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_tags l ON l.event_id = sp.event_id;

CREATE TRIGGER event_actors_link_spans_insert AFTER INSERT ON event_actors BEGIN
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 1, NEW.actor_id, node_key, (SELECT start_date FROM events WHERE id = NEW.event_id), NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;

CREATE TRIGGER event_actors_link_spans_delete AFTER DELETE ON event_actors BEGIN
    DELETE FROM event_link_spans WHERE kind = 1 AND driver = OLD.actor_id AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
END;

CREATE TRIGGER event_actors_link_spans_update AFTER UPDATE OF event_id, actor_id, start_date, end_date ON event_actors
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.actor_id IS NOT NEW.actor_id
    OR OLD.start_date IS NOT NEW.start_date OR OLD.end_date IS NOT NEW.end_date BEGIN
    DELETE FROM event_link_spans WHERE kind = 1 AND driver = OLD.actor_id AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 1, NEW.actor_id, node_key, NEW.start_date, NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;

CREATE TRIGGER event_places_link_spans_insert AFTER INSERT ON event_places BEGIN
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 2, NEW.place_id, node_key, (SELECT start_date FROM events WHERE id = NEW.event_id), NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;

CREATE TRIGGER event_places_link_spans_delete AFTER DELETE ON event_places BEGIN
    DELETE FROM event_link_spans WHERE kind = 2 AND driver = OLD.place_id AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
END;

CREATE TRIGGER event_places_link_spans_update AFTER UPDATE OF event_id, place_id, start_date, end_date ON event_places
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.place_id IS NOT NEW.place_id
    OR OLD.start_date IS NOT NEW.start_date OR OLD.end_date IS NOT NEW.end_date BEGIN
    DELETE FROM event_link_spans WHERE kind = 2 AND driver = OLD.place_id AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 2, NEW.place_id, node_key, NEW.start_date, NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;

CREATE TRIGGER event_tags_link_spans_insert AFTER INSERT ON event_tags BEGIN
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 3, NEW.tag, node_key, (SELECT start_date FROM events WHERE id = NEW.event_id), NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday((SELECT start_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday((SELECT end_date FROM events WHERE id = NEW.event_id)) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;

CREATE TRIGGER event_tags_link_spans_delete AFTER DELETE ON event_tags BEGIN
    DELETE FROM event_link_spans WHERE kind = 3 AND driver = OLD.tag AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
END;

CREATE TRIGGER event_tags_link_spans_update AFTER UPDATE OF event_id, tag, start_date, end_date ON event_tags
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.tag IS NOT NEW.tag
    OR OLD.start_date IS NOT NEW.start_date OR OLD.end_date IS NOT NEW.end_date BEGIN
    DELETE FROM event_link_spans WHERE kind = 3 AND driver = OLD.tag AND start_date = OLD.start_date
        AND event_id = OLD.event_id AND node_key IN (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(OLD.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(OLD.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi);
    INSERT OR IGNORE INTO event_link_spans (kind, driver, node_key, start_date, event_id)
    SELECT 3, NEW.tag, node_key, NEW.start_date, NEW.event_id FROM (
        SELECT lv * 4194304 + lo + j AS node_key FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE lo + j < hi AND lo + j < 4 * ((lo + 3) / 4)
        UNION ALL
        SELECT lv * 4194304 + 4 * (hi / 4) + j FROM (SELECT lv, (a + width - 1) / width AS lo, (b + 1) / width AS hi
            FROM (SELECT CAST(julianday(NEW.start_date) - 1721425.5 AS INTEGER) + 1 AS a,
                CAST(julianday(NEW.end_date) - 1721425.5 AS INTEGER) AS b) AS d, span_levels WHERE a <= b) AS x, span_offsets
        WHERE hi / 4 >= (lo + 3) / 4 AND 4 * (hi / 4) + j < hi) AS n;
END;
