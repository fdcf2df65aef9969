-- 0016: an index on events.updated_at, so that updated_since finds the
-- events changed since a recent time from the index instead of scanning
-- every event (/v1/events, its exports and the counted facets: at 200,000
-- generated events, a page of updated_since with no match read all 11,108
-- heap pages). The planner takes it when few events match and walks the
-- date order otherwise. Every write that moves updated_at writes an entry.
CREATE INDEX events_updated ON events (updated_at);
