package models

import (
	"context"
	"fmt"
	"strings"
)

// eventColumns are the columns of an event that readEvents scans.
const eventColumns = `e.id, e.timeline_id, e.title, e.summary, e.start_date, e.end_date, e.date_precision,
	e.approximate, e.display_date, e.edtf, e.type, e.status, e.content_hash, e.updated_at`

// FindEvents returns up to f.Limit events matching f in f's order, with
// their actors, places, tags and citations, and whether more follow. A
// search query SQLite cannot run is a *ValidationError naming q.
func (s *Store) FindEvents(ctx context.Context, f EventFilter) (events []Event, more bool, err error) {
	if f, err = s.prepare(ctx, f); err != nil {
		return nil, false, err
	}
	query, args, limit := s.eventsQuery(f)
	events, err = s.readEvents(ctx, query, args, f.Relevance && !f.Query.IsZero(), f.Fields)
	if err != nil {
		return nil, false, err
	}
	if len(events) > limit {
		events, more = events[:limit], true
	}
	return events, more, nil
}

// prepare resolves the actor and place names of f and, for a relevance
// listing continued from a key without a rank, that key's rank.
func (s *Store) prepare(ctx context.Context, f EventFilter) (EventFilter, error) {
	f, err := s.resolveNames(ctx, f)
	if err != nil {
		return f, err
	}
	if !f.Relevance && !f.Query.IsZero() {
		if f.searchByDate, err = s.manyMatches(ctx, f.Query); err != nil {
			return f, err
		}
	}
	if f.Relevance && !f.Query.IsZero() && f.After != nil && f.After.Rank == nil {
		rank, err := s.anchorRank(ctx, f.Query, f.After.ID)
		if err != nil {
			return f, err
		}
		after := *f.After
		after.Rank = &rank
		f.After = &after
	}
	return f, nil
}

// eventsQuery builds the SQL of FindEvents: the filter, the keyset
// condition, the order and limit+1.
func (s *Store) eventsQuery(f EventFilter) (query string, args []any, limit int) {
	limit = f.Limit
	if limit <= 0 {
		limit = 50
	}
	if f.Relevance && !f.Query.IsZero() {
		query, args = s.relevanceQuery(f, limit)
		return query, args, limit
	}
	q := &pageQuery{s: s, f: f, w: s.whereProbing(f, true), dir: "ASC", cmp: ">", limit: limit}
	if f.Descending {
		q.dir, q.cmp = "DESC", "<"
	}
	query, args = q.build()
	return query, args, limit
}

// ExplainEvents returns the database's plan for the query FindEvents runs
// for f (EXPLAIN, or EXPLAIN ANALYZE when analyze is set on PostgreSQL), one
// line per plan row (on SQLite, EXPLAIN QUERY PLAN's details indented two
// spaces a level). It exists so that tests and scripts can check that
// every filter stays on an index on large data.
func (s *Store) ExplainEvents(ctx context.Context, f EventFilter, analyze bool) ([]string, error) {
	f, err := s.prepare(ctx, f)
	if err != nil {
		return nil, err
	}
	query, args, _ := s.eventsQuery(f)
	prefix := "EXPLAIN "
	switch {
	case s.dialect == DialectSQLite:
		prefix = "EXPLAIN QUERY PLAN "
	case analyze:
		prefix = "EXPLAIN (ANALYZE, BUFFERS) "
	}
	rows, err := s.db.WithContext(ctx).Raw(prefix+query, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	depth := map[int64]int{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, translate(err)
		}
		// PostgreSQL returns one text column; SQLite returns id, parent,
		// notused, detail: keep the detail, indented two spaces a level
		// under its parent, as the sqlite3 shell draws the tree.
		line := fmt.Sprint(vals[len(vals)-1])
		if len(vals) == 4 {
			id, _ := vals[0].(int64)
			parent, _ := vals[1].(int64)
			depth[id] = 0
			if d, ok := depth[parent]; ok && parent != 0 {
				depth[id] = d + 1
			}
			line = strings.Repeat("  ", depth[id]) + line
		}
		plan = append(plan, line)
	}
	return plan, translate(rows.Err())
}

