-- 0018: the link tables carry their event's type, with an index per link
-- table led by (driver, type) (see the PostgreSQL migration).
ALTER TABLE event_actors ADD COLUMN event_type TEXT;
ALTER TABLE event_places ADD COLUMN event_type TEXT;
ALTER TABLE event_tags ADD COLUMN event_type TEXT;
UPDATE event_actors SET event_type = (SELECT type FROM events e WHERE e.id = event_actors.event_id);
UPDATE event_places SET event_type = (SELECT type FROM events e WHERE e.id = event_places.event_id);
UPDATE event_tags SET event_type = (SELECT type FROM events e WHERE e.id = event_tags.event_id);
CREATE INDEX event_actors_actor_type ON event_actors (actor_id, event_type, start_date, event_id);
CREATE INDEX event_places_place_type ON event_places (place_id, event_type, start_date, event_id);
CREATE INDEX event_tags_tag_type ON event_tags (tag, event_type, start_date, event_id);

CREATE TRIGGER event_actors_event_type AFTER INSERT ON event_actors BEGIN
    UPDATE event_actors SET event_type = (SELECT type FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND actor_id = NEW.actor_id;
END;
CREATE TRIGGER event_places_event_type AFTER INSERT ON event_places BEGIN
    UPDATE event_places SET event_type = (SELECT type FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND place_id = NEW.place_id;
END;
CREATE TRIGGER event_tags_event_type AFTER INSERT ON event_tags BEGIN
    UPDATE event_tags SET event_type = (SELECT type FROM events WHERE id = NEW.event_id)
    WHERE event_id = NEW.event_id AND tag = NEW.tag;
END;
CREATE TRIGGER events_links_type AFTER UPDATE OF type ON events WHEN OLD.type IS NOT NEW.type BEGIN
    UPDATE event_actors SET event_type = NEW.type WHERE event_id = NEW.id;
    UPDATE event_places SET event_type = NEW.type WHERE event_id = NEW.id;
    UPDATE event_tags SET event_type = NEW.type WHERE event_id = NEW.id;
END;
