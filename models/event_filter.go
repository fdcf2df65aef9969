package models

import (
	"strings"
	"time"
)

// EventFilter selects events. Fields combine with AND; the values inside a
// list combine with OR. Zero fields do not filter.
type EventFilter struct {
	Timelines []string
	Types     []string
	Statuses  []string
	Actors    []string
	Places    []string
	Tags      []string
	// Years keeps events whose span overlaps any of these years.
	Years []int
	// From and To keep events whose span overlaps [From, To]; either may be
	// zero for an open end.
	From, To Date
	// Within makes the date conditions (Years, From, To) keep only events
	// whose whole span lies inside the period, instead of every event that
	// overlaps it: an event known only to the year 2019 is in 2019 but not
	// within May 2019.
	Within bool
	// Query keeps events whose search text (title, summary, quotes, actor
	// and place names) matches a full-text query.
	Query SearchQuery
	// UpdatedSince, when set, keeps events last changed at or after it: a
	// convenience for mirrors, less exact than the change feed (a
	// transaction that commits late can carry an earlier time).
	UpdatedSince time.Time
	// IncludeRetracted makes an export (StreamEvents) send, after the live
	// events, a tombstone for each retracted event of the selected
	// timelines, so that a mirror can reconcile. FindEvents and the counts
	// ignore it.
	IncludeRetracted bool

	// Relevance sorts by search rank, best first, then by (start_date, id);
	// it needs a Query. Descending does not apply to it.
	Relevance bool
	// Descending sorts by (start_date, id) descending instead of ascending.
	Descending bool
	// After continues a listing after this key (keyset paging).
	After *EventKey
	// Limit is the page size; the store reads one more to know if a next
	// page exists.
	Limit int
	// Fields is what the caller will use of each event (zero: everything).
	// It selects no events; a relation outside it is left empty and not
	// read.
	Fields EventFields

	// rankAll makes a relevance listing rank every match instead of the
	// MaxRankedMatches most recent (for exports).
	rankAll bool
	// searchByDate makes SQLite test Query on events read in the page's
	// order instead of reading the matches first (see manyMatches).
	searchByDate bool

	// resolved says that actorIDs and placeIDs hold the ids that Actors and
	// Places name (see resolveNames).
	resolved           bool
	actorIDs, placeIDs []string
}

// EventKey is an event's position in its listing's order: the keyset cursor.
type EventKey struct {
	StartDate Date
	ID        string
	// Rank is the event's search rank, for listings sorted by relevance.
	// When it is nil there, the store computes it from the event's id.
	Rank *float64
}

// maxShortSpan is the longest span, in days, of an event that is not
// flagged long_span in the schema. An event that overlaps a range starting
// on day A and is not long must start on or after A-maxShortSpan, which
// turns an overlap test into an index range on (start_date, id).
const maxShortSpan = 366

// sqlWhere accumulates SQL conditions with their placeholder arguments.
// Only constant SQL text is ever appended; values go through placeholders.
type sqlWhere struct {
	clauses []string
	args    []any
}

func (w *sqlWhere) add(clause string, args ...any) {
	w.clauses = append(w.clauses, clause)
	w.args = append(w.args, args...)
}

func (w *sqlWhere) String() string {
	if len(w.clauses) == 0 {
		return "TRUE"
	}
	return strings.Join(w.clauses, " AND ")
}

// longSpan is the dialect's spelling of the generated long_span flag, as it
// appears in the partial index predicate.
func (s *Store) longSpan() string {
	if s.dialect == DialectSQLite {
		return "e.long_span = 1"
	}
	return "e.long_span"
}

// overlap returns the exact condition "the event's span overlaps [from,
// to]"; either end may be zero for an open range.
func overlap(from, to Date) (string, []any) {
	switch {
	case from.IsZero() && to.IsZero():
		return "TRUE", nil
	case from.IsZero():
		return "e.start_date <= ?", []any{to}
	case to.IsZero():
		return "e.end_date >= ?", []any{from}
	}
	return "e.end_date >= ? AND e.start_date <= ?", []any{from, to}
}

