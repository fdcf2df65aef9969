-- 0013: the year counts of 0011 by actor, place and tag too, so that
-- /v1/years?actor= (or place=, tag=) and /v1/facets?year= (or whole-year
-- from/to) read the kept counts instead of counting their matches.
--
-- event_year_counts gains the dimensions 'actor', 'place' and 'tag' (value
-- the actor id, place id or tag): the events linked to each, by the first
-- and last year of their span, read from the link rows, which carry their
-- event's start_date (0005) and end_date (0011). The link tables'
-- statement triggers (0011) append these changes to event_year_deltas as
-- they append the link counts: a link added or removed, or its dates moved
-- with its event's, is one delta row per statement and key, never an
-- update of a shared count row.
--
-- span_class buckets each row by the length of its span (0: one year;
-- c: a span of 2^(c-1) to 2^c - 1 years past its first; 10: 512 or more),
-- so that the rows of one dimension that overlap a year are found by one
-- first_year range per class (first_year > year - 2^c) instead of every
-- row that starts before the year: a facet of year=Y reads about the
-- rows it counts.
ALTER TABLE event_year_counts ADD COLUMN span_class smallint GENERATED ALWAYS AS (
    CASE WHEN last_year - first_year < 1 THEN 0 WHEN last_year - first_year < 2 THEN 1
        WHEN last_year - first_year < 4 THEN 2 WHEN last_year - first_year < 8 THEN 3
        WHEN last_year - first_year < 16 THEN 4 WHEN last_year - first_year < 32 THEN 5
        WHEN last_year - first_year < 64 THEN 6 WHEN last_year - first_year < 128 THEN 7
        WHEN last_year - first_year < 256 THEN 8 WHEN last_year - first_year < 512 THEN 9
        ELSE 10 END) STORED;

INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'actor', actor_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
FROM event_actors GROUP BY 2, 3, 4;
INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'place', place_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
FROM event_places GROUP BY 2, 3, 4;
INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
SELECT 'tag', tag, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
FROM event_tags GROUP BY 2, 3, 4;
CREATE INDEX event_year_counts_span ON event_year_counts (dim, span_class, first_year, last_year, value, n);
CREATE INDEX event_year_deltas_span ON event_year_deltas (dim, first_year);

-- The link trigger functions of 0011, now appending the year deltas too.
CREATE OR REPLACE FUNCTION actor_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', actor_id, count(*) FROM new_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'actor', actor_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
        FROM new_rows GROUP BY 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', actor_id, -count(*) FROM old_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'actor', actor_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -count(*)
        FROM old_rows GROUP BY 2, 3, 4;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'actor', k, sum(d) FROM (
            SELECT actor_id AS k, 1 AS d FROM new_rows UNION ALL SELECT actor_id, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'actor', k, y1, y2, sum(d) FROM (
            SELECT actor_id AS k, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1, CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, 1 AS d FROM new_rows
            UNION ALL
            SELECT actor_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -1 FROM old_rows) c
        GROUP BY 2, 3, 4 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION place_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', place_id, count(*) FROM new_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'place', place_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
        FROM new_rows GROUP BY 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', place_id, -count(*) FROM old_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'place', place_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -count(*)
        FROM old_rows GROUP BY 2, 3, 4;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'place', k, sum(d) FROM (
            SELECT place_id AS k, 1 AS d FROM new_rows UNION ALL SELECT place_id, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'place', k, y1, y2, sum(d) FROM (
            SELECT place_id AS k, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1, CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, 1 AS d FROM new_rows
            UNION ALL
            SELECT place_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -1 FROM old_rows) c
        GROUP BY 2, 3, 4 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION tag_link_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', tag, count(*) FROM new_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'tag', tag, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
        FROM new_rows GROUP BY 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', tag, -count(*) FROM old_rows GROUP BY 2;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'tag', tag, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -count(*)
        FROM old_rows GROUP BY 2, 3, 4;
    ELSE
        INSERT INTO link_count_deltas (kind, key, n) SELECT 'tag', k, sum(d) FROM (
            SELECT tag AS k, 1 AS d FROM new_rows UNION ALL SELECT tag, -1 FROM old_rows) c
        GROUP BY 2 HAVING sum(d) <> 0;
        INSERT INTO event_year_deltas (dim, value, first_year, last_year, n)
        SELECT 'tag', k, y1, y2, sum(d) FROM (
            SELECT tag AS k, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1, CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, 1 AS d FROM new_rows
            UNION ALL
            SELECT tag, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), -1 FROM old_rows) c
        GROUP BY 2, 3, 4 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
