package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Reading a page in two statements: the page query's rows, scanned with
// explicit pointers, then every relation of the page's events (actors,
// their aliases, places, tags, citations) in one UNION ALL statement of
// uniform rows, scanned the same way. Measured against aggregating the
// relations as JSON in the page query (correlated subqueries: four subplans
// started for each of the 51 rows, and a long statement to plan each time),
// the second statement costs less; see BENCHMARKS.md.

var errRelations = errors.New("models: relation row for an event not on the page")

// arrayQuote escapes an element of a PostgreSQL array literal; built once
// (a profile showed building it per id at 5% of a page's CPU).
var arrayQuote = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// readEvents runs query (whose rows are eventColumns, then search_rank when
// ranked, then a column per extra, in the page's order) and loads the
// relations of its events. Extra destinations hold the last row's values:
// they are for a query of one event.
func (s *Store) readEvents(ctx context.Context, query string, args []any, ranked bool, fields EventFields, extra ...any) ([]Event, error) {
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, s.searchError(err)
	}
	defer rows.Close()
	var (
		events      []Event
		e           Event
		updated     time.Time
		approximate bool
		precision   string
		hash        string
		rank        float64
	)
	dest := []any{&e.ID, &e.Timeline, &e.Title, &e.Summary, &e.Span.Start, &e.Span.End, &precision,
		&approximate, &e.DisplayDate, &e.Span.EDTF, &e.Type, &e.Status, &hash, &updated}
	if ranked {
		dest = append(dest, &rank)
	}
	dest = append(dest, extra...)
	for rows.Next() {
		e = Event{}
		rank = 0
		if err := rows.Scan(dest...); err != nil {
			return nil, translate(err)
		}
		e.Span.Precision = Precision(precision)
		e.Span.Approximate = approximate
		e.UpdatedAt = updated.UTC()
		e.Rank = rank
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.searchError(err)
	}
	rows.Close()
	if err := s.readRelations(ctx, events, fields); err != nil {
		return nil, err
	}
	return events, nil
}

// readRelations fills the actors (with aliases), places, tags and citations
// of events with one statement, whatever their number; only the relations
// in fields are read, and none means no statement.
func (s *Store) readRelations(ctx context.Context, events []Event, fields EventFields) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, len(events))
	index := make(map[string]*Event, len(events))
	for i := range events {
		ids[i] = events[i].ID
		index[ids[i]] = &events[i]
		events[i].Actors, events[i].Places, events[i].Tags, events[i].Citations =
			[]EventActor{}, []Place{}, []string{}, []Citation{}
	}
	var cat *relationCatalogs
	if fields.has(fieldActors) || fields.has(fieldPlaces) || fields.has(fieldSources) {
		var err error
		if cat, err = s.catalogs(ctx); err != nil {
			return err
		}
	}
	if cat != nil {
		ok, err := s.readLinks(ctx, events, index, ids, fields, cat)
		if ok || err != nil {
			return err
		}
		for i := range events { // a link the catalogs lack: join instead
			events[i].Actors, events[i].Places, events[i].Tags, events[i].Citations =
				[]EventActor{}, []Place{}, []string{}, []Citation{}
		}
	}
	published, in := "so.published", "IN ?"
	var list any = ids
	if s.dialect == DialectPostgres {
		// One array parameter instead of a placeholder per id in each arm:
		// measured faster to plan and run.
		published, in = "so.published::text", anyIDs
		list = postgresTextArray(ids)
	}
	var with string
	var arms []string
	if fields.has(fieldActors) {
		// The page's actor links are read once, for the actors and for
		// their aliases (a second probe of event_actors per event cost 15%
		// of the statement's buffers at 1M events).
		with = `WITH ea AS (SELECT event_id, position, actor_id, role FROM event_actors WHERE event_id ` + in + `)
	`
		arms = append(arms, `SELECT 0 AS k, ea.event_id AS owner, ea.position AS pos, a.id AS c1, a.name AS c2, a.kind AS c3, ea.role AS c4,
		NULL AS c5, NULL AS c6, NULL AS c7, NULL AS c8, NULL AS c9, NULL AS c10, NULL AS c11, NULL AS c12
	FROM ea JOIN actors a ON a.id = ea.actor_id`,
			`SELECT 1, aa.actor_id, aa.position, aa.alias, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	FROM actor_aliases aa WHERE aa.actor_id IN (SELECT actor_id FROM ea)`)
	}
	if fields.has(fieldPlaces) {
		arms = append(arms, `SELECT 2, ep.event_id, ep.position, pl.id, pl.name, pl.kind, pl.country_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	FROM event_places ep JOIN places pl ON pl.id = ep.place_id WHERE ep.event_id `+in)
	}
	if fields.has(fieldTags) {
		arms = append(arms, `SELECT 3, et.event_id, et.position, et.tag, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	FROM event_tags et WHERE et.event_id `+in)
	}
	if fields.has(fieldSources) {
		arms = append(arms, `SELECT 4, c.event_id, c.position, so.id, so.title, so.author, so.publisher, `+published+`, so.url, so.note,
		c.quote, c.note, so.issue, so.author_affiliations, so.outside_fields
	FROM citations c JOIN sources so ON so.id = c.source_id WHERE c.event_id `+in)
	}
	if len(arms) == 0 {
		return nil
	}
	query := with + strings.Join(arms, "\n\tUNION ALL ") + "\n\tORDER BY 1, 2, 3"
	args := make([]any, strings.Count(query, "?")) // one per IN ?, the only placeholders
	for i := range args {
		args[i] = list
	}
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	var (
		kind, pos int
		owner     string
		c         [12]sql.NullString
		aliases   = map[string][]string{}
	)
	dest := []any{&kind, &owner, &pos, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10], &c[11]}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return translate(err)
		}
		if kind == 1 {
			aliases[owner] = append(aliases[owner], c[0].String)
			continue
		}
		e := index[owner]
		if e == nil {
			return errRelations
		}
		switch kind {
		case 0:
			e.Actors = append(e.Actors, EventActor{Actor: Actor{ID: c[0].String, Name: c[1].String, Kind: c[2].String},
				Role: c[3].String})
		case 2:
			e.Places = append(e.Places, Place{ID: c[0].String, Name: c[1].String, Kind: c[2].String, Country: c[3].String})
		case 3:
			e.Tags = append(e.Tags, c[0].String)
		case 4:
			var published Date
			if c[4].Valid && c[4].String != "" {
				if err := published.scanString(c[4].String); err != nil {
					return err
				}
			}
			e.Citations = append(e.Citations, Citation{
				Source: Source{ID: c[0].String, Title: c[1].String, Author: c[2].String, Publisher: c[3].String,
					Published: published, URL: c[5].String, Note: c[6].String, Issue: c[9].String,
					AuthorAffiliations: parseList(c[10].String), OutsideFields: parseList(c[11].String)},
				Quote: c[7].String, Note: c[8].String,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err)
	}
	for i := range events {
		for j := range events[i].Actors {
			events[i].Actors[j].Aliases = nonNil(aliases[events[i].Actors[j].ID])
		}
	}
	return nil
}

