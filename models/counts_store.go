package models

import (
	"context"
	"strings"
	"sync"
	"time"
)

// The counts behind /v1/years, /v1/facets, the catalog and /v1/timelines
// (migration 0011): event_year_counts holds the events by (first year,
// last year), all of them and by each timeline, type and status;
// link_counts the links of each actor, place and tag and the events of
// each timeline, type and status. On PostgreSQL writers append their changes to delta tables
// (statement triggers), so that concurrent writers share no row; every
// reader adds the pending deltas to the counts, and a fold moves them in.
// On SQLite the triggers update the counts themselves and the delta
// tables stay empty.

// foldLockKey is the advisory lock a fold holds: one folder at a time in
// every process, the others skip (the deltas they would fold are folded by
// the one that holds it, or by the next).
const foldLockKey = 7219433

// FoldCounts moves the pending count deltas into the counts, after the
// fold running in any process, if one is. Reads are exact with or without
// it; it keeps them cheap (a read adds the deltas still pending). It does
// nothing on SQLite.
func (s *Store) FoldCounts(ctx context.Context) error {
	return s.fold(ctx, true)
}

// fold is FoldCounts; unless wait, it gives up at once when another fold
// runs (the deltas it would fold are that fold's, or the next one's). It
// runs on the pool itself, past GORM's callbacks: a fold changes no
// answer, so it must not drop the cached dataset state as a write does.
func (s *Store) fold(ctx context.Context, wait bool) (err error) {
	if s.dialect != DialectPostgres {
		return nil
	}
	pool, err := s.db.DB()
	if err != nil {
		return err
	}
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if wait {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", foldLockKey); err != nil {
			return translate(err)
		}
	} else {
		var locked bool
		if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", foldLockKey).Scan(&locked); err != nil {
			return translate(err)
		}
		if !locked {
			return tx.Rollback()
		}
	}
	if _, err := tx.ExecContext(ctx, "SELECT fold_count_deltas()"); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// countFolder folds the deltas after writes, in the background, one fold
// at a time: a write asks for a fold, and a fold already running takes the
// request along by running once more.
type countFolder struct {
	store   *Store
	mu      sync.Mutex
	running bool
	again   bool
	closed  bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newCountFolder(s *Store) *countFolder {
	ctx, cancel := context.WithCancel(context.Background())
	return &countFolder{store: s, ctx: ctx, cancel: cancel}
}

// kick asks for a fold after a write has committed; it never blocks.
func (f *countFolder) kick() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	if f.running {
		f.again = true
		return
	}
	f.running = true
	f.wg.Add(1)
	go f.run()
}

func (f *countFolder) run() {
	defer f.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
		_ = f.store.fold(ctx, false) // best effort: reads add what is left
		cancel()
		f.mu.Lock()
		if !f.again || f.closed {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.again = false
		f.mu.Unlock()
	}
}

// close stops asking for folds and waits for the one running.
func (f *countFolder) close() {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
}

// yearDim is the dimension of event_year_counts that answers f and its
// values (see summarized): 'all' with no value, or the one of timeline,
// type, status, actor, place and tag that f filters by. The values of
// timelines, types and statuses partition the events, so their counts add
// up; an event can link several actors, places or tags, so those answer
// only for one value (or none, which matches no event).
func yearDim(f EventFilter) (string, []string) {
	switch {
	case len(f.Timelines) > 0:
		return "timeline", f.Timelines
	case len(f.Types) > 0:
		return "type", f.Types
	case len(f.Statuses) > 0:
		return "status", f.Statuses
	case len(f.Actors) > 0:
		return "actor", f.actorIDs
	case len(f.Places) > 0:
		return "place", f.placeIDs
	case len(f.Tags) > 0:
		return "tag", distinct(f.Tags)
	}
	return "all", []string{""}
}

