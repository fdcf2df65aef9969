-- 0004: the editorial pass (seed/EDITORIAL.md).
--
-- Status "ongoing": begun and not finished as of the source (a programme
-- under way is neither "occurred" nor "planned").
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_status_check;
ALTER TABLE events ADD CONSTRAINT events_status_check
    CHECK (status IN ('occurred', 'ongoing', 'planned', 'not_implemented'));

-- What a source says about its own publication, and which fields (if any)
-- the editors filled in from outside it. Lists are JSON arrays of strings.
ALTER TABLE sources ADD COLUMN issue text NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN author_affiliations text NOT NULL DEFAULT '[]';
ALTER TABLE sources ADD COLUMN outside_fields text NOT NULL DEFAULT '[]';

-- Rewrite every record on the next seed load.
UPDATE sources SET content_hash = '';
UPDATE events SET content_hash = '';
