-- 0017: a search with a period reads only the word's events that run into
-- the period's month from an earlier one.
--
-- A page of q=word&year=Y merges the word's events that start in Y (a
-- range of event_words, 0012) with those that began earlier and run into
-- Y. Without this table the latter were read either from the word's
-- entries before Y, each tested for its end (a share of the table), or
-- from every span key holding Y's first day, each tested for the word
-- (another share): a word in 1% of the events read all 1,607 events
-- running into 2019 at 1,000,000 events to find 16.
--
-- event_word_months holds, per lexeme of an event that runs over more
-- than one calendar month, the blocks of a base-4 tree of months that
-- cover the months it runs into after the one it starts in (start month +
-- 1 to end month; months are numbered year * 12 + month - 1): months at
-- level 0, four months at level 1, up to 65,536 at level 8, each block
-- one node_key (level * 131072 + the block's number). The blocks holding
-- month M are nine ranges of the primary key, each holding only the
-- word's events with start month < M <= end month, in date order: for a
-- period starting on the first of a month (a year, a month) exactly the
-- word's events running into it. A span is cut into at most three blocks
-- at each edge of each level, so an event has a few rows per lexeme (at
-- most 54 for the months of years 1 to 9999), however long it runs; an
-- event within one month has none.
--
-- This is event_spans (0005) over months instead of days: the day tree
-- would need a row per lexeme and day block, which for the edges of every
-- multi-day span is most of the table again.
CREATE FUNCTION event_month_nodes(a integer, b integer) RETURNS SETOF integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lv * 131072 + k
    FROM generate_series(0, 8) AS lv,
        LATERAL (SELECT (a + (1 << (2 * lv)) - 1) / (1 << (2 * lv)) AS lo, (b + 1) / (1 << (2 * lv)) AS hi) r,
        LATERAL (SELECT r.lo + j AS k FROM generate_series(0, 2) AS j
                 WHERE r.lo + j < r.hi AND r.lo + j < 4 * ((r.lo + 3) / 4)
                 UNION ALL
                 SELECT 4 * (r.hi / 4) + j FROM generate_series(0, 2) AS j
                 WHERE r.hi / 4 >= (r.lo + 3) / 4 AND 4 * (r.hi / 4) + j < r.hi) n
    WHERE a <= b
$$;

-- event_month is d's month number, as event_month_nodes counts months.
CREATE FUNCTION event_month(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_part('year', d)::integer * 12 + date_part('month', d)::integer - 1
$$;

CREATE TABLE event_word_months (
    lexeme     text NOT NULL,
    node_key   integer NOT NULL,
    start_date date NOT NULL,
    event_id   text NOT NULL
);

-- The blocks are cut once per event, then crossed with its lexemes (the
-- CTE is materialized: joined freely, the planner cut them per lexeme
-- behind a Memoize node, which ran for more than ten minutes at 1,000,000
-- generated events; this takes 4.7 s for their 4.1 million rows). Loaded
-- into the bare heap, then indexed once.
SET LOCAL work_mem = '64MB';
SET LOCAL maintenance_work_mem = '256MB';
INSERT INTO event_word_months (lexeme, node_key, start_date, event_id)
WITH n AS MATERIALIZED (
    SELECT e.id, e.start_date, e.search_vector, n AS node_key
    FROM events e, LATERAL event_month_nodes(event_month(e.start_date) + 1, event_month(e.end_date)) AS n
    WHERE date_trunc('month', e.end_date) > date_trunc('month', e.start_date))
SELECT w.lexeme, n.node_key, n.start_date, n.id FROM n, unnest(n.search_vector) AS w;
ALTER TABLE event_word_months ADD PRIMARY KEY (lexeme, node_key, start_date, event_id);

-- Kept by triggers on events, as event_words is: the rows of an event are
-- a function of its search_vector, dates and id, deleted by the primary
-- key from the old values. The triggers fire only for events that run
-- over more than one month.
CREATE FUNCTION event_word_months_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM event_word_months
        WHERE lexeme = ANY (tsvector_to_array(OLD.search_vector))
            AND node_key IN (SELECT event_month_nodes(event_month(OLD.start_date) + 1, event_month(OLD.end_date)))
            AND start_date = OLD.start_date AND event_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_word_months (lexeme, node_key, start_date, event_id)
        SELECT w.lexeme, n, NEW.start_date, NEW.id
        FROM unnest(NEW.search_vector) AS w,
            event_month_nodes(event_month(NEW.start_date) + 1, event_month(NEW.end_date)) AS n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_word_months_insert AFTER INSERT ON events
    FOR EACH ROW WHEN (date_trunc('month', NEW.end_date) > date_trunc('month', NEW.start_date))
    EXECUTE FUNCTION event_word_months_refresh();
CREATE TRIGGER events_word_months_update AFTER UPDATE ON events
    FOR EACH ROW WHEN ((OLD.search_vector IS DISTINCT FROM NEW.search_vector
            OR OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.end_date IS DISTINCT FROM NEW.end_date
            OR OLD.id IS DISTINCT FROM NEW.id)
        AND (date_trunc('month', OLD.end_date) > date_trunc('month', OLD.start_date)
            OR date_trunc('month', NEW.end_date) > date_trunc('month', NEW.start_date)))
    EXECUTE FUNCTION event_word_months_refresh();
CREATE TRIGGER events_word_months_delete AFTER DELETE ON events
    FOR EACH ROW WHEN (date_trunc('month', OLD.end_date) > date_trunc('month', OLD.start_date))
    EXECUTE FUNCTION event_word_months_refresh();
CREATE FUNCTION event_word_months_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE event_word_months;
    RETURN NULL;
END $$;
CREATE TRIGGER events_word_months_truncate AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_word_months_truncate();