// distinct returns values without repeats, in their first order.
func distinct(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := make([]string, 0, len(values))
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// yearCountsFrom is the counts of events by (first_year, last_year) with
// their pending deltas, for the dimension of f (see yearDim): a subquery
// yielding first_year, last_year and n, and its arguments.
func yearCountsFrom(f EventFilter) (string, []any) {
	dim, values := yearDim(f)
	w := &sqlWhere{}
	if len(values) == 0 {
		w.add("FALSE") // an actor or place name that answers to nothing
	} else {
		// dim is a constant, written into the SQL so that a generic
		// plan of a prepared statement still knows the dimension.
		w.add("dim = '"+dim+"' AND value IN ?", values)
	}
	q := "SELECT first_year, last_year, n FROM event_year_counts WHERE " + w.String() +
		" UNION ALL SELECT first_year, last_year, n FROM event_year_deltas WHERE " + w.String()
	return q, append(append([]any{}, w.args...), w.args...)
}

// linkCount is the SQL of one actor's, place's or tag's number of events,
// counts plus pending deltas, for the key in column col (a constant).
func linkCount(kind, col string) string {
	return "(COALESCE((SELECT sum(c.n) FROM link_counts c WHERE c.kind = '" + kind + "' AND c.key = " + col + "), 0) + " +
		"COALESCE((SELECT sum(d.n) FROM link_count_deltas d WHERE d.kind = '" + kind + "' AND d.key = " + col + "), 0))"
}

// summarized reports whether the year counts answer f exactly: f filters
// by nothing but years, whole-year date bounds and at most one of
// timelines, types, statuses, one actor, one place or one tag (actors and
// places resolved to ids, see resolveNames). Anything else (two of these
// dimensions, two actors, a search, a mid-year date) counts the events.
func summarized(f EventFilter) bool {
	if !f.Query.IsZero() || !f.UpdatedSince.IsZero() {
		return false
	}
	if (len(f.Actors) > 0 || len(f.Places) > 0) && !f.resolved {
		return false
	}
	dims := 0
	for _, d := range [][]string{f.Timelines, f.Types, f.Statuses, f.Actors, f.Places, f.Tags} {
		if len(d) > 0 {
			dims++
		}
	}
	if dims > 1 {
		return false
	}
	if dim, values := yearDim(f); (dim == "actor" || dim == "place" || dim == "tag") && len(values) > 1 {
		return false
	}
	if !f.From.IsZero() && f.From != yearStart(f.From.Year) {
		return false
	}
	return f.To.IsZero() || f.To == yearEnd(f.To.Year)
}

// countYearsSummarized is CountEventsByYear for a filter that summarized
// accepts, from the year counts: its cost is the number of distinct
// (value, first year, last year) of its dimension, not of events.
func (s *Store) countYearsSummarized(ctx context.Context, f EventFilter) ([]YearCount, int, error) {
	from, fromArgs := yearCountsFrom(f)
	g := "(SELECT first_year, last_year, SUM(n) AS n FROM (" + from + ") u GROUP BY first_year, last_year HAVING SUM(n) <> 0) g"
	cond := spanCond(f, "g")
	yearJoin := "y.year >= g.first_year AND y.year <= g.last_year"
	if f.Within {
		yearJoin = "y.year = g.first_year AND g.last_year = g.first_year"
	}
	yw := &sqlWhere{}
	if len(f.Years) > 0 {
		yw.add("y.year IN ?", f.Years)
	}
	if !f.From.IsZero() {
		yw.add("y.year >= ?", f.From.Year)
	}
	if !f.To.IsZero() {
		yw.add("y.year <= ?", f.To.Year)
	}
	db := s.db.WithContext(ctx)
	counts := []YearCount{}
	args := append(append(append([]any{}, fromArgs...), cond.args...), yw.args...)
	query := "SELECT y.year AS year, CAST(SUM(g.n) AS BIGINT) AS count FROM " + g +
		" JOIN calendar_years y ON " + yearJoin + " WHERE " + cond.String() + " AND " + yw.String() +
		" GROUP BY y.year ORDER BY y.year"
	if !f.Within && len(f.Years) == 0 {
		// bw keeps the runs that reach into the years asked for, so that
		// each is joined to its own years only.
		bw := &sqlWhere{}
		if !f.From.IsZero() {
			bw.add("b.next_year > ?", f.From.Year)
		}
		if !f.To.IsZero() {
			bw.add("b.year <= ?", f.To.Year)
		}
		// Overlap over a run of years: the count of a year is the events
		// that start by it less those that ended before it, a running sum
		// over the span boundaries, each run of years with the same count
		// spread once over the calendar. Spreading every span over its
		// years instead would cost the sum of the spans' lengths (a
		// 300-year span, 300 rows).
		query = "SELECT y.year AS year, CAST(b.running AS BIGINT) AS count FROM (SELECT x.year AS year, " +
			"SUM(SUM(x.d)) OVER (ORDER BY x.year) AS running, LEAD(x.year) OVER (ORDER BY x.year) AS next_year " +
			"FROM (SELECT g.first_year AS year, g.n AS d FROM " + g + " WHERE " + cond.String() +
			" UNION ALL SELECT g.last_year + 1, -g.n FROM " + g + " WHERE " + cond.String() + ") x GROUP BY x.year) b " +
			"JOIN calendar_years y ON y.year >= b.year AND y.year < b.next_year WHERE b.running > 0 AND " + bw.String() +
			" AND " + yw.String() + " ORDER BY y.year"
		args = append(append(append(append(append(append([]any{}, fromArgs...), cond.args...), fromArgs...), cond.args...),
			bw.args...), yw.args...)
	}
	if err := db.Raw(query, args...).Scan(&counts).Error; err != nil {
		return nil, 0, translate(err)
	}
	var n int64
	if err := db.Raw("SELECT CAST(COALESCE(SUM(g.n), 0) AS BIGINT) FROM "+g+" WHERE "+cond.String(),
		append(append([]any{}, fromArgs...), cond.args...)...).Scan(&n).Error; err != nil {
		return nil, 0, translate(err)
	}
	return counts, int(n), nil
}

// spanCond is the condition of f's dates on the rows of a year count
// aliased t (a constant): an event matches exactly when its (first year,
// last year) row does, the years being whole (see summarized).
func spanCond(f EventFilter, t string) *sqlWhere {
	cond := &sqlWhere{}
	if len(f.Years) > 0 {
		if f.Within {
			cond.add(t+".first_year = "+t+".last_year AND "+t+".first_year IN ?", f.Years)
		} else {
			var ors []string
			var args []any
			for _, y := range f.Years {
				ors = append(ors, "("+t+".first_year <= ? AND "+t+".last_year >= ?)")
				args = append(args, y, y)
			}
			cond.add("("+strings.Join(ors, " OR ")+")", args...)
		}
	}
	if !f.From.IsZero() {
		if f.Within {
			cond.add(t+".first_year >= ?", f.From.Year)
		} else {
			cond.add(t+".last_year >= ?", f.From.Year)
		}
	}
	if !f.To.IsZero() {
		if f.Within {
			cond.add(t+".last_year <= ?", f.To.Year)
		} else {
			cond.add(t+".first_year <= ?", f.To.Year)
		}
	}
	return cond
}
