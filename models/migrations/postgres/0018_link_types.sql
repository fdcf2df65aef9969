-- 0018: a link filter with a type reads only the driver's events of that
-- type.
--
-- year=2019&type=summit&actor=A read A's links in 2019 in date order and
-- tested each event's type: 187 links and their events for 16 summits at
-- 200,000 events, a share of the table. The link tables now carry their
-- event's type, as they carry its dates (0005, 0011), and a second index
-- per link table leads with (driver, type): a page of an actor and a type
-- merges one range per type (and per actor), each holding only matches,
-- in date order. The first index stays for the link filters without a
-- type: a type is a small vocabulary, but reading every type's range of
-- an actor for a page would cost a range per type on every page.
ALTER TABLE event_actors ADD COLUMN event_type text;
ALTER TABLE event_places ADD COLUMN event_type text;
ALTER TABLE event_tags ADD COLUMN event_type text;
-- The backfill changes no link's event, value or dates, which is all the
-- link tables' triggers look at (0011, 0014, 0015): they are off while it
-- runs, so that they do not compare every link's old and new rows.
SET LOCAL work_mem = '64MB';
ALTER TABLE event_actors DISABLE TRIGGER USER;
ALTER TABLE event_places DISABLE TRIGGER USER;
ALTER TABLE event_tags DISABLE TRIGGER USER;
UPDATE event_actors l SET event_type = e.type FROM events e WHERE e.id = l.event_id;
UPDATE event_places l SET event_type = e.type FROM events e WHERE e.id = l.event_id;
UPDATE event_tags l SET event_type = e.type FROM events e WHERE e.id = l.event_id;
ALTER TABLE event_actors ENABLE TRIGGER USER;
ALTER TABLE event_places ENABLE TRIGGER USER;
ALTER TABLE event_tags ENABLE TRIGGER USER;
CREATE INDEX event_actors_actor_type ON event_actors (actor_id, event_type, start_date, event_id);
CREATE INDEX event_places_place_type ON event_places (place_id, event_type, start_date, event_id);
CREATE INDEX event_tags_tag_type ON event_tags (tag, event_type, start_date, event_id);

-- A new link row (or one moved to another event) takes its event's dates
-- and type from one lookup of the event. 0005 and 0011 each had a BEFORE
-- trigger looking up one column; with the type that would be three
-- probes of events per link row, which an import writes millions of.
CREATE FUNCTION event_link_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT e.start_date, e.end_date, e.type INTO NEW.start_date, NEW.end_date, NEW.event_type
    FROM events e WHERE e.id = NEW.event_id;
    RETURN NEW;
END $$;
DROP TRIGGER event_actors_start_date ON event_actors;
DROP TRIGGER event_places_start_date ON event_places;
DROP TRIGGER event_tags_start_date ON event_tags;
DROP TRIGGER event_actors_end_date ON event_actors;
DROP TRIGGER event_places_end_date ON event_places;
DROP TRIGGER event_tags_end_date ON event_tags;
DROP FUNCTION event_link_start_date();
DROP FUNCTION event_link_end_date();
CREATE TRIGGER event_actors_event BEFORE INSERT OR UPDATE OF event_id ON event_actors
    FOR EACH ROW EXECUTE FUNCTION event_link_event();
CREATE TRIGGER event_places_event BEFORE INSERT OR UPDATE OF event_id ON event_places
    FOR EACH ROW EXECUTE FUNCTION event_link_event();
CREATE TRIGGER event_tags_event BEFORE INSERT OR UPDATE OF event_id ON event_tags
    FOR EACH ROW EXECUTE FUNCTION event_link_event();

CREATE FUNCTION event_links_type_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_actors SET event_type = NEW.type WHERE event_id = NEW.id;
    UPDATE event_places SET event_type = NEW.type WHERE event_id = NEW.id;
    UPDATE event_tags SET event_type = NEW.type WHERE event_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER events_links_type AFTER UPDATE OF type ON events
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION event_links_type_refresh();
