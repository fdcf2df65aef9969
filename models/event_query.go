package models

import (
	"slices"
	"sort"
	"strconv"
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

// monthLevels is the number of levels of event_word_months (blocks of
// 4^level calendar months, level 0 to 8), and monthLevelKey the node_key
// stride of a level; see migration 0017.
const (
	monthLevels   = 9
	monthLevelKey = 131072
)

// monthKeys returns the node_key of every block of event_word_months that
// holds d's month: the events under them are exactly those with start
// month < d's month <= end month.
func monthKeys(d Date) []int {
	m := d.Year*12 + int(d.Month) - 1
	keys := make([]int, monthLevels)
	for lv := range keys {
		keys[lv] = lv*monthLevelKey + m>>(2*lv)
	}
	return keys
}

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
// (start_date, id): a merge of arms, each reading its candidates in the
// page's order from one index range, joined to events, filtered by all of
// f's exact conditions, and cut to limit+1. The arms only choose where to
// read:
//
//   - a date filter with a lower bound reads, per period, the events that
//     start inside it (a range of events_start_id, or of the link index
//     below) and the events that began earlier and run into it (one range
//     of event_spans per level, each holding only such events, or of
//     event_link_spans when a link filter leads);
//   - an actor, place or tag filter reads its links in date order from
//     (actor_id, start_date, event_id), one range per id;
//   - else a search reads the entries of one lexeme per alternative in
//     date order from event_words (lexeme, start_date, event_id) on
//     PostgreSQL (see wordDriver);
//   - anything else reads events in date order, bounded by the filter's
//     start range.
//
// No two arms return the same event: an arm leaves out the events of the
// periods and ids before it. On PostgreSQL the arms are merged in order
// (Merge Append) under one LIMIT, so the page reads about limit+1 rows
// over all arms, plus the ones the other conditions reject; SQLite, which
// cannot merge ordered arms lazily, limits each arm.
type pageQuery struct {
	s     *Store
	f     EventFilter
	w     *sqlWhere
	dir   string
	cmp   string
	limit int
	arms  []armSpec
	// cols is what each arm selects of events e; eventColumns when empty.
	cols string
}

// armSpec is one arm: keys (start_date, event_id) read from from in order,
// with cond, then joined to events e and filtered by skip's negation.
type armSpec struct {
	from, startCol, idCol string
	cond                  string
	args                  []any
	// events says the arm reads events e itself (no join needed).
	events bool
	// link says the arm reads the link driver's table, so the driver's own
	// condition holds for its rows without being tested; word says the same
	// of a search of one word read from event_words (see wordDriver).
	link, word bool
	// skip is a condition on e for the events an earlier arm returns.
	skip     string
	skipArgs []any
	// cond on e that the arm's events must also meet.
	econd string
	eargs []any
	// crossing, when set, makes the arm read the events running into a
	// period that starts on that day and began after crossingAfter (when
	// set), see crossingKeys; from the span blocks of one link driver's
	// value when crossingKind is set (see linkKind), else of all events.
	crossing, crossingAfter Date
	crossingKind            int
	crossingDriver          string
	// crossingWord, when set, is the SQL of a lexeme (with its arguments)
	// whose events running into the month of crossing from an earlier
	// month the arm reads from event_word_months (see crossingArms).
	crossingWord     string
	crossingWordArgs []any
}

// linkDriver is the link table that leads a filter's reading, with the
// ids to read and the kind of its rows in event_link_spans.
type linkDriver struct {
	table, column string
	ids           []string
	kind          int
}

// The kinds of event_link_spans (migration 0015).
const (
	linkKindActor = 1
	linkKindPlace = 2
	linkKindTag   = 3
)

// linkKindNames are the kinds' names in link_counts (migration 0011).
var linkKindNames = map[int]string{linkKindActor: "actor", linkKindPlace: "place", linkKindTag: "tag"}

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

// notEarlier is the condition that the event idCol has no link to the ids
// before the i-th, whose arms return it: a probe per key, not an anti-join
// that hashes every link of the earlier ids.
func (d linkDriver) notEarlier(i int, idCol string) (string, []any) {
	return "(SELECT 1 FROM " + d.table + " x WHERE x.event_id = " + idCol + " AND x." + d.column + " IN ? LIMIT 1) IS NULL",
		[]any{d.ids[:i]}
}

func (f EventFilter) linkDriver() (linkDriver, bool) {
	switch {
	case f.resolved && len(f.actorIDs) > 0:
		return linkDriver{"event_actors", "actor_id", f.actorIDs, linkKindActor}, true
	case f.resolved && len(f.placeIDs) > 0:
		return linkDriver{"event_places", "place_id", f.placeIDs, linkKindPlace}, true
	case len(f.Tags) > 0:
		return linkDriver{"event_tags", "tag", f.Tags, linkKindTag}, true
	}
	return linkDriver{}, false
}

// rangeCond is a condition on a start_date column, with its arguments.
type rangeCond func(col string) (string, []any)

// startRange is the rangeCond of [lo, hi], either of which may be zero for
// an open end.
func startRange(lo, hi Date) rangeCond {
	return func(col string) (string, []any) {
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
}

// startArms adds the arms of the events whose start_date lies in [lo, hi]
// (either may be zero for an open end): from the link index when a link
// filter leads, else from event_words when a search does, else from
// events. skip leaves out earlier periods' events.
func (q *pageQuery) startArms(lo, hi Date, skip string, skipArgs []any) {
	if q.driverArms(startRange(lo, hi), "", nil, skip, skipArgs) {
		return
	}
	c, a := startRange(lo, hi)("e.start_date")
	q.arms = append(q.arms, armSpec{from: "events e", startCol: "e.start_date", idCol: "e.id", cond: c, args: a,
		events: true, skip: skip, skipArgs: skipArgs})
}

// driverArms adds the arms that read the entries of f's link driver (one
// per id) or, failing that, of its word driver (one per alternative) whose
// start_date meets rc, for events that also meet econd; it reports false
// when f has neither driver.
func (q *pageQuery) driverArms(rc rangeCond, econd string, eargs []any, skip string, skipArgs []any) bool {
	if d, ok := q.f.linkDriver(); ok {
		// With a type, one range of (driver, type, start_date, event_id)
		// per id and type (migration 0018): each holds only matches of
		// both, where the range of the id alone holds the id's events of
		// every type, each tested.
		types := []string{""}
		if n := len(q.f.Types); n > 0 && n*len(d.ids) <= maxTypeArms {
			// Each type once, or two arms would return the same events.
			types = slices.Compact(slices.Sorted(slices.Values(q.f.Types)))
		}
		for i, id := range d.ids {
			for _, typ := range types {
				c, a := rc("l.start_date")
				cond, args := "l."+d.column+" = ?", []any{id}
				if typ != "" {
					cond, args = cond+" AND l.event_type = ?", append(args, typ)
				}
				if c != "" {
					cond += " AND " + c
				}
				args = append(args, a...)
				if i > 0 {
					c, a := d.notEarlier(i, "l.event_id")
					cond += " AND " + c
					args = append(args, a...)
				}
				q.arms = append(q.arms, armSpec{from: d.table + " l", startCol: "l.start_date", idCol: "l.event_id",
					cond: cond, args: args, link: true, econd: econd, eargs: eargs, skip: skip, skipArgs: skipArgs})
			}
		}
		return true
	}
	if lexemes, lexArgs, exact, ok := q.wordDriver(); ok {
		c, a := rc("l.start_date")
		q.wordArms(lexemes, lexArgs, exact, c, a, econd, eargs, skip, skipArgs)
		return true
	}
	return false
}

// crossingArms adds the arm of the events that start before p (and after
// after, when set) and end on or after it: the blocks of event_spans that
// hold day p, one index range per level, merged in order.
//
// When a link driver leads, the arms read instead the blocks of
// event_link_spans that hold day p for each of its ids (migration 0015):
// only the driver's events that run into p, so the arm reads what it
// returns plus what the other conditions reject, whatever the share of
// the driver among the events running into p (an actor in 5% of them had
// its arm probe all of them) and however many entries it has before p.
//
// When a word driver leads (PostgreSQL), the word's events running into p
// are those that run into p's month from an earlier one, read from the
// blocks of event_word_months holding the month (migration 0017), plus
// those that start in p's month before p, read from event_words; each is
// tested for its end. When p is the first day of its month (a year, a
// month) the former are exactly the events running into p and the latter
// are none: the arm reads what it returns, whatever the word's frequency.
// For any other day the arms may also read the word's events of p's month
// that end before p: at most the word's entries of one month. Both arms
// are read lazily in date order with the others, so a page full of
// matches stops them early. (Before 0017 a probe chose between the word's
// entries before p and the span index's arm, each a share of the table.)
func (q *pageQuery) crossingArms(p, after Date, skip string, skipArgs []any) {
	spans := armSpec{startCol: "sp.start_date", idCol: "sp.event_id", crossing: p, crossingAfter: after,
		skip: skip, skipArgs: skipArgs}
	if d, ok := q.f.linkDriver(); ok {
		for i, id := range d.ids {
			a := spans
			a.link, a.crossingKind, a.crossingDriver = true, d.kind, id
			if i > 0 {
				a.econd, a.eargs = d.notEarlier(i, "e.id")
			}
			q.arms = append(q.arms, a)
		}
		return
	}
	lexemes, lexArgs, exact, ok := q.wordDriver()
	if !ok {
		// SQLite, for small data, keeps the span index's arm.
		q.arms = append(q.arms, spans)
		return
	}
	first := Date{Year: p.Year, Month: p.Month, Day: 1}
	// The arms of the word's events running into p's month from before it,
	// one per lexeme; a later lexeme leaves out the earlier ones' events.
	wordMonths := func(econd string, eargs []any) {
		for i, lex := range lexemes {
			a := spans
			a.word, a.crossingWord, a.crossingWordArgs = exact, lex, lexArgs[i]
			a.econd, a.eargs = econd, append([]any{}, eargs...)
			if i > 0 {
				c, ca := notEarlierLexemes(lexemes[:i], lexArgs[:i], "e.start_date", "e.id")
				if a.econd != "" {
					c = a.econd + " AND " + c
				}
				a.econd, a.eargs = c, append(a.eargs, ca...)
			}
			q.arms = append(q.arms, a)
		}
	}
	if p == first {
		wordMonths("", nil)
		return
	}
	// The word's entries from the month's first day (or after the earlier
	// period) to p.
	lo := first
	if !after.IsZero() && !after.Before(lo) {
		lo = after.AddDays(1)
	}
	rc := func(col string) (string, []any) { return col + " >= ? AND " + col + " < ?", []any{lo, p} }
	wordMonths("e.end_date >= ?", []any{p})
	q.driverArms(rc, "e.end_date >= ?", []any{p}, skip, skipArgs)
}

// maxTypeArms bounds the arms of a link filter with a type (one per id
// and type): past it, the ids' ranges are read and each event's type
// tested.
const maxTypeArms = 16

// crossingKeys is the keys query of crossing arm a: one ordered index range
// of event_spans (or of one driver's event_link_spans) per level, each
// fenced, so that PostgreSQL reads them lazily through a Merge Append and
// stops when the page is full.
func (q *pageQuery) crossingKeys(a armSpec, fence string) (string, []any) {
	p, after := a.crossing, a.crossingAfter
	from, lead, leadArgs, keys := "event_spans sp", "", []any{}, spanKeys(p)
	switch {
	case a.crossingKind != 0:
		from, lead, leadArgs = "event_link_spans sp", "sp.kind = ? AND sp.driver = ? AND ", []any{a.crossingKind, a.crossingDriver}
	case a.crossingWord != "":
		// Every row starts before p's month, so before p.
		from, lead, leadArgs, keys = "event_word_months sp", "sp.lexeme = "+a.crossingWord+" AND ", a.crossingWordArgs, monthKeys(p)
	}
	var parts []string
	var args []any
	ks, ksa := q.keyset("sp.start_date", "sp.event_id")
	if ks != "" {
		ks = " AND " + ks
	}
	order := " ORDER BY sp.start_date " + q.dir + ", sp.event_id " + q.dir
	for _, key := range keys {
		lower, la := "", []any{}
		if !after.IsZero() {
			lower, la = " AND sp.start_date > ?", []any{after}
		}
		parts = append(parts, "SELECT * FROM (SELECT sp.start_date, sp.event_id FROM "+from+
			" WHERE "+lead+"sp.node_key = ? AND sp.start_date < ?"+lower+ks+order+fence+") AS lv")
		args = append(append(append(append(args, leadArgs...), key, p), la...), ksa...)
	}
	return "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") AS sp" + order + fence, args
}

// plan fills q.arms.
func (q *pageQuery) plan() {
	f := q.f
	lo, hi := startBounds(f)
	switch ps := periods(f); {
	case len(ps) > 0:
		// In date order, so that an event running into a period from an
		// earlier one is left to the earlier one's arms: it began on or
		// before that period's end, so it overlaps it too.
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].from.Before(ps[j].from) })
		var skips []string
		var skipArgs []any
		var after Date // the latest end of the earlier periods, before p
		for _, p := range ps {
			skip := strings.Join(skips, " OR ")
			sa := append([]any{}, skipArgs...)
			to := p.to
			if !hi.IsZero() && (to.IsZero() || hi.Before(to)) {
				to = hi
			}
			if to.IsZero() || !to.Before(p.from) {
				q.startArms(p.from, to, skip, sa)
			}
			q.crossingArms(p.from, after, skip, sa)
			if !p.to.IsZero() && (after.IsZero() || after.Before(p.to)) {
				after = p.to
			}
			c, a := overlap(p.from, p.to)
			skips, skipArgs = append(skips, "("+c+")"), append(skipArgs, a...)
		}
	case f.Within:
		q.startArms(lo, hi, "", nil)
	default:
		q.startArms(Date{}, hi, "", nil)
	}
}

