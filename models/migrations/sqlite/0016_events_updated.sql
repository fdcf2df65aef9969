-- 0016: an index on events.updated_at (see the PostgreSQL migration).
CREATE INDEX events_updated ON events (updated_at);
