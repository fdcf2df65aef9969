package models

import (
	"context"
)

// An export of a large part of the table on PostgreSQL reads in ONE
// statement: the events in order, merge-joined by id with each link table
// aggregated per event in its primary key's order. Batches probe the link
// tables once per event, in date order, which at a million events is a
// random page read per probe; this reads each link table once, in order,
// and sorts the result once. Measured at 1M events: 17.6k rows/s for the
// statement against 2k for the batches (see BENCHMARKS.md). It waits for
// the sort before the first row, so it is kept for exports that read at
// least wholeExportShare of the table; smaller ones read in batches.

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

// exportWhole hands every event of f to fn in chunks, from one statement
// (see above), after reading the whole catalog into cat.
func (s *Store) exportWhole(ctx context.Context, f EventFilter, cat *exportCatalog, chunk []Event,
	fn func([]Event) error) error {
	if err := s.loadCatalog(ctx, cat, nil, nil, nil); err != nil {
		return err
	}
	// The statement runs as long as its client takes to read it (the
	// export's slot and its client bound it, not DB_STATEMENT_TIMEOUT);
	// the sort of the result fits in memory at a million events.
	for _, set := range []string{"SET LOCAL statement_timeout = 0", "SET LOCAL work_mem = '256MB'"} {
		if err := s.db.WithContext(ctx).Exec(set).Error; err != nil {
			return translate(err)
		}
	}
	w := s.where(f)
	dir := "ASC"
	if f.Descending {
		dir = "DESC"
	}
	// Each relation in the fieldset is one aggregate joined by event id;
	// one outside it is NULL, not read.
	var cols, joins string
	for _, r := range []struct {
		bit          EventFields
		alias, table string
		v            string
	}{
		{fieldActors, "a", "event_actors", "json_build_array(actor_id, role)"},
		{fieldPlaces, "pl", "event_places", "place_id"},
		{fieldTags, "t", "event_tags", "tag"},
		{fieldSources, "c", "citations", "json_build_array(source_id, quote, note)"},
	} {
		if !f.Fields.has(r.bit) {
			cols += ", NULL"
			continue
		}
		cols += ", " + r.alias + ".j"
		joins += " LEFT JOIN (SELECT event_id, json_agg(" + r.v + " ORDER BY position) AS j FROM " + r.table +
			" GROUP BY event_id) " + r.alias + " ON " + r.alias + ".event_id = e.id"
	}
	query := "SELECT " + eventColumns + cols + " FROM events e" + joins +
		" WHERE " + w.String() + " ORDER BY e.start_date " + dir + ", e.id " + dir
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, _, err := s.streamRows(qctx, query, w.args, false, cat, chunk, fn, cancel)
	return err
}
