package models

import (
	"strings"
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

	// Descending sorts by (start_date, id) descending instead of ascending.
	Descending bool
	// After continues a listing after this key (keyset paging).
	After *EventKey
	// Limit is the page size; the store reads one more to know if a next
	// page exists.
	Limit int
}

// EventKey is an event's position in date order: the keyset cursor.
type EventKey struct {
	StartDate Date
	ID        string
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

// overlap returns the condition "the event's span overlaps [from, to]" in a
// shape both databases serve from the (start_date, id) indexes: short events
// by a start_date range, long ones by the partial long_span index.
func (s *Store) overlap(from, to Date) (string, []any) {
	switch {
	case from.IsZero() && to.IsZero():
		return "TRUE", nil
	case from.IsZero():
		return "e.start_date <= ?", []any{to}
	case to.IsZero():
		return "e.end_date >= ? AND (e.start_date >= ? OR " + s.longSpan() + ")",
			[]any{from, from.AddDays(-maxShortSpan)}
	}
	return "e.end_date >= ? AND ((e.start_date >= ? AND e.start_date <= ?) OR (" + s.longSpan() + " AND e.start_date <= ?))",
		[]any{from, from.AddDays(-maxShortSpan), to, to}
}

// where builds the filter's conditions, without paging.
func (s *Store) where(f EventFilter) *sqlWhere {
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
	if len(f.Years) > 0 {
		var ors []string
		var args []any
		for _, y := range f.Years {
			c, a := s.overlap(yearStart(y), yearEnd(y))
			ors = append(ors, "("+c+")")
			args = append(args, a...)
		}
		w.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		c, a := s.overlap(f.From, f.To)
		w.add("("+c+")", a...)
	}
	if len(f.Actors) > 0 {
		w.add("e.id IN (SELECT ea.event_id FROM event_actors ea WHERE ea.actor_id IN ?)", f.Actors)
	}
	if len(f.Places) > 0 {
		w.add("e.id IN (SELECT ep.event_id FROM event_places ep WHERE ep.place_id IN ?)", f.Places)
	}
	if len(f.Tags) > 0 {
		w.add("e.id IN (SELECT et.event_id FROM event_tags et WHERE et.tag IN ?)", f.Tags)
	}
	return w
}

func yearStart(y int) Date { return Date{Year: y, Month: 1, Day: 1} }
func yearEnd(y int) Date   { return Date{Year: y, Month: 12, Day: 31} }
