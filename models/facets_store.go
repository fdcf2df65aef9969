package models

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// FacetCount is how many matching events have one value of a facet. Name
// is the display name of an actor or place, empty for other facets.
type FacetCount struct {
	Value string `gorm:"column:value"`
	Name  string `gorm:"column:name"`
	Count int    `gorm:"column:count"`
}

// Facets counts the events matching a filter by each of their dimensions,
// for drawing filter chips. Every count is over the events that match the
// whole filter, the facet's own dimension included.
type Facets struct {
	// Events is the number of matching events.
	Events int
	// Years counts as CountEventsByYear does: an event in every year it
	// overlaps (or, with Within, the one year that holds it).
	Years []YearCount
	// Types, Statuses, Actors, Places and Tags list every value that at
	// least one matching event has, most frequent first, then by value.
	Types, Statuses, Actors, Places, Tags []FacetCount
}

// facetQueries are the per-value counts, each the SELECT list, joins and
// GROUP BY of one facet over the matching events m (see countFacets);
// constants.
// The summary of each is the same count over the whole dataset, from the
// counts that migration 0011 keeps (see counts_store.go).
var facetQueries = []struct{ name, selectJoin, group, summary, names string }{
	{"type", "SELECT m.type AS value, '' AS name, count(*) AS count FROM m", "m.type", valueCounts("type"), ""},
	{"status", "SELECT m.status AS value, '' AS name, count(*) AS count FROM m", "m.status", valueCounts("status"), ""},
	{"actor", "SELECT a.id AS value, a.name AS name, count(*) AS count FROM m " +
		"JOIN event_actors fa ON fa.event_id = m.id JOIN actors a ON a.id = fa.actor_id", "a.id, a.name",
		"SELECT a.id AS value, a.name AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("actor") +
			" JOIN actors a ON a.id = u.key GROUP BY a.id, a.name HAVING SUM(u.n) > 0", "actors"},
	{"place", "SELECT p.id AS value, p.name AS name, count(*) AS count FROM m " +
		"JOIN event_places fp ON fp.event_id = m.id JOIN places p ON p.id = fp.place_id", "p.id, p.name",
		"SELECT p.id AS value, p.name AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("place") +
			" JOIN places p ON p.id = u.key GROUP BY p.id, p.name HAVING SUM(u.n) > 0", "places"},
	{"tag", "SELECT ft.tag AS value, '' AS name, count(*) AS count FROM m " +
		"JOIN event_tags ft ON ft.event_id = m.id", "ft.tag",
		"SELECT u.key AS value, '' AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("tag") +
			" GROUP BY u.key HAVING SUM(u.n) > 0", ""},
}

// valueCounts counts all events by one of their fields (a constant kind
// of link_counts), with the pending deltas.
func valueCounts(kind string) string {
	return "SELECT u.key AS value, '' AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf(kind) +
		" GROUP BY u.key HAVING SUM(u.n) > 0"
}

// linkCountsOf is the link counts of one kind (a constant) with the
// pending deltas, as a subquery u of (key, n).
func linkCountsOf(kind string) string {
	return "(SELECT key, n FROM link_counts WHERE kind = '" + kind + "' UNION ALL " +
		"SELECT key, n FROM link_count_deltas WHERE kind = '" + kind + "') u"
}

// unfilteredFacets reports whether f selects every event, so that the
// facets are the kept counts.
func unfilteredFacets(f EventFilter) bool {
	return datedFacets(f) && len(f.Years) == 0 && f.From.IsZero() && f.To.IsZero()
}

// datedFacets reports whether f filters by whole years at most (years,
// whole-year from/to, match), so that the facets are the year counts of
// each dimension whose spans meet f's dates (migration 0013).
func datedFacets(f EventFilter) bool {
	return summarized(f) && len(f.Timelines) == 0 && len(f.Types) == 0 && len(f.Statuses) == 0 &&
		len(f.Actors) == 0 && len(f.Places) == 0 && len(f.Tags) == 0
}

// pairedFacets reports whether f filters by one value of one of
// timeline, type, status, actor, place or tag, or by several values of
// one of timeline, type and status, and by nothing else (no dates, no
// search), so that each facet is the kept co-occurrence counts of those
// values (migration 0014), summed; it returns the dimension and the
// values. An event has exactly one timeline, type and status, so the
// events with any of several of them are the sum of each one's; an event
// can have several actors, places or tags, so those answer for one value
// only (summarized already refuses several).
func pairedFacets(f EventFilter) (dim string, values []string, ok bool) {
	if !summarized(f) || len(f.Years) > 0 || !f.From.IsZero() || !f.To.IsZero() {
		return "", nil, false
	}
	dim, values = yearDim(f)
	if dim == "all" {
		return "", nil, false
	}
	if values = distinct(values); len(values) == 0 {
		return "", nil, false
	}
	return dim, values, true
}