// within returns the exact condition "the event's span lies inside [from,
// to]"; either end may be zero for an open range.
func within(from, to Date) (string, []any) {
	switch {
	case from.IsZero() && to.IsZero():
		return "TRUE", nil
	case from.IsZero():
		return "e.end_date <= ?", []any{to}
	case to.IsZero():
		return "e.start_date >= ?", []any{from}
	}
	return "e.start_date >= ? AND e.end_date <= ?", []any{from, to}
}

// startBounds returns the range of start_date that an event which is not
// long_span must have to match f's date conditions: lo is zero when f sets
// no lower date bound, hi is zero when it sets no upper one. An event that
// overlaps a range beginning on day A and spans at most maxShortSpan days
// starts on or after A-maxShortSpan; this is what turns an overlap test
// into an index range on (start_date, id). With f.Within the range is
// exact for every event, long or not: an event inside [A, B] starts in it.
func startBounds(f EventFilter) (lo, hi Date) {
	slack := maxShortSpan
	if f.Within {
		slack = 0
	}
	earlier := func(a, b Date) Date {
		if a.IsZero() || b.Before(a) && !b.IsZero() {
			return b
		}
		return a
	}
	if len(f.Years) > 0 {
		minY, maxY := f.Years[0], f.Years[0]
		for _, y := range f.Years {
			minY, maxY = min(minY, y), max(maxY, y)
		}
		lo, hi = yearStart(minY).AddDays(-slack), yearEnd(maxY)
	}
	if !f.From.IsZero() {
		if a := f.From.AddDays(-slack); lo.IsZero() || lo.Before(a) {
			lo = a
		}
	}
	if !f.To.IsZero() {
		hi = earlier(hi, f.To)
	}
	if !lo.IsZero() && lo.Year < 1 {
		// The slack reached before 1 January of year 1, which PostgreSQL's
		// date cannot hold; no event starts earlier anyway.
		lo = Date{Year: 1, Month: time.January, Day: 1}
	}
	return lo, hi
}

// where builds the filter's exact conditions, without paging.
func (s *Store) where(f EventFilter) *sqlWhere { return s.whereProbing(f, false) }

// countWhere is where for a count over the matches: an actor, place or
// tag condition also carries f's dates on the link rows, which hold their
// event's start_date and end_date (migrations 0005 and 0011), so that the
// planner sees how few of a rare value's links fall in the dates and can
// drive the count from them (the link's end-date index, then one probe of
// events per link) instead of reading every event of the dates and
// joining the value's links to them. The result is unchanged: the same
// dates are tested on the event.
func (s *Store) countWhere(f EventFilter) *sqlWhere {
	w := s.whereLinks(f, false, true)
	s.indexHint(w, f)
	return w
}

// dateConditions is f's years and from/to on the dates of the rows
// aliased t (a constant): events, or link rows that carry their event's
// dates. Empty when f has no dates.
func dateConditions(f EventFilter, t string) *sqlWhere {
	dates := overlap
	if f.Within {
		dates = within
	}
	on := func(c string) string {
		if t == "e" {
			return c
		}
		return strings.NewReplacer("e.start_date", t+".start_date", "e.end_date", t+".end_date").Replace(c)
	}
	w := &sqlWhere{}
	if len(f.Years) > 0 {
		var ors []string
		var args []any
		for _, y := range f.Years {
			c, a := dates(yearStart(y), yearEnd(y))
			ors = append(ors, "("+on(c)+")")
			args = append(args, a...)
		}
		w.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		c, a := dates(f.From, f.To)
		w.add(on(c), a...)
	}
	return w
}

