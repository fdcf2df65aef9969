-- 0012: search in date order reads each word's events in date order.
--
-- event_words holds one row per lexeme of an event's search_vector, keyed
-- (lexeme, start_date, event_id): the events that contain a word are one
-- index range in the page's order, so a page of q=word in date order reads
-- about limit+1 entries whatever the word's frequency and the table's size
-- (the GIN index can only hand back every match unordered, and walking
-- events in date order testing each costs limit / the word's share). It is
-- read like the link tables of 0005. Triggers on events keep it, so no
-- write path can forget it. There is no foreign key: a cascade would need a
-- second index on event_id, while the triggers delete an event's rows by
-- the primary key from its old search_vector.
--
-- SQLite has no such table: its search is FTS5 (see the schema-parity
-- test's list of tables of one dialect).
CREATE TABLE event_words (
    lexeme     text NOT NULL,
    start_date date NOT NULL,
    event_id   text NOT NULL,
    PRIMARY KEY (lexeme, start_date, event_id)
);

INSERT INTO event_words (lexeme, start_date, event_id)
SELECT w.lexeme, e.start_date, e.id FROM events e, unnest(e.search_vector) AS w;

CREATE FUNCTION event_words_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM event_words
        WHERE lexeme = ANY (tsvector_to_array(OLD.search_vector)) AND start_date = OLD.start_date AND event_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_words (lexeme, start_date, event_id)
        SELECT w.lexeme, NEW.start_date, NEW.id FROM unnest(NEW.search_vector) AS w;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_words_insert AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION event_words_refresh();
CREATE TRIGGER events_words_update AFTER UPDATE ON events
    FOR EACH ROW WHEN (OLD.search_vector IS DISTINCT FROM NEW.search_vector
        OR OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION event_words_refresh();
CREATE TRIGGER events_words_delete AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION event_words_refresh();
CREATE FUNCTION event_words_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE event_words;
    RETURN NULL;
END $$;
CREATE TRIGGER events_words_truncate AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_words_truncate();