// pairedFacet is the facet of one dimension (a constant) over the events
// that have one of the values of filterDim (a constant) that pairedFacets
// found: one range of facet_pair_counts' primary key per value, with the
// pending deltas, so that it reads about the rows it returns.
func pairedFacet(dim, nameTable, filterDim string, values []string) (string, []any) {
	sum := "SELECT u.facet_value AS value, CAST(SUM(u.n) AS BIGINT) AS count FROM (" +
		"SELECT facet_value, n FROM facet_pair_counts WHERE filter_dim = '" + filterDim + "' AND filter_value IN ? " +
		"AND facet_dim = '" + dim + "' UNION ALL SELECT facet_value, n FROM facet_pair_deltas WHERE filter_dim = '" +
		filterDim + "' AND filter_value IN ? AND facet_dim = '" + dim + "') u GROUP BY u.facet_value HAVING SUM(u.n) > 0"
	args := []any{values, values}
	if nameTable == "" {
		return "SELECT x.value AS value, '' AS name, x.count AS count FROM (" + sum + ") x", args
	}
	return "SELECT x.value AS value, t.name AS name, x.count AS count FROM (" + sum + ") x JOIN " +
		nameTable + " t ON t.id = x.value", args
}

// spanClasses is each span_class of event_year_counts (migration 0013)
// with the bound w of its spans: a row of class k has last_year -
// first_year < w, so it meets a year Y only if first_year > Y - w.
const spanClasses = "(SELECT 0 AS k, 1 AS w UNION ALL SELECT 1, 2 UNION ALL SELECT 2, 4 UNION ALL SELECT 3, 8 " +
	"UNION ALL SELECT 4, 16 UNION ALL SELECT 5, 32 UNION ALL SELECT 6, 64 UNION ALL SELECT 7, 128 " +
	"UNION ALL SELECT 8, 256 UNION ALL SELECT 9, 512 UNION ALL SELECT 10, " + farYears + ")"

// farYears is beyond any year's distance from another (dates have at most
// four-digit years): the open end of a window.
const farYears = "100000"

// spanWindow is the first and last year of f's dates: a row of the year
// counts meets them only if its span meets [lo, hi].
func spanWindow(f EventFilter) (lo, hi int) {
	lo, hi = -100000, 100000
	for i, y := range f.Years {
		if i == 0 || y < lo {
			lo = y
		}
		if i == 0 || y > hi {
			hi = y
		}
	}
	if !f.From.IsZero() && (len(f.Years) == 0 || f.From.Year > lo) {
		lo = f.From.Year
	}
	if !f.To.IsZero() && (len(f.Years) == 0 || f.To.Year < hi) {
		hi = f.To.Year
	}
	return lo, hi
}

// datedFacet is the facet of one dimension (a constant of
// event_year_counts) over the events f's dates select, for a filter that
// datedFacets accepts: the year count rows of that dimension whose spans
// meet the dates, with their pending deltas, summed by value. Each span
// class is one index range of first_year (see spanClasses), so the rows
// read are about the rows that count, not every row that starts earlier.
func datedFacet(dim, nameTable string, f EventFilter) (string, []any) {
	lo, hi := spanWindow(f)
	c, d := spanCond(f, "c"), spanCond(f, "d")
	args := []any{lo, hi}
	args = append(args, c.args...)
	args = append(args, d.args...)
	sum := "SELECT u.value AS value, CAST(SUM(u.n) AS BIGINT) AS count FROM (" +
		"SELECT c.value AS value, c.n AS n FROM " + spanClasses + " k JOIN event_year_counts c ON c.dim = '" + dim + "' " +
		"AND c.span_class = k.k AND c.first_year > ? - k.w AND c.first_year <= ? WHERE " + c.String() +
		" UNION ALL SELECT d.value, d.n FROM event_year_deltas d WHERE d.dim = '" + dim + "' AND " + d.String() +
		") u GROUP BY u.value HAVING SUM(u.n) > 0"
	if nameTable == "" {
		return "SELECT x.value AS value, '' AS name, x.count AS count FROM (" + sum + ") x", args
	}
	return "SELECT x.value AS value, t.name AS name, x.count AS count FROM (" + sum + ") x JOIN " +
		nameTable + " t ON t.id = x.value", args
}

// CountFacets counts the events matching f by year, type, status, actor,
// place and tag, all in one snapshot so that the counts agree with each
// other. Paging and sorting fields of f are ignored.
func (s *Store) CountFacets(ctx context.Context, f EventFilter) (Facets, error) {
	f.After, f.Relevance, f.Descending = nil, false, false
	f, err := s.resolveNames(ctx, f)
	if err != nil {
		return Facets{}, err
	}
	var out Facets
	err = s.snapshot(ctx, func(ts *Store) error {
		u, union, err := ts.linkUnionOf(ctx, f)
		if err != nil {
			return err
		}
		if union {
			return ts.unionFacets(ctx, u, &out)
		}
		return ts.keptFacets(ctx, f, &out)
	})
	if err != nil {
		return Facets{}, translate(err)
	}
	return out, nil
}

