package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Reading a page in one statement: the page query's rows, each with its
// actors (and their aliases), places, tags and citations aggregated by the
// database into a JSON array of arrays of strings, scanned with explicit
// pointers and decoded by jsonTuples without reflection. Measured against
// loading relations with one statement each (see BENCHMARKS.md), this
// halves the database round trips of a page and most of the Go work.

// relationColumns returns the SQL of the four relation columns of the
// page row p, for the store's dialect.
func (s *Store) relationColumns() string {
	if s.dialect == DialectSQLite {
		return relationColumnsSQLite
	}
	return relationColumnsPostgres
}

// The entity behind each link is looked up in a LATERAL subquery kept
// apart by OFFSET 0: otherwise the planner hashes the whole (small) actors
// or sources table once per event instead of probing its primary key.
const relationColumnsPostgres = `,
	(SELECT json_agg(json_build_array(a.id, a.name, a.kind, ea.role, a.aliases) ORDER BY ea.position)
		FROM event_actors ea CROSS JOIN LATERAL (SELECT a.id, a.name, a.kind,
			(SELECT json_agg(aa.alias ORDER BY aa.position) FROM actor_aliases aa WHERE aa.actor_id = a.id) AS aliases
			FROM actors a WHERE a.id = ea.actor_id OFFSET 0) a
		WHERE ea.event_id = p.id) AS actors_json,
	(SELECT json_agg(json_build_array(pl.id, pl.name, pl.kind, pl.country_id) ORDER BY ep.position)
		FROM event_places ep CROSS JOIN LATERAL (SELECT pl.id, pl.name, pl.kind, pl.country_id FROM places pl
			WHERE pl.id = ep.place_id OFFSET 0) pl
		WHERE ep.event_id = p.id) AS places_json,
	(SELECT json_agg(et.tag ORDER BY et.position) FROM event_tags et WHERE et.event_id = p.id) AS tags_json,
	(SELECT json_agg(json_build_array(so.id, so.title, so.author, so.publisher, so.published::text, so.url, so.note,
			c.quote, c.note) ORDER BY c.position)
		FROM citations c CROSS JOIN LATERAL (SELECT so.id, so.title, so.author, so.publisher, so.published, so.url, so.note
			FROM sources so WHERE so.id = c.source_id OFFSET 0) so
		WHERE c.event_id = p.id) AS citations_json`

// SQLite 3.41 has no ORDER BY inside aggregates: each array aggregates an
// ordered subquery, and json() keeps nested arrays arrays.
const relationColumnsSQLite = `,
	(SELECT json_group_array(json(x)) FROM (SELECT json_array(a.id, a.name, a.kind, ea.role,
			json((SELECT json_group_array(alias) FROM (SELECT aa.alias FROM actor_aliases aa
				WHERE aa.actor_id = a.id ORDER BY aa.position)))) AS x
		FROM event_actors ea JOIN actors a ON a.id = ea.actor_id WHERE ea.event_id = p.id ORDER BY ea.position)) AS actors_json,
	(SELECT json_group_array(json(x)) FROM (SELECT json_array(pl.id, pl.name, pl.kind, pl.country_id) AS x
		FROM event_places ep JOIN places pl ON pl.id = ep.place_id WHERE ep.event_id = p.id ORDER BY ep.position)) AS places_json,
	(SELECT json_group_array(tag) FROM (SELECT et.tag FROM event_tags et WHERE et.event_id = p.id ORDER BY et.position)) AS tags_json,
	(SELECT json_group_array(json(x)) FROM (SELECT json_array(so.id, so.title, so.author, so.publisher, so.published, so.url,
			so.note, c.quote, c.note) AS x
		FROM citations c JOIN sources so ON so.id = c.source_id WHERE c.event_id = p.id ORDER BY c.position)) AS citations_json`

// readEvents runs query (whose rows are eventColumns, then search_rank when
// ranked) wrapped so that every row carries its relations, and returns the
// events in the order of orderBy (written for the alias p).
func (s *Store) readEvents(ctx context.Context, query string, args []any, ranked bool, orderBy string) ([]Event, error) {
	full := "SELECT p.*" + s.relationColumns() + " FROM (" + query + ") AS p ORDER BY " + orderBy
	rows, err := s.db.WithContext(ctx).Raw(full, args...).Rows()
	if err != nil {
		return nil, s.searchError(err)
	}
	defer rows.Close()
	var (
		events                      []Event
		e                           Event
		updated                     time.Time
		approximate                 bool
		precision                   string
		actors, places, tags, cites sql.RawBytes
		timelineScratch, hash       string
		rank                        float64
	)
	dest := []any{&e.ID, &timelineScratch, &e.Title, &e.Summary, &e.Span.Start, &e.Span.End, &precision,
		&approximate, &e.DisplayDate, &e.Span.EDTF, &e.Type, &e.Status, &hash, &updated}
	if ranked {
		dest = append(dest, &rank)
	}
	dest = append(dest, &actors, &places, &tags, &cites)
	for rows.Next() {
		e = Event{}
		rank = 0
		if err := rows.Scan(dest...); err != nil {
			return nil, translate(err)
		}
		e.Timeline = timelineScratch
		e.Span.Precision = Precision(precision)
		e.Span.Approximate = approximate
		e.UpdatedAt = updated.UTC()
		e.Rank = rank
		if err := decodeRelations(&e, actors, places, tags, cites); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.searchError(err)
	}
	return events, nil
}

