package models

import (
	"context"
	"fmt"
	"time"
)

// An import writes its rows in batches: each batch is checked row by row
// with the validation of single writes (validateEvent), compared with the
// current events it names (read by id, locked), and written with one
// multi-row statement per table (see bulkWriter): events, their links,
// revisions and feed changes. Memory is bounded by the batch: the ids
// already seen, for duplicates and mode=replace, are kept in a temporary
// table of the transaction, not in memory.

// DefaultImportBatch is the number of rows an import writes at once.
const DefaultImportBatch = 1000

// importer is one import, inside its write transaction.
type importer struct {
	tx       *Store
	opts     ImportOptions
	now      time.Time
	rep      *ImportReport
	problems *ValidationError
	w        *bulkWriter
	// allowed are the timelines opts.Meta.Allow has accepted.
	allowed map[string]bool

	events, actors, places, tags, citations, revisions, changes, retractions, seen *bulkRows
}

// importWrite is a row to write: its event, what it replaces, and how.
type importWrite struct {
	e    Event
	doc  EventDoc
	hash string
	// text is its search text (see searchTexts).
	text    string
	st      eventState
	action  string
	version int64
}

func newImporter(tx *Store, opts ImportOptions, now time.Time, rep *ImportReport, problems *ValidationError) *importer {
	return &importer{tx: tx, opts: opts, now: now, rep: rep, problems: problems, w: tx.newBulkWriter(),
		allowed: map[string]bool{opts.Timeline: true},
		events: newBulk("events", "id text", "timeline_id text", "title text", "summary text", "start_date date",
			"end_date date", "date_precision text", "approximate boolean", "display_date text", "edtf text", "type text",
			"status text", "content_hash text", "search_text text", "version bigint", "created_at timestamptz",
			"updated_at timestamptz"),
		actors:    newBulk("event_actors", "event_id text", "actor_id text", "role text", "position integer"),
		places:    newBulk("event_places", "event_id text", "place_id text", "position integer"),
		tags:      newBulk("event_tags", "event_id text", "tag text", "position integer"),
		citations: newBulk("citations", "event_id text", "position integer", "source_id text", "quote text", "note text"),
		revisions: newBulk("event_revisions", "event_id text", "revision bigint", "version bigint", "action text",
			"timeline_id text", "content text", "key_id text", "comment text", "created_at timestamptz"),
		changes: newBulk("changes", "kind text", "resource_id text", "timeline_id text", "action text", "revision bigint",
			"version bigint", "content text", "key_id text", "created_at timestamptz"),
		retractions: newBulk("retracted_events", "id text", "timeline_id text", "version bigint", "key_id text",
			"retracted_at timestamptz"),
		seen: newBulk("import_seen", "id text", "at text"),
	}
}

// begin makes the temporary table of the ids seen.
func (im *importer) begin(ctx context.Context) error {
	q := "CREATE TEMP TABLE IF NOT EXISTS import_seen (id text PRIMARY KEY, at text NOT NULL)"
	if im.tx.dialect == DialectPostgres {
		q += " ON COMMIT DROP"
	}
	db := im.tx.db.WithContext(ctx)
	if err := db.Exec(q).Error; err != nil {
		return translate(err)
	}
	return translate(db.Exec("DELETE FROM import_seen").Error)
}

// end drops the temporary table (on PostgreSQL the commit does).
func (im *importer) end(ctx context.Context) error {
	im.w.close() // SQLite's statements may name the table
	if im.tx.dialect == DialectPostgres {
		return nil
	}
	return translate(im.tx.db.WithContext(ctx).Exec("DROP TABLE temp.import_seen").Error)
}

func (im *importer) add(at string, fields []FieldError) {
	for _, f := range fields {
		if len(im.problems.Fields) < maxImportProblems {
			im.problems.Fields = append(im.problems.Fields, FieldError{Field: at + ": " + f.Field, Reason: f.Reason})
		}
	}
}

func (im *importer) allow(timeline string) error {
	if im.allowed[timeline] {
		return nil
	}
	if err := im.opts.Meta.allow(timeline); err != nil {
		return err
	}
	im.allowed[timeline] = true
	return nil
}

// flush checks, compares and (unless the import has problems or is a dry
// run) writes one batch of rows. Each row's problems are gathered in its
// Problems (a reader's first), and reported in the order of the rows.
func (im *importer) flush(ctx context.Context, rows []ImportRow) error {
	if len(rows) == 0 {
		return nil
	}
	defer func() {
		for _, row := range rows {
			im.add(row.At, row.Problems)
		}
	}()
	if err := im.dedupe(ctx, rows); err != nil {
		return err
	}
	ids := make([]string, 0, len(rows))
	for i := range rows {
		rows[i].Doc.Timeline = im.opts.Timeline
		if len(rows[i].Problems) == 0 {
			ids = append(ids, rows[i].Doc.ID)
		}
	}
	states, err := im.tx.lockEvents(ctx, ids)
	if err != nil {
		return err
	}
	for _, st := range states {
		if err := im.allow(st.timeline); err != nil {
			return err
		}
	}
	if err := im.complete(ctx, rows, states); err != nil {
		return err
	}
	// What the rows link to is read at once; then each row is checked as
	// a single write is.
	docs := make([]EventDoc, 0, len(rows))
	for _, row := range rows {
		if len(row.Problems) == 0 {
			docs = append(docs, row.Doc)
		}
	}
	known, err := im.tx.prefetchLinks(ctx, docs)
	if err != nil {
		return err
	}
	var writes []importWrite
	for i := range rows {
		row := &rows[i]
		if len(row.Problems) > 0 {
			continue
		}
		e, v, err := im.tx.validateEvent(ctx, row.Doc, known)
		if err != nil {
			return err
		}
		if len(v.Fields) > 0 {
			row.Problems = v.Fields
			continue
		}
		doc := DocOf(e)
		hash := contentHash(doc)
		st := states[e.ID]
		w := importWrite{e: e, doc: doc, hash: hash, st: st, version: st.version + 1}
		switch {
		case st.exists && st.hash == hash:
			im.rep.Unchanged++
			continue
		case st.exists:
			w.action = "update"
			im.rep.note(&im.rep.UpdatedIDs, &im.rep.Updated, e.ID)
		case st.retracted != nil:
			w.action = "restore"
			im.rep.note(&im.rep.CreatedIDs, &im.rep.Created, e.ID)
		default:
			w.action = "create"
			im.rep.note(&im.rep.CreatedIDs, &im.rep.Created, e.ID)
		}
		writes = append(writes, w)
	}
	if im.opts.DryRun || len(writes) == 0 || len(im.problems.Fields) > 0 {
		return nil // nothing will be written
	}
	for _, row := range rows {
		if len(row.Problems) > 0 {
			return nil
		}
	}
	return im.write(ctx, writes)
}

