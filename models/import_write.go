package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// The writes of an import's batch (see import_batch.go): one multi-row
// statement per table for the batch's events, links, revisions and
// changes, and for mode=replace the retractions, a batch at a time.

// write writes a batch's creations, restorations and updates, with their
// links, search text, revisions and changes, in the order of the rows.
func (im *importer) write(ctx context.Context, writes []importWrite) error {
	ids := make([]string, len(writes))
	var restored, updated []string
	for i, w := range writes {
		ids[i] = w.e.ID
		switch w.action {
		case "restore":
			restored = append(restored, w.e.ID)
		case "update":
			updated = append(updated, w.e.ID)
		}
	}
	last, err := im.tx.lastRevisions(ctx, ids)
	if err != nil {
		return err
	}
	texts, err := im.tx.searchTexts(ctx, writes)
	if err != nil {
		return err
	}
	for i := range writes {
		writes[i].text = texts[i]
	}
	if err := im.w.deleteIDs(ctx, "retracted_events", "id", restored); err != nil {
		return err
	}
	var changed []importWrite
	for _, w := range writes {
		e := w.e
		if w.action == "update" {
			changed = append(changed, w)
			continue
		}
		im.events.add(e.ID, e.Timeline, e.Title, e.Summary, e.Span.Start.String(), e.Span.End.String(),
			string(e.Span.Precision), e.Span.Approximate, e.DisplayDate, e.Span.EDTF, e.Type, e.Status, w.hash, w.text,
			w.version, im.now, im.now)
	}
	if err := im.w.insert(ctx, im.events); err != nil {
		return err
	}
	if err := im.updateEvents(ctx, changed); err != nil {
		return err
	}
	for _, table := range []string{"event_actors", "event_places", "event_tags", "citations"} {
		if err := im.w.deleteIDs(ctx, table, "event_id", updated); err != nil {
			return err
		}
	}
	for _, w := range writes {
		e := w.e
		for i, a := range e.Actors {
			im.actors.add(e.ID, a.ID, a.Role, i)
		}
		for i, p := range e.Places {
			im.places.add(e.ID, p.ID, i)
		}
		for i, tag := range e.Tags {
			im.tags.add(e.ID, tag, i)
		}
		for i, c := range e.Citations {
			im.citations.add(e.ID, i, c.Source.ID, c.Quote, c.Note)
		}
		content, err := json.Marshal(w.doc)
		if err != nil {
			return err
		}
		im.record(w.e.ID, w.e.Timeline, w.action, w.version, last[w.e.ID]+1, string(content))
	}
	for _, b := range []*bulkRows{im.actors, im.places, im.tags, im.citations, im.revisions, im.changes} {
		if err := im.w.insert(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// record adds the revision of an event's change and its change in the
// feed (a tombstone for a retraction).
func (im *importer) record(id, timeline, action string, version, revision int64, content string) {
	m := im.opts.Meta
	im.revisions.add(id, revision, version, action, timeline, content, m.KeyID, m.Comment, im.now)
	var body any = content
	if action == "retract" {
		body = nil
	}
	im.changes.add(KindEvent, id, timeline, action, revision, version, body, m.KeyID, im.now)
}

// updateEvents rewrites the rows of the events changed, each provided it
// is still at the version read.
func (im *importer) updateEvents(ctx context.Context, changed []importWrite) error {
	if len(changed) == 0 {
		return nil
	}
	b := newBulk("", "id text", "old_version bigint", "timeline_id text", "title text", "summary text", "start_date date",
		"end_date date", "date_precision text", "approximate boolean", "display_date text", "edtf text", "type text",
		"status text", "content_hash text", "search_text text")
	for _, w := range changed {
		e := w.e
		b.add(e.ID, w.st.version, e.Timeline, e.Title, e.Summary, e.Span.Start.String(), e.Span.End.String(),
			string(e.Span.Precision), e.Span.Approximate, e.DisplayDate, e.Span.EDTF, e.Type, e.Status, w.hash, w.text)
	}
	set := ""
	for _, c := range b.cols[2:] {
		set += c + " = u." + c + ", "
	}
	if im.tx.dialect == DialectPostgres {
		from, args := b.pgArrays(2)
		res, err := im.w.exec(ctx, "UPDATE events SET "+set+"version = events.version + 1, updated_at = $1 FROM "+from+
			" AS u("+strings.Join(b.cols, ", ")+") WHERE events.id = u.id AND events.version = u.old_version", append([]any{im.now}, args...)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(len(changed)) {
			return fmt.Errorf("import: %d of %d events updated: %w", n, len(changed), ErrConflict)
		}
		return nil
	}
	q := "UPDATE events SET "
	for _, c := range b.cols[2:] {
		q += c + " = ?, "
	}
	q += "version = version + 1, updated_at = ? WHERE id = ? AND version = ?"
	w := len(b.cols)
	for r := range b.len() {
		row := b.vals[r*w : (r+1)*w]
		args := append(append(append([]any{}, row[2:]...), im.now), row[0], row[1])
		res, err := im.w.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("import: event %s changed meanwhile: %w", row[0], ErrConflict)
		}
	}
	return nil
}

// searchTexts returns the search text of each event written, as
// refreshSearchText would make it, from the names of what it links to
// read at once.
func (s *Store) searchTexts(ctx context.Context, writes []importWrite) ([]string, error) {
	var actorIDs, placeIDs []string
	for _, w := range writes {
		for _, a := range w.e.Actors {
			actorIDs = append(actorIDs, a.ID)
		}
		for _, p := range w.e.Places {
			placeIDs = append(placeIDs, p.ID)
		}
	}
	names := func(table string, ids []string) (map[string]string, error) {
		out := map[string]string{}
		if len(ids) == 0 {
			return out, nil
		}
		var rows []struct{ ID, Name string }
		cond, arg := s.idsIn("id", ids)
		if err := s.db.WithContext(ctx).Raw("SELECT id, name FROM "+table+" WHERE "+cond, arg).Scan(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			out[r.ID] = r.Name
		}
		return out, nil
	}
	actorNames, err := names("actors", actorIDs)
	if err != nil {
		return nil, err
	}
	placeNames, err := names("places", placeIDs)
	if err != nil {
		return nil, err
	}
	actorAliases, err := s.aliases(ctx, "actor_aliases", "actor_id", dedupeIDs(actorIDs))
	if err != nil {
		return nil, err
	}
	placeAliases, err := s.aliases(ctx, "place_aliases", "place_id", dedupeIDs(placeIDs))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(writes))
	for i, w := range writes {
		e := w.e
		e.Actors = append([]EventActor{}, e.Actors...)
		for j := range e.Actors {
			e.Actors[j].Name, e.Actors[j].Aliases = actorNames[e.Actors[j].ID], actorAliases[e.Actors[j].ID]
		}
		e.Places = append([]Place{}, e.Places...)
		for j := range e.Places {
			e.Places[j].Name = placeNames[e.Places[j].ID]
		}
		out[i] = searchText(e, placeAliases)
	}
	return out, nil
}

func dedupeIDs(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// retractAbsent retracts, a batch at a time, the live events of the
// timeline that the file did not list, each with its revision and change.
func (im *importer) retractAbsent(ctx context.Context, batch int) error {
	after := ""
	for {
		var ids []string
		if err := im.tx.db.WithContext(ctx).Raw("SELECT id FROM events WHERE timeline_id = ? AND id > ?"+
			" AND id NOT IN (SELECT id FROM import_seen) ORDER BY id LIMIT ?", im.opts.Timeline, after, batch).
			Scan(&ids).Error; err != nil {
			return translate(err)
		}
		if len(ids) == 0 {
			return nil
		}
		after = ids[len(ids)-1]
		for _, id := range ids {
			im.rep.note(&im.rep.RetractedIDs, &im.rep.Retracted, id)
		}
		if im.opts.DryRun {
			continue
		}
		if err := im.retract(ctx, ids); err != nil {
			return err
		}
	}
}

// retract retracts the events ids, whatever their version.
func (im *importer) retract(ctx context.Context, ids []string) error {
	states, err := im.tx.lockEvents(ctx, ids)
	if err != nil {
		return err
	}
	docs, err := im.tx.findDocs(ctx, ids)
	if err != nil {
		return err
	}
	last, err := im.tx.lastRevisions(ctx, ids)
	if err != nil {
		return err
	}
	if err := im.w.deleteIDs(ctx, "events", "id", ids); err != nil {
		return err
	}
	m := im.opts.Meta
	for _, id := range ids {
		st, doc := states[id], docs[id]
		if !st.exists {
			return fmt.Errorf("import: event %s retracted meanwhile: %w", id, ErrConflict)
		}
		content, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		im.retractions.add(id, st.timeline, st.version+1, m.KeyID, im.now)
		im.record(id, st.timeline, "retract", st.version+1, last[id]+1, string(content))
	}
	for _, b := range []*bulkRows{im.retractions, im.revisions, im.changes} {
		if err := im.w.insert(ctx, b); err != nil {
			return err
		}
	}
	return nil
}
