package models

import (
	"strings"
	"time"
)

// spanLevels is the number of levels of event_spans (blocks of 4^level
// days, level 0 to 11), and spanLevelKey the node_key stride of a level;
// see migration 0005.
const (
	spanLevels   = 12
	spanLevelKey = 4194304
)

var dayZero = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()

// dayNumber is d's day counted from 0001-01-01 (day 0), as event_spans
// numbers days.
func dayNumber(d Date) int { return int((d.Time().Unix() - dayZero) / 86400) }

// spanKeys returns the node_key of every block of event_spans that holds
// day p: the events under them are exactly those with start < p <= end.
func spanKeys(p Date) []int {
	n := dayNumber(p)
	keys := make([]int, spanLevels)
	for lv := range keys {
		keys[lv] = lv*spanLevelKey + n>>(2*lv)
	}
	return keys
}

// period is a date range a date filter asks to overlap; to is zero for an
// open end.
type period struct{ from, to Date }

// periods returns the ranges whose overlap f's date conditions test, when
// each has a lower bound: one per year, else [From, To]. It returns nil
// when f has no lower date bound or uses Within, whose conditions are
// already one start_date range.
func periods(f EventFilter) []period {
	if f.Within {
		return nil
	}
	if len(f.Years) > 0 {
		ps := make([]period, 0, len(f.Years))
		for _, y := range f.Years {
			p := period{yearStart(y), yearEnd(y)}
			// The exact conditions still apply; From and To only narrow
			// the start range an arm reads where they may.
			ps = append(ps, p)
		}
		return ps
	}
	if f.From.IsZero() {
		return nil
	}
	return []period{{f.From, f.To}}
}

// pageQuery assembles the SQL of one page of FindEvents ordered by
// (start_date, id): a union of arms, each reading its candidates in the
// page's order from one index range and stopping after limit+1 matches,
// merged and cut to limit+1. Every arm applies all of f's exact conditions,
// so the arms only choose where to read:
//
//   - a date filter with a lower bound reads, per period, the events that
//     start inside it (a range of events_start_id, or of the link index
//     below) and the events that began earlier and run into it (one range
//     of event_spans per level, each holding only such events);
//   - an actor, place or tag filter reads its links in date order from
//     (actor_id, start_date, event_id), one range per id;
//   - anything else reads events in date order, bounded by the filter's
//     start range.
type pageQuery struct {
	s *Store
	f EventFilter
	w *sqlWhere
	// wLink is w without the condition of the link driver, for the arms
	// that read the driver's link table.
	wLink *sqlWhere
	dir   string
	cmp   string
	limit int
	arms  []string
	args  []any
	// dedupe is set when two arms may return the same event.
	dedupe bool
}

// linkDriver is the link table that leads a filter's reading, with the
// ids to read.
type linkDriver struct {
	table, column string
	ids           []string
}

// withoutLinkDriver returns f without the filter its linkDriver reads.
func (f EventFilter) withoutLinkDriver() EventFilter {
	switch {
	case f.resolved && len(f.actorIDs) > 0:
		f.Actors, f.actorIDs = nil, nil
	case f.resolved && len(f.placeIDs) > 0:
		f.Places, f.placeIDs = nil, nil
	case len(f.Tags) > 0:
		f.Tags = nil
	}
	return f
}

func (f EventFilter) linkDriver() (linkDriver, bool) {
	switch {
	case f.resolved && len(f.actorIDs) > 0:
		return linkDriver{"event_actors", "actor_id", f.actorIDs}, true
	case f.resolved && len(f.placeIDs) > 0:
		return linkDriver{"event_places", "place_id", f.placeIDs}, true
	case len(f.Tags) > 0:
		return linkDriver{"event_tags", "tag", f.Tags}, true
	}
	return linkDriver{}, false
}

// arm adds one arm: the events e read from source (where src.start_date and
// src.event_id, or e's own columns, give the order), with the filter's
// conditions, cond and the keyset condition.
func (q *pageQuery) arm(from, startCol, idCol, cond string, condArgs ...any) {
	q.armWhere(q.w, from, startCol, idCol, cond, condArgs...)
}

