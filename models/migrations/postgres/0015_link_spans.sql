-- 0015: the span index of 0005 per actor, place and tag, so that a page
-- led by a link filter with a period reads only the driver's events that
-- run into the period from before it.
--
-- Without it, the arm of those events read every span key of event_spans
-- holding the period's first day (a share of the table: 1,607 keys for
-- 2019 at 1,000,000 events) and probed each for the link, or the driver's
-- links before the period (another share), whichever was fewer. Here the
-- blocks holding day p of one actor (kind 1), place (2) or tag (3) are
-- twelve ranges of the primary key, each holding only that driver's events
-- with start < p <= end, in date order.
--
-- A row is a function of one link row alone: its kind, value, event_id,
-- start_date and the node keys of event_span_nodes(start_date, end_date)
-- (the link tables carry their event's dates, 0005 and 0011). Single-day
-- events have none. The link tables' triggers keep it: an event whose
-- dates change updates its links' dates (0005, 0011), and an event deleted
-- deletes its links (cascade), each of which these triggers follow. There
-- is no foreign key: a cascade would need a second index on event_id,
-- while the triggers delete a link's rows by the primary key, from the
-- link's old values (as event_words does, 0012).
--
-- One table with a kind rather than one a link table: the same index
-- ranges (a kind and a value lead every key), one backfill, one reader.
CREATE TABLE event_link_spans (
    kind       smallint NOT NULL,
    driver     text NOT NULL,
    node_key   integer NOT NULL,
    start_date date NOT NULL,
    event_id   text NOT NULL
);

-- The backfill reads event_spans, whose rows are the same function of the
-- events' dates, which the link tables carry.
SET LOCAL work_mem = '64MB';
INSERT INTO event_link_spans (kind, driver, node_key, start_date, event_id)
SELECT 1, l.actor_id, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_actors l ON l.event_id = sp.event_id
UNION ALL
SELECT 2, l.place_id, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_places l ON l.event_id = sp.event_id
UNION ALL
SELECT 3, l.tag, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_tags l ON l.event_id = sp.event_id;
ALTER TABLE event_link_spans ADD PRIMARY KEY (kind, driver, node_key, start_date, event_id);

-- One function for the three link tables: TG_ARGV is the kind and the link
-- table's value column (read through to_jsonb, as in 0014, so that the
-- statements are static and planned once). Statement triggers over the
-- transition tables, each statement joined to the links it touched (no
-- arrays, see 0014): an UPDATE removes the old values' rows that the new
-- values do not have and adds the reverse, so one that changes no link's
-- event, value or dates (a role, a position) touches nothing.
CREATE FUNCTION event_link_spans_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An event whose end moves updates its links' start_date too (0005),
    -- to the same value: no rows, and nothing to plan.
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- The rows to delete are computed first (MATERIALIZED), so that each is
    -- one probe of the whole primary key: joined directly, the planner
    -- read the driver's range of the key for the link's start_date and
    -- event_id, and only then its node keys (a frequent driver's range is
    -- a share of the table).
    IF TG_OP = 'DELETE' THEN
        WITH d AS MATERIALIZED (
            SELECT x.driver, n AS node_key, x.start_date, x.event_id
            FROM (SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] AS driver, start_date, end_date FROM old_rows r) x,
                LATERAL event_span_nodes(x.start_date, x.end_date) AS n)
        DELETE FROM event_link_spans s USING d
        WHERE s.kind = TG_ARGV[0]::smallint AND s.driver = d.driver AND s.node_key = d.node_key
            AND s.start_date = d.start_date AND s.event_id = d.event_id;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only the blocks that changed: an end moved keeps the blocks on
        -- the start's side; a role or position changed keeps them all.
        WITH o AS (
            SELECT to_jsonb(r) ->> TG_ARGV[1] AS driver, n AS node_key, r.start_date, r.event_id
            FROM old_rows r, LATERAL event_span_nodes(r.start_date, r.end_date) AS n),
        w AS (
            SELECT to_jsonb(r) ->> TG_ARGV[1] AS driver, n AS node_key, r.start_date, r.event_id
            FROM new_rows r, LATERAL event_span_nodes(r.start_date, r.end_date) AS n),
        d AS MATERIALIZED (SELECT * FROM o EXCEPT ALL SELECT * FROM w)
        DELETE FROM event_link_spans s USING d
        WHERE s.kind = TG_ARGV[0]::smallint AND s.driver = d.driver AND s.node_key = d.node_key
            AND s.start_date = d.start_date AND s.event_id = d.event_id;
        INSERT INTO event_link_spans (kind, driver, node_key, start_date, event_id)
        SELECT TG_ARGV[0]::smallint, x.driver, x.node_key, x.start_date, x.event_id FROM (
            SELECT to_jsonb(r) ->> TG_ARGV[1] AS driver, n AS node_key, r.start_date, r.event_id
            FROM new_rows r, LATERAL event_span_nodes(r.start_date, r.end_date) AS n
            EXCEPT ALL
            SELECT to_jsonb(r) ->> TG_ARGV[1], n, r.start_date, r.event_id
            FROM old_rows r, LATERAL event_span_nodes(r.start_date, r.end_date) AS n) x;
    ELSE
        INSERT INTO event_link_spans (kind, driver, node_key, start_date, event_id)
        SELECT TG_ARGV[0]::smallint, x.driver, n, x.start_date, x.event_id
        FROM (SELECT event_id, to_jsonb(r) ->> TG_ARGV[1] AS driver, start_date, end_date FROM new_rows r) x,
            LATERAL event_span_nodes(x.start_date, x.end_date) AS n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_actors_link_spans_insert AFTER INSERT ON event_actors REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('1', 'actor_id');
CREATE TRIGGER event_actors_link_spans_update AFTER UPDATE ON event_actors REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('1', 'actor_id');
CREATE TRIGGER event_actors_link_spans_delete AFTER DELETE ON event_actors REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('1', 'actor_id');
CREATE TRIGGER event_places_link_spans_insert AFTER INSERT ON event_places REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('2', 'place_id');
CREATE TRIGGER event_places_link_spans_update AFTER UPDATE ON event_places REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('2', 'place_id');
CREATE TRIGGER event_places_link_spans_delete AFTER DELETE ON event_places REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('2', 'place_id');
CREATE TRIGGER event_tags_link_spans_insert AFTER INSERT ON event_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('3', 'tag');
CREATE TRIGGER event_tags_link_spans_update AFTER UPDATE ON event_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('3', 'tag');
CREATE TRIGGER event_tags_link_spans_delete AFTER DELETE ON event_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_link_spans_refresh('3', 'tag');
