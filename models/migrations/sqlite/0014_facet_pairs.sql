-- 0014: co-occurrence counts for /v1/facets filtered by one value of one
-- dimension (see the PostgreSQL migration). SQLite has one writer at a
-- time: row triggers update facet_pair_counts directly, and
-- facet_pair_deltas exists for the shared read queries but stays empty.
-- A link added pairs with its event's items as they are after the insert
-- (itself once); a link removed unpairs from the items left. An event
-- deleted loses all its pairs in a BEFORE DELETE trigger, while its links
-- are there; the link triggers leave the links of an event that is gone
-- (a cascade) alone. The decrements join the pairs to take off with
-- UPDATE ... FROM, so that each probes the primary key: a row-value IN
-- (subquery) scans the whole table for every link removed. The triggers
-- read one event's items from the tables themselves, each by its key,
-- never through the event_items view: SQLite does not push the event's
-- id into the view's arms, so each link inserted through it scanned every
-- event (quadratic: copying 5,000 events into SQLite did not finish in 26
-- minutes under the race detector).
CREATE TABLE facet_pair_counts (
    filter_dim   text NOT NULL,
    filter_value text NOT NULL,
    facet_dim    text NOT NULL,
    facet_value  text NOT NULL,
    n            integer NOT NULL,
    PRIMARY KEY (filter_dim, filter_value, facet_dim, facet_value)
) WITHOUT ROWID;
CREATE TABLE facet_pair_deltas (
    filter_dim   text NOT NULL,
    filter_value text NOT NULL,
    facet_dim    text NOT NULL,
    facet_value  text NOT NULL,
    n            integer NOT NULL
);
CREATE INDEX facet_pair_deltas_key ON facet_pair_deltas (filter_dim, filter_value, facet_dim);

CREATE VIEW event_links AS
SELECT event_id, 'actor' AS dim, actor_id AS value FROM event_actors
UNION ALL SELECT event_id, 'place', place_id FROM event_places
UNION ALL SELECT event_id, 'tag', tag FROM event_tags;
CREATE VIEW event_items AS
SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events
UNION ALL SELECT id, 'type', type FROM events
UNION ALL SELECT id, 'status', status FROM events
UNION ALL SELECT event_id, dim, value FROM event_links;

-- The backfill through an indexed copy of the items, so that the self
-- join probes an index instead of scanning the union per item.
CREATE TABLE facet_pair_items (event_id text NOT NULL, dim text NOT NULL, value text NOT NULL);
INSERT INTO facet_pair_items SELECT event_id, dim, value FROM event_items;
CREATE INDEX facet_pair_items_event ON facet_pair_items (event_id);
INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
SELECT a.dim, a.value, b.dim, b.value, count(*) FROM facet_pair_items a
JOIN facet_pair_items b ON b.event_id = a.event_id AND b.dim <> 'timeline'
GROUP BY 1, 2, 3, 4;
DROP TABLE facet_pair_items;

-- An event's fields with each other and with its links, both ways.
CREATE TRIGGER events_facet_pairs_insert AFTER INSERT ON events BEGIN
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT a.dim, a.value, b.dim, b.value, 1 FROM
        (SELECT 'timeline' AS dim, NEW.timeline_id AS value UNION ALL SELECT 'type', NEW.type UNION ALL SELECT 'status', NEW.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = NEW.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = NEW.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = NEW.id) a,
        (SELECT 'type' AS dim, NEW.type AS value UNION ALL SELECT 'status', NEW.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = NEW.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = NEW.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = NEW.id) b
        WHERE a.dim IN ('timeline', 'type', 'status') OR b.dim IN ('type', 'status')
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER events_facet_pairs_delete BEFORE DELETE ON events BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT a.dim AS k1, a.value AS k2, b.dim AS k3, b.value AS k4 FROM
            (SELECT 'timeline' AS dim, OLD.timeline_id AS value UNION ALL SELECT 'type', OLD.type UNION ALL SELECT 'status', OLD.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = OLD.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = OLD.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = OLD.id) a,
            (SELECT 'type' AS dim, OLD.type AS value UNION ALL SELECT 'status', OLD.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = OLD.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = OLD.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = OLD.id) b
        WHERE TRUE) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
END;
CREATE TRIGGER events_facet_pairs_update AFTER UPDATE OF timeline_id, type, status ON events
WHEN OLD.timeline_id IS NOT NEW.timeline_id OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT a.dim AS k1, a.value AS k2, b.dim AS k3, b.value AS k4 FROM
            (SELECT 'timeline' AS dim, OLD.timeline_id AS value UNION ALL SELECT 'type', OLD.type UNION ALL SELECT 'status', OLD.status) a,
            (SELECT 'type' AS dim, OLD.type AS value UNION ALL SELECT 'status', OLD.status) b
        UNION ALL SELECT s.dim, s.value, l.dim, l.value FROM (SELECT 'actor' AS dim, actor_id AS value FROM event_actors WHERE event_id = OLD.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = OLD.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = OLD.id) l,
            (SELECT 'timeline' AS dim, OLD.timeline_id AS value UNION ALL SELECT 'type', OLD.type UNION ALL SELECT 'status', OLD.status) s
        UNION ALL SELECT l.dim, l.value, s.dim, s.value FROM (SELECT 'actor' AS dim, actor_id AS value FROM event_actors WHERE event_id = OLD.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = OLD.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = OLD.id) l,
            (SELECT 'type' AS dim, OLD.type AS value UNION ALL SELECT 'status', OLD.status) s
        ) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT a.dim, a.value, b.dim, b.value, 1 FROM
        (SELECT 'timeline' AS dim, NEW.timeline_id AS value UNION ALL SELECT 'type', NEW.type UNION ALL SELECT 'status', NEW.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = NEW.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = NEW.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = NEW.id) a,
        (SELECT 'type' AS dim, NEW.type AS value UNION ALL SELECT 'status', NEW.status UNION ALL SELECT 'actor', actor_id FROM event_actors WHERE event_id = NEW.id UNION ALL SELECT 'place', place_id FROM event_places WHERE event_id = NEW.id UNION ALL SELECT 'tag', tag FROM event_tags WHERE event_id = NEW.id) b
        WHERE a.dim IN ('timeline', 'type', 'status') OR b.dim IN ('type', 'status')
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;