func (q *pageQuery) armWhere(w *sqlWhere, from, startCol, idCol, cond string, condArgs ...any) {
	var b strings.Builder
	b.WriteString("SELECT * FROM (SELECT ")
	b.WriteString(eventColumns)
	b.WriteString(" FROM ")
	b.WriteString(from)
	b.WriteString(" WHERE ")
	b.WriteString(w.String())
	args := append([]any{}, w.args...)
	if cond != "" {
		b.WriteString(" AND ")
		b.WriteString(cond)
		args = append(args, condArgs...)
	}
	if a := q.f.After; a != nil {
		b.WriteString(" AND (" + startCol + ", " + idCol + ") " + q.cmp + " (?, ?)")
		args = append(args, a.StartDate, a.ID)
	}
	b.WriteString(" ORDER BY " + startCol + " " + q.dir + ", " + idCol + " " + q.dir + " LIMIT ?) AS arm")
	args = append(args, q.limit+1)
	q.arms = append(q.arms, b.String())
	q.args = append(q.args, args...)
}

// startArms adds the arms of the events whose start_date lies in [lo, hi]
// (either may be zero for an open end): from the link index when a link
// filter leads, else from events.
func (q *pageQuery) startArms(lo, hi Date) {
	rangeCond := func(col string) (string, []any) {
		var c []string
		var a []any
		if !lo.IsZero() {
			c, a = append(c, col+" >= ?"), append(a, lo)
		}
		if !hi.IsZero() {
			c, a = append(c, col+" <= ?"), append(a, hi)
		}
		return strings.Join(c, " AND "), a
	}
	if d, ok := q.f.linkDriver(); ok {
		if len(d.ids) > 1 {
			q.dedupe = true
		}
		for _, id := range d.ids {
			c, a := rangeCond("l.start_date")
			if c != "" {
				c = " AND " + c
			}
			q.armWhere(q.wLink, d.table+" l JOIN events e ON e.id = l.event_id", "l.start_date", "l.event_id",
				"l."+d.column+" = ?"+c, append([]any{id}, a...)...)
		}
		return
	}
	c, a := rangeCond("e.start_date")
	q.arm("events e", "e.start_date", "e.id", c, a...)
}

// crossingArms adds the arms of the events that start before p and end on
// or after it, one range of event_spans per level.
func (q *pageQuery) crossingArms(p Date) {
	for _, key := range spanKeys(p) {
		q.arm("event_spans sp JOIN events e ON e.id = sp.event_id", "sp.start_date", "sp.event_id",
			"sp.node_key = ? AND sp.start_date < ?", key, p)
	}
}

// build returns the statement and its arguments.
func (q *pageQuery) build() (string, []any) {
	f := q.f
	lo, hi := startBounds(f)
	switch ps := periods(f); {
	case len(ps) > 0:
		if len(ps) > 1 {
			q.dedupe = true
		}
		for _, p := range ps {
			// Events that start inside the period, then those that run
			// into it from before.
			to := p.to
			if !hi.IsZero() && (to.IsZero() || hi.Before(to)) {
				to = hi
			}
			if to.IsZero() || !to.Before(p.from) {
				q.startArms(p.from, to)
			}
			q.crossingArms(p.from)
		}
	case f.Within:
		q.startArms(lo, hi)
	default:
		q.startArms(Date{}, hi)
	}
	order := " ORDER BY e.start_date " + q.dir + ", e.id " + q.dir + " LIMIT ?"
	if len(q.arms) == 1 && !q.dedupe {
		return q.arms[0][len("SELECT * FROM (") : len(q.arms[0])-len(") AS arm")], q.args
	}
	union := " UNION ALL "
	if q.dedupe {
		union = " UNION "
	}
	return "SELECT * FROM (" + strings.Join(q.arms, union) + ") AS e" + order, append(q.args, q.limit+1)
}