// keyset returns the keyset condition on an arm's columns.
func (q *pageQuery) keyset(startCol, idCol string) (string, []any) {
	if a := q.f.After; a != nil {
		return "(" + startCol + ", " + idCol + ") " + q.cmp + " (?, ?)", []any{a.StartDate, a.ID}
	}
	return "", nil
}

// build returns the statement and its arguments.
func (q *pageQuery) build() (string, []any) {
	q.plan()
	// Every row of a period's arms overlaps the period (it starts inside it
	// or runs into it), so the period's own condition is left out: tested
	// again, it tempts the planner into a BitmapAnd with events_end.
	fw := q.f
	if len(periods(fw)) > 0 {
		if len(fw.Years) > 0 {
			fw.Years = nil
		} else {
			fw.From, fw.To = Date{}, Date{}
		}
		q.w = q.s.whereProbing(fw, true)
	}
	// A link arm's rows hold the driver's condition already.
	wLink := q.w
	if _, ok := q.f.linkDriver(); ok {
		wLink = q.s.whereProbing(fw.withoutLinkDriver(), true)
	}
	fence := ""
	if q.s.dialect == DialectPostgres {
		// OFFSET 0 keeps the planner from flattening the keys subquery:
		// the keys are read (or sorted) in order first, then joined to
		// events one by one until the page is full.
		fence = " OFFSET 0"
	}
	cols := q.cols
	if cols == "" {
		cols = eventColumns
	}
	var parts []string
	var args []any
	for _, a := range q.arms {
		if a.events {
			c, ca := q.conditions(q.w, a, "e.start_date", "e.id")
			args = append(args, ca...)
			limit := "?"
			if len(q.arms) == 1 && len(q.w.clauses) == 0 && a.cond == "" && a.econd == "" && a.skip == "" {
				limit = unfilteredLimit(q.limit + 1)
			} else {
				args = append(args, q.limit+1)
			}
			parts = append(parts, "SELECT "+cols+" FROM events e WHERE "+c+
				" ORDER BY e.start_date "+q.dir+", e.id "+q.dir+" LIMIT "+limit)
			continue
		}
		var keys string
		var ka []any
		if !a.crossing.IsZero() {
			keys, ka = q.crossingKeys(a, fence)
		} else {
			keys = "SELECT " + a.startCol + " AS start_date, " + a.idCol + " AS event_id FROM " + a.from + " WHERE " + a.cond
			ka = append([]any{}, a.args...)
			if ks, ksa := q.keyset(a.startCol, a.idCol); ks != "" {
				keys += " AND " + ks
				ka = append(ka, ksa...)
			}
			keys += " ORDER BY " + a.startCol + " " + q.dir + ", " + a.idCol + " " + q.dir + fence
		}
		w := q.w
		switch {
		case a.link:
			w = wLink
		case a.word:
			// Without the search condition, the planner has no GIN path to
			// join through: the entries are probed in order by primary key.
			wf := fw
			wf.Query = SearchQuery{}
			w = q.s.whereProbing(wf, true)
		}
		c, ca := q.conditions(w, armSpec{econd: a.econd, eargs: a.eargs, skip: a.skip, skipArgs: a.skipArgs}, "", "")
		// The arm hands on the key's start_date (the same as the event's),
		// so that PostgreSQL knows its rows come in the merge's order and
		// reads them lazily instead of sorting them.
		keyCols := strings.Replace(cols, "e.start_date,", "c.start_date AS start_date,", 1)
		parts = append(parts, "SELECT "+keyCols+" FROM ("+keys+") AS c JOIN events e ON e.id = c.event_id WHERE "+c+
			" ORDER BY c.start_date "+q.dir+", c.event_id "+q.dir+" LIMIT ?")
		args = append(append(append(args, ka...), ca...), q.limit+1)
	}
	if len(parts) == 1 {
		return parts[0], args
	}
	for i, p := range parts {
		parts[i] = "SELECT * FROM (" + p + ") AS arm"
	}
	return "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") AS e ORDER BY e.start_date " + q.dir +
		", e.id " + q.dir + " LIMIT ?", append(args, q.limit+1)
}