// dedupe finds the rows whose id an earlier row has, in this batch or an
// earlier one, and records the others' ids as seen.
func (im *importer) dedupe(ctx context.Context, rows []ImportRow) error {
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		if row.Doc.ID != "" && len(row.Problems) == 0 {
			ids = append(ids, row.Doc.ID)
		}
	}
	first := map[string]string{}
	if len(ids) > 0 {
		var earlier []struct{ ID, At string }
		cond, arg := im.tx.idsIn("id", ids)
		if err := im.tx.db.WithContext(ctx).Raw("SELECT id, at FROM import_seen WHERE "+cond, arg).
			Scan(&earlier).Error; err != nil {
			return translate(err)
		}
		for _, r := range earlier {
			first[r.ID] = r.At
		}
	}
	for i := range rows {
		row := &rows[i]
		id := row.Doc.ID
		if id == "" || len(row.Problems) > 0 {
			continue
		}
		if prev, dup := first[id]; dup {
			row.Problems = []FieldError{{Field: "/id", Reason: fmt.Sprintf("%q is listed twice (first at %s)", id, prev)}}
			continue
		}
		first[id] = row.At
		im.seen.add(id, row.At)
	}
	return im.w.insert(ctx, im.seen)
}

// complete runs the rows' Complete with the current documents of their
// events, read at once.
func (im *importer) complete(ctx context.Context, rows []ImportRow, states map[string]eventState) error {
	var ids []string
	for _, row := range rows {
		if row.Complete != nil && len(row.Problems) == 0 && states[row.Doc.ID].exists {
			ids = append(ids, row.Doc.ID)
		}
	}
	current, err := im.tx.findDocs(ctx, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		row := &rows[i]
		if row.Complete == nil || len(row.Problems) > 0 {
			continue
		}
		v := &ValidationError{}
		var cur *EventDoc
		if d, ok := current[row.Doc.ID]; ok {
			cur = &d
		}
		row.Complete(cur, &row.Doc, v)
		if len(v.Fields) > 0 {
			row.Problems = v.Fields
		}
	}
	return nil
}

// findDocs returns the documents of the events ids, by id.
func (s *Store) findDocs(ctx context.Context, ids []string) (map[string]EventDoc, error) {
	out := map[string]EventDoc{}
	if len(ids) == 0 {
		return out, nil
	}
	events, err := s.readEvents(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.id IN ?", []any{ids}, false, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		out[e.ID] = DocOf(e)
	}
	return out, nil
}

// lockEvents is lockEvent for many ids: the state of each that exists or
// was retracted, its row locked until the transaction ends.
func (s *Store) lockEvents(ctx context.Context, ids []string) (map[string]eventState, error) {
	if len(ids) == 0 {
		return map[string]eventState{}, nil
	}
	db := s.db.WithContext(ctx)
	cond, arg := s.idsIn("id", ids)
	var rows []struct {
		ID, ContentHash, TimelineID string
		Version                     int64
	}
	if err := db.Raw("SELECT id, version, content_hash, timeline_id FROM events WHERE "+cond+s.sql.forUpdate(), arg).
		Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make(map[string]eventState, len(ids))
	for _, r := range rows {
		out[r.ID] = eventState{exists: true, version: r.Version, hash: r.ContentHash, timeline: r.TimelineID}
	}
	var gone []struct {
		ID, TimelineID string
		Version        int64
		RetractedAt    time.Time
	}
	if err := db.Raw("SELECT id, timeline_id, version, retracted_at FROM retracted_events WHERE "+cond+s.sql.forUpdate(), arg).
		Scan(&gone).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range gone {
		if _, live := out[r.ID]; live {
			continue
		}
		out[r.ID] = eventState{version: r.Version, timeline: r.TimelineID, retracted: &retraction{
			RetractedError: RetractedError{ID: r.ID, RetractedAt: r.RetractedAt.UTC(), Version: r.Version}, timeline: r.TimelineID}}
	}
	return out, nil
}

// lastRevisions returns the number of the last revision of each of ids
// that has one.
func (s *Store) lastRevisions(ctx context.Context, ids []string) (map[string]int64, error) {
	cond, arg := s.idsIn("event_id", ids)
	var rows []struct {
		EventID string
		Last    int64
	}
	if err := s.db.WithContext(ctx).Raw("SELECT event_id, MAX(revision) AS last FROM event_revisions WHERE "+cond+
		" GROUP BY event_id", arg).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.EventID] = r.Last
	}
	return out, nil
}
