-- 0011: counts kept by the database, so that /v1/years, /v1/facets and the
-- catalog lists cost what they return, not what the table holds.
--
-- event_year_counts counts the events by (first year, last year): all of
-- them (dim 'all', value ''), and those of each timeline, type and status
-- (dim 'timeline', 'type', 'status'; value the timeline id, type or
-- status). The year histogram spreads each row over its years, as the
-- count over events did, so an event still counts in every year it
-- overlaps; a histogram filtered by one of these dimensions reads that
-- dimension's rows. link_counts counts the links of each actor, place and
-- tag, and the events of each timeline, type and status. Writers never
-- update these rows: statement triggers append the change of each
-- statement to a delta table (no row is shared between writers, so
-- concurrent writers neither wait for each other nor deadlock), and
-- readers add the pending deltas to the counts.
-- fold_count_deltas moves the deltas into the counts (FoldCounts, after
-- writes, one folder at a time).
CREATE TABLE event_year_counts (
    dim        text NOT NULL,
    value      text NOT NULL,
    first_year integer NOT NULL,
    last_year  integer NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (dim, value, first_year, last_year)
);
CREATE TABLE event_year_deltas (
    dim        text NOT NULL,
    value      text NOT NULL,
    first_year integer NOT NULL,
    last_year  integer NOT NULL,
    n          bigint NOT NULL
);
CREATE INDEX event_year_deltas_key ON event_year_deltas (dim, value);
CREATE TABLE link_counts (
    kind text NOT NULL,
    key  text NOT NULL,
    n    bigint NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE link_count_deltas (
    kind text NOT NULL,
    key  text NOT NULL,
    n    bigint NOT NULL
);
CREATE INDEX link_count_deltas_key ON link_count_deltas (kind, key);

-- The backfill: the events by first and last year, spread over the four
-- dimensions (the view is only its helper).
CREATE VIEW event_year_dims_of_events AS
SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS first_year,
    CAST(EXTRACT(YEAR FROM end_date) AS integer) AS last_year FROM events;

INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT d.dim, d.value, e.first_year, e.last_year, sum(e.n)
FROM (SELECT timeline_id, type, status, first_year, last_year, count(*) AS n FROM event_year_dims_of_events GROUP BY 1, 2, 3, 4, 5) e
CROSS JOIN LATERAL (VALUES ('all', ''), ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (dim, value)
GROUP BY 1, 2, 3, 4;
DROP VIEW event_year_dims_of_events;
INSERT INTO link_counts (kind, key, n) SELECT 'timeline', timeline_id, count(*) FROM events GROUP BY timeline_id;
INSERT INTO link_counts (kind, key, n) SELECT 'type', type, count(*) FROM events GROUP BY type;
INSERT INTO link_counts (kind, key, n) SELECT 'status', status, count(*) FROM events GROUP BY status;
INSERT INTO link_counts (kind, key, n) SELECT 'actor', actor_id, count(*) FROM event_actors GROUP BY actor_id;
INSERT INTO link_counts (kind, key, n) SELECT 'place', place_id, count(*) FROM event_places GROUP BY place_id;
INSERT INTO link_counts (kind, key, n) SELECT 'tag', tag, count(*) FROM event_tags GROUP BY tag;

CREATE FUNCTION event_year_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT d.dim, d.value, e.y1, e.y2, sum(e.c) FROM (
            SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1,
                CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, 1 AS c FROM new_rows) e
        CROSS JOIN LATERAL (VALUES ('all', ''), ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (dim, value)
        GROUP BY 1, 2, 3, 4;
        INSERT INTO link_count_deltas (kind, key, n)
        SELECT d.kind, d.key, sum(e.c) FROM (SELECT timeline_id, type, status, 1 AS c FROM new_rows) e
        CROSS JOIN LATERAL (VALUES ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (kind, key)
        GROUP BY 1, 2 HAVING sum(e.c) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT d.dim, d.value, e.y1, e.y2, sum(e.c) FROM (
            SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1,
                CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, -1 AS c FROM old_rows) e
        CROSS JOIN LATERAL (VALUES ('all', ''), ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (dim, value)
        GROUP BY 1, 2, 3, 4;
        INSERT INTO link_count_deltas (kind, key, n)
        SELECT d.kind, d.key, sum(e.c) FROM (SELECT timeline_id, type, status, -1 AS c FROM old_rows) e
        CROSS JOIN LATERAL (VALUES ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (kind, key)
        GROUP BY 1, 2 HAVING sum(e.c) <> 0;
    ELSE
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT d.dim, d.value, e.y1, e.y2, sum(e.c) FROM (
            SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1,
                CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, 1 AS c FROM new_rows
            UNION ALL
            SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer),
                CAST(EXTRACT(YEAR FROM end_date) AS integer), -1 FROM old_rows) e
        CROSS JOIN LATERAL (VALUES ('all', ''), ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (dim, value)
        GROUP BY 1, 2, 3, 4 HAVING sum(e.c) <> 0;
        INSERT INTO link_count_deltas (kind, key, n)
        SELECT d.kind, d.key, sum(e.c) FROM (SELECT timeline_id, type, status, 1 AS c FROM new_rows UNION ALL SELECT timeline_id, type, status, -1 FROM old_rows) e
        CROSS JOIN LATERAL (VALUES ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (kind, key)
        GROUP BY 1, 2 HAVING sum(e.c) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_year_deltas_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_year_deltas_record();
CREATE TRIGGER events_year_deltas_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_year_deltas_record();
CREATE TRIGGER events_year_deltas_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_year_deltas_record();

-- link_count_deltas_record(kind): the links a statement added and removed,
-- by key. The key column differs per table, so each table has its own
-- function body behind one shape.
CREATE FUNCTION actor_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', actor_id, count(*) FROM new_rows GROUP BY 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', actor_id, -count(*) FROM old_rows GROUP BY 2;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', k, sum(d) FROM (
            SELECT actor_id AS k, 1 AS d FROM new_rows UNION ALL SELECT actor_id, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION place_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', place_id, count(*) FROM new_rows GROUP BY 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', place_id, -count(*) FROM old_rows GROUP BY 2;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', k, sum(d) FROM (
            SELECT place_id AS k, 1 AS d FROM new_rows UNION ALL SELECT place_id, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION tag_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', tag, count(*) FROM new_rows GROUP BY 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', tag, -count(*) FROM old_rows GROUP BY 2;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', k, sum(d) FROM (
            SELECT tag AS k, 1 AS d FROM new_rows UNION ALL SELECT tag, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_actors_deltas_insert AFTER INSERT ON event_actors REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION actor_link_deltas_record();
CREATE TRIGGER event_actors_deltas_update AFTER UPDATE ON event_actors REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION actor_link_deltas_record();
CREATE TRIGGER event_actors_deltas_delete AFTER DELETE ON event_actors REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION actor_link_deltas_record();
CREATE TRIGGER event_places_deltas_insert AFTER INSERT ON event_places REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION place_link_deltas_record();
CREATE TRIGGER event_places_deltas_update AFTER UPDATE ON event_places REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION place_link_deltas_record();
CREATE TRIGGER event_places_deltas_delete AFTER DELETE ON event_places REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION place_link_deltas_record();
CREATE TRIGGER event_tags_deltas_insert AFTER INSERT ON event_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tag_link_deltas_record();
CREATE TRIGGER event_tags_deltas_update AFTER UPDATE ON event_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tag_link_deltas_record();
CREATE TRIGGER event_tags_deltas_delete AFTER DELETE ON event_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tag_link_deltas_record();

-- The catalog's period (earliest start, latest end) of an actor, place,
-- tag or timeline is one index probe each: the link tables carry their
-- event's end_date as they carry its start_date (0005).
ALTER TABLE event_actors ADD COLUMN end_date date;
ALTER TABLE event_places ADD COLUMN end_date date;
ALTER TABLE event_tags ADD COLUMN end_date date;
UPDATE event_actors l SET end_date = e.end_date FROM events e WHERE e.id = l.event_id;
UPDATE event_places l SET end_date = e.end_date FROM events e WHERE e.id = l.event_id;
UPDATE event_tags l SET end_date = e.end_date FROM events e WHERE e.id = l.event_id;
CREATE INDEX event_actors_actor_end ON event_actors (actor_id, end_date);
CREATE INDEX event_places_place_end ON event_places (place_id, end_date);
CREATE INDEX event_tags_tag_end ON event_tags (tag, end_date);
CREATE INDEX events_timeline_end ON events (timeline_id, end_date);

CREATE FUNCTION event_link_end_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.end_date := (SELECT end_date FROM events WHERE id = NEW.event_id);
    RETURN NEW;
END $$;
CREATE TRIGGER event_actors_end_date BEFORE INSERT OR UPDATE OF event_id ON event_actors
    FOR EACH ROW EXECUTE FUNCTION event_link_end_date();
CREATE TRIGGER event_places_end_date BEFORE INSERT OR UPDATE OF event_id ON event_places
    FOR EACH ROW EXECUTE FUNCTION event_link_end_date();
CREATE TRIGGER event_tags_end_date BEFORE INSERT OR UPDATE OF event_id ON event_tags
    FOR EACH ROW EXECUTE FUNCTION event_link_end_date();

CREATE FUNCTION event_links_end_date_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_actors SET end_date = NEW.end_date WHERE event_id = NEW.id;
    UPDATE event_places SET end_date = NEW.end_date WHERE event_id = NEW.id;
    UPDATE event_tags SET end_date = NEW.end_date WHERE event_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER events_links_end_date AFTER UPDATE OF end_date ON events
    FOR EACH ROW WHEN (OLD.end_date IS DISTINCT FROM NEW.end_date)
    EXECUTE FUNCTION event_links_end_date_refresh();

-- fold_count_deltas moves the pending deltas into the counts, in key
-- order; the caller holds the fold's advisory lock, so folds do not race.
CREATE FUNCTION fold_count_deltas() RETURNS void LANGUAGE sql AS $$
    WITH d AS (DELETE FROM event_year_deltas RETURNING dim, value, first_year, last_year, n)
    INSERT INTO event_year_counts AS c (dim, value, first_year, last_year, n)
    SELECT dim, value, first_year, last_year, sum(n) FROM d
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (dim, value, first_year, last_year) DO UPDATE SET n = c.n + excluded.n;
    WITH d AS (DELETE FROM link_count_deltas RETURNING kind, key, n)
    INSERT INTO link_counts AS c (kind, key, n)
    SELECT kind, key, sum(n) FROM d GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (kind, key) DO UPDATE SET n = c.n + excluded.n;
$$;