// unfilteredLimit is the LIMIT of a page with no filter (the list, in
// either order, from its start or from a cursor), written into the
// statement: an int the store computed, never client text. With LIMIT $1
// the generic plan of page 1 cannot see the limit and is costed as a walk
// of a tenth of the table, so PostgreSQL's plan cache never chose it and
// planned the statement anew at every page (0 generic plans in 9, at 20k
// and 1M events); with the limit written, page 1 has no parameter and one
// plan, the ordered walk of events_start_id. From a cursor the generic plan
// is that same walk (the cursor only sets where it starts), which the
// plan cache may choose. Each limit makes its own prepared statement
// (pgx's statement cache holds 512 a connection and evicts the least used).
// Filtered pages keep the placeholder: their best plan depends on the
// filter's values, which only custom plans see. TestExplainListGenericPlan
// checks the generic plans.
func unfilteredLimit(n int) string { return strconv.Itoa(n) }

// conditions returns w, the arm's own condition and skip, and the keyset
// condition on startCol and idCol (none when startCol is empty).
func (q *pageQuery) conditions(w *sqlWhere, a armSpec, startCol, idCol string) (string, []any) {
	c := []string{w.String()}
	args := append([]any{}, w.args...)
	if a.cond != "" {
		c, args = append(c, a.cond), append(args, a.args...)
	}
	if a.econd != "" {
		c, args = append(c, a.econd), append(args, a.eargs...)
	}
	if a.skip != "" {
		c, args = append(c, "NOT ("+a.skip+")"), append(args, a.skipArgs...)
	}
	if startCol != "" {
		if ks, ksa := q.keyset(startCol, idCol); ks != "" {
			c, args = append(c, ks), append(args, ksa...)
		}
	}
	return strings.Join(c, " AND "), args
}
