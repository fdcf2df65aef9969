package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Reading an export: each batch is ONE statement, the page query of the
// batch (the same arms, keyset and order as FindEvents) wrapped in a
// select that adds, per event, its links aggregated as JSON arrays by
// correlated subqueries, each an index range of the link table's primary
// key (event_id, ...). The links carry only ids and the link's own fields
// (role, quote, note); the actors, places and sources they name are read
// once per export into a cache (see exportCatalog), since a catalog is
// small next to the events that cite it: an export of a million events
// names a few hundred actors and sources, which the page path reads again
// for every page. Rows are scanned with explicit pointers, without GORM's
// reflection. Measured against one statement for the whole export and
// against the page path's two statements per batch: see BENCHMARKS.md.

var errBadAggregate = errors.New("models: malformed relation aggregate")

// exportQuery returns the statement of one export batch: the columns of
// eventsQuery (eventColumns, then search_rank when ranked), then the
// event's actors [[id, role]...], places [id...], tags [tag...] and
// citations [[source_id, quote, note]...], each in position order.
func (s *Store) exportQuery(f EventFilter) (string, []any) {
	page, args, _ := s.eventsQuery(f)
	order := "p.start_date ASC, p.id ASC"
	switch {
	case f.Relevance && !f.Query.IsZero():
		order = "p.search_rank DESC, p.start_date ASC, p.id ASC"
	case f.Descending:
		order = "p.start_date DESC, p.id DESC"
	}
	// A relation outside a sparse fieldset is not read (NULL, no links).
	agg := func(bit EventFields, table, alias string, cols []string) string {
		if !f.Fields.has(bit) {
			return "NULL"
		}
		return s.linkAggregate(table, alias, cols)
	}
	return "SELECT p.*, " +
		agg(fieldActors, "event_actors", "ea", []string{"actor_id", "role"}) + ", " +
		agg(fieldPlaces, "event_places", "ep", []string{"place_id"}) + ", " +
		agg(fieldTags, "event_tags", "et", []string{"tag"}) + ", " +
		agg(fieldSources, "citations", "ci", []string{"source_id", "quote", "note"}) +
		" FROM (" + page + ") AS p ORDER BY " + order, args
}

// linkAggregate is the subquery that aggregates the links of event p.id in
// table (aliased as alias; both constants) as a JSON array: of the values
// of the one column, or of an array per link of the columns.
func (s *Store) linkAggregate(table, alias string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = alias + "." + c
	}
	if s.dialect == DialectPostgres {
		v := q[0]
		if len(q) > 1 {
			v = "json_build_array(" + strings.Join(q, ", ") + ")"
		}
		return "(SELECT json_agg(" + v + " ORDER BY " + alias + ".position) FROM " + table + " " + alias +
			" WHERE " + alias + ".event_id = p.id)"
	}
	// SQLite (3.42 here) has no ORDER BY inside an aggregate; it aggregates
	// an ordered subquery in its order.
	v := "x." + cols[0]
	if len(cols) > 1 {
		v = "json_array(x." + strings.Join(cols, ", x.") + ")"
	}
	return "(SELECT json_group_array(" + v + ") FROM (SELECT " + strings.Join(q, ", ") + " FROM " + table + " " + alias +
		" WHERE " + alias + ".event_id = p.id ORDER BY " + alias + ".position) AS x)"
}

// exportChunk is how many events an export hands on at a time: the rows
// of a batch statement go out in chunks as they arrive, so that encoding
// one chunk overlaps the database computing the next rows.
const exportChunk = 256

// exportBatch runs one batch of f (f.Limit events after f.After, plus the
// one after them) and hands its events to fn (see streamRows).
func (s *Store) exportBatch(ctx context.Context, f EventFilter, cat *exportCatalog, chunk []Event,
	fn func([]Event) error) (int, EventKey, error) {
	query, args := s.exportQuery(f)
	return s.streamRows(ctx, query, args, f.Relevance && !f.Query.IsZero(), &jsonLinks{}, cat, chunk, fn, nil)
}

// linkColumns reads the relation columns that follow an export row's
// event columns.
type linkColumns interface {
	// dest returns the scan destinations of the columns.
	dest() []any
	// decode sets the links of e, with bare ids, from the row last scanned.
	decode(e *Event) error
}

// jsonLinks reads the relations of exportQuery: one JSON array each.
type jsonLinks struct {
	actors, places, tags, sources sql.RawBytes
	buf                           []string
}

func (l *jsonLinks) dest() []any { return []any{&l.actors, &l.places, &l.tags, &l.sources} }

func (l *jsonLinks) decode(e *Event) error {
	var err error
	if l.buf, err = jsonStrings(l.actors, l.buf[:0], 2); err != nil {
		return err
	}
	e.Actors = make([]EventActor, len(l.buf)/2)
	for i := range e.Actors {
		e.Actors[i] = EventActor{Actor: Actor{ID: l.buf[2*i]}, Role: l.buf[2*i+1]}
	}
	if l.buf, err = jsonStrings(l.places, l.buf[:0], 1); err != nil {
		return err
	}
	e.Places = make([]Place, len(l.buf))
	for i := range e.Places {
		e.Places[i].ID = l.buf[i]
	}
	if e.Tags, err = jsonStrings(l.tags, make([]string, 0, 4), 1); err != nil {
		return err
	}
	if l.buf, err = jsonStrings(l.sources, l.buf[:0], 3); err != nil {
		return err
	}
	e.Citations = make([]Citation, len(l.buf)/3)
	for i := range e.Citations {
		e.Citations[i] = Citation{Source: Source{ID: l.buf[3*i]}, Quote: l.buf[3*i+1], Note: l.buf[3*i+2]}
	}
	return nil
}

