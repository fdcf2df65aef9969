-- 0004: the editorial pass (seed/EDITORIAL.md).
--
-- Status "ongoing": begun and not finished as of the source (a programme
-- under way is neither "occurred" nor "planned"). SQLite cannot alter a
-- CHECK constraint, and rebuilding events would cascade-delete its links
-- and drop its FTS triggers; so, as SQLite documents for changing CHECK
-- constraints (https://www.sqlite.org/lang_altertable.html, "making other
-- kinds of table schema changes"), the stored definition is edited in
-- place. Existing rows satisfy the wider check. The temporary table makes
-- SQLite bump the schema cookie, so that every connection rereads it.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (''occurred'', ''planned'', ''not_implemented''))',
                          'CHECK (status IN (''occurred'', ''ongoing'', ''planned'', ''not_implemented''))')
 WHERE type = 'table' AND name = 'events';
PRAGMA writable_schema = OFF;
CREATE TABLE schema_cookie_bump (x INTEGER);
DROP TABLE schema_cookie_bump;

-- What a source says about its own publication, and which fields (if any)
-- the editors filled in from outside it. Lists are JSON arrays of strings.
ALTER TABLE sources ADD COLUMN issue TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN author_affiliations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sources ADD COLUMN outside_fields TEXT NOT NULL DEFAULT '[]';

-- Rewrite every record on the next seed load.
UPDATE sources SET content_hash = '';
UPDATE events SET content_hash = '';
