-- Per-value statistics for the link columns that filters use: with the
-- default target (100) an actor, place or tag outside the most-common list
-- is estimated at the average of the others, and a rare one then makes the
-- planner walk events in date order probing links for each, through the
-- whole table. 1000 keeps every value of a vocabulary of up to 1000 exact.
ALTER TABLE event_actors ALTER COLUMN actor_id SET STATISTICS 1000;
ALTER TABLE event_places ALTER COLUMN place_id SET STATISTICS 1000;
ALTER TABLE event_tags ALTER COLUMN tag SET STATISTICS 1000;