// keptFacets fills out with the facets of f (names resolved) from the
// kept counts when they answer f, else by counting its matches.
func (s *Store) keptFacets(ctx context.Context, f EventFilter, out *Facets) error {
	unfiltered, dated := unfilteredFacets(f), datedFacets(f)
	pairDim, pairValues, paired := pairedFacets(f)
	if !unfiltered && !dated && !paired {
		// No kept count answers: count the matches, once.
		return s.countFacets(ctx, f, out)
	}
	years, total, err := s.CountEventsByYear(ctx, f)
	if err != nil {
		return err
	}
	out.Events, out.Years = total, years
	for _, q := range facetQueries {
		counts := []FacetCount{}
		var query string
		var args []any
		switch {
		case unfiltered:
			// The whole dataset: the kept counts, O(values).
			query = q.summary
		case dated:
			// Whole years: the year counts whose spans meet them.
			query, args = datedFacet(q.name, q.names, f)
		default:
			// One value of one dimension, or values of a partition
			// (timeline, type, status): their co-occurrence counts.
			query, args = pairedFacet(q.name, q.names, pairDim, pairValues)
		}
		if err := s.db.WithContext(ctx).Raw(query, args...).Scan(&counts).Error; err != nil {
			return err
		}
		out.set(q.name, counts)
	}
	return nil
}

// snapshot runs fn on a store whose reads all see one snapshot: a
// read-only REPEATABLE READ transaction on PostgreSQL, a transaction on
// SQLite (under WAL already a snapshot).
func (s *Store) snapshot(ctx context.Context, fn func(ts *Store) error) error {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if s.dialect == DialectSQLite {
		opts = nil
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect})
	}, opts)
}

// countFacets fills out with the counts of the events matching f, in one
// statement: the matches are read once into m (a materialized CTE), then
// the total, the histogram and each facet are counted over them. Counted
// one statement each, every one of the seven read the matches again (at
// 1M generated events, two values of an actor: 64,157 matches, 1.9 s).
func (s *Store) countFacets(ctx context.Context, f EventFilter, out *Facets) error {
	w := s.countWhere(f)
	return s.countFacetsOver(ctx, "SELECT e.id, e.type, e.status, "+s.yearOf("e.start_date")+" AS first_year, "+
		s.yearOf("e.end_date")+" AS last_year FROM events e WHERE "+w.String(), w.args, f, true, out)
}

// countFacetsOver is countFacets over the events of the statement matches
// (with its arguments), rows of (id, type, status, first_year,
// last_year); f gives the years the histogram spreads over. Without
// facets it counts only the total and the histogram.
func (s *Store) countFacetsOver(ctx context.Context, matches string, matchArgs []any, f EventFilter, facets bool, out *Facets) error {
	args := append([]any{}, matchArgs...)
	parts := []string{"SELECT 'total' AS dim, '' AS value, '' AS name, count(*) AS count FROM m"}
	spread, spreadArgs := yearSpread(f, "SELECT m.first_year, m.last_year, count(*) AS n FROM m GROUP BY 1, 2")
	parts = append(parts, "SELECT 'year' AS dim, CAST(x.year AS TEXT) AS value, '' AS name, x.count AS count FROM ("+spread+") x")
	args = append(args, spreadArgs...)
	for _, q := range facetQueries {
		if facets {
			parts = append(parts, "SELECT '"+q.name+"' AS dim, x.value, x.name, x.count FROM ("+q.selectJoin+" GROUP BY "+q.group+") x")
		}
	}
	query := "WITH m AS MATERIALIZED (" + matches + ") " + strings.Join(parts, " UNION ALL ")
	if s.dialect == DialectPostgres {
		// Its estimated cost puts it past jit_above_cost on large data,
		// and compiling it took 31 ms of a 725 ms statement at 200,000
		// generated events (auto_explain) for nothing that lasts.
		if err := s.db.WithContext(ctx).Exec("SET LOCAL jit = off").Error; err != nil {
			return translate(err)
		}
	}
	var rows []struct {
		Dim string `gorm:"column:dim"`
		FacetCount
	}
	if err := s.db.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return s.searchError(err)
	}
	by := map[string][]FacetCount{}
	out.Years = []YearCount{}
	for _, r := range rows {
		switch r.Dim {
		case "total":
			out.Events = r.Count
		case "year":
			y, err := strconv.Atoi(r.Value)
			if err != nil {
				return fmt.Errorf("facets: year %q: %w", r.Value, err)
			}
			out.Years = append(out.Years, YearCount{Year: y, Count: r.Count})
		default:
			by[r.Dim] = append(by[r.Dim], r.FacetCount)
		}
	}
	sort.Slice(out.Years, func(i, j int) bool { return out.Years[i].Year < out.Years[j].Year })
	if facets {
		for _, q := range facetQueries {
			out.set(q.name, append([]FacetCount{}, by[q.name]...))
		}
	}
	return nil
}

// set stores the counts of the facet name, most frequent first, then by
// value.
func (out *Facets) set(name string, counts []FacetCount) {
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Count != counts[j].Count {
			return counts[i].Count > counts[j].Count
		}
		return counts[i].Value < counts[j].Value
	})
	switch name {
	case "type":
		out.Types = counts
	case "status":
		out.Statuses = counts
	case "actor":
		out.Actors = counts
	case "place":
		out.Places = counts
	default:
		out.Tags = counts
	}
}