// FindEventByID returns one event with everything it links to, or ErrNotFound.
func (s *Store) FindEventByID(ctx context.Context, id string) (Event, error) {
	events, err := s.readEvents(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.id = ?", []any{id}, false, 0)
	if err != nil {
		return Event{}, err
	}
	if len(events) == 0 {
		return Event{}, ErrNotFound
	}
	return events[0], nil
}

// YearCount is the number of events whose span overlaps a year (or, with
// EventFilter.Within, lies inside it).
type YearCount struct {
	Year  int `gorm:"column:year"`
	Count int `gorm:"column:count"`
}

// yearOf is the year of a date column, as an integer.
func (s *Store) yearOf(col string) string {
	if s.dialect == DialectSQLite {
		return "CAST(substr(" + col + ", 1, 4) AS INTEGER)"
	}
	return "CAST(EXTRACT(YEAR FROM " + col + ") AS INTEGER)"
}

// yearSpread is the histogram (year, count) of groups, a query of
// (first_year, last_year, n): each group counted in every calendar year it
// covers (with Within, the one year that holds it) that f's dates keep.
// Its arguments follow those of groups.
func yearSpread(f EventFilter, groups string) (string, []any) {
	yearJoin := "y.year >= g.first_year AND y.year <= g.last_year "
	if f.Within {
		yearJoin = "y.year = g.first_year AND g.last_year = g.first_year "
	}
	yw := &sqlWhere{}
	if len(f.Years) > 0 {
		yw.add("y.year IN ?", f.Years)
	}
	if !f.From.IsZero() {
		yw.add("y.last_day >= ?", f.From)
	}
	if !f.To.IsZero() {
		yw.add("y.first_day <= ?", f.To)
	}
	return "SELECT y.year AS year, CAST(SUM(g.n) AS BIGINT) AS count FROM (" + groups + ") g " +
		"JOIN calendar_years y ON " + yearJoin + "WHERE " + yw.String() + " GROUP BY y.year", yw.args
}

// CountEventsByYear counts the events matching f in each year they overlap
// (with f.Within, in the one year that holds the whole event, if any), so
// the count for a year equals what Years: []int{year} finds. When f
// restricts dates, only the years inside that restriction are counted.
// Paging fields of f are ignored. It also returns the number of distinct
// matching events.
func (s *Store) CountEventsByYear(ctx context.Context, f EventFilter) ([]YearCount, int, error) {
	f.After = nil
	f, err := s.resolveNames(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if summarized(f) {
		return s.countYearsSummarized(ctx, f)
	}
	if u, ok, err := s.linkUnionOf(ctx, f); err != nil {
		return nil, 0, err
	} else if ok {
		return s.unionYears(ctx, u)
	}
	w := s.countWhere(f)
	// Count the matching events by (first year, last year) first, then
	// spread each group over its years: the calendar is probed once per
	// group, on its primary key, not once per event with a range scan of
	// calendar_years_days from year 1.
	spread, spreadArgs := yearSpread(f, "SELECT "+s.yearOf("e.start_date")+" AS first_year, "+s.yearOf("e.end_date")+
		" AS last_year, count(*) AS n FROM events e WHERE "+w.String()+" GROUP BY 1, 2")
	db := s.db.WithContext(ctx)
	counts := []YearCount{}
	if err := db.Raw(spread+" ORDER BY y.year", append(w.args, spreadArgs...)...).Scan(&counts).Error; err != nil {
		return nil, 0, s.searchError(err)
	}
	total := s.countWhere(f)
	var n int64
	if err := db.Raw("SELECT count(*) FROM events e WHERE "+total.String(), total.args...).Scan(&n).Error; err != nil {
		return nil, 0, s.searchError(err)
	}
	return counts, int(n), nil
}