// whereProbing is where; with probe, an actor, place or tag condition is a
// probe of the link table's primary key for each candidate event, which
// the planner cannot turn into a hash of all the links of the actor: what
// a page, which stops after limit+1 matches, wants, and what a count over
// many events does not.
func (s *Store) whereProbing(f EventFilter, probe bool) *sqlWhere {
	return s.whereLinks(f, probe, false)
}

// whereLinks is whereProbing; with linkDates (and not probe), a link
// condition also tests f's dates on the link rows (see countWhere).
func (s *Store) whereLinks(f EventFilter, probe, linkDates bool) *sqlWhere {
	var onLinks *sqlWhere
	if linkDates && !probe {
		if d := dateConditions(f, "lp"); len(d.clauses) > 0 {
			onLinks = d
		}
	}
	link := func(table, column string, ids []string) (string, []any) {
		if probe {
			return "(SELECT 1 FROM " + table + " lp WHERE lp.event_id = e.id AND lp." + column + " IN ? LIMIT 1) IS NOT NULL",
				[]any{ids}
		}
		if onLinks != nil {
			return "e.id IN (SELECT lp.event_id FROM " + table + " lp WHERE lp." + column + " IN ? AND " + onLinks.String() + ")",
				append([]any{ids}, onLinks.args...)
		}
		return "e.id IN (SELECT lp.event_id FROM " + table + " lp WHERE lp." + column + " IN ?)", []any{ids}
	}
	w := &sqlWhere{}
	if len(f.Timelines) > 0 {
		w.add("e.timeline_id IN ?", f.Timelines)
	}
	if len(f.Types) > 0 {
		w.add("e.type IN ?", f.Types)
	}
	if len(f.Statuses) > 0 {
		w.add("e.status IN ?", f.Statuses)
	}
	if d := dateConditions(f, "e"); len(d.clauses) > 0 {
		w.add(d.String(), d.args...)
	}
	switch {
	case len(f.Actors) == 0:
	case f.resolved && len(f.actorIDs) == 0:
		w.add("FALSE")
	case f.resolved:
		c, a := link("event_actors", "actor_id", f.actorIDs)
		w.add(c, a...)
	default:
		c, a := nameCondition(actorNames, f.Actors)
		w.add(c, a...)
	}
	switch {
	case len(f.Places) == 0:
	case f.resolved && len(f.placeIDs) == 0:
		w.add("FALSE")
	case f.resolved:
		c, a := link("event_places", "place_id", f.placeIDs)
		w.add(c, a...)
	default:
		c, a := nameCondition(placeNames, f.Places)
		w.add(c, a...)
	}
	if len(f.Tags) > 0 {
		c, a := link("event_tags", "tag", f.Tags)
		w.add(c, a...)
	}
	if !f.UpdatedSince.IsZero() {
		w.add("e.updated_at >= ?", f.UpdatedSince.UTC())
	}
	if !f.Query.IsZero() {
		c, a := s.searchCondition(f.Query, f.searchByDate)
		w.add(c, a...)
	}
	return w
}

// indexHint adds the start_date range that lets an unordered query (a
// count) use the (start_date, id) and long_span indexes. It never changes
// the result: the exact conditions are already in w.
func (s *Store) indexHint(w *sqlWhere, f EventFilter) {
	lo, hi := startBounds(f)
	if f.Within {
		if !lo.IsZero() {
			w.add("e.start_date >= ?", lo)
		}
		if !hi.IsZero() {
			w.add("e.start_date <= ?", hi)
		}
		return
	}
	if lo.IsZero() {
		return
	}
	if hi.IsZero() {
		w.add("(e.start_date >= ? OR "+s.longSpan()+")", lo)
		return
	}
	w.add("((e.start_date >= ? AND e.start_date <= ?) OR ("+s.longSpan()+" AND e.start_date < ?))", lo, hi, lo)
}

func yearStart(y int) Date { return Date{Year: y, Month: 1, Day: 1} }
func yearEnd(y int) Date   { return Date{Year: y, Month: 12, Day: 31} }
