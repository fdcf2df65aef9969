package models

import (
	"context"
	"database/sql"
	"strconv"
)

// An export of a large part of the table on PostgreSQL reads in ONE
// statement: the events in id order, merge-joined by id with each link
// table grouped per event in its primary key's order, the result sorted
// once by (start_date, id). Batches probe the link tables once per event,
// in date order, which at a million events is a random page read per
// probe (the link tables lie in no useful order); this reads each table
// once, and sorts once. It waits for the sort before the first row, so it
// is kept for exports that read at least wholeExportShare of the table;
// smaller ones read in batches.
//
// The links of an event come as parallel arrays (array_agg of each
// column, with the link's position), not as JSON: json_agg with
// json_build_array per link, ordered inside the aggregate, cost more than
// reading the tables (a sort per event for the ORDER BY, and the JSON
// text of every link), measured in BENCHMARKS.md. An aggregate's input
// order is not promised without ORDER BY, so the positions come along and
// arrayLinks puts each event's links in position order itself.

// wholeExportShare is the part of the table (1/n) from which an export
// reads the whole table in one statement.
const wholeExportShare = 4

// wholeExport reports whether f's export of total events reads in one
// statement: on PostgreSQL, in date order, for at least a quarter of the
// table, when the catalog fits the cache (it is read whole first).
func (s *Store) wholeExport(ctx context.Context, f EventFilter, total int) (bool, error) {
	if s.dialect != DialectPostgres || (f.Relevance && !f.Query.IsZero()) || total == 0 {
		return false, nil
	}
	var r struct {
		Events                  float64
		Actors, Places, Sources int64
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT (SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass) AS events,
		(SELECT count(*) FROM actors) AS actors, (SELECT count(*) FROM places) AS places,
		(SELECT count(*) FROM sources) AS sources`).Scan(&r).Error; err != nil {
		return false, translate(err)
	}
	if max(r.Actors, r.Places, r.Sources) > maxExportCatalog {
		return false, nil
	}
	return float64(total*wholeExportShare) >= r.Events, nil
}

// wholeRelations are the link tables of the whole-export statement, in
// its column order, each with the columns arrayLinks reads.
var wholeRelations = []struct {
	bit   EventFields
	table string
	cols  []string
}{
	{fieldActors, "event_actors", []string{"actor_id", "role"}},
	{fieldPlaces, "event_places", []string{"place_id"}},
	{fieldTags, "event_tags", []string{"tag"}},
	{fieldSources, "citations", []string{"source_id", "quote", "note"}},
}

// exportWhole hands every event of f to fn in chunks, from one statement
// (see above), after reading the whole catalog into cat.
func (s *Store) exportWhole(ctx context.Context, f EventFilter, cat *exportCatalog, chunk []Event,
	fn func([]Event) error) error {
	if err := s.loadCatalog(ctx, cat, nil, nil, nil); err != nil {
		return err
	}
	// The statement runs as long as its client takes to read it (the
	// export's slot and its client bound it, not DB_STATEMENT_TIMEOUT);
	// the sort of the result fits in memory at a million events. The
	// events are read in two halves by id, each with its own links, and
	// the halves are sorted apart and merged (Gather Merge over a Parallel
	// Append): one worker reads one half while the server's own backend
	// reads the other, so the work before the first row is shared by two
	// cores. No table may be scanned in parallel inside a half: a worker
	// that shared the events of a half would still read all of its links
	// (the planner divides only the outer side of a merge join), which
	// is why the default parallel plan of the one statement did three
	// times the links' work.
	for _, set := range []string{"SET LOCAL statement_timeout = 0", "SET LOCAL work_mem = '256MB'",
		"SET LOCAL max_parallel_workers_per_gather = 1", "SET LOCAL min_parallel_table_scan_size = '8GB'",
		"SET LOCAL min_parallel_index_scan_size = '8GB'"} {
		if err := s.db.WithContext(ctx).Exec(set).Error; err != nil {
			return translate(err)
		}
	}
	// The middle of the histogram of event ids splits the table in two
	// about equal halves; without statistics, one statement reads it all.
	var split sql.NullString
	if err := s.db.WithContext(ctx).Raw(`SELECT (histogram_bounds::text::text[])[array_length(histogram_bounds::text::text[], 1) / 2 + 1]
		FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'events' AND attname = 'id'`).
		Scan(&split).Error; err != nil {
		return translate(err)
	}
	w := s.where(f)
	dir := "ASC"
	if f.Descending {
		dir = "DESC"
	}
	links := &arrayLinks{}
	query, args := wholeQuery(f, w, "", nil)
	if split.Valid && split.String != "" {
		low, lowArgs := wholeQuery(f, w, "< ?", split.String)
		high, highArgs := wholeQuery(f, w, ">= ?", split.String)
		query, args = "SELECT * FROM ("+low+" UNION ALL "+high+") AS u", append(lowArgs, highArgs...)
	}
	query += " ORDER BY start_date " + dir + ", id " + dir
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, _, err := s.streamRows(qctx, query, args, false, links, cat, chunk, fn, cancel)
	return err
}

// wholeQuery is the whole-export statement (unordered) over the events
// of w (those whose id is in part, a comparison with bound, when bound
// is set), with the relations in f's fieldset, each as its
// arrays grouped per event and joined by event id (one outside it is
// NULLs, not read).
func wholeQuery(f EventFilter, w *sqlWhere, part string, bound any) (string, []any) {
	var args []any
	cond := func(col string) string {
		if bound == nil {
			return ""
		}
		args = append(args, bound)
		return " WHERE " + col + " " + part
	}
	var cols, joins string
	for i, r := range wholeRelations {
		alias := "l" + strconv.Itoa(i)
		if !f.Fields.has(r.bit) {
			for range len(r.cols) + 1 {
				cols += ", NULL"
			}
			continue
		}
		aggs := ""
		for _, c := range append([]string{"position"}, r.cols...) {
			cols += ", " + alias + "." + c
			aggs += ", array_agg(" + c + ")::text AS " + c
		}
		joins += " LEFT JOIN (SELECT event_id" + aggs + " FROM " + r.table + cond("event_id") + " GROUP BY event_id) " +
			alias + " ON " + alias + ".event_id = e.id"
	}
	where := w.String()
	args = append(args, w.args...)
	if bound != nil {
		where += " AND e.id " + part
		args = append(args, bound)
	}
	return "SELECT " + eventColumns + cols + " FROM events e" + joins + " WHERE " + where, args
}

// arrayLinks reads the relations of the whole-export statement: for each
// link table, the positions and then each column of wholeRelations, as
// PostgreSQL arrays in the same order (NULL when the event has no links
// or the table is outside the fieldset).
type arrayLinks struct {
	cols [3 + 2 + 2 + 4]sql.RawBytes // (position, columns...) of each of wholeRelations
	pos  []int
	buf  [3][]string
}

func (l *arrayLinks) dest() []any {
	d := make([]any, len(l.cols))
	for i := range l.cols {
		d[i] = &l.cols[i]
	}
	return d
}

// table parses the arrays of link table t, whose positions are column at
// and whose other columns follow it, into l.pos and l.buf, each link's in
// position order, and returns their number.
func (l *arrayLinks) table(t, at int) (int, error) {
	n := len(wholeRelations[t].cols)
	var err error
	if l.pos, err = parsePGIntArray(l.cols[at], l.pos[:0]); err != nil {
		return 0, err
	}
	for c := range n {
		if l.buf[c], err = parsePGTextArray(l.cols[at+1+c], l.buf[c][:0]); err != nil {
			return 0, err
		}
		if len(l.buf[c]) != len(l.pos) {
			return 0, errBadAggregate
		}
	}
	// Insertion sort: a few links, nearly always in order already.
	for i := 1; i < len(l.pos); i++ {
		for j := i; j > 0 && l.pos[j] < l.pos[j-1]; j-- {
			l.pos[j], l.pos[j-1] = l.pos[j-1], l.pos[j]
			for c := range n {
				l.buf[c][j], l.buf[c][j-1] = l.buf[c][j-1], l.buf[c][j]
			}
		}
	}
	return len(l.pos), nil
}

func (l *arrayLinks) decode(e *Event) error {
	n, err := l.table(0, 0)
	if err != nil {
		return err
	}
	e.Actors = make([]EventActor, n)
	for i := range e.Actors {
		e.Actors[i] = EventActor{Actor: Actor{ID: l.buf[0][i]}, Role: l.buf[1][i]}
	}
	if n, err = l.table(1, 3); err != nil {
		return err
	}
	e.Places = make([]Place, n)
	for i := range e.Places {
		e.Places[i].ID = l.buf[0][i]
	}
	if n, err = l.table(2, 5); err != nil {
		return err
	}
	e.Tags = append(make([]string, 0, n), l.buf[0]...)
	if n, err = l.table(3, 7); err != nil {
		return err
	}
	e.Citations = make([]Citation, n)
	for i := range e.Citations {
		e.Citations[i] = Citation{Source: Source{ID: l.buf[0][i]}, Quote: l.buf[1][i], Note: l.buf[2][i]}
	}
	return nil
}