// decodeRelations fills e's relations from the four JSON columns.
func decodeRelations(e *Event, actors, places, tags, cites []byte) error {
	e.Actors, e.Places, e.Tags, e.Citations = []EventActor{}, []Place{}, []string{}, []Citation{}
	list, err := jsonTuples(actors)
	if err != nil {
		return err
	}
	for _, a := range list {
		if len(a.items) < 5 {
			return errRelations
		}
		aliases := make([]string, len(a.items[4].items))
		for i, al := range a.items[4].items {
			aliases[i] = al.s
		}
		e.Actors = append(e.Actors, EventActor{Actor: Actor{ID: a.items[0].s, Name: a.items[1].s, Kind: a.items[2].s,
			Aliases: aliases}, Role: a.items[3].s})
	}
	if list, err = jsonTuples(places); err != nil {
		return err
	}
	for _, p := range list {
		if len(p.items) < 4 {
			return errRelations
		}
		e.Places = append(e.Places, Place{ID: p.items[0].s, Name: p.items[1].s, Kind: p.items[2].s, Country: p.items[3].s})
	}
	if list, err = jsonTuples(tags); err != nil {
		return err
	}
	for _, t := range list {
		e.Tags = append(e.Tags, t.s)
	}
	if list, err = jsonTuples(cites); err != nil {
		return err
	}
	for _, c := range list {
		if len(c.items) < 9 {
			return errRelations
		}
		v := c.items
		var published Date
		if !v[4].null && v[4].s != "" {
			if err := published.scanString(v[4].s); err != nil {
				return err
			}
		}
		e.Citations = append(e.Citations, Citation{
			Source: Source{ID: v[0].s, Title: v[1].s, Author: v[2].s, Publisher: v[3].s, Published: published,
				URL: v[5].s, Note: v[6].s},
			Quote: v[7].s, Note: v[8].s,
		})
	}
	return nil
}

var errRelations = errors.New("models: malformed relation row")

// jsonValue is a JSON string, null or array, all the relation columns hold.
type jsonValue struct {
	s     string
	null  bool
	items []jsonValue
}

// jsonTuples decodes a JSON array (or SQL NULL, an empty list) of strings,
// nulls and arrays of them.
func jsonTuples(b []byte) ([]jsonValue, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := jsonDecoder{b: b}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if v.items == nil && !v.null {
		return nil, errRelations
	}
	return v.items, nil
}

type jsonDecoder struct {
	b []byte
	i int
}

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\n' || d.b[d.i] == '\t' || d.b[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonDecoder) value() (jsonValue, error) {
	d.skipSpace()
	if d.i >= len(d.b) {
		return jsonValue{}, errRelations
	}
	switch c := d.b[d.i]; {
	case c == '[':
		d.i++
		v := jsonValue{items: []jsonValue{}}
		d.skipSpace()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return v, nil
		}
		for {
			item, err := d.value()
			if err != nil {
				return v, err
			}
			v.items = append(v.items, item)
			d.skipSpace()
			if d.i >= len(d.b) {
				return v, errRelations
			}
			if d.b[d.i] == ']' {
				d.i++
				return v, nil
			}
			if d.b[d.i] != ',' {
				return v, errRelations
			}
			d.i++
		}
	case c == '"':
		s, err := d.str()
		return jsonValue{s: s}, err
	case c == 'n' && len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null":
		d.i += 4
		return jsonValue{null: true}, nil
	default:
		// A number (SQLite keeps integer-looking text as text, but be
		// lenient): read it as its text.
		j := d.i
		for j < len(d.b) && d.b[j] != ',' && d.b[j] != ']' && d.b[j] != ' ' {
			j++
		}
		if j == d.i {
			return jsonValue{}, errRelations
		}
		s := string(d.b[d.i:j])
		d.i = j
		return jsonValue{s: s}, nil
	}
}

// str decodes a JSON string at d.i.
func (d *jsonDecoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.b) && d.b[d.i] != '"' && d.b[d.i] != '\\' {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s := string(d.b[start:d.i])
		d.i++
		return s, nil
	}
	buf := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", errRelations
		}
		esc := d.b[d.i+1]
		d.i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", errRelations
			}
			if utf16.IsSurrogate(r) {
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					r2, ok := d.hex4()
					if !ok {
						return "", errRelations
					}
					r = utf16.DecodeRune(r, r2)
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", errRelations
		}
	}
	return "", errRelations
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