// anyIDs is how the relation statements match a page's event ids on
// PostgreSQL: one text[] parameter, read through a scalar subquery, so that
// the plan cache keeps one generic plan of the statement instead of
// planning it anew at every page. Given the array itself (= ANY($1)), a
// custom plan sees its elements and a generic plan guesses 10: for a page
// of fewer than about 10 events (one event, a small limit, the last page
// of a filter) the custom plans look cheaper and are planned at every
// execution, forever (measured at 1M and 20k events: 0 generic plans in 9
// for 2 or 6 ids, the generic plan from the sixth for 51 or 501). Behind
// the subquery the array is a run-time value in both plans, which are
// then the same plan at the same cost, and the generic one is used from
// the sixth execution whatever the number of ids. The statements only
// probe the link tables' primary keys by event id, so no plan depends on
// the ids; TestRelationsGenericPlan checks the generic plan's shape.
const anyIDs = "= ANY((SELECT CAST(? AS text[]))::text[])"

// postgresTextArray is the PostgreSQL array literal of ids.
func postgresTextArray(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = `"` + arrayQuote.Replace(id) + `"`
	}
	return "{" + strings.Join(quoted, ",") + "}"
}

// readLinks fills the relations in fields from the link tables alone,
// naming actors, places and sources from cat. It reports false, having
// filled some relations, when a link names an id cat lacks.
func (s *Store) readLinks(ctx context.Context, events []Event, index map[string]*Event, ids []string,
	fields EventFields, cat *relationCatalogs) (bool, error) {
	const in = anyIDs
	var arms []string
	if fields.has(fieldActors) {
		arms = append(arms, `SELECT 0 AS k, event_id AS owner, position AS pos, actor_id AS c1, role AS c2, NULL AS c3
	FROM event_actors WHERE event_id `+in)
	}
	if fields.has(fieldPlaces) {
		arms = append(arms, `SELECT 2, event_id, position, place_id, NULL, NULL FROM event_places WHERE event_id `+in)
	}
	if fields.has(fieldTags) {
		arms = append(arms, `SELECT 3, event_id, position, tag, NULL, NULL FROM event_tags WHERE event_id `+in)
	}
	if fields.has(fieldSources) {
		arms = append(arms, `SELECT 4, event_id, position, source_id, quote, note FROM citations WHERE event_id `+in)
	}
	if len(arms) == 0 {
		return true, nil
	}
	list := postgresTextArray(ids)
	args := make([]any, len(arms))
	for i := range args {
		args[i] = list
	}
	rows, err := s.db.WithContext(ctx).Raw(strings.Join(arms, "\n\tUNION ALL ")+"\n\tORDER BY 1, 2, 3", args...).Rows()
	if err != nil {
		return false, translate(err)
	}
	defer rows.Close()
	var (
		kind, pos int
		owner, id string
		c2, c3    sql.NullString
	)
	dest := []any{&kind, &owner, &pos, &id, &c2, &c3}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return false, translate(err)
		}
		e := index[owner]
		if e == nil {
			return false, errRelations
		}
		switch kind {
		case 0:
			a, ok := cat.actors[id]
			if !ok {
				return false, nil
			}
			e.Actors = append(e.Actors, EventActor{Actor: a, Role: c2.String})
		case 2:
			p, ok := cat.places[id]
			if !ok {
				return false, nil
			}
			e.Places = append(e.Places, p)
		case 3:
			e.Tags = append(e.Tags, id)
		case 4:
			src, ok := cat.sources[id]
			if !ok {
				return false, nil
			}
			e.Citations = append(e.Citations, Citation{Source: src, Quote: c2.String, Note: c3.String})
		}
	}
	if err := rows.Err(); err != nil {
		return false, translate(err)
	}
	return true, nil
}