-- A link's pairs: added with the items its event has after the insert,
-- removed with those it has left; a changed link is both.
CREATE TRIGGER event_actors_facet_pairs_insert AFTER INSERT ON event_actors BEGIN
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'actor', NEW.actor_id, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'actor', NEW.actor_id, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'actor' AND i.value = NEW.actor_id)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_actors_facet_pairs_delete AFTER DELETE ON event_actors
WHEN EXISTS (SELECT 1 FROM events WHERE id = OLD.event_id) BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'actor' AS k1, OLD.actor_id AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'actor', OLD.actor_id FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE
        UNION ALL SELECT 'actor', OLD.actor_id, 'actor', OLD.actor_id) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
END;
CREATE TRIGGER event_actors_facet_pairs_update AFTER UPDATE OF event_id, actor_id ON event_actors
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.actor_id IS NOT NEW.actor_id BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'actor' AS k1, OLD.actor_id AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline' AND NOT (i.event_id = NEW.event_id AND i.dim = 'actor' AND i.value = NEW.actor_id)
        UNION ALL SELECT i.dim, i.value, 'actor', OLD.actor_id FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND NOT (i.event_id = NEW.event_id AND i.dim = 'actor' AND i.value = NEW.actor_id)
        UNION ALL SELECT 'actor', OLD.actor_id, 'actor', OLD.actor_id) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'actor', NEW.actor_id, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'actor', NEW.actor_id, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'actor' AND i.value = NEW.actor_id)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_places_facet_pairs_insert AFTER INSERT ON event_places BEGIN
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'place', NEW.place_id, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'place', NEW.place_id, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'place' AND i.value = NEW.place_id)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_places_facet_pairs_delete AFTER DELETE ON event_places
WHEN EXISTS (SELECT 1 FROM events WHERE id = OLD.event_id) BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'place' AS k1, OLD.place_id AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'place', OLD.place_id FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE
        UNION ALL SELECT 'place', OLD.place_id, 'place', OLD.place_id) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
END;
CREATE TRIGGER event_places_facet_pairs_update AFTER UPDATE OF event_id, place_id ON event_places
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.place_id IS NOT NEW.place_id BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'place' AS k1, OLD.place_id AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline' AND NOT (i.event_id = NEW.event_id AND i.dim = 'place' AND i.value = NEW.place_id)
        UNION ALL SELECT i.dim, i.value, 'place', OLD.place_id FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND NOT (i.event_id = NEW.event_id AND i.dim = 'place' AND i.value = NEW.place_id)
        UNION ALL SELECT 'place', OLD.place_id, 'place', OLD.place_id) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'place', NEW.place_id, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'place', NEW.place_id, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'place' AND i.value = NEW.place_id)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_tags_facet_pairs_insert AFTER INSERT ON event_tags BEGIN
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'tag', NEW.tag, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'tag', NEW.tag, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'tag' AND i.value = NEW.tag)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_tags_facet_pairs_delete AFTER DELETE ON event_tags
WHEN EXISTS (SELECT 1 FROM events WHERE id = OLD.event_id) BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'tag' AS k1, OLD.tag AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'tag', OLD.tag FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE
        UNION ALL SELECT 'tag', OLD.tag, 'tag', OLD.tag) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
END;
CREATE TRIGGER event_tags_facet_pairs_update AFTER UPDATE OF event_id, tag ON event_tags
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.tag IS NOT NEW.tag BEGIN
    UPDATE facet_pair_counts SET n = n - 1 FROM (
        SELECT 'tag' AS k1, OLD.tag AS k2, i.dim AS k3, i.value AS k4 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND i.dim <> 'timeline' AND NOT (i.event_id = NEW.event_id AND i.dim = 'tag' AND i.value = NEW.tag)
        UNION ALL SELECT i.dim, i.value, 'tag', OLD.tag FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = OLD.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = OLD.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = OLD.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = OLD.event_id) i WHERE TRUE AND NOT (i.event_id = NEW.event_id AND i.dim = 'tag' AND i.value = NEW.tag)
        UNION ALL SELECT 'tag', OLD.tag, 'tag', OLD.tag) AS d
    WHERE facet_pair_counts.filter_dim = d.k1 AND facet_pair_counts.filter_value = d.k2
        AND facet_pair_counts.facet_dim = d.k3 AND facet_pair_counts.facet_value = d.k4;
    INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT * FROM (
        SELECT 'tag', NEW.tag, i.dim, i.value, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i WHERE TRUE AND i.dim <> 'timeline'
        UNION ALL SELECT i.dim, i.value, 'tag', NEW.tag, 1 FROM (SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'type', type FROM events WHERE id = NEW.event_id UNION ALL SELECT id, 'status', status FROM events WHERE id = NEW.event_id UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'place', place_id FROM event_places WHERE event_id = NEW.event_id UNION ALL SELECT event_id, 'tag', tag FROM event_tags WHERE event_id = NEW.event_id) i
        WHERE NOT (i.dim = 'tag' AND i.value = NEW.tag)) WHERE TRUE
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = n + 1;
END;
