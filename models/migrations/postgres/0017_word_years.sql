-- 0017: a search with a year reads only the word's events that run into
-- the year from an earlier one.
--
-- A page of q=word&year=Y merges the word's events that start in Y (a
-- range of event_words, 0012) with those that began earlier and run into
-- Y. Without this table the latter were read either from the word's
-- entries before Y, each tested for its end (a share of the table), or
-- from every span key holding Y's first day, each tested for the word
-- (another share): a word in 1% of the events read all 1,607 events
-- running into 2019 at 1,000,000 events to find 16.
--
-- event_word_years holds, per lexeme of a multi-year event, the blocks of
-- a base-4 tree of calendar years that cover the years the event runs into
-- after the one it starts in (start year + 1 to end year): years at level
-- 0, four years at level 1, sixteen at level 2, up to 4,096 at level 6,
-- each block one node_key (level * 16384 + the block's number). The
-- blocks holding year Y are seven ranges of the primary key, each holding
-- only the word's events with start year < Y <= end year, in date order.
-- A span is cut into at most three blocks at each edge of each level, so
-- an event has a few rows per lexeme (at most 42 for years 1 to 9999),
-- however long it runs; most events start and end in one year and have
-- none.
--
-- This is event_spans (0005) over years instead of days: the day tree
-- would need a row per lexeme and day block, which for the edges of every
-- multi-day span is most of the table again.
CREATE FUNCTION event_year_nodes(a integer, b integer) RETURNS SETOF integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lv * 16384 + k
    FROM generate_series(0, 6) AS lv,
        LATERAL (SELECT (a + (1 << (2 * lv)) - 1) / (1 << (2 * lv)) AS lo, (b + 1) / (1 << (2 * lv)) AS hi) r,
        LATERAL (SELECT r.lo + j AS k FROM generate_series(0, 2) AS j
                 WHERE r.lo + j < r.hi AND r.lo + j < 4 * ((r.lo + 3) / 4)
                 UNION ALL
                 SELECT 4 * (r.hi / 4) + j FROM generate_series(0, 2) AS j
                 WHERE r.hi / 4 >= (r.lo + 3) / 4 AND 4 * (r.hi / 4) + j < r.hi) n
    WHERE a <= b
$$;

CREATE TABLE event_word_years (
    lexeme     text NOT NULL,
    node_key   integer NOT NULL,
    start_date date NOT NULL,
    event_id   text NOT NULL,
    PRIMARY KEY (lexeme, node_key, start_date, event_id)
);

INSERT INTO event_word_years (lexeme, node_key, start_date, event_id)
SELECT w.lexeme, n, e.start_date, e.id
FROM events e, unnest(e.search_vector) AS w,
    LATERAL event_year_nodes(date_part('year', e.start_date)::integer + 1, date_part('year', e.end_date)::integer) AS n
WHERE date_part('year', e.end_date) > date_part('year', e.start_date);

-- Kept by triggers on events, as event_words is: the rows of an event are
-- a function of its search_vector, dates and id, deleted by the primary
-- key from the old values. The triggers fire only for multi-year events.
CREATE FUNCTION event_word_years_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM event_word_years
        WHERE lexeme = ANY (tsvector_to_array(OLD.search_vector))
            AND node_key IN (SELECT event_year_nodes(date_part('year', OLD.start_date)::integer + 1,
                date_part('year', OLD.end_date)::integer))
            AND start_date = OLD.start_date AND event_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_word_years (lexeme, node_key, start_date, event_id)
        SELECT w.lexeme, n, NEW.start_date, NEW.id
        FROM unnest(NEW.search_vector) AS w,
            event_year_nodes(date_part('year', NEW.start_date)::integer + 1, date_part('year', NEW.end_date)::integer) AS n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_word_years_insert AFTER INSERT ON events
    FOR EACH ROW WHEN (date_part('year', NEW.end_date) > date_part('year', NEW.start_date))
    EXECUTE FUNCTION event_word_years_refresh();
CREATE TRIGGER events_word_years_update AFTER UPDATE ON events
    FOR EACH ROW WHEN ((OLD.search_vector IS DISTINCT FROM NEW.search_vector
            OR OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.end_date IS DISTINCT FROM NEW.end_date
            OR OLD.id IS DISTINCT FROM NEW.id)
        AND (date_part('year', OLD.end_date) > date_part('year', OLD.start_date)
            OR date_part('year', NEW.end_date) > date_part('year', NEW.start_date)))
    EXECUTE FUNCTION event_word_years_refresh();
CREATE TRIGGER events_word_years_delete AFTER DELETE ON events
    FOR EACH ROW WHEN (date_part('year', OLD.end_date) > date_part('year', OLD.start_date))
    EXECUTE FUNCTION event_word_years_refresh();
CREATE FUNCTION event_word_years_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE event_word_years;
    RETURN NULL;
END $$;
CREATE TRIGGER events_word_years_truncate AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_word_years_truncate();
