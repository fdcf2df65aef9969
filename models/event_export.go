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
	return s.streamRows(ctx, query, args, f.Relevance && !f.Query.IsZero(), cat, chunk, fn, nil)
}

// streamRows runs query, whose rows are those of exportQuery, and hands
// its events, complete, to fn in chunks of at most exportChunk, reusing
// the chunk's slice. It returns the number of events read and the key of
// the last. A row whose actors, places or sources the cache lacks waits,
// with every row after it, until the statement has ended and they are
// read. When fn fails, abort (if set) is called before the rows are
// closed: it cancels the statement, which would otherwise be read to its
// end.
func (s *Store) streamRows(ctx context.Context, query string, args []any, ranked bool, cat *exportCatalog,
	chunk []Event, fn func([]Event) error, abort func()) (int, EventKey, error) {
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return 0, EventKey{}, s.searchError(err)
	}
	defer rows.Close()
	var (
		e                             Event
		updated                       time.Time
		approximate                   bool
		precision, hash               string
		rank                          float64
		actors, places, tags, sources sql.RawBytes
		links                         []string
		pending                       []Event // rows that wait for the catalog
		n                             int
		last                          EventKey
	)
	dest := []any{&e.ID, &e.Timeline, &e.Title, &e.Summary, &e.Span.Start, &e.Span.End, &precision,
		&approximate, &e.DisplayDate, &e.Span.EDTF, &e.Type, &e.Status, &hash, &updated}
	if ranked {
		dest = append(dest, &rank)
	}
	dest = append(dest, &actors, &places, &tags, &sources)
	chunk = chunk[:0]
	fail := func(err error) (int, EventKey, error) {
		if abort != nil {
			abort()
		}
		return n, last, err
	}
	for rows.Next() {
		e = Event{}
		rank = 0
		if err := rows.Scan(dest...); err != nil {
			return n, last, translate(err)
		}
		e.Span.Precision = Precision(precision)
		e.Span.Approximate = approximate
		e.UpdatedAt = updated.UTC()
		e.Rank = rank
		if links, err = jsonStrings(actors, links[:0], 2); err != nil {
			return n, last, err
		}
		e.Actors = make([]EventActor, len(links)/2)
		for i := range e.Actors {
			e.Actors[i] = EventActor{Actor: Actor{ID: links[2*i]}, Role: links[2*i+1]}
		}
		if links, err = jsonStrings(places, links[:0], 1); err != nil {
			return n, last, err
		}
		e.Places = make([]Place, len(links))
		for i := range e.Places {
			e.Places[i].ID = links[i]
		}
		if e.Tags, err = jsonStrings(tags, make([]string, 0, 4), 1); err != nil {
			return n, last, err
		}
		if links, err = jsonStrings(sources, links[:0], 3); err != nil {
			return n, last, err
		}
		e.Citations = make([]Citation, len(links)/3)
		for i := range e.Citations {
			e.Citations[i] = Citation{Source: Source{ID: links[3*i]}, Quote: links[3*i+1], Note: links[3*i+2]}
		}
		n, last = n+1, e.Key()
		if pending != nil || !cat.fill(&e) {
			pending = append(pending, e)
			continue
		}
		if chunk = append(chunk, e); len(chunk) == exportChunk {
			if err := fn(chunk); err != nil {
				return fail(err)
			}
			chunk = chunk[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return n, last, s.searchError(err)
	}
	rows.Close()
	if len(chunk) > 0 {
		if err := fn(chunk); err != nil {
			return n, last, err
		}
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
