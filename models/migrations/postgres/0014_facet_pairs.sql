-- 0014: co-occurrence counts, so that /v1/facets filtered by one value of
-- one dimension (one timeline, type, status, actor, place or tag, no
-- dates, no search) reads the kept counts instead of counting its matches.
--
-- facet_pair_counts counts the events that have both a filter value
-- (filter_dim: timeline, type, status, actor, place, tag) and a facet value
-- (facet_dim: type, status, actor, place, tag). Every event counts once
-- for each ordered pair of its values (the value with itself included: a
-- type's count is the pair (type T, type T)), so an event with three
-- fields and L links has (3 + L) * (2 + L) pairs; the table holds the
-- distinct pairs, bounded by the values' product, not by the events. The
-- facet of one filter value is one range of the primary key, which
-- carries n so that the range is read from the index alone (the rows of
-- one value are otherwise spread over the heap, one page each).
--
-- As in 0011, writers never update a count row: statement triggers append
-- each statement's pairs to facet_pair_deltas, readers add the pending
-- deltas, and fold_count_deltas moves them in. A statement that adds the
-- items N of an event whose other items (after the statement) are R adds
-- the pairs N x R, R x N and N x N; one that removes the items D removes
-- D x R, R x D and D x D. The link tables' triggers find R from the
-- events and link tables as they are after the statement; an event's own
-- fields are paired with its links by the events' triggers. An event
-- deleted (retraction, or a cascade from its timeline) loses all its
-- pairs in a BEFORE DELETE row trigger, while its links are still there;
-- the cascade that then deletes the links no longer sees the event's row,
-- and the link triggers leave the links of an event that is gone alone.
CREATE TABLE facet_pair_counts (
    filter_dim   text NOT NULL,
    filter_value text NOT NULL,
    facet_dim    text NOT NULL,
    facet_value  text NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (filter_dim, filter_value, facet_dim, facet_value) INCLUDE (n)
);
CREATE TABLE facet_pair_deltas (
    filter_dim   text NOT NULL,
    filter_value text NOT NULL,
    facet_dim    text NOT NULL,
    facet_value  text NOT NULL,
    n            bigint NOT NULL
);
CREATE INDEX facet_pair_deltas_key ON facet_pair_deltas (filter_dim, filter_value, facet_dim);

-- event_links is every link of every event as (event_id, dim, value);
-- event_items adds each event's timeline, type and status.
CREATE VIEW event_links AS
SELECT event_id, 'actor'::text AS dim, actor_id AS value FROM event_actors
UNION ALL SELECT event_id, 'place'::text, place_id FROM event_places
UNION ALL SELECT event_id, 'tag'::text, tag FROM event_tags;
CREATE VIEW event_items AS
SELECT id AS event_id, 'timeline'::text AS dim, timeline_id AS value FROM events
UNION ALL SELECT id, 'type'::text, type FROM events
UNION ALL SELECT id, 'status'::text, status FROM events
UNION ALL SELECT event_id, dim, value FROM event_links;

-- The backfill, one pair of item sources at a time, so that each join is
-- of two tables on event_id rather than of every item with every other.
SET LOCAL work_mem = '64MB';
INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
SELECT fd, fv, gd, gv, sum(c) FROM (
    -- the event's fields with each other
    SELECT s.fd, s.fv, s.gd, s.gv, count(*) AS c FROM events e
    CROSS JOIN LATERAL (VALUES
        ('timeline', e.timeline_id, 'type', e.type), ('timeline', e.timeline_id, 'status', e.status),
        ('type', e.type, 'type', e.type), ('type', e.type, 'status', e.status),
        ('status', e.status, 'type', e.type), ('status', e.status, 'status', e.status)) s (fd, fv, gd, gv)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    -- fields with links, both ways
    SELECT s.dim, s.value, l.dim, l.value, count(*) FROM event_links l JOIN events e ON e.id = l.event_id
    CROSS JOIN LATERAL (VALUES ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) s (dim, value)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT l.dim, l.value, s.dim, s.value, count(*) FROM event_links l JOIN events e ON e.id = l.event_id
    CROSS JOIN LATERAL (VALUES ('type', e.type), ('status', e.status)) s (dim, value)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    -- links with links (each with itself included)
    SELECT a.dim, a.value, b.dim, b.value, count(*) FROM event_links a JOIN event_links b ON b.event_id = a.event_id
    GROUP BY 1, 2, 3, 4) p (fd, fv, gd, gv, c)
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;

-- The events' triggers: an event's fields with each other and with its
-- links. A statement that inserts events pairs their fields with the
-- links they have (none, unless inserted before them); one that changes a
-- timeline, type or status moves those pairs. An event deleted loses all
-- its pairs in a BEFORE DELETE row trigger, while its links are still
-- there; the link tables' triggers then skip the links whose event is
-- gone (a cascade runs its deletes, and their statement triggers, in no
-- order that would let each see the others' links).
CREATE FUNCTION facet_pair_event_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH s AS (
            SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM new_rows
            UNION ALL SELECT id, 'type', type FROM new_rows
            UNION ALL SELECT id, 'status', status FROM new_rows),
        l AS (SELECT event_id, dim, value FROM event_links WHERE event_id IN (SELECT id FROM new_rows))
        INSERT INTO facet_pair_deltas (filter_dim, filter_value, facet_dim, facet_value, n)
        SELECT fd, fv, gd, gv, count(*) FROM (
            SELECT a.dim, a.value, b.dim, b.value FROM s a JOIN s b ON b.event_id = a.event_id AND b.dim <> 'timeline'
            UNION ALL SELECT a.dim, a.value, b.dim, b.value FROM s a JOIN l b ON b.event_id = a.event_id
            UNION ALL SELECT a.dim, a.value, b.dim, b.value FROM l a JOIN s b ON b.event_id = a.event_id AND b.dim <> 'timeline'
        ) p (fd, fv, gd, gv) GROUP BY 1, 2, 3, 4;
    ELSE
        WITH moved AS (
            SELECT o.id, o.timeline_id AS old_timeline, o.type AS old_type, o.status AS old_status,
                n.timeline_id AS new_timeline, n.type AS new_type, n.status AS new_status
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.timeline_id, o.type, o.status) IS DISTINCT FROM (n.timeline_id, n.type, n.status)),
        s AS (
            SELECT id AS event_id, 'timeline' AS dim, new_timeline AS value, 1 AS c FROM moved
            UNION ALL SELECT id, 'type', new_type, 1 FROM moved
            UNION ALL SELECT id, 'status', new_status, 1 FROM moved
            UNION ALL SELECT id, 'timeline', old_timeline, -1 FROM moved
            UNION ALL SELECT id, 'type', old_type, -1 FROM moved
            UNION ALL SELECT id, 'status', old_status, -1 FROM moved),
        l AS (SELECT event_id, dim, value FROM event_links WHERE event_id IN (SELECT id FROM moved))
        INSERT INTO facet_pair_deltas (filter_dim, filter_value, facet_dim, facet_value, n)
        SELECT fd, fv, gd, gv, sum(c) FROM (
            SELECT a.dim, a.value, b.dim, b.value, a.c FROM s a JOIN s b ON b.event_id = a.event_id AND b.c = a.c AND b.dim <> 'timeline'
            UNION ALL SELECT a.dim, a.value, b.dim, b.value, a.c FROM s a JOIN l b ON b.event_id = a.event_id
            UNION ALL SELECT a.dim, a.value, b.dim, b.value, b.c FROM l a JOIN s b ON b.event_id = a.event_id AND b.dim <> 'timeline'
        ) p (fd, fv, gd, gv, c) GROUP BY 1, 2, 3, 4 HAVING sum(c) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_facet_pairs_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_event_deltas();
CREATE TRIGGER events_facet_pairs_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_event_deltas();

CREATE FUNCTION facet_pair_event_unlink() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO facet_pair_deltas (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT a.dim, a.value, b.dim, b.value, -1 FROM event_items a JOIN event_items b ON b.event_id = a.event_id
    WHERE a.event_id = OLD.id AND b.event_id = OLD.id AND b.dim <> 'timeline';
    RETURN OLD;
END $$;
CREATE TRIGGER events_facet_pairs_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION facet_pair_event_unlink();

-- The link tables' triggers, one function for the three: TG_ARGV is the
-- dimension and the link table's value column (read through to_jsonb, so
-- that the statements are static and planned once). N is the links a
-- statement added, D those it removed, each of an event still there (an
-- UPDATE that keeps a link's event and value, as the date refresh of 0005
-- and 0011 does, adds and removes nothing, and a cascade's links are
-- left to the event's delete trigger), R each touched event's items after
-- the statement but N.
CREATE FUNCTION facet_pair_link_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_events text[];
    n_values text[];
    d_events text[];
    d_values text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(x.event_id), array_agg(to_jsonb(x) ->> TG_ARGV[1]) INTO n_events, n_values
        FROM new_rows x WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = x.event_id);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(x.event_id), array_agg(to_jsonb(x) ->> TG_ARGV[1]) INTO d_events, d_values
        FROM old_rows x WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = x.event_id);
    ELSE
        SELECT array_agg(x.event_id), array_agg(x.value) INTO n_events, n_values FROM (
            SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] AS value FROM new_rows r
            EXCEPT ALL SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] FROM old_rows r) x
        WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = x.event_id);
        SELECT array_agg(x.event_id), array_agg(x.value) INTO d_events, d_values FROM (
            SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] AS value FROM old_rows r
            EXCEPT ALL SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] FROM new_rows r) x
        WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = x.event_id);
    END IF;
    IF n_events IS NULL AND d_events IS NULL THEN
        RETURN NULL;
    END IF;
    WITH n AS (SELECT u.event_id, TG_ARGV[0] AS dim, u.value FROM unnest(n_events, n_values) u (event_id, value)),
    d AS (SELECT u.event_id, TG_ARGV[0] AS dim, u.value FROM unnest(d_events, d_values) u (event_id, value)),
    -- The touched events joined, not matched with = ANY (array): in the
    -- generic plan PL/pgSQL keeps after a few calls the array is a
    -- parameter, which PostgreSQL 15 does not hash, so a filter over a
    -- table planned as small compared each row with every element (a
    -- statement adding a tag to 100,000 events ran for 5 minutes).
    t AS (SELECT DISTINCT u.event_id FROM unnest(COALESCE(n_events, '{}') || COALESCE(d_events, '{}')) u (event_id)),
    r AS (SELECT i.event_id, i.dim, i.value FROM t JOIN event_items i ON i.event_id = t.event_id
        WHERE NOT EXISTS (SELECT 1 FROM n WHERE n.event_id = i.event_id AND n.dim = i.dim AND n.value = i.value))
    INSERT INTO facet_pair_deltas (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT fd, fv, gd, gv, sum(c) FROM (
        SELECT a.dim, a.value, b.dim, b.value, 1 FROM n a JOIN r b ON b.event_id = a.event_id AND b.dim <> 'timeline'
        UNION ALL SELECT a.dim, a.value, b.dim, b.value, 1 FROM r a JOIN n b ON b.event_id = a.event_id
        UNION ALL SELECT a.dim, a.value, b.dim, b.value, 1 FROM n a JOIN n b ON b.event_id = a.event_id
        UNION ALL SELECT a.dim, a.value, b.dim, b.value, -1 FROM d a JOIN r b ON b.event_id = a.event_id AND b.dim <> 'timeline'
        UNION ALL SELECT a.dim, a.value, b.dim, b.value, -1 FROM r a JOIN d b ON b.event_id = a.event_id
        UNION ALL SELECT a.dim, a.value, b.dim, b.value, -1 FROM d a JOIN d b ON b.event_id = a.event_id
    ) p (fd, fv, gd, gv, c) GROUP BY 1, 2, 3, 4 HAVING sum(c) <> 0;
    RETURN NULL;
END $$;
CREATE TRIGGER event_actors_facet_pairs_insert AFTER INSERT ON event_actors REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('actor', 'actor_id');
CREATE TRIGGER event_actors_facet_pairs_update AFTER UPDATE ON event_actors REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('actor', 'actor_id');
CREATE TRIGGER event_actors_facet_pairs_delete AFTER DELETE ON event_actors REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('actor', 'actor_id');
CREATE TRIGGER event_places_facet_pairs_insert AFTER INSERT ON event_places REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('place', 'place_id');
CREATE TRIGGER event_places_facet_pairs_update AFTER UPDATE ON event_places REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('place', 'place_id');
CREATE TRIGGER event_places_facet_pairs_delete AFTER DELETE ON event_places REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('place', 'place_id');
CREATE TRIGGER event_tags_facet_pairs_insert AFTER INSERT ON event_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('tag', 'tag');
CREATE TRIGGER event_tags_facet_pairs_update AFTER UPDATE ON event_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('tag', 'tag');
CREATE TRIGGER event_tags_facet_pairs_delete AFTER DELETE ON event_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facet_pair_link_deltas('tag', 'tag');

-- fold_count_deltas (0011) folds the pairs too.
CREATE OR REPLACE FUNCTION fold_count_deltas() RETURNS void LANGUAGE sql AS $$
    WITH d AS (DELETE FROM event_year_deltas RETURNING dim, value, first_year, last_year, n)
    INSERT INTO event_year_counts AS c (dim, value, first_year, last_year, n)
    SELECT dim, value, first_year, last_year, sum(n) FROM d
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = c.n + excluded.n;
    WITH d AS (DELETE FROM link_count_deltas RETURNING kind, key, n)
    INSERT INTO link_counts AS c (kind, key, n)
    SELECT kind, key, sum(n) FROM d GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (kind, key) DO UPDATE SET n = c.n + excluded.n;
    WITH d AS (DELETE FROM facet_pair_deltas RETURNING filter_dim, filter_value, facet_dim, facet_value, n)
    INSERT INTO facet_pair_counts AS c (filter_dim, filter_value, facet_dim, facet_value, n)
    SELECT filter_dim, filter_value, facet_dim, facet_value, sum(n) FROM d
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (filter_dim, filter_value, facet_dim, facet_value) DO UPDATE SET n = c.n + excluded.n;
$$;