// exportChunks is how many chunks of rows streamRows reads ahead of fn.
const exportChunks = 2

// streamRows runs query, whose rows are the event columns (and
// search_rank when ranked) then the relation columns links reads, and
// hands its events, complete, to fn in chunks of at most exportChunk
// (chunk's capacity is reused for the first). It returns the number of
// events read and the key of the last. The rows are read and decoded by
// a goroutine of their own, a few chunks ahead of fn, so that decoding
// one chunk overlaps encoding and sending the one before. A row whose
// actors, places or sources the cache lacks waits, with every row after
// it, until the statement has ended and they are read. When fn fails,
// abort (if set) is called before the rows are closed: it cancels the
// statement, which would otherwise be read to its end.
func (s *Store) streamRows(ctx context.Context, query string, args []any, ranked bool, links linkColumns,
	cat *exportCatalog, chunk []Event, fn func([]Event) error, abort func()) (int, EventKey, error) {
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return 0, EventKey{}, s.searchError(err)
	}
	full := make(chan []Event, exportChunks)
	free := make(chan []Event, exportChunks+1)
	free <- chunk[:0]
	for range exportChunks {
		free <- make([]Event, 0, exportChunk)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(full)
		done <- readRows(rows, ranked, links, full, free, stop)
	}()
	var (
		pending []Event // rows that wait for the catalog
		n       int
		last    EventKey
		failed  error
	)
	for c := range full {
		if failed == nil {
			if len(c) > 0 {
				n, last = n+len(c), c[len(c)-1].Key()
			}
			ready := c
			if pending == nil {
				for i := range c {
					if !cat.fill(&c[i]) {
						ready, pending = c[:i], append(pending, c[i:]...)
						break
					}
				}
			} else {
				ready, pending = nil, append(pending, c...)
			}
			if len(ready) > 0 {
				if err := fn(ready); err != nil {
					failed = err
					if abort != nil {
						abort()
					}
					close(stop)
				}
			}
		}
		free <- c[:0]
	}
	err = <-done
	if failed != nil {
		return n, last, failed
	}
	if err != nil {
		return n, last, s.searchError(err)
	}
	if len(pending) > 0 {
		if err := s.fillCatalog(ctx, cat, pending); err != nil {
			return n, last, err
		}
		for len(pending) > 0 {
			k := min(len(pending), exportChunk)
			if err := fn(pending[:k]); err != nil {
				return n, last, err
			}
			pending = pending[k:]
		}
	}
	return n, last, nil
}

// readRows scans rows (see streamRows) into chunks taken from free and
// sends each, full, on full, until the rows end or stop is closed; it
// closes rows before it returns.
func readRows(rows *sql.Rows, ranked bool, links linkColumns, full chan<- []Event, free <-chan []Event,
	stop <-chan struct{}) error {
	defer rows.Close()
	var (
		e               Event
		updated         time.Time
		approximate     bool
		precision, hash string
		rank            float64
	)
	dest := []any{&e.ID, &e.Timeline, &e.Title, &e.Summary, &e.Span.Start, &e.Span.End, &precision,
		&approximate, &e.DisplayDate, &e.Span.EDTF, &e.Type, &e.Status, &hash, &updated}
	if ranked {
		dest = append(dest, &rank)
	}
	dest = append(dest, links.dest()...)
	chunk := <-free
	send := func() bool {
		select {
		case full <- chunk:
		case <-stop:
			return false
		}
		select {
		case chunk = <-free:
			return true
		case <-stop:
			return false
		}
	}
	for rows.Next() {
		e = Event{}
		rank = 0
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		e.Span.Precision = Precision(precision)
		e.Span.Approximate = approximate
		e.UpdatedAt = updated.UTC()
		e.Rank = rank
		if err := links.decode(&e); err != nil {
			return err
		}
		if chunk = append(chunk, e); len(chunk) == exportChunk && !send() {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(chunk) > 0 {
		select {
		case full <- chunk:
		case <-stop:
		}
	}
	return nil
}

// jsonStrings appends to dst every string of the JSON array b (nested
// arrays flattened, null read as ""), and checks that their number is a
// multiple of stride. NULL (no links, on PostgreSQL) is the empty list.
// It reads only what the aggregates write: arrays of strings and nulls.
func jsonStrings(b []byte, dst []string, stride int) ([]string, error) {
	n := len(dst)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', ']', ',', ' ', '\n', '\t', '\r':
		case 'n':
			if !strings.HasPrefix(string(b[i:min(i+4, len(b))]), "null") {
				return dst, errBadAggregate
			}
			dst = append(dst, "")
			i += 3
		case '"':
			j, escaped := i+1, false
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					escaped = true
					j++
				}
			}
			if j >= len(b) {
				return dst, errBadAggregate
			}
			if !escaped {
				dst = append(dst, string(b[i+1:j]))
			} else {
				v, err := unquoteJSON(b[i : j+1])
				if err != nil {
					return dst, err
				}
				dst = append(dst, v)
			}
			i = j
		default:
			return dst, errBadAggregate
		}
	}
	if (len(dst)-n)%stride != 0 {
		return dst, errBadAggregate
	}
	return dst, nil
}
